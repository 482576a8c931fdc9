/**
 * The PCI config space of an mtty device: the bytes `mtty_create_config_space`
 * lays down and the write dispatch of `handle_pci_cfg_write` in
 * samples/vfio-mdev/mtty.c (spec: samples.md §2.2).
 *
 * @module
 */

/** Config region size as the sample reports it (`MTTY_CONFIG_SPACE_SIZE`): one short of 256. */
export const MTTY_CONFIG_SIZE = 0xff;

const BACKING_SIZE = 0x100;
// Sizing mask of an 8-byte I/O BAR: ~(MTTY_IO_BAR_SIZE) + 1.
const IO_BAR_SIZE_MASK = 0xfffffff8;
// The vendor/device and subsystem dwords: WCH (0x4348) CH352 2S (0x3253).
const WCH_CH352_ID = 0x32534348;
const VENDOR_SPECIFIC_BYTES: ReadonlyArray<readonly [number, number]> = [
  [0x40, 0x23],
  [0x43, 0x80],
  [0x44, 0x23],
  [0x48, 0x23],
  [0x4c, 0x23],
];
// Written without a NUL terminator; byte 0x6F stays 0 anyway.
const PRODUCT_STRING = "PCI Serial/UART";
const PRODUCT_STRING_OFFSET = 0x60;

/** A config space as named, JSON-safe fields. */
export interface MttyConfigSpaceSnapshot {
  /** Ports of the device type (mtty-1 or mtty-2). */
  nrPorts: 1 | 2;
  /** The 256-byte backing store as 512 lowercase hex digits. */
  bytes: string;
}

/**
 * The config space of one mtty device.
 *
 * Out-of-range offsets follow `mdev_access`, which has no bounds check: a read
 * copies from `vconfig + offset`, and this model answers 0 for every byte from
 * 0xFF on (byte 0xFF lies in the zeroed kmalloc-256 slot; past it the sample
 * reads neighbouring heap). A write reaches `handle_pci_cfg_write` with the
 * offset truncated to u16, so only `offset & 0xFFFF` decides what happens.
 *
 * @example BAR sizing and programming
 * ```ts
 * import assert from "node:assert/strict";
 * import { MttyConfigSpace } from "./config_space.ts";
 *
 * const config = new MttyConfigSpace(2);
 * config.write(0x10, 4, 0xffffffff);
 * assert.equal(config.read(0x10, 4), 0xfffffff9);
 * config.write(0x10, 4, 0xc150);
 * assert.equal(config.read(0x10, 4), 0xc151);
 * ```
 */
export class MttyConfigSpace {
  /** Ports of the device type; BAR1 is only programmable with 2. */
  readonly nrPorts: 1 | 2;
  #bytes = new Uint8Array(BACKING_SIZE);

  /**
   * Builds the config space `mtty_create_config_space` creates.
   *
   * @param nrPorts 1 for mtty-1, 2 for mtty-2.
   * @throws {RangeError} If `nrPorts` is neither 1 nor 2.
   */
  constructor(nrPorts: 1 | 2) {
    if (nrPorts !== 1 && nrPorts !== 2) {
      throw new RangeError(`Cannot create mtty config space: "nrPorts" is ${nrPorts}, not 1 or 2`);
    }
    this.nrPorts = nrPorts;
    this.#store32(0x00, WCH_CH352_ID);
    this.#store16(0x04, 0x0001); // command: I/O space only
    this.#store16(0x06, 0x0200); // status: DEVSEL medium, no capability list
    this.#bytes[0x08] = 0x10; // revision
    this.#bytes[0x09] = 0x02; // prog-if: 16550 compatible
    this.#bytes[0x0a] = 0x00; // subclass: serial
    this.#bytes[0x0b] = 0x07; // class: simple communication controller
    this.#store32(0x10, 0x00000001); // BAR0: I/O
    if (nrPorts === 2) this.#store32(0x14, 0x00000001); // BAR1: I/O
    this.#store32(0x2c, WCH_CH352_ID);
    this.#bytes[0x34] = 0x00; // no capabilities, hence no MSI capability for a guest
    this.#bytes[0x3d] = 0x01; // interrupt pin INTA#
    for (const [offset, value] of VENDOR_SPECIFIC_BYTES) this.#bytes[offset] = value;
    for (let i = 0; i < PRODUCT_STRING.length; i++) {
      this.#bytes[PRODUCT_STRING_OFFSET + i] = PRODUCT_STRING.charCodeAt(i);
    }
  }

  /** A copy of the 256-byte backing store (byte 0xFF always 0), e.g. for `lspci -x` dumps. */
  get bytes(): Uint8Array {
    return this.#bytes.slice();
  }

