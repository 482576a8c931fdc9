/**
 * Framebuffer operations on 32-bit XRGB8888 frames (fill, copy, 1-bit expansion, conversion to
 * RGBA and RGB565 and back, damage detection, checksum), and the glue to the WebAssembly core
 * (`asm/fb/`) that runs them.
 *
 * Two engines implement {@linkcode FbEngine}: {@linkcode FbCore} (WebAssembly; frames live in
 * the core's memory, page-aligned, and results are views into it) and `FbReference` in
 * `fb_reference.ts` (plain typed arrays). Both take one call per operation, clip rectangles to
 * the frame, and reject malformed rectangles with `KernelError("EINVAL")`.
 *
 * @example Clear a frame and draw a red square
 * ```ts
 * import { loadFbCore } from "./fb.ts";
 *
 * const core = await loadFbCore();
 * const frame = core.allocFrame(1024, 768);
 * core.fill(frame, { x: 0, y: 0, width: 1024, height: 768 }, 0x000000);
 * core.fill(frame, { x: 10, y: 10, width: 64, height: 64 }, 0xff0000);
 * // Scroll the whole frame up by 16 rows.
 * core.copy(frame, 0, 0, frame, { x: 0, y: 16, width: 1024, height: 752 });
 * // Draw an 8×2 glyph, white on blue, and see what changed since a copy of the frame.
 * const before = core.allocFrame(1024, 768);
 * core.copy(before, 0, 0, frame, { x: 0, y: 0, width: 1024, height: 768 });
 * const glyph = new Uint8Array([0x3c, 0x42]);
 * core.mono(frame, { x: 100, y: 40, width: 8, height: 2 }, 0xffffff, 0x0000ff, glyph);
 * core.diff(before, frame); // [{ x: 64, y: 0, width: 64, height: 64 }]
 * const rgba = core.convertToRgba(frame); // 1024 × 768 × 4 bytes R, G, B, 255 for a PNG
 * ```
 *
 * @module
 */

import { KernelError } from "../errno.ts";
import { loadCore } from "./_load.ts";

/** The ABI version of `asm/fb` this glue speaks; a module exporting another one is refused. */
export const FB_ABI_VERSION = 2;

/**
 * Side of the square tiles {@linkcode FbEngine.diff} compares, in pixels: dirty rectangles are
 * unions of whole tiles (clipped to the frame).
 */
export const DIFF_TILE = 64;

/** Bytes per XRGB8888 pixel. */
const BYTES_PER_PIXEL = 4;
/** Bytes per RGB565 pixel. */
const RGB565_BYTES_PER_PIXEL = 2;
/** Bytes per rectangle the diff kernel writes: x, y, width, height as u32. */
const RECT_BYTES = 16;
/** WebAssembly memory page size. */
const WASM_PAGE = 65536;
/** Largest 32-bit WebAssembly memory. */
const WASM_MAX_BYTES = 65536 * WASM_PAGE;
const MAX_COLOR = 0xffffffff;

/** A rectangle in pixels; it may lie partly or wholly outside a frame (it is clipped). */
export interface Rect {
  /** Left edge; may be negative. */
  x: number;
  /** Top edge; may be negative. */
  y: number;
  /** Width, ≥ 0; 0 makes the operation a no-op. */
  width: number;
  /** Height, ≥ 0; 0 makes the operation a no-op. */
  height: number;
}

/**
 * A framebuffer of 32-bit XRGB8888 pixels, `stride` bytes per row. Pixel (x, y) is
 * `pixels[y * stride / 4 + x]`; the bytes between `width * 4` and `stride` of each row are
 * padding that no operation writes.
 */
export interface Frame {
  /** Byte offset of pixel (0, 0) in the buffer behind `pixels` and `bytes`. */
  readonly offset: number;
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels (rows). */
  readonly height: number;
  /** Bytes from the start of one row to the next (a multiple of 4, ≥ width × 4). */
  readonly stride: number;
  /** The frame's `stride × height` bytes as pixels. */
  readonly pixels: Uint32Array;
  /** The frame's `stride × height` bytes. */
  readonly bytes: Uint8Array;
}

/**
 * A framebuffer of 16-bit RGB565 pixels (DRM_FORMAT_RGB565, little-endian `RRRRRGGG GGGBBBBB`),
 * `stride` bytes per row. Pixel (x, y) is `pixels[y * stride / 2 + x]`; the bytes between
 * `width * 2` and `stride` of each row are padding that no operation writes.
 */
