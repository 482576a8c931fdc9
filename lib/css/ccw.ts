/**
 * Channel-command words (vfio-ccw.md §1.1–§1.3): flags, the command codes
 * of the emulated 3390-like device, and decoding of Format-1 and Format-0
 * CCWs into one form.
 *
 * @module
 */

/** Bytes of a CCW (both formats). */
export const CCW_SIZE = 8;

/** CCW flags (Format-1 byte 1, Format-0 byte 4; Linux CCW_FLAG_*). */
export const CCW_FLAG = {
  /** Chain data: the next CCW continues this command's data area. */
  CD: 0x80,
  /** Chain command. */
  CC: 0x40,
  /** Suppress incorrect-length indication. */
  SLI: 0x20,
  /** Skip: read-type commands store no data. */
  SKIP: 0x10,
  /** Program-controlled interruption. */
  PCI: 0x08,
  /** The data address designates an IDAL. */
  IDA: 0x04,
  /** Suspend. */
  SUSPEND: 0x02,
  /** The data address designates a MIDAL. */
  MIDA: 0x01,
} as const;

/** Command codes the emulated DASD (and the channel, for TIC) understand. */
export const CCW_CMD = {
  WRITE: 0x01,
  READ: 0x02,
  NOP: 0x03,
  SENSE: 0x04,
  SEEK: 0x07,
  TIC: 0x08,
  READ_BACKWARD: 0x0c,
  SENSE_ID: 0xe4,
} as const;

/** A decoded CCW (Format-0 ones converted to the Format-1 shape, §1.2). */
export interface Ccw {
  cmd: number;
  flags: number;
  count: number;
  /** Data address, IDAL address, or (TIC) the next CCW's address. */
  cda: number;
}

/**
 * Decodes the CCW at `addr` of `view`: Format-1 as stored; Format-0 with
 * its 24-bit address, and any `X8` command converted to a plain TIC.
 */
export function decodeCcw(view: DataView, addr: number, format1: boolean): Ccw {
  const cmd = view.getUint8(addr);
  if (format1) {
    return {
      cmd,
      flags: view.getUint8(addr + 1),
      count: view.getUint16(addr + 2),
      cda: view.getUint32(addr + 4),
    };
  }
  const cda = view.getUint32(addr) & 0xffffff;
  if ((cmd & 0x0f) === CCW_CMD.TIC) return { cmd: CCW_CMD.TIC, flags: 0, count: 0, cda };
  return { cmd, flags: view.getUint8(addr + 4), count: view.getUint16(addr + 6), cda };
}

/**
 * The 8 bytes of a Format-1 CCW.
 *
 * @example READ of 4 KiB through an IDAL at 0x2000
 * ```ts
 * import assert from "node:assert/strict";
 * import { CCW_CMD, CCW_FLAG, encodeCcw1 } from "./ccw.ts";
 * const ccw = encodeCcw1({ cmd: CCW_CMD.READ, flags: CCW_FLAG.IDA, count: 4096, cda: 0x2000 });
 * assert.deepEqual([...ccw], [0x02, 0x04, 0x10, 0x00, 0x00, 0x00, 0x20, 0x00]);
 * ```
 */
export function encodeCcw1(ccw: Ccw): Uint8Array {
  const bytes = new Uint8Array(CCW_SIZE);
  const view = new DataView(bytes.buffer);
  bytes[0] = ccw.cmd;
  bytes[1] = ccw.flags;
  view.setUint16(2, ccw.count);
  view.setUint32(4, ccw.cda);
  return bytes;
}
