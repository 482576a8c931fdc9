/**
 * The framebuffer operations on plain typed arrays, written as obvious loops: the reference the
 * WebAssembly core (`fb.ts`) is tested against, and the `ts` engine of the benchmarks. It accepts
 * any {@linkcode Frame}, including frames of the WebAssembly core and {@linkcode viewFrame}s.
 *
 * @example Fill and scroll a small frame
 * ```ts
 * import { FbReference } from "./fb_reference.ts";
 *
 * const engine = new FbReference();
 * const frame = engine.allocFrame(4, 4);
 * engine.fill(frame, { x: 0, y: 1, width: 4, height: 1 }, 0x00ff00);
 * engine.copy(frame, 0, 0, frame, { x: 0, y: 1, width: 4, height: 3 });
 * frame.pixels[0]; // 0x00ff00
 * ```
 *
 * @module
 */

import {
  checkCopyArgs,
  checkFillArgs,
  checkFrameShape,
  checkMonoArgs,
  checkRgb565FrameShape,
  checkSameSize,
  DIFF_TILE,
  type FbEngine,
  type Frame,
  type Rect,
  type Rgb565Frame,
} from "./fb.ts";

/** FNV-1a 32-bit offset basis. */
const FNV_OFFSET_BASIS = 0x811c9dc5;
/** FNV-1a 32-bit prime. */
const FNV_PRIME = 0x01000193;

/** Where a frame lies in a buffer, and its size. */
export interface FrameShape {
  /** Byte offset of pixel (0, 0) in the buffer (a multiple of 4). */
  offset: number;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Bytes per row (a multiple of 4, ≥ width × 4). */
  stride: number;
}

/**
 * A frame over existing memory: `stride × height` bytes of `buffer` from `shape.offset`.
 *
 * @throws {RangeError} When the shape is not a valid frame or does not fit in the buffer.
 */
export function viewFrame(buffer: ArrayBufferLike, shape: FrameShape): Frame {
  const { offset, width, height } = shape;
  const stride = checkFrameShape(width, height, shape.stride);
  const size = stride * height;
  return {
    offset,
    width,
    height,
    stride,
    pixels: new Uint32Array(buffer, offset, size / 4),
    bytes: new Uint8Array(buffer, offset, size),
  };
}

/**
 * An RGB565 frame over existing memory: `stride × height` bytes of `buffer` from `shape.offset`
 * (which must be even).
 *
 * @throws {RangeError} When the shape is not a valid RGB565 frame or does not fit in the buffer.
 */
export function viewRgb565Frame(buffer: ArrayBufferLike, shape: FrameShape): Rgb565Frame {
  const { offset, width, height } = shape;
  const stride = checkRgb565FrameShape(width, height, shape.stride);
  const size = stride * height;
  return {
    offset,
    width,
    height,
    stride,
    pixels: new Uint16Array(buffer, offset, size / 2),
    bytes: new Uint8Array(buffer, offset, size),
  };
}

/** Whether the tile [left, right) × [top, bottom) differs between the two frames. */
function tileDiffers(
  a: Frame,
  b: Frame,
  { left, top, right, bottom }: { left: number; top: number; right: number; bottom: number },
): boolean {
  const aPitch = a.stride / 4;
  const bPitch = b.stride / 4;
  for (let y = top; y < bottom; y++) {
    for (let x = left; x < right; x++) {
      if (a.pixels[y * aPitch + x] !== b.pixels[y * bPitch + x]) return true;
    }
  }
  return false;
}

/** The TypeScript framebuffer engine; frames are plain `ArrayBuffer`s. */
export class FbReference implements FbEngine {
  /** Always `"ts"`. */
  readonly engine = "ts";

  /** Allocates a zero-filled frame in its own `ArrayBuffer`. */
  allocFrame(width: number, height: number, strideBytes?: number): Frame {
    const stride = checkFrameShape(width, height, strideBytes);
    return viewFrame(new ArrayBuffer(stride * height), { offset: 0, width, height, stride });
  }