export interface Rgb565Frame {
  /** Byte offset of pixel (0, 0) in the buffer behind `pixels` and `bytes`. */
  readonly offset: number;
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels (rows). */
  readonly height: number;
  /** Bytes from the start of one row to the next (a multiple of 2, ≥ width × 2). */
  readonly stride: number;
  /** The frame's `stride × height` bytes as pixels. */
  readonly pixels: Uint16Array;
  /** The frame's `stride × height` bytes. */
  readonly bytes: Uint8Array;
}

/** The framebuffer operations, implemented by the WebAssembly core and the TypeScript reference. */
export interface FbEngine {
  /** Which implementation this is. */
  readonly engine: "wasm" | "ts";
  /**
   * Allocates a zero-filled frame.
   *
   * @param strideBytes Bytes per row; defaults to `width * 4`.
   * @throws {RangeError} When width or height is not a positive integer, or the stride is not
   * a multiple of 4 that holds a row.
   * @throws {KernelError} ENOMEM when the engine cannot hold the frame.
   */
  allocFrame(width: number, height: number, strideBytes?: number): Frame;
  /**
   * Allocates a zero-filled RGB565 frame.
   *
   * @param strideBytes Bytes per row; defaults to `width * 2`.
   * @throws {RangeError} When width or height is not a positive integer, or the stride is not
   * a multiple of 2 that holds a row.
   * @throws {KernelError} ENOMEM when the engine cannot hold the frame.
   */
  allocRgb565Frame(width: number, height: number, strideBytes?: number): Rgb565Frame;
  /** Returns a frame's memory to the engine; the frame must not be used afterwards. */
  freeFrame(frame: Frame | Rgb565Frame): void;
  /**
   * Sets every pixel of `rect`, clipped to the frame, to `color` (0xXXRRGGBB).
   *
   * @throws {KernelError} EINVAL when a rectangle field is not a safe integer, the width or
   * height is negative, or `color` is not an integer in [0, 0xffffffff].
   */
  fill(frame: Frame, rect: Rect, color: number): void;
  /**
   * Copies `srcRect` of `srcFrame` to (dx, dy) of `dstFrame`, as if through a temporary buffer
   * when both are the same frame (scrolling). Only pixels whose source and destination both lie
   * inside their frames are copied. The two frames are the same frame or do not overlap.
   *
   * @throws {KernelError} EINVAL when dx, dy or a rectangle field is not a safe integer, or the
   * width or height is negative.
   */
  copy(dstFrame: Frame, dx: number, dy: number, srcFrame: Frame, srcRect: Rect): void;
  /**
   * Expands a 1-bit bitmap into `rect`, clipped to the frame exactly like {@linkcode fill}: the
   * fbcon glyph path (cfb_imageblit / sys_imageblit for an image of depth 1). The bitmap has
   * `rect.height` rows of `ceil(rect.width / 8)` bytes, most significant bit first; pixel
   * (rect.x + i, rect.y + j) becomes `fg` when bit i of row j is 1, else `bg`.
   *
   * @throws {KernelError} EINVAL when the rectangle is malformed as for {@linkcode fill}, `fg`
   * or `bg` is not an integer in [0, 0xffffffff], or the bitmap's length is not
   * `ceil(rect.width / 8) × rect.height`.
   */
  mono(frame: Frame, rect: Rect, fg: number, bg: number, bitmap: Uint8Array): void;
  /**
   * Converts a frame to RGBA8888 bytes for a PNG: R, G, B, 255 per pixel, rows packed
   * (`width × 4` bytes each, no padding).
   *
   * The WebAssembly engine returns a view of a buffer in its memory that the next call
   * overwrites, and that is detached when the memory grows (any later allocation may grow it):
   * copy it to keep it. The reference returns a new array.
   */
  convertToRgba(frame: Frame): Uint8Array;
  /**
   * Converts every pixel of `src` to RGB565 in `dst`, truncating each channel to its top 5, 6
   * and 5 bits (DRM's drm_fb_xrgb8888_to_rgb565(), no rounding). Padding is not written.
   *
   * @throws {RangeError} When the two frames differ in width or height.
   */
  convertToRgb565(dst: Rgb565Frame, src: Frame): void;
  /**
   * Converts every pixel of `src` from RGB565 to XRGB8888 in `dst`, widening each channel by bit
   * replication: its top bits repeat in the new low bits (r8 = r5 << 3 | r5 >> 2, g8 = g6 << 2 |
   * g6 >> 4), so 0 stays 0x00 and 0x1f / 0x3f become 0xff; X is 0xff, as in DRM's former
   * drm_fb_rgb565_to_xrgb8888_line() (which filled the low bits from the channel's low bits
   * instead). Converting the result back with {@linkcode convertToRgb565} gives `src` again.
   *
   * @throws {RangeError} When the two frames differ in width or height.
   */
  convertFromRgb565(dst: Frame, src: Rgb565Frame): void;
  /**
   * Damage detection: the rectangles where two frames of the same size differ.
   *
   * The frame is cut into {@linkcode DIFF_TILE} × DIFF_TILE tiles from (0, 0), clipped at the
   * right and bottom edges; a tile is dirty when any of its pixels differs in any of its 32
   * bits. In each band (row of tiles), every maximal run of adjacent dirty tiles is a
   * rectangle; a run with the same first column and width as a rectangle ending at the band
   * above extends that rectangle downwards instead. The result is ordered by top edge, then
   * left edge; the rectangles do not overlap, cover every changed pixel, contain only dirty
   * tiles, and are `[]` when the frames are equal.
   *
   * @throws {RangeError} When the two frames differ in width or height.
   */
  diff(a: Frame, b: Frame): Rect[];
  /**
   * FNV-1a 32 (offset basis 0x811c9dc5, prime 0x01000193) of the frame's pixel bytes: the
   * `width × 4` bytes of each row in memory order (B, G, R, X per pixel), top row first, padding
   * excluded. A change of one byte always changes it.
   *
   * @returns The hash as an unsigned 32-bit integer.
   */
  checksum(frame: Frame): number;
}

