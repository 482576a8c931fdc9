/**
 * The command-mode operation-request block SSCH takes (vfio-ccw.md §1.4),
 * 12 big-endian bytes:
 *
 * ```text
 *  0..3  intparm
 *  4     key:4  S(suspend) C(streaming) M(modification) Y(synchronization)
 *  5     F(format-1) P(prefetch) I(isic) A(alcc) U(ssi) B(transport) H(c64) T(i2k)
 *  6     LPM
 *  7     L(ils) D(midaw) res:5 X(orbx)
 *  8..11 CPA
 * ```
 *
 * @module
 */

/** Bytes of a command-mode ORB as SSCH reads them. */
export const ORB_SIZE = 12;

/** An ORB as named fields. */
export interface Orb {
  intparm: number;
  key: number;
  /** S: suspend control. */
  suspend: boolean;
  /** F: Format-1 CCWs (else Format-0). */
  fmt1: boolean;
  /** P: prefetch allowed. */
  prefetch: boolean;
  /** I: initial-status interruption. */
  isic: boolean;
  /** A: address-limit checking. */
  alcc: boolean;
  /** U: suppress suspended interruption. */
  ssi: boolean;
  /** B: a transport-mode ORB. */
  transport: boolean;
  /** H: Format-2 IDAWs (8-byte, 64-bit). */
  c64: boolean;
  /** T: 2 KiB IDAW blocks. */
  i2k: boolean;
  lpm: number;
  /** L: incorrect-length suppression mode (Format-0). */
  ils: boolean;
  /** D: MIDAW control. */
  midaw: boolean;
  cpa: number;
}

/** Decodes the first 12 bytes of `bytes` as an ORB. */
export function decodeOrb(bytes: Uint8Array): Orb {
  if (bytes.length < ORB_SIZE) {
    throw new RangeError(`Cannot decode an ORB from ${bytes.length} bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, ORB_SIZE);
  const b4 = bytes[4]!;
  const b5 = bytes[5]!;
  const b7 = bytes[7]!;
  return {
    intparm: view.getUint32(0),
    key: b4 >> 4,
    suspend: (b4 & 0x08) !== 0,
    fmt1: (b5 & 0x80) !== 0,
    prefetch: (b5 & 0x40) !== 0,
    isic: (b5 & 0x20) !== 0,
    alcc: (b5 & 0x10) !== 0,
    ssi: (b5 & 0x08) !== 0,
    transport: (b5 & 0x04) !== 0,
    c64: (b5 & 0x02) !== 0,
    i2k: (b5 & 0x01) !== 0,
    lpm: bytes[6]!,
    ils: (b7 & 0x80) !== 0,
    midaw: (b7 & 0x40) !== 0,
    cpa: view.getUint32(8),
  };
}

/**
 * The 12 ORB bytes for the given fields; unnamed flags are zero.
 *
 * @example A Format-1 ORB with 4 KiB Format-2 IDAWs
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeOrb } from "./orb.ts";
 * const orb = encodeOrb({ fmt1: true, prefetch: true, c64: true, lpm: 0x80, cpa: 0x1000 });
 * assert.deepEqual([...orb.subarray(4, 8)], [0x00, 0xc2, 0x80, 0x00]);
 * ```
 */
export function encodeOrb(fields: Partial<Orb> & { cpa: number }): Uint8Array {
  const f = fields;
  const bytes = new Uint8Array(ORB_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, f.intparm ?? 0);
  bytes[4] = ((f.key ?? 0) << 4) | (f.suspend ? 0x08 : 0);
  bytes[5] = (f.fmt1 ? 0x80 : 0) | (f.prefetch ? 0x40 : 0) | (f.isic ? 0x20 : 0) |
    (f.alcc ? 0x10 : 0) | (f.ssi ? 0x08 : 0) | (f.transport ? 0x04 : 0) | (f.c64 ? 0x02 : 0) |
    (f.i2k ? 0x01 : 0);
  bytes[6] = f.lpm ?? 0;
  bytes[7] = (f.ils ? 0x80 : 0) | (f.midaw ? 0x40 : 0);
  view.setUint32(8, f.cpa);
  return bytes;
}
