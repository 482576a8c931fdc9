// fill(): one rectangle of one colour, the fbcon clear / solid-fill path.

import { BYTES_PER_PIXEL } from "./layout";

/**
 * Fills a w × h rectangle of 32-bit pixels with `color`. The host has clipped the rectangle to the
 * frame at `dst` (byte address of pixel (0, 0)) whose rows are `stride` bytes apart.
 */
export function fill(
  dst: usize,
  stride: u32,
  x: u32,
  y: u32,
  w: u32,
  h: u32,
  color: u32,
): void {
  if (w == 0 || h == 0) return;
  let span = (w * BYTES_PER_PIXEL) as usize;
  let rows = h;
  // Full-width rows are one contiguous span: one long run instead of h short ones.
  if (span == (stride as usize)) {
    span *= h;
    rows = 1;
  }
  const v = i32x4.splat(color);
  let row = dst + (y as usize) * stride + (x as usize) * BYTES_PER_PIXEL;
  for (let j: u32 = 0; j < rows; j++) {
    // 64 bytes per iteration, then 16, then single pixels (rows need not be 16-byte multiples).
    let p = row;
    const end = row + span;
    while (end - p >= 64) {
      v128.store(p, v);
      v128.store(p, v, 16);
      v128.store(p, v, 32);
      v128.store(p, v, 48);
      p += 64;
    }
    while (end - p >= 16) {
      v128.store(p, v);
      p += 16;
    }
    while (p < end) {
      store<u32>(p, color);
      p += 4;
    }
    row += stride;
  }
}