/** Where the fb core places things in its memory, as the module exports it (`asm/fb/layout.ts`). */
export interface FbLayout {
  /** ABI version of the module. */
  readonly abiVersion: number;
  /** Bytes per pixel the kernels assume. */
  readonly bytesPerPixel: number;
  /** Alignment of every frame in bytes (one 4 KiB page). */
  readonly frameAlign: number;
  /** Start of the header page. */
  readonly headerOffset: number;
  /** Size of the header page. */
  readonly headerSize: number;
  /** Lowest address of a frame. */
  readonly framesBase: number;
}

/**
 * The constants of the fb core's 1-bit, conversion and damage kernels, as the module exports
 * them (`asm/fb/layout.ts`); the glue refuses a module whose values differ from its own.
 */
export interface FbOpsLayout {
  /** Bytes per RGB565 pixel. */
  readonly rgb565BytesPerPixel: number;
  /** Side of the tiles the diff kernel compares, in pixels ({@linkcode DIFF_TILE}). */
  readonly diffTile: number;
  /** Bytes per rectangle in the diff kernel's result. */
  readonly rectBytes: number;
}

/**
 * Checks the shape of a frame to allocate and returns its stride.
 *
 * @throws {RangeError} When width or height is not a positive integer, or the stride is not a
 * multiple of 4 that holds a row.
 */
export function checkFrameShape(width: number, height: number, strideBytes?: number): number {
  return checkShape(width, height, strideBytes, BYTES_PER_PIXEL);
}

/**
 * Checks the shape of an RGB565 frame to allocate and returns its stride.
 *
 * @throws {RangeError} When width or height is not a positive integer, or the stride is not a
 * multiple of 2 that holds a row.
 */
export function checkRgb565FrameShape(
  width: number,
  height: number,
  strideBytes?: number,
): number {
  return checkShape(width, height, strideBytes, RGB565_BYTES_PER_PIXEL);
}

function checkShape(
  width: number,
  height: number,
  strideBytes: number | undefined,
  bytesPerPixel: number,
): number {
  if (!Number.isSafeInteger(width) || width < 1 || !Number.isSafeInteger(height) || height < 1) {
    throw new RangeError(`Cannot allocate frame: size ${width}x${height} is not positive`);
  }
  const stride = strideBytes ?? width * bytesPerPixel;
  if (
    !Number.isSafeInteger(stride) || stride % bytesPerPixel !== 0 ||
    stride < width * bytesPerPixel
  ) {
    throw new RangeError(
      `Cannot allocate frame: stride ${stride} is not a multiple of ${bytesPerPixel} of at least ${
        width * bytesPerPixel
      } bytes`,
    );
  }
  return stride;
}

function checkCoordinate(action: string, what: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    const kind = min === 0 ? "a non-negative integer" : "an integer";
    throw new KernelError("EINVAL", {
      detail: `Cannot ${action}: ${what} ${value} is not ${kind}`,
    });
  }
}

function checkRect(action: string, rect: Rect): void {
  checkCoordinate(action, "x", rect.x, Number.MIN_SAFE_INTEGER);
  checkCoordinate(action, "y", rect.y, Number.MIN_SAFE_INTEGER);
  checkCoordinate(action, "width", rect.width, 0);
  checkCoordinate(action, "height", rect.height, 0);
}

/**
 * Checks the arguments of {@linkcode FbEngine.fill}.
 *
 * @throws {KernelError} EINVAL as documented there.
 */
