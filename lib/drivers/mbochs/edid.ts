/**
 * The EDID of an mbochs device: the `struct vfio_region_gfx_edid` registers the host programs
 * through the EDID region, the 1 KiB blob behind them, and the guest's view of the blob through
 * MMIO 0x000–0x3FF (samples.md §4.4, §4.5).
 *
 * ```text
 * +0 edid_offset  +4 edid_max_size  +8 edid_size  +12 max_xres  +16 max_yres  +20 link_state
 * ```
 *
 * @module
 */
import { formatBytes, parseHexBytes } from "../../vfio/script.ts";
import { MBOCHS_EDID_BLOB_OFFSET, MBOCHS_EDID_BLOB_SIZE } from "./defs.ts";

/** Size of the register block. */
export const EDID_REGS_SIZE = 24;
/** Register offsets. */
export const EDID_REG = {
  EDID_OFFSET: 0,
  EDID_MAX_SIZE: 4,
  EDID_SIZE: 8,
  MAX_XRES: 12,
  MAX_YRES: 16,
  LINK_STATE: 20,
} as const;
/** link_state values (VFIO_DEVICE_GFX_LINK_STATE_*). */
export const LINK_STATE = { UP: 1, DOWN: 2 } as const;

/** Named-field snapshot. */
export interface EdidSnapshot {
  regs: number[];
  blob: string;
}

/** The EDID registers and blob of one device. */
export class Edid {
  /** edid_offset, edid_max_size, edid_size, max_xres, max_yres, link_state. */
  readonly #regs = new Uint32Array(EDID_REGS_SIZE / 4);
  #blob: Uint8Array = new Uint8Array(MBOCHS_EDID_BLOB_SIZE);

  /** The initial registers: blob at 0x800, 1 KiB of it, size 0, the type's maximum, link 0. */
  constructor(maxX: number, maxY: number) {
    this.#regs.set([MBOCHS_EDID_BLOB_OFFSET, MBOCHS_EDID_BLOB_SIZE, 0, maxX, maxY, 0]);
  }

  /** A register by byte offset. */
  reg(offset: number): number {
    return this.#regs[offset / 4]!;
  }

  /**
   * handle_edid_regs(): only aligned 4-byte accesses inside the 24 bytes count; the others are
   * ignored (a read then returns 0: QUIRK, the sample leaves the buffer unfilled). Only
   * link_state and edid_size are writable.
   *
   * @returns the value read (0 for writes and ignored accesses)
   */
  accessRegs(offset: number, size: number, write: boolean, value: number): number {
    if (offset + size > EDID_REGS_SIZE || size !== 4 || offset % 4 !== 0) return 0;
    if (!write) return this.#regs[offset / 4]!;
    if (offset === EDID_REG.LINK_STATE || offset === EDID_REG.EDID_SIZE) {
      this.#regs[offset / 4] = value;
    }
    return 0;
  }

  /**
   * handle_edid_blob(): `offset` is relative to the blob; accesses that end past edid_max_size
   * are ignored (a read then returns 0).
   *
   * @returns the value read (0 for writes and ignored accesses)
   */
  accessBlob(offset: number, size: number, write: boolean, value: number): number {
    if (offset + size > this.reg(EDID_REG.EDID_MAX_SIZE)) return 0;
    if (write) {
      for (let i = 0; i < size; i++) this.#blob[offset + i] = (value >>> (8 * i)) & 0xff;
      return 0;
    }
    let result = 0;
    for (let i = size - 1; i >= 0; i--) result = result * 0x100 + this.#blob[offset + i]!;
    return result;
  }

  /**
   * What the guest reads at MMIO `offset` (< 0x400): blob bytes while link_state is UP and the
   * offset lies below edid_size, zeros otherwise.
   */
  guestRead(offset: number, size: number): number {
    if (this.reg(EDID_REG.LINK_STATE) !== LINK_STATE.UP) return 0;
    if (offset >= this.reg(EDID_REG.EDID_SIZE)) return 0;
    let result = 0;
    for (let i = size - 1; i >= 0; i--) result = result * 0x100 + (this.#blob[offset + i] ?? 0);
    return result;
  }

  /** The named-field snapshot. */
  toSnapshot(): EdidSnapshot {
    return { regs: [...this.#regs], blob: formatBytes(this.#blob) };
  }

  /** Rebuilds the EDID from {@linkcode toSnapshot}. */
  static fromSnapshot(s: EdidSnapshot): Edid {
    const edid = new Edid(0, 0);
    if (!Array.isArray(s.regs) || s.regs.length !== EDID_REGS_SIZE / 4) {
      throw new TypeError("Cannot restore EDID: expected 6 registers");
    }
    edid.#regs.set(s.regs);
    const blob = parseHexBytes(s.blob);
    if (blob.length !== MBOCHS_EDID_BLOB_SIZE) {
      throw new TypeError("Cannot restore EDID: blob size");
    }
    edid.#blob = blob;
    return edid;
  }
}
