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

/**
 * Handles one piece of an access at device-file position `pos`: returns the value read (0 for a
 * write), or false when the piece fails.
 */
export type PieceHandler = (
  pos: number,
  size: 1 | 2 | 4,
  write: boolean,
  value: number,
) => number | false;

/**
 * A read()/write() on a sample's device file: splits it as the samples do, hands each piece to
 * `handler` little-endian, and fails the whole call with EFAULT when any piece fails.
 *
 * @returns the byte count or -EFAULT
 */
export function dispatchAccess(
  pos: bigint,
  buf: Uint8Array,
  write: boolean,
  handler: PieceHandler,
): number {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (const piece of splitAccess(pos, buf.length)) {
    const at = pos + BigInt(piece.at);
    if (at > BigInt(Number.MAX_SAFE_INTEGER)) return -EFAULT;
    const value = write ? readLittleEndian(view, piece.at, piece.size) : 0;
    const result = handler(Number(at), piece.size, write, value);
    if (result === false) return -EFAULT;
    if (!write) writeLittleEndian(view, piece.at, piece.size, result);
  }
  return buf.length;
}

/** A little-endian load or store of one piece in device memory (a framebuffer, VRAM). */
export function accessMemory(
  bytes: Uint8Array,
  at: number,
  size: 1 | 2 | 4,
  write: boolean,
  value: number,
): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!write) return readLittleEndian(view, at, size);
  writeLittleEndian(view, at, size, value);
  return 0;
}

const EFAULT = 14;

function readLittleEndian(view: DataView, at: number, size: 1 | 2 | 4): number {
  return size === 4
    ? view.getUint32(at, true)
    : size === 2
    ? view.getUint16(at, true)
    : view.getUint8(at);
}

function writeLittleEndian(view: DataView, at: number, size: 1 | 2 | 4, value: number): void {
  if (size === 4) view.setUint32(at, value, true);
  else if (size === 2) view.setUint16(at, value, true);
  else view.setUint8(at, value);
}