export function checkFillArgs(rect: Rect, color: number): void {
  checkRect("fill frame", rect);
  checkColor("fill frame", "color", color);
}

function checkColor(action: string, what: string, color: number): void {
  if (!Number.isInteger(color) || color < 0 || color > MAX_COLOR) {
    throw new KernelError("EINVAL", {
      detail: `Cannot ${action}: ${what} ${color} is not a 32-bit pixel value`,
    });
  }
}

/**
 * Checks the arguments of {@linkcode FbEngine.mono} and returns the bitmap's bytes per row.
 *
 * @throws {KernelError} EINVAL as documented there.
 */
export function checkMonoArgs(rect: Rect, fg: number, bg: number, bitmap: Uint8Array): number {
  checkRect("draw bitmap", rect);
  checkColor("draw bitmap", "foreground", fg);
  checkColor("draw bitmap", "background", bg);
  const pitch = Math.ceil(rect.width / 8);
  if (bitmap.length !== pitch * rect.height) {
    throw new KernelError("EINVAL", {
      detail: `Cannot draw bitmap: ${bitmap.length} bytes are not ${rect.height} rows of ${pitch}`,
    });
  }
  return pitch;
}

/**
 * Checks that two frames an operation pairs have the same width and height.
 *
 * @throws {RangeError} When they differ.
 */
export function checkSameSize(
  action: string,
  a: { width: number; height: number },
  b: { width: number; height: number },
): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new RangeError(
      `Cannot ${action}: sizes ${a.width}x${a.height} and ${b.width}x${b.height} differ`,
    );
  }
}

/**
 * Checks the arguments of {@linkcode FbEngine.copy}.
 *
 * @throws {KernelError} EINVAL as documented there.
 */
export function checkCopyArgs(dx: number, dy: number, srcRect: Rect): void {
  checkCoordinate("copy frame", "dx", dx, Number.MIN_SAFE_INTEGER);
  checkCoordinate("copy frame", "dy", dy, Number.MIN_SAFE_INTEGER);
  checkRect("copy frame", srcRect);
}

/** A typed array class a frame's pixels are viewed through. */
interface PixelArrayClass<P extends Uint16Array | Uint32Array> {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): P;
  readonly BYTES_PER_ELEMENT: number;
}

/** A frame in the core's memory; its views are re-derived when the memory has grown. */
class WasmFrame<P extends Uint16Array | Uint32Array> {
  readonly offset: number;
  readonly width: number;
  readonly height: number;
  readonly stride: number;
  /** Bytes reserved for the frame: `stride × height` rounded up to whole frame-align units. */
  readonly reserved: number;
  #memory: WebAssembly.Memory | undefined;
  #PixelArray: PixelArrayClass<P>;
  #buffer: ArrayBufferLike | undefined;
  #pixels: P | undefined;
  #bytes: Uint8Array = new Uint8Array(0);

  constructor(
    memory: WebAssembly.Memory,
    PixelArray: PixelArrayClass<P>,
    shape: Omit<WasmFrame<P>, "pixels" | "bytes" | "bytesPerPixel">,
  ) {
    this.#memory = memory;
    this.#PixelArray = PixelArray;
    this.offset = shape.offset;
    this.width = shape.width;
    this.height = shape.height;
    this.stride = shape.stride;
    this.reserved = shape.reserved;
  }

  /** Bytes per pixel: 4 for XRGB8888 frames, 2 for RGB565 frames. */
  get bytesPerPixel(): number {
    return this.#PixelArray.BYTES_PER_ELEMENT;
  }

  get pixels(): P {
    this.#refreshViews();
    return this.#pixels!;
  }

  get bytes(): Uint8Array {
    this.#refreshViews();
    return this.#bytes;
  }

  /** Whether `frame` is a live frame of the core owning `memory`, of either format. */
  static isLiveIn(
    frame: unknown,
    memory: WebAssembly.Memory,
  ): frame is WasmFrame<Uint16Array | Uint32Array> {
    return typeof frame === "object" && frame !== null && #memory in frame &&
      frame.#memory === memory;
  }

  /** Detaches a freed frame from the memory, so that its views and kernels refuse it. */
  static retire(frame: WasmFrame<Uint16Array | Uint32Array>): void {
    frame.#memory = undefined;
  }

