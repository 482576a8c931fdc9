/**
 * The MMIO register BAR of mbochs (region 2, one page): `handle_mmio_read` / `handle_mmio_write`
 * (samples.md §4.4). It looks like QEMU stdvga's MMIO BAR but only the EDID window and the DISPI
 * registers do anything.
 *
 * ```text
 * 0x000–0x3FF  EDID blob (read while link is up; writes ignored)
 * 0x400–0x41F  VGA ioports 0x3C0–0x3DF (reads 0, writes ignored)
 * 0x500–0x515  DISPI register i at 0x500 + 2i, 2-byte accesses only
 * 0x600–0x607  QEMU extended registers (reads 0, writes ignored)
 * rest         reads 0, writes ignored
 * ```
 *
 * @module
 */
import { MBOCHS_MMIO } from "./defs.ts";
import type { Dispi } from "./dispi.ts";
import type { Edid } from "./edid.ts";

/** The register state the MMIO BAR reaches. */
export interface MmioTarget {
  readonly dispi: Dispi;
  readonly edid: Edid;
}

function dispiIndex(offset: number, size: number): number | undefined {
  if (offset < MBOCHS_MMIO.DISPI || offset >= MBOCHS_MMIO.DISPI_END || size !== 2) return undefined;
  return (offset - MBOCHS_MMIO.DISPI) / 2;
}

/**
 * A read of `size` bytes at `offset` inside BAR2. DISPI registers answer only 2-byte reads (1-
 * and 4-byte pieces read 0); every unhandled read returns 0.
 */
export function mmioRead(target: MmioTarget, offset: number, size: number): number {
  if (offset < MBOCHS_MMIO.EDID_END) return target.edid.guestRead(offset, size);
  const index = dispiIndex(offset, size);
  return index === undefined ? 0 : target.dispi.read(index);
}

/** A write of `size` bytes at `offset` inside BAR2: only 2-byte DISPI writes are stored. */
export function mmioWrite(target: MmioTarget, offset: number, size: number, value: number): void {
  const index = dispiIndex(offset, size);
  if (index !== undefined) target.dispi.write(index, value & 0xffff);
}
