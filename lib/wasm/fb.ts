/**
 * Framebuffer operations on 32-bit XRGB8888 frames, and the glue to the WebAssembly core
 * (`asm/fb/`) that runs them.
 *
 * Two engines implement {@linkcode FbEngine}: {@linkcode FbCore} (WebAssembly; frames live in
 * the core's memory, page-aligned) and `FbReference` in `fb_reference.ts` (plain typed arrays).
 * Both take one call per rectangle, clip rectangles to the frame, and reject malformed
 * rectangles with `KernelError("EINVAL")`.
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
 * ```
 *
 * @module
 */

import { KernelError } from "../errno.ts";
import { loadCore } from "./_load.ts";

/** The ABI version of `asm/fb` this glue speaks; a module exporting another one is refused. */
export const FB_ABI_VERSION = 1;

/** Bytes per XRGB8888 pixel. */
const BYTES_PER_PIXEL = 4;
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
  /** Returns a frame's memory to the engine; the frame must not be used afterwards. */
  freeFrame(frame: Frame): void;
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
 * Checks the shape of a frame to allocate and returns its stride.
 *
 * @throws {RangeError} When width or height is not a positive integer, or the stride is not a
 * multiple of 4 that holds a row.
 */
export function checkFrameShape(width: number, height: number, strideBytes?: number): number {
  if (!Number.isSafeInteger(width) || width < 1 || !Number.isSafeInteger(height) || height < 1) {
    throw new RangeError(`Cannot allocate frame: size ${width}x${height} is not positive`);
  }
  const stride = strideBytes ?? width * BYTES_PER_PIXEL;
  if (
    !Number.isSafeInteger(stride) || stride % BYTES_PER_PIXEL !== 0 ||
    stride < width * BYTES_PER_PIXEL
  ) {
    throw new RangeError(
      `Cannot allocate frame: stride ${stride} is not a multiple of 4 of at least ${
        width * BYTES_PER_PIXEL
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
  if (!Number.isInteger(color) || color < 0 || color > MAX_COLOR) {
    throw new KernelError("EINVAL", {
      detail: `Cannot fill frame: color ${color} is not a 32-bit pixel value`,
    });
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

/** A frame in the core's memory; its views are re-derived when the memory has grown. */
class WasmFrame implements Frame {
  readonly offset: number;
  readonly width: number;
  readonly height: number;
  readonly stride: number;
  /** Bytes reserved for the frame: `stride × height` rounded up to whole frame-align units. */
  readonly reserved: number;
  #memory: WebAssembly.Memory | undefined;
  #buffer: ArrayBufferLike | undefined;
  #pixels: Uint32Array = new Uint32Array(0);
  #bytes: Uint8Array = new Uint8Array(0);

  constructor(memory: WebAssembly.Memory, shape: Omit<WasmFrame, "pixels" | "bytes">) {
    this.#memory = memory;
    this.offset = shape.offset;
    this.width = shape.width;
    this.height = shape.height;
    this.stride = shape.stride;
    this.reserved = shape.reserved;
  }

  get pixels(): Uint32Array {
    this.#refreshViews();
    return this.#pixels;
  }

  get bytes(): Uint8Array {
    this.#refreshViews();
    return this.#bytes;
  }

  /** Whether `frame` is a live frame of the core owning `memory`. */
  static isLiveIn(frame: Frame, memory: WebAssembly.Memory): frame is WasmFrame {
    return #memory in frame && frame.#memory === memory;
  }

  /** Detaches a freed frame from the memory, so that its views and kernels refuse it. */
  static retire(frame: WasmFrame): void {
    frame.#memory = undefined;
  }

  #refreshViews(): void {
    if (this.#memory === undefined) throw new TypeError("Cannot access frame: it was freed");
    // Growing a WebAssembly memory detaches its old ArrayBuffer.
    const buffer = this.#memory.buffer;
    if (buffer === this.#buffer) return;
    const size = this.stride * this.height;
    this.#buffer = buffer;
    this.#pixels = new Uint32Array(buffer, this.offset, size / BYTES_PER_PIXEL);
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
  staticDataEnd(): number;
}

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
  for (const name of ["fill", "copy", "staticDataEnd"]) {
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

/** The WebAssembly framebuffer engine: frames live in the core's memory, page-aligned. */
export class FbCore implements FbEngine {
  /** Always `"wasm"`. */
  readonly engine = "wasm";
  /** The memory map, read from the module's exports. */
  readonly layout: FbLayout;
  /** The core's memory; frames are views into it. */
  readonly memory: WebAssembly.Memory;
  #kernels: FbKernels;
  #allocator: FrameAllocator;

  /**
   * Wraps an instance of `asm/build/fb.wasm`; use {@linkcode loadFbCore} to share one.
   *
   * @throws {Error} When the module's ABI version or exports do not match this glue.
   * @throws {TypeError} When another FbCore already manages the instance's memory.
   */
  constructor(instance: WebAssembly.Instance) {
    const exports = instance.exports;
    this.layout = readLayout(exports);
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
    const align = this.layout.frameAlign;
    const reserved = Math.ceil((stride * height) / align) * align;
    const offset = this.#allocator.allocate(reserved);
    return new WasmFrame(this.memory, { offset, width, height, stride, reserved });
  }

  /** Frees a frame of this core; its views throw afterwards. */
  freeFrame(frame: Frame): void {
    const own = this.#own(frame, "free frame");
    WasmFrame.retire(own);
    this.#allocator.release(own.offset, own.reserved);
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

  #own(frame: Frame, action: string): WasmFrame {
    if (!WasmFrame.isLiveIn(frame, this.memory)) {
      throw new TypeError(`Cannot ${action}: the frame is not a live frame of this core`);
    }
    return frame;
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
