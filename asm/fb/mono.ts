// mono(): 1-bit image expansion, the fbcon glyph path (cfb_imageblit / sys_imageblit for an image
// of depth 1: every set bit becomes the foreground pixel, every clear bit the background pixel).

import { BYTES_PER_PIXEL } from "./layout";

/**
 * Expands a w × h block of a 1-bit bitmap into 32-bit pixels at (x, y) of the frame at `dst`
 * (rows `stride` bytes apart). `bits` is the address of the bitmap row of the first drawn row,
 * rows are `pitch` bytes apart, MSB first, and `bitX` is the bit of the first drawn pixel in its
 * row (non-zero when the host clipped the left edge). The host has clipped the rectangle.
 */
export function mono(
  dst: usize,
  stride: u32,
  x: u32,
  y: u32,
  w: u32,
  h: u32,
  fg: u32,
  bg: u32,
  bits: usize,
  pitch: u32,
  bitX: u32,
): void {
  if (w == 0 || h == 0) return;
  const vfg = i32x4.splat(fg);
  const vbg = i32x4.splat(bg);
  // Lane masks for the 8 bits of one byte, MSB first: pixels 0–3, then pixels 4–7.
  const high = i32x4(0x80, 0x40, 0x20, 0x10);
  const low = i32x4(0x08, 0x04, 0x02, 0x01);
  const zero = i32x4.splat(0);
  let row = dst + (y as usize) * stride + (x as usize) * BYTES_PER_PIXEL;
  for (let j: u32 = 0; j < h; j++) {
    let p = row;
    let i: u32 = 0;
    // 8 pixels from the 8 bits starting at bit (bitX + i); they straddle two bytes unless bitX is
    // a multiple of 8, and (hi << 8 | lo) >> 8 - shift reads both (hi == lo when shift is 0).
    // The last bit lies inside the row, so lo never reads past it.
    while (w - i >= 8) {
      const bit = bitX + i;
      const hi = load<u8>(bits + (bit >> 3)) as u32;
      const lo = load<u8>(bits + ((bit + 7) >> 3)) as u32;
      const byte = (((hi << 8) | lo) >> (8 - (bit & 7))) & 0xff;
      const v = i32x4.splat(byte);
      v128.store(p, v128.bitselect(vfg, vbg, i32x4.ne(v128.and(v, high), zero)));
      v128.store(p, v128.bitselect(vfg, vbg, i32x4.ne(v128.and(v, low), zero)), 16);
      p += 8 * BYTES_PER_PIXEL;
      i += 8;
    }
    while (i < w) {
      const bit = bitX + i;
      const set = ((load<u8>(bits + (bit >> 3)) as u32) >> (7 - (bit & 7))) & 1;
      store<u32>(p, set ? fg : bg);
      p += BYTES_PER_PIXEL;
      i++;
    }
    row += stride;
    bits += pitch;
  }
}