  /**
   * Reads `size` bytes at `offset`, little-endian and unsigned.
   *
   * @param offset Byte offset inside the config region.
   * @param size Access width in bytes.
   * @returns The value; bytes at 0xFF and beyond read as 0.
   * @throws {RangeError} If `offset` is not a non-negative integer or `size` is not 1, 2 or 4.
   */
  read(offset: number, size: 1 | 2 | 4): number {
    checkAccess(offset, size);
    let value = 0;
    for (let i = size - 1; i >= 0; i--) value = value * 0x100 + this.#byteAt(offset + i);
    return value;
  }

  /**
   * Writes through `handle_pci_cfg_write`: the starting offset alone selects
   * the action and the access width is ignored.
   *
   * - 0x3C stores the low byte; command, status, 0x3D, BAR5, ROM and every
   *   other offset ignore the write.
   * - BAR0/BAR1 take all 4 bytes of `value` whatever `size` is (QUIRK: the
   *   sample reads a u32 from a 1- or 2-byte buffer; this model uses `value`
   *   as given). All-ones stores the size mask 0xFFFFFFF8; anything else is
   *   stored as is. Either way the low 2 bits of the current BAR are ORed in
   *   (QUIRK: address bits 1..0 are not masked and bit 1 becomes sticky).
   * - BAR1 of a 1-port device and BAR2..BAR4 store 0.
   *
   * @param offset Byte offset inside the config region.
   * @param size Access width in bytes (ignored by the sample).
   * @param value The value written, little-endian, unsigned.
   * @throws {RangeError} If `offset` is not a non-negative integer, `size` is
   * not 1, 2 or 4, or `value` is not an integer in 0..0xFFFFFFFF.
   */
  write(offset: number, size: 1 | 2 | 4, value: number): void {
    checkAccess(offset, size);
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new RangeError(`Cannot write mtty config space: value ${value} is not a u32`);
    }
    const target = offset & 0xffff;
    switch (target) {
      case 0x3c:
        this.#bytes[0x3c] = value & 0xff;
        break;
      case 0x10:
      case 0x14: {
        if (this.nrPorts === 1 && target === 0x14) {
          this.#store32(target, 0);
          break;
        }
        const address = value === 0xffffffff ? IO_BAR_SIZE_MASK : value;
        this.#store32(target, address | (this.#bytes[target] & 0x3));
        break;
      }
      case 0x18:
      case 0x1c:
      case 0x20:
        this.#store32(target, 0);
        break;
    }
  }

  /** The config space as a JSON-safe snapshot. */
  toSnapshot(): MttyConfigSpaceSnapshot {
    let hex = "";
    for (const byte of this.#bytes) hex += byte.toString(16).padStart(2, "0");
    return { nrPorts: this.nrPorts, bytes: hex };
  }

  /**
   * Rebuilds a config space from {@linkcode MttyConfigSpace.toSnapshot} output.
   *
   * @param snapshot A snapshot as produced by `toSnapshot`.
   * @returns A config space with exactly the snapshotted bytes.
   * @throws {TypeError} If `nrPorts` is not 1 or 2, `bytes` is not 512 hex
   * digits, or byte 0xFF is not 0.
   */
  static fromSnapshot(snapshot: MttyConfigSpaceSnapshot): MttyConfigSpace {
    if (typeof snapshot !== "object" || snapshot === null) {
      throw new TypeError("Cannot restore mtty config space: snapshot is not an object");
    }
    const { nrPorts, bytes } = snapshot;
    if (nrPorts !== 1 && nrPorts !== 2) {
      throw new TypeError(`Cannot restore mtty config space: "nrPorts" must be 1 or 2`);
    }
    if (typeof bytes !== "string" || !/^[0-9a-fA-F]{512}$/.test(bytes)) {
      throw new TypeError(`Cannot restore mtty config space: "bytes" must be 512 hex digits`);
    }
    if (bytes.slice(-2) !== "00") {
      throw new TypeError(`Cannot restore mtty config space: byte 0xFF must be 0`);
    }
    const config = new MttyConfigSpace(nrPorts);
    for (let i = 0; i < BACKING_SIZE; i++) {
      config.#bytes[i] = parseInt(bytes.slice(2 * i, 2 * i + 2), 16);
    }
    return config;
  }

  #byteAt(offset: number): number {
    return offset < MTTY_CONFIG_SIZE ? this.#bytes[offset] : 0;
  }

  #store16(offset: number, value: number): void {
    this.#bytes[offset] = value & 0xff;
    this.#bytes[offset + 1] = (value >>> 8) & 0xff;
  }

  #store32(offset: number, value: number): void {
    this.#store16(offset, value & 0xffff);
    this.#store16(offset + 2, value >>> 16);
  }
}

function checkAccess(offset: number, size: number): void {
  if (!Number.isInteger(offset) || offset < 0) {
    throw new RangeError(`Cannot access mtty config space: offset ${offset} is invalid`);
  }
  if (size !== 1 && size !== 2 && size !== 4) {
    throw new RangeError(`Cannot access mtty config space: size ${size} is not 1, 2 or 4`);
  }
}