  /** Allocates a zero-filled RGB565 frame in its own `ArrayBuffer`. */
  allocRgb565Frame(width: number, height: number, strideBytes?: number): Rgb565Frame {
    const stride = checkRgb565FrameShape(width, height, strideBytes);
    return viewRgb565Frame(new ArrayBuffer(stride * height), { offset: 0, width, height, stride });
  }

  /** Does nothing: the garbage collector reclaims plain arrays. */
  freeFrame(_frame: Frame | Rgb565Frame): void {}

  /** Fills `rect` clipped to the frame with `color`, pixel by pixel. */
  fill(frame: Frame, rect: Rect, color: number): void {
    checkFillArgs(rect, color);
    const pixels = frame.pixels;
    const pitch = frame.stride / 4;
    const left = Math.max(rect.x, 0);
    const right = Math.min(rect.x + rect.width, frame.width);
    const top = Math.max(rect.y, 0);
    const bottom = Math.min(rect.y + rect.height, frame.height);
    for (let y = top; y < bottom; y++) {
      for (let x = left; x < right; x++) pixels[y * pitch + x] = color;
    }
  }

  /** Copies the pixels of `srcRect` that exist in both frames, pixel by pixel. */
  copy(dstFrame: Frame, dx: number, dy: number, srcFrame: Frame, srcRect: Rect): void {
    checkCopyArgs(dx, dy, srcRect);
    const { x: sx, y: sy, width, height } = srcRect;
    // The offsets (i, j) inside srcRect whose source and destination pixels both exist.
    const iFirst = Math.max(0, -sx, -dx);
    const iEnd = Math.min(width, srcFrame.width - sx, dstFrame.width - dx);
    const jFirst = Math.max(0, -sy, -dy);
    const jEnd = Math.min(height, srcFrame.height - sy, dstFrame.height - dy);
    if (iEnd <= iFirst || jEnd <= jFirst) return;
    const src = srcFrame.pixels;
    const dst = dstFrame.pixels;
    const srcPitch = srcFrame.stride / 4;
    const dstPitch = dstFrame.stride / 4;
    const at = (pixels: Uint32Array, pitch: number, x: number, y: number) =>
      pixels.byteOffset + (y * pitch + x) * 4;
    // Within one frame every pixel moves by the same distance: walking away from the destination
    // (backwards when it lies after the source) reads each source pixel before it is overwritten.
    const backwards = src.buffer === dst.buffer &&
      at(dst, dstPitch, dx + iFirst, dy + jFirst) > at(src, srcPitch, sx + iFirst, sy + jFirst);
    if (backwards) {
      for (let j = jEnd - 1; j >= jFirst; j--) {
        for (let i = iEnd - 1; i >= iFirst; i--) {
          dst[(dy + j) * dstPitch + dx + i] = src[(sy + j) * srcPitch + sx + i];
        }
      }
    } else {
      for (let j = jFirst; j < jEnd; j++) {
        for (let i = iFirst; i < iEnd; i++) {
          dst[(dy + j) * dstPitch + dx + i] = src[(sy + j) * srcPitch + sx + i];
        }
      }
    }
  }

  /** Sets each pixel of `rect` clipped to the frame to `fg` or `bg` by its bit, pixel by pixel. */
  mono(frame: Frame, rect: Rect, fg: number, bg: number, bitmap: Uint8Array): void {
    const bitmapPitch = checkMonoArgs(rect, fg, bg, bitmap);
    const pixels = frame.pixels;
    const pitch = frame.stride / 4;
    const left = Math.max(rect.x, 0);
    const right = Math.min(rect.x + rect.width, frame.width);
    const top = Math.max(rect.y, 0);
    const bottom = Math.min(rect.y + rect.height, frame.height);
    for (let y = top; y < bottom; y++) {
      for (let x = left; x < right; x++) {
        const i = x - rect.x;
        const byte = bitmap[(y - rect.y) * bitmapPitch + Math.floor(i / 8)];
        const bit = (byte >> (7 - (i % 8))) & 1;
        pixels[y * pitch + x] = bit === 1 ? fg : bg;
      }
    }
  }

