/**
 * How every sample splits a read()/write() on the device fd (samples.md
 * §1.3): 4 bytes where ≥ 4 remain at a 4-aligned position, else 2 at a
 * 2-aligned one, else 1. Handlers key on the piece size, so emulators split
 * the same way; any failing piece fails the whole call with EFAULT.
 *
 * @module
 */

/** One access piece: offset from the start of the call and its size. */
export interface Piece {
  readonly at: number;
  readonly size: 1 | 2 | 4;
}

/** The pieces of an access of `length` bytes at device position `pos`. */
export function splitAccess(pos: bigint, length: number): Piece[] {
  const pieces: Piece[] = [];
  let p = Number(pos & 3n);
  for (let at = 0; at < length;) {
    const left = length - at;
    const size: 1 | 2 | 4 = left >= 4 && p % 4 === 0 ? 4 : left >= 2 && p % 2 === 0 ? 2 : 1;
    pieces.push({ at, size });
    at += size;
    p += size;
  }
  return pieces;
}

/** Region index encoded in a PCI sample's file position (index << 40). */
export const REGION_SHIFT = 40n;

/** Splits a file position into region index and offset (`VFIO_PCI_OFFSET_TO_INDEX`). */
export function regionOf(pos: bigint, shift = REGION_SHIFT): { index: number; offset: number } {
  return { index: Number(pos >> shift), offset: Number(pos & ((1n << shift) - 1n)) };
}
