/**
 * The PCI config space of an mdpy device: the bytes `mdpy_create_config_space` lays down and the
 * write handling of `handle_pci_cfg_write` in samples/vfio-mdev/mdpy.c (samples.md §3.2).
 *
 * @module
 */
import { readConfigBytes, writeMemoryBar } from "../pci_config.ts";
import {
  MDPY_CONFIG_SPACE_SIZE,
  MDPY_FORMAT_OFFSET,
  MDPY_HEIGHT_OFFSET,
  MDPY_PCI_DEVICE_ID,
  MDPY_PCI_SUBDEVICE_ID,
  MDPY_PCI_SUBVENDOR_ID,
  MDPY_PCI_VENDOR_ID,
  MDPY_VENDORCAP_OFFSET,
  MDPY_VENDORCAP_SIZE,
  MDPY_WIDTH_OFFSET,
  type MdpyTypeData,
} from "./defs.ts";
import { formatBytes, parseHexBytes } from "../../vfio/script.ts";

const BACKING_SIZE = 0x100;
const BAR0 = 0x10;
/** 32-bit prefetchable memory BAR (PCI_BASE_ADDRESS_MEM_PREFETCH | MEM_TYPE_32 | SPACE_MEMORY). */
const BAR0_TYPE = 0x08;

/** A config space as named, JSON-safe fields. */
export interface MdpyConfigSpaceSnapshot {
  /** Framebuffer size, which BAR0 sizing reports. */
  fbSize: number;
  /** The 256-byte backing store as 512 lower-case hex digits. */
  bytes: string;
}

/**
 * The config space of one mdpy device.
 *
 * @example Sizing BAR0 of an mdpy-vga device (2 MiB framebuffer)
 * ```ts
 * import assert from "node:assert/strict";
 * import { MdpyConfigSpace } from "./config_space.ts";
 *
 * const config = new MdpyConfigSpace({ format: 0x34325258, bytesPerPixel: 4, width: 640, height: 480 }, 0x200000);
 * config.write(0x10, 4, 0xffffffff);
 * assert.equal(config.read(0x10, 4), 0xffe00008);
 * ```
 */
export class MdpyConfigSpace {
  /** The framebuffer size (a power of two); BAR0's size. */
  readonly fbSize: number;
  #bytes: Uint8Array = new Uint8Array(BACKING_SIZE);

  /** Builds what `mdpy_create_config_space` builds for a type with a framebuffer of `fbSize`. */
  constructor(type: MdpyTypeData, fbSize: number) {
    this.fbSize = fbSize;
    const view = this.#view();
    view.setUint16(0x00, MDPY_PCI_VENDOR_ID, true);
    view.setUint16(0x02, MDPY_PCI_DEVICE_ID, true);
    view.setUint16(0x2c, MDPY_PCI_SUBVENDOR_ID, true);
    view.setUint16(0x2e, MDPY_PCI_SUBDEVICE_ID, true);
    view.setUint16(0x04, 0x0003, true); // command: I/O | memory
    view.setUint16(0x06, 0x0010, true); // status: capability list
    view.setUint16(0x0a, 0x0380, true); // class: display, other
    this.#bytes[0x08] = 0x01; // revision
    view.setUint32(BAR0, BAR0_TYPE, true);
    this.#bytes[0x34] = MDPY_VENDORCAP_OFFSET; // capability pointer
    this.#bytes[MDPY_VENDORCAP_OFFSET] = 0x09; // vendor-specific capability
    this.#bytes[MDPY_VENDORCAP_OFFSET + 1] = 0x00; // last in the list
    this.#bytes[MDPY_VENDORCAP_OFFSET + 2] = MDPY_VENDORCAP_SIZE;
    view.setUint32(MDPY_FORMAT_OFFSET, type.format, true);
    view.setUint32(MDPY_WIDTH_OFFSET, type.width, true);
    view.setUint32(MDPY_HEIGHT_OFFSET, type.height, true);
  }

  /** A copy of the 256-byte backing store (byte 0xFF is always 0). */
  get bytes(): Uint8Array {
    return this.#bytes.slice();
  }

  /**
   * Reads `size` bytes at `offset`, little-endian. Bytes from 0xFF on read as 0 (the sample's
   * kzalloc'ed 0xFF bytes end there).
   */
  read(offset: number, size: 1 | 2 | 4): number {
    return readConfigBytes(this.#bytes, offset, size, MDPY_CONFIG_SPACE_SIZE);
  }

  /**
   * Writes through `handle_pci_cfg_write`: only a write starting at 0x10 (BAR0) acts, whatever
   * its width (QUIRK: the sample reads a u32 from a 1- or 2-byte buffer; this model uses `value`
   * as given). All-ones stores the size mask (−fbsize); any other value its address bits. The
   * type nibble (0x8) is kept. Command, status, the interrupt line and everything else ignore
   * writes.
   */
  write(offset: number, _size: 1 | 2 | 4, value: number): void {
    if (offset !== BAR0) return;
    writeMemoryBar(this.#bytes, BAR0, this.fbSize, value);
  }

  /** The config space as a JSON-safe snapshot. */
  toSnapshot(): MdpyConfigSpaceSnapshot {
    return { fbSize: this.fbSize, bytes: formatBytes(this.#bytes) };
  }

  /** Rebuilds a config space from {@linkcode MdpyConfigSpace.toSnapshot} output. */
  static fromSnapshot(type: MdpyTypeData, s: MdpyConfigSpaceSnapshot): MdpyConfigSpace {
    const bytes = parseHexBytes(s.bytes);
    if (bytes.length !== BACKING_SIZE) {
      throw new TypeError(`Cannot restore mdpy config space: ${bytes.length} bytes, not 256`);
    }
    const config = new MdpyConfigSpace(type, s.fbSize);
    config.#bytes = bytes;
    return config;
  }

  #view(): DataView {
    return new DataView(this.#bytes.buffer);
  }
}