  #refreshViews(): void {
    if (this.#memory === undefined) throw new TypeError("Cannot access frame: it was freed");
    // Growing a WebAssembly memory detaches its old ArrayBuffer.
    const buffer = this.#memory.buffer;
    if (buffer === this.#buffer) return;
    const size = this.stride * this.height;
    this.#buffer = buffer;
    this.#pixels = new this.#PixelArray(buffer, this.offset, size / this.bytesPerPixel);
    this.#bytes = new Uint8Array(buffer, this.offset, size);
  }
}

/** A run of free bytes in the core's memory. */
interface FreeBlock {
  offset: number;
  size: number;
}

/**
 * First-fit allocator of frame-aligned blocks above the header page. Freed blocks are merged
 * with their neighbours; memory grows when no free block fits and never shrinks.
 */
class FrameAllocator {
  #memory: WebAssembly.Memory;
  #top: number;
  /** Free blocks below #top, sorted by offset, never adjacent. */
  #free: FreeBlock[] = [];

  constructor(memory: WebAssembly.Memory, base: number) {
    this.#memory = memory;
    this.#top = base;
  }

  allocate(size: number): number {
    const index = this.#free.findIndex((block) => block.size >= size);
    if (index >= 0) {
      const block = this.#free[index];
      const offset = block.offset;
      if (block.size === size) this.#free.splice(index, 1);
      else {
        block.offset += size;
        block.size -= size;
      }
      return this.#zeroed(offset, size);
    }
    const offset = this.#top;
    this.#ensureMemory(offset + size);
    this.#top = offset + size;
    return this.#zeroed(offset, size);
  }

  /** Clears a block: memory below the old top may hold a freed frame's pixels. */
  #zeroed(offset: number, size: number): number {
    new Uint8Array(this.#memory.buffer, offset, size).fill(0);
    return offset;
  }

  release(offset: number, size: number): void {
    const index = this.#free.findIndex((block) => block.offset > offset);
    const at = index < 0 ? this.#free.length : index;
    this.#free.splice(at, 0, { offset, size });
    const next = this.#free[at + 1];
    if (next !== undefined && offset + size === next.offset) {
      this.#free[at].size += next.size;
      this.#free.splice(at + 1, 1);
    }
    const previous = this.#free[at - 1];
    if (previous !== undefined && previous.offset + previous.size === offset) {
      previous.size += this.#free[at].size;
      this.#free.splice(at, 1);
    }
    const last = this.#free.at(-1);
    if (last !== undefined && last.offset + last.size === this.#top) {
      this.#top = last.offset;
      this.#free.pop();
    }
  }

  #ensureMemory(end: number): void {
    const missing = end - this.#memory.buffer.byteLength;
    if (missing <= 0) return;
    const noMemory = new KernelError("ENOMEM", {
      detail: `Cannot allocate frame: ${end} bytes exceed the 4 GiB WebAssembly memory`,
    });
    if (end > WASM_MAX_BYTES) throw noMemory;
    try {
      this.#memory.grow(Math.ceil(missing / WASM_PAGE));
    } catch (error) {
      if (error instanceof RangeError) throw noMemory;
      throw error;
    }
  }
}

/** The fb core's exported functions (`asm/fb/index.ts`). */
interface FbKernels {
  fill(
    dst: number,
    stride: number,
    x: number,
    y: number,
    w: number,
    h: number,
    color: number,
  ): void;
  copy(
    dst: number,
    dstStride: number,
    dx: number,
    dy: number,
    src: number,
    srcStride: number,
    sx: number,
    sy: number,
    w: number,
    h: number,
  ): void;
  mono(
    dst: number,
    stride: number,
    x: number,
    y: number,
    w: number,
    h: number,
    fg: number,
    bg: number,
    bits: number,
    pitch: number,
    bitX: number,
  ): void;
  xrgb8888ToRgba(
    dst: number,
    dstStride: number,
    src: number,
    srcStride: number,
    w: number,
    h: number,
  ): void;
  xrgb8888ToRgb565(
    dst: number,
    dstStride: number,
    src: number,
    srcStride: number,
    w: number,
    h: number,
  ): void;
  rgb565ToXrgb8888(
    dst: number,
    dstStride: number,
    src: number,
    srcStride: number,
    w: number,
    h: number,
  ): void;
  diff(
    a: number,
    aStride: number,
    b: number,
    bStride: number,
    w: number,
    h: number,
    work: number,
  ): number;
  diffWorkspaceBytes(width: number, height: number): number;
  checksum(src: number, stride: number, w: number, h: number): number;
  staticDataEnd(): number;
}

const KERNEL_NAMES: readonly (keyof FbKernels)[] = [
  "fill",
  "copy",
  "mono",
  "xrgb8888ToRgba",
  "xrgb8888ToRgb565",
  "rgb565ToXrgb8888",
  "diff",
  "diffWorkspaceBytes",
  "checksum",
  "staticDataEnd",
];

/** Memories that already have an FbCore: two allocators over one memory would overlap frames. */
const managedMemories = new WeakSet<WebAssembly.Memory>();

