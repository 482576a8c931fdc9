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
  type FbEngine,
  type Frame,
  type Rect,
} from "./fb.ts";

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

/** The TypeScript framebuffer engine; frames are plain `ArrayBuffer`s. */
export class FbReference implements FbEngine {
  /** Always `"ts"`. */
  readonly engine = "ts";

  /** Allocates a zero-filled frame in its own `ArrayBuffer`. */
  allocFrame(width: number, height: number, strideBytes?: number): Frame {
    const stride = checkFrameShape(width, height, strideBytes);
    return viewFrame(new ArrayBuffer(stride * height), { offset: 0, width, height, stride });
  }

  /** Does nothing: the garbage collector reclaims plain arrays. */
  freeFrame(_frame: Frame): void {}

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
}
