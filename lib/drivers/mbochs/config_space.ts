/**
 * The PCI config space of an mbochs device: the bytes `mbochs_create_config_space` lays down and
 * the BAR handling of `handle_pci_cfg_write` in samples/vfio-mdev/mbochs.c (samples.md §4.2).
 *
 * @module
 */
import { readConfigBytes, writeMemoryBar } from "../pci_config.ts";
import { formatBytes, parseHexBytes } from "../../vfio/script.ts";
import {
  MBOCHS_CONFIG_SPACE_SIZE,
  MBOCHS_MMIO_BAR_SIZE,
  MBOCHS_PCI_DEVICE_ID,
  MBOCHS_PCI_SUBDEVICE_ID,
  MBOCHS_PCI_SUBVENDOR_ID,
  MBOCHS_PCI_VENDOR_ID,
} from "./defs.ts";

const BACKING_SIZE = 0x100;
const BAR0 = 0x10;
const BAR2 = 0x18;
/** BAR0: 32-bit prefetchable memory. */
const BAR0_TYPE = 0x08;
/** BAR2: 32-bit non-prefetchable memory. */
const BAR2_TYPE = 0x00;

/** A config space as named, JSON-safe fields. */
export interface MbochsConfigSpaceSnapshot {
  /** VRAM size, which BAR0 sizing reports. */
  memSize: number;
  /** The 256-byte backing store as 512 lower-case hex digits. */
  bytes: string;
}

/**
 * The config space of one mbochs device.
 *
 * @example Sizing BAR0 of mbochs-small (4 MiB) and BAR2 (one page of registers)
 * ```ts
 * import assert from "node:assert/strict";
 * import { MbochsConfigSpace } from "./config_space.ts";
 *
 * const config = new MbochsConfigSpace(4 * 1024 * 1024);
 * config.write(0x10, 4, 0xffffffff);
 * config.write(0x18, 4, 0xffffffff);
 * assert.equal(config.read(0x10, 4), 0xffc00008);
 * assert.equal(config.read(0x18, 4), 0xfffff000);
 * ```
 */
export class MbochsConfigSpace {
  /** VRAM size in bytes; BAR0's size. */
  readonly memSize: number;
  #bytes: Uint8Array = new Uint8Array(BACKING_SIZE);

  /** Builds what `mbochs_create_config_space` builds for `memSize` bytes of VRAM. */
  constructor(memSize: number) {
    this.memSize = memSize;
    const view = this.#view();
    view.setUint16(0x00, MBOCHS_PCI_VENDOR_ID, true);
    view.setUint16(0x02, MBOCHS_PCI_DEVICE_ID, true);
    view.setUint16(0x2c, MBOCHS_PCI_SUBVENDOR_ID, true);
    view.setUint16(0x2e, MBOCHS_PCI_SUBDEVICE_ID, true);
    view.setUint16(0x04, 0x0003, true); // command: I/O | memory; status 0 (no capability list)
    view.setUint16(0x0a, 0x0380, true); // class: display, other
    // Revision 1: the bochs DRM driver probes the QEMU extended registers only from revision 2.
    this.#bytes[0x08] = 0x01;
    view.setUint32(BAR0, BAR0_TYPE, true);
    view.setUint32(BAR2, BAR2_TYPE, true);
  }

  /** A copy of the 256-byte backing store (byte 0xFF is always 0). */
  get bytes(): Uint8Array {
    return this.#bytes.slice();
  }

  /** Reads `size` bytes at `offset`, little-endian; bytes from 0xFF on read as 0. */
  read(offset: number, size: 1 | 2 | 4): number {
    return readConfigBytes(this.#bytes, offset, size, MBOCHS_CONFIG_SPACE_SIZE);
  }

  /**
   * Writes through `handle_pci_cfg_write`: only writes starting at 0x10 (BAR0, size = VRAM) and
   * 0x18 (BAR2, size = one page) act, whatever their width (QUIRK: the sample reads a u32 from a
   * 1- or 2-byte buffer; this model uses `value` as given). All-ones stores the size mask, any
   * other value its address bits; the type nibble is kept. Everything else is ignored.
   */
  write(offset: number, _size: 1 | 2 | 4, value: number): void {
    let barSize: number;
    if (offset === BAR0) barSize = this.memSize;
    else if (offset === BAR2) barSize = MBOCHS_MMIO_BAR_SIZE;
    else return;
    writeMemoryBar(this.#bytes, offset, barSize, value);
  }

  /** The config space as a JSON-safe snapshot. */
  toSnapshot(): MbochsConfigSpaceSnapshot {
    return { memSize: this.memSize, bytes: formatBytes(this.#bytes) };
  }

  /** Rebuilds a config space from {@linkcode MbochsConfigSpace.toSnapshot} output. */
  static fromSnapshot(s: MbochsConfigSpaceSnapshot): MbochsConfigSpace {
    const bytes = parseHexBytes(s.bytes);
    if (bytes.length !== BACKING_SIZE) {
      throw new TypeError(`Cannot restore mbochs config space: ${bytes.length} bytes, not 256`);
    }
    const config = new MbochsConfigSpace(s.memSize);
    config.#bytes = bytes;
    return config;
  }

  #view(): DataView {
    return new DataView(this.#bytes.buffer, this.#bytes.byteOffset, BACKING_SIZE);
  }
}