function refuse(reason: string): never {
  throw new Error(`Cannot use WebAssembly core "fb": ${reason}; run \`npm run build:wasm\``);
}

function readGlobal(exports: WebAssembly.Exports, name: string): number {
  const global = exports[name];
  if (!(global instanceof WebAssembly.Global)) refuse(`it does not export the constant ${name}`);
  return Number(global.value);
}

function readKernels(exports: WebAssembly.Exports): FbKernels {
  for (const name of KERNEL_NAMES) {
    if (typeof exports[name] !== "function") refuse(`it does not export the function ${name}`);
  }
  return exports as unknown as FbKernels;
}

function readLayout(exports: WebAssembly.Exports): FbLayout {
  const abiVersion = readGlobal(exports, "FB_ABI_VERSION");
  if (abiVersion !== FB_ABI_VERSION) {
    refuse(`the module has ABI version ${abiVersion}, this glue speaks ${FB_ABI_VERSION}`);
  }
  const layout: FbLayout = {
    abiVersion,
    bytesPerPixel: readGlobal(exports, "BYTES_PER_PIXEL"),
    frameAlign: readGlobal(exports, "FRAME_ALIGN"),
    headerOffset: readGlobal(exports, "HEADER_OFFSET"),
    headerSize: readGlobal(exports, "HEADER_SIZE"),
    framesBase: readGlobal(exports, "FRAMES_BASE"),
  };
  if (layout.bytesPerPixel !== BYTES_PER_PIXEL) {
    refuse(`the module uses ${layout.bytesPerPixel} bytes per pixel, not ${BYTES_PER_PIXEL}`);
  }
  return layout;
}

function readOpsLayout(exports: WebAssembly.Exports): FbOpsLayout {
  const layout: FbOpsLayout = {
    rgb565BytesPerPixel: readGlobal(exports, "RGB565_BYTES_PER_PIXEL"),
    diffTile: readGlobal(exports, "DIFF_TILE"),
    rectBytes: readGlobal(exports, "RECT_BYTES"),
  };
  // The reference and the glue's decoding of results assume these values.
  const expected: FbOpsLayout = {
    rgb565BytesPerPixel: RGB565_BYTES_PER_PIXEL,
    diffTile: DIFF_TILE,
    rectBytes: RECT_BYTES,
  };
  for (const key of Object.keys(expected) as (keyof FbOpsLayout)[]) {
    if (layout[key] !== expected[key]) {
      refuse(`the module has ${key} ${layout[key]}, this glue assumes ${expected[key]}`);
    }
  }
  return layout;
}

/** The glue's scratch blocks in the core's memory (`asm/fb/layout.ts` draws their formats). */
type ScratchKind = "bitmap" | "rgba" | "diff";

/** The WebAssembly framebuffer engine: frames live in the core's memory, page-aligned. */
export class FbCore implements FbEngine {
  /** Always `"wasm"`. */
  readonly engine = "wasm";
  /** The memory map, read from the module's exports. */
  readonly layout: FbLayout;
  /** The constants of the 1-bit, conversion and damage kernels, read from the module. */
  readonly opsLayout: FbOpsLayout;
  /** The core's memory; frames are views into it. */
  readonly memory: WebAssembly.Memory;
  #kernels: FbKernels;
  #allocator: FrameAllocator;
  /** At most one block of each kind, reused while large enough. */
  #scratch = new Map<ScratchKind, FreeBlock>();

  /**
   * Wraps an instance of `asm/build/fb.wasm`; use {@linkcode loadFbCore} to share one.
   *
   * @throws {Error} When the module's ABI version, constants or exports do not match this glue.
   * @throws {TypeError} When another FbCore already manages the instance's memory.
   */
  constructor(instance: WebAssembly.Instance) {
    const exports = instance.exports;
    this.layout = readLayout(exports);
    this.opsLayout = readOpsLayout(exports);
    this.#kernels = readKernels(exports);
    const memory = exports.memory;
    if (!(memory instanceof WebAssembly.Memory)) refuse("it does not export its memory");
    const dataEnd = this.#kernels.staticDataEnd();
    if (dataEnd > this.layout.framesBase) {
      refuse(`its static data ends at ${dataEnd}, above the first frame ${this.layout.framesBase}`);
    }
    if (managedMemories.has(memory)) {
      throw new TypeError("Cannot create FbCore: another FbCore manages this instance's memory");
    }
    managedMemories.add(memory);
    this.memory = memory;
    this.#allocator = new FrameAllocator(memory, this.layout.framesBase);
  }

