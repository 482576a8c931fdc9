// Pixel-format conversion of whole frames: XRGB8888 → RGBA8888 bytes (the PNG snapshot path),
// XRGB8888 → RGB565 and RGB565 → XRGB8888 (DRM's format helpers), 8 or 16 pixels per iteration.

import { BYTES_PER_PIXEL, RGB565_BYTES_PER_PIXEL } from "./layout";

/**
 * Writes the w × h XRGB8888 pixels of the frame at `src` as R, G, B, 255 bytes to `dst`. Both
 * frames' rows are their strides apart.
 */
export function xrgb8888ToRgba(
  dst: usize,
  dstStride: u32,
  src: usize,
  srcStride: u32,
  w: u32,
  h: u32,
): void {
  // Each little-endian pixel is the bytes B, G, R, X: swap B and R, then force X to 255.
  const alpha = i32x4.splat(0xff000000);
  let to = dst;
  let from = src;
  for (let j: u32 = 0; j < h; j++) {
    let i: u32 = 0;
    while (w - i >= 8) {
      const offset = (i as usize) * BYTES_PER_PIXEL;
      const a = v128.load(from + offset);
      const b = v128.load(from + offset, 16);
      const swap0 = i8x16.shuffle(a, a, 2, 1, 0, 3, 6, 5, 4, 7, 10, 9, 8, 11, 14, 13, 12, 15);
      const swap1 = i8x16.shuffle(b, b, 2, 1, 0, 3, 6, 5, 4, 7, 10, 9, 8, 11, 14, 13, 12, 15);
      v128.store(to + offset, v128.or(swap0, alpha));
      v128.store(to + offset, v128.or(swap1, alpha), 16);
      i += 8;
    }
    while (i < w) {
      const offset = (i as usize) * BYTES_PER_PIXEL;
      const pixel = load<u32>(from + offset);
      const swapped = ((pixel >> 16) & 0xff) | (pixel & 0xff00) | ((pixel & 0xff) << 16);
      store<u32>(to + offset, swapped | 0xff000000);
      i++;
    }
    to += dstStride;
    from += srcStride;
  }
}

/**
 * Converts the w × h XRGB8888 pixels at `src` to little-endian RGB565 at `dst`, truncating each
 * channel to its top 5/6/5 bits as DRM's drm_fb_xrgb8888_to_rgb565() does (no rounding).
 */
export function xrgb8888ToRgb565(
  dst: usize,
  dstStride: u32,
  src: usize,
  srcStride: u32,
  w: u32,
  h: u32,
): void {
  const red = i32x4.splat(0xf800);
  const green = i32x4.splat(0x07e0);
  const blue = i32x4.splat(0x001f);
  let to = dst;
  let from = src;
  for (let j: u32 = 0; j < h; j++) {
    let i: u32 = 0;
    while (w - i >= 8) {
      const a = v128.load(from + (i as usize) * BYTES_PER_PIXEL);
      const b = v128.load(from + (i as usize) * BYTES_PER_PIXEL, 16);
      const a565 = v128.or(
        v128.or(v128.and(i32x4.shr_u(a, 8), red), v128.and(i32x4.shr_u(a, 5), green)),
        v128.and(i32x4.shr_u(a, 3), blue),
      );
      const b565 = v128.or(
        v128.or(v128.and(i32x4.shr_u(b, 8), red), v128.and(i32x4.shr_u(b, 5), green)),
        v128.and(i32x4.shr_u(b, 3), blue),
      );
      // Lanes hold 0..0xffff, so the saturating narrow is a plain truncation to 16 bits.
      v128.store(to + (i as usize) * RGB565_BYTES_PER_PIXEL, i16x8.narrow_i32x4_u(a565, b565));
      i += 8;
    }
    while (i < w) {
      const pixel = load<u32>(from + (i as usize) * BYTES_PER_PIXEL);
      const rgb565 = ((pixel >> 8) & 0xf800) | ((pixel >> 5) & 0x07e0) | ((pixel >> 3) & 0x001f);
      store<u16>(to + (i as usize) * RGB565_BYTES_PER_PIXEL, rgb565 as u16);
      i++;
    }
    to += dstStride;
    from += srcStride;
  }
}

/**
 * Converts the w × h little-endian RGB565 pixels at `src` to XRGB8888 at `dst`, widening each
 * channel by bit replication: the channel's top bits repeat in the new low bits (r8 = r5 << 3 |
 * r5 >> 2, g8 = g6 << 2 | g6 >> 4), so 0 → 0x00, the maximum → 0xff and truncating gives the
 * RGB565 value back. X is 0xff, as in DRM's former drm_fb_rgb565_to_xrgb8888_line(); that helper
 * filled the low bits from the channel's *low* bits instead, which we do not copy.
 */
export function rgb565ToXrgb8888(
  dst: usize,
  dstStride: u32,
  src: usize,
  srcStride: u32,
  w: u32,
  h: u32,
): void {
  const red = i32x4.splat(0xf800);
  const green = i32x4.splat(0x07e0);
  const blue = i32x4.splat(0x001f);
  const x = i32x4.splat(0xff000000);
  const lowRedBlue = i32x4.splat(0x00070007);
  const lowGreen = i32x4.splat(0x00000300);
  let to = dst;
  let from = src;
  for (let j: u32 = 0; j < h; j++) {
    let i: u32 = 0;
    while (w - i >= 8) {
      const packed = v128.load(from + (i as usize) * RGB565_BYTES_PER_PIXEL);
      const a = i32x4.extend_low_i16x8_u(packed);
      const b = i32x4.extend_high_i16x8_u(packed);
      // val32 = the channels' bits in place; then OR X, and the top 3 (R, B) / 2 (G) bits of
      // each channel into its empty low bits: R 21..23 → 16..18, B 5..7 → 0..2, G 14..15 → 8..9.
      const a32 = v128.or(
        v128.or(i32x4.shl(v128.and(a, red), 8), i32x4.shl(v128.and(a, green), 5)),
        i32x4.shl(v128.and(a, blue), 3),
      );
      const b32 = v128.or(
        v128.or(i32x4.shl(v128.and(b, red), 8), i32x4.shl(v128.and(b, green), 5)),
        i32x4.shl(v128.and(b, blue), 3),
      );
      const aOut = v128.or(
        v128.or(x, a32),
        v128.or(
          v128.and(i32x4.shr_u(a32, 5), lowRedBlue),
          v128.and(i32x4.shr_u(a32, 6), lowGreen),
        ),
      );
      const bOut = v128.or(
        v128.or(x, b32),
        v128.or(
          v128.and(i32x4.shr_u(b32, 5), lowRedBlue),
          v128.and(i32x4.shr_u(b32, 6), lowGreen),
        ),
      );
      v128.store(to + (i as usize) * BYTES_PER_PIXEL, aOut);
      v128.store(to + (i as usize) * BYTES_PER_PIXEL, bOut, 16);
      i += 8;
    }
    while (i < w) {
      const pixel = load<u16>(from + (i as usize) * RGB565_BYTES_PER_PIXEL) as u32;
      const val32 = ((pixel & 0xf800) << 8) | ((pixel & 0x07e0) << 5) | ((pixel & 0x001f) << 3);
      const out = 0xff000000 | val32 | ((val32 >> 5) & 0x00070007) | ((val32 >> 6) & 0x00000300);
      store<u32>(to + (i as usize) * BYTES_PER_PIXEL, out);
      i++;
    }
    to += dstStride;
    from += srcStride;
  }
}
