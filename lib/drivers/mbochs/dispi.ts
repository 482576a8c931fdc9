/**
 * The Bochs DISPI (VBE) register file of an mbochs device: eleven u16 registers that store any
 * value written, with no validation and no read-only protection (samples.md §4.4). A pure model;
 * the MMIO BAR handler decides which accesses reach it.
 *
 * @module
 */
import { VBE_DISPI_ID5, VBE_DISPI_INDEX, VBE_DISPI_INDEX_COUNT } from "./defs.ts";

/** The `vbe[]` array of the sample. */
export class Dispi {
  readonly #regs = new Uint16Array(VBE_DISPI_INDEX_COUNT);

  /** A register file after mbochs_reset() for `memSize` bytes of VRAM. */
  constructor(memSize: number) {
    this.reset(memSize);
  }

  /** mbochs_reset(): all zero, then ID = 0xB0C5 and VIDEO_MEMORY_64K = memsize / 64 KiB. */
  reset(memSize: number): void {
    this.#regs.fill(0);
    this.#regs[VBE_DISPI_INDEX.ID] = VBE_DISPI_ID5;
    this.#regs[VBE_DISPI_INDEX.VIDEO_MEMORY_64K] = memSize / 65536;
  }

  /** Register `index` (0 for an index past the last, as the sample's `reg16 = 0` start). */
  read(index: number): number {
    return index < VBE_DISPI_INDEX_COUNT ? this.#regs[index]! : 0;
  }

  /** Stores any 16-bit value verbatim, ID and VIDEO_MEMORY_64K included (QUIRK: no protection). */
  write(index: number, value: number): void {
    if (index < VBE_DISPI_INDEX_COUNT) this.#regs[index] = value;
  }

  /** All registers, index order (for snapshots and `fb info`). */
  values(): number[] {
    return [...this.#regs];
  }

  /** Rebuilds a register file from {@linkcode values}. */
  static fromValues(values: readonly number[]): Dispi {
    if (!Array.isArray(values) || values.length !== VBE_DISPI_INDEX_COUNT) {
      throw new TypeError(`Cannot restore DISPI registers: expected ${VBE_DISPI_INDEX_COUNT}`);
    }
    const dispi = new Dispi(0);
    dispi.#regs.set(values);
    return dispi;
  }
}