  /** Allocates a zero-filled, page-aligned frame in the core's memory, growing it as needed. */
  allocFrame(width: number, height: number, strideBytes?: number): Frame {
    const stride = checkFrameShape(width, height, strideBytes);
    const reserved = this.#reserve(stride * height);
    const offset = this.#allocator.allocate(reserved);
    return new WasmFrame(this.memory, Uint32Array, { offset, width, height, stride, reserved });
  }

  /** Allocates a zero-filled, page-aligned RGB565 frame in the core's memory. */
  allocRgb565Frame(width: number, height: number, strideBytes?: number): Rgb565Frame {
    const stride = checkRgb565FrameShape(width, height, strideBytes);
    const reserved = this.#reserve(stride * height);
    const offset = this.#allocator.allocate(reserved);
    return new WasmFrame(this.memory, Uint16Array, { offset, width, height, stride, reserved });
  }

  /** Frees a frame of this core (of either format); its views throw afterwards. */
  freeFrame(frame: Frame | Rgb565Frame): void {
    if (!WasmFrame.isLiveIn(frame, this.memory)) {
      throw new TypeError("Cannot free frame: the frame is not a live frame of this core");
    }
    WasmFrame.retire(frame);
    this.#allocator.release(frame.offset, frame.reserved);
  }

  /** Fills `rect` clipped to the frame with `color`, in one kernel call. */
  fill(frame: Frame, rect: Rect, color: number): void {
    checkFillArgs(rect, color);
    const own = this.#own(frame, "fill frame");
    const left = Math.max(rect.x, 0);
    const top = Math.max(rect.y, 0);
    const right = Math.min(rect.x + rect.width, own.width);
    const bottom = Math.min(rect.y + rect.height, own.height);
    if (right <= left || bottom <= top) return;
    this.#kernels.fill(own.offset, own.stride, left, top, right - left, bottom - top, color);
  }