  /** Returns a new array of packed R, G, B, 255 bytes. */
  convertToRgba(frame: Frame): Uint8Array {
    const { width, height, pixels } = frame;
    const pitch = frame.stride / 4;
    const rgba = new Uint8Array(width * height * 4);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const pixel = pixels[y * pitch + x];
        const at = (y * width + x) * 4;
        rgba[at] = (pixel >>> 16) & 0xff;
        rgba[at + 1] = (pixel >>> 8) & 0xff;
        rgba[at + 2] = pixel & 0xff;
        rgba[at + 3] = 0xff;
      }
    }
    return rgba;
  }

  /** Converts pixel by pixel, keeping the top 5, 6 and 5 bits of red, green and blue. */
  convertToRgb565(dst: Rgb565Frame, src: Frame): void {
    checkSameSize("convert frame", dst, src);
    const dstPitch = dst.stride / 2;
    const srcPitch = src.stride / 4;
    for (let y = 0; y < src.height; y++) {
      for (let x = 0; x < src.width; x++) {
        const pixel = src.pixels[y * srcPitch + x];
        const red = (pixel >>> 19) & 0x1f;
        const green = (pixel >>> 10) & 0x3f;
        const blue = (pixel >>> 3) & 0x1f;
        dst.pixels[y * dstPitch + x] = (red << 11) | (green << 5) | blue;
      }
    }
  }

  /** Converts pixel by pixel, widening each channel by bit replication, X = 0xff. */
  convertFromRgb565(dst: Frame, src: Rgb565Frame): void {
    checkSameSize("convert frame", dst, src);
    const dstPitch = dst.stride / 4;
    const srcPitch = src.stride / 2;
    for (let y = 0; y < src.height; y++) {
      for (let x = 0; x < src.width; x++) {
        const pixel = src.pixels[y * srcPitch + x];
        const red5 = pixel >>> 11;
        const green6 = (pixel >>> 5) & 0x3f;
        const blue5 = pixel & 0x1f;
        const red = (red5 << 3) | (red5 >>> 2);
        const green = (green6 << 2) | (green6 >>> 4);
        const blue = (blue5 << 3) | (blue5 >>> 2);
        dst.pixels[y * dstPitch + x] = (0xff000000 | (red << 16) | (green << 8) | blue) >>> 0;
      }
    }
  }

  /** Compares tile by tile, then merges runs of dirty tiles as {@linkcode FbEngine.diff} says. */
  diff(a: Frame, b: Frame): Rect[] {
    checkSameSize("diff frames", a, b);
    const { width, height } = a;
    const tilesX = Math.ceil(width / DIFF_TILE);
    const rects: Rect[] = [];
    // First tile column of a run → the rectangle it belongs to, for the band above and this one.
    let openAbove = new Map<number, Rect>();
    for (let top = 0; top < height; top += DIFF_TILE) {
      const bottom = Math.min(top + DIFF_TILE, height);
      const dirty: boolean[] = [];
      for (let column = 0; column < tilesX; column++) {
        const left = column * DIFF_TILE;
        const right = Math.min(left + DIFF_TILE, width);
        dirty.push(tileDiffers(a, b, { left, top, right, bottom }));
      }
      const openHere = new Map<number, Rect>();
      let column = 0;
      while (column < tilesX) {
        if (!dirty[column]) {
          column++;
          continue;
        }
        const first = column;
        while (column < tilesX && dirty[column]) column++;
        const x = first * DIFF_TILE;
        const runWidth = Math.min(column * DIFF_TILE, width) - x;
        const above = openAbove.get(first);
        if (above !== undefined && above.width === runWidth) {
          above.height += bottom - top;
          openHere.set(first, above);
        } else {
          const rect = { x, y: top, width: runWidth, height: bottom - top };
          rects.push(rect);
          openHere.set(first, rect);
        }
      }
      openAbove = openHere;
    }
    return rects;
  }

  /** FNV-1a 32 over the bytes of each row without padding, byte by byte. */
  checksum(frame: Frame): number {
    const { bytes, stride } = frame;
    const rowBytes = frame.width * 4;
    let hash = FNV_OFFSET_BASIS;
    for (let y = 0; y < frame.height; y++) {
      for (let i = 0; i < rowBytes; i++) {
        hash = Math.imul(hash ^ bytes[y * stride + i], FNV_PRIME);
      }
    }
    return hash >>> 0;
  }
}
