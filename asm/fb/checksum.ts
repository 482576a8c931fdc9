// checksum(): FNV-1a 32 over a frame's pixel bytes, for golden frames and cheap equality checks.

import { BYTES_PER_PIXEL } from "./layout";

/** FNV-1a 32-bit offset basis. */
const FNV_OFFSET_BASIS: u32 = 0x811c9dc5;
/** FNV-1a 32-bit prime. */
const FNV_PRIME: u32 = 0x01000193;

/**
 * FNV-1a 32 of the w × h frame at `src`: the `w × 4` bytes of each row (padding excluded), top row
 * first, each pixel in memory order (B, G, R, X). The hash is a serial chain, so it reads a pixel
 * at a time and unrolls its four bytes.
 */
export function checksum(src: usize, stride: u32, w: u32, h: u32): u32 {
  let hash = FNV_OFFSET_BASIS;
  let row = src;
  const rowBytes = (w as usize) * BYTES_PER_PIXEL;
  for (let j: u32 = 0; j < h; j++) {
    for (let offset: usize = 0; offset < rowBytes; offset += 4) {
      const pixel = load<u32>(row + offset);
      hash = (hash ^ (pixel & 0xff)) * FNV_PRIME;
      hash = (hash ^ ((pixel >> 8) & 0xff)) * FNV_PRIME;
      hash = (hash ^ ((pixel >> 16) & 0xff)) * FNV_PRIME;
      hash = (hash ^ (pixel >> 24)) * FNV_PRIME;
    }
    row += stride;
  }
  return hash;
}