  /** Copies `srcRect` to (dx, dy), both clipped, in one kernel call (memmove within a frame). */
  copy(dstFrame: Frame, dx: number, dy: number, srcFrame: Frame, srcRect: Rect): void {
    checkCopyArgs(dx, dy, srcRect);
    const dst = this.#own(dstFrame, "copy frame");
    const src = this.#own(srcFrame, "copy frame");
    let { x: sx, y: sy, width, height } = srcRect;
    // Clip the left and top edges against both frames, moving both corners together.
    if (sx < 0) {
      dx -= sx;
      width += sx;
      sx = 0;
    }
    if (sy < 0) {
      dy -= sy;
      height += sy;
      sy = 0;
    }
    if (dx < 0) {
      sx -= dx;
      width += dx;
      dx = 0;
    }
    if (dy < 0) {
      sy -= dy;
      height += dy;
      dy = 0;
    }
    width = Math.min(width, src.width - sx, dst.width - dx);
    height = Math.min(height, src.height - sy, dst.height - dy);
    if (width <= 0 || height <= 0) return;
    this.#kernels.copy(
      dst.offset,
      dst.stride,
      dx,
      dy,
      src.offset,
      src.stride,
      sx,
      sy,
      width,
      height,
    );
  }

  /**
   * Expands `bitmap` into `rect` clipped like {@linkcode fill}, in one kernel call: the bitmap is
   * staged in a scratch block of the core's memory and read from the first drawn row and bit.
   */
  mono(frame: Frame, rect: Rect, fg: number, bg: number, bitmap: Uint8Array): void {
    const pitch = checkMonoArgs(rect, fg, bg, bitmap);
    const own = this.#own(frame, "draw bitmap");
    const left = Math.max(rect.x, 0);
    const top = Math.max(rect.y, 0);
    const right = Math.min(rect.x + rect.width, own.width);
    const bottom = Math.min(rect.y + rect.height, own.height);
    if (right <= left || bottom <= top) return;
    // A bitmap viewing this memory would be detached if staging grows the memory.
    const source = bitmap.buffer === this.memory.buffer ? bitmap.slice() : bitmap;
    const bits = this.#scratchBlock("bitmap", source.length);
    new Uint8Array(this.memory.buffer, bits, source.length).set(source);
    this.#kernels.mono(
      own.offset,
      own.stride,
      left,
      top,
      right - left,
      bottom - top,
      fg,
      bg,
      bits + (top - rect.y) * pitch,
      pitch,
      left - rect.x,
    );
  }

  /**
   * Converts the frame to packed R, G, B, 255 bytes in one kernel call. The result views a
   * scratch block of the core's memory: the next call overwrites it and growing the memory
   * detaches it.
   */
  convertToRgba(frame: Frame): Uint8Array {
    const own = this.#own(frame, "convert frame");
    const rowBytes = own.width * BYTES_PER_PIXEL;
    const size = rowBytes * own.height;
    const rgba = this.#scratchBlock("rgba", size);
    this.#kernels.xrgb8888ToRgba(rgba, rowBytes, own.offset, own.stride, own.width, own.height);
    return new Uint8Array(this.memory.buffer, rgba, size);
  }

  /** Converts `src` to RGB565 in `dst` in one SIMD kernel call. */
  convertToRgb565(dst: Rgb565Frame, src: Frame): void {
    const to = this.#ownRgb565(dst, "convert frame");
    const from = this.#own(src, "convert frame");
    checkSameSize("convert frame", to, from);
    this.#kernels.xrgb8888ToRgb565(
      to.offset,
      to.stride,
      from.offset,
      from.stride,
      from.width,
      from.height,
    );
  }

  /** Converts `src` from RGB565 to XRGB8888 in `dst` in one SIMD kernel call. */
  convertFromRgb565(dst: Frame, src: Rgb565Frame): void {
    const to = this.#own(dst, "convert frame");
    const from = this.#ownRgb565(src, "convert frame");
    checkSameSize("convert frame", to, from);
    this.#kernels.rgb565ToXrgb8888(
      to.offset,
      to.stride,
      from.offset,
      from.stride,
      from.width,
      from.height,
    );
  }

  /**
   * The dirty rectangles between two frames, in one kernel call that compares 64 bytes per step
   * and writes the rectangles to a scratch block, decoded here.
   */
  diff(a: Frame, b: Frame): Rect[] {
    const first = this.#own(a, "diff frames");
    const second = this.#own(b, "diff frames");
    checkSameSize("diff frames", first, second);
    const { width, height } = first;
    const work = this.#scratchBlock("diff", this.#kernels.diffWorkspaceBytes(width, height));
    const count = this.#kernels.diff(
      first.offset,
      first.stride,
      second.offset,
      second.stride,
      width,
      height,
      work,
    );
    const fields = new Uint32Array(this.memory.buffer, work, (count * RECT_BYTES) / 4);
    const rects: Rect[] = [];
    for (let i = 0; i < fields.length; i += 4) {
      rects.push({ x: fields[i], y: fields[i + 1], width: fields[i + 2], height: fields[i + 3] });
    }
    return rects;
  }

  /** FNV-1a 32 of the frame's pixel bytes, in one kernel call. */
  checksum(frame: Frame): number {
    const own = this.#own(frame, "checksum frame");
    // WebAssembly returns i32 as a signed number.
    return this.#kernels.checksum(own.offset, own.stride, own.width, own.height) >>> 0;
  }

  /** Bytes to reserve for `size` bytes: whole frame-align units. */
  #reserve(size: number): number {
    const align = this.layout.frameAlign;
    return Math.max(1, Math.ceil(size / align)) * align;
  }

  /** A scratch block of at least `size` bytes, reused while large enough; returns its offset. */
  #scratchBlock(kind: ScratchKind, size: number): number {
    const block = this.#scratch.get(kind);
    if (block !== undefined && block.size >= size) return block.offset;
    if (block !== undefined) {
      this.#scratch.delete(kind);
      this.#allocator.release(block.offset, block.size);
    }
    const reserved = this.#reserve(size);
    const offset = this.#allocator.allocate(reserved);
    this.#scratch.set(kind, { offset, size: reserved });
    return offset;
  }

  #own(frame: Frame, action: string): WasmFrame<Uint32Array> {
    if (!WasmFrame.isLiveIn(frame, this.memory) || frame.bytesPerPixel !== BYTES_PER_PIXEL) {
      throw new TypeError(`Cannot ${action}: the frame is not a live XRGB8888 frame of this core`);
    }
    return frame as WasmFrame<Uint32Array>;
  }

  #ownRgb565(frame: Rgb565Frame, action: string): WasmFrame<Uint16Array> {
    const bytesPerPixel = RGB565_BYTES_PER_PIXEL;
    if (!WasmFrame.isLiveIn(frame, this.memory) || frame.bytesPerPixel !== bytesPerPixel) {
      throw new TypeError(`Cannot ${action}: the frame is not a live RGB565 frame of this core`);
    }
    return frame as WasmFrame<Uint16Array>;
  }
}

let shared: Promise<FbCore> | undefined;

/**
 * Loads `asm/build/fb.wasm` once per process and returns the shared {@linkcode FbCore}.
 *
 * @throws {Error} When the module is missing or was built from other sources (the message says to
 * run `npm run build:wasm`).
 */
export function loadFbCore(): Promise<FbCore> {
  if (shared === undefined) {
    shared = loadCore("fb").then((instance) => new FbCore(instance));
    shared.catch(() => shared = undefined);
  }
  return shared;
}
