/**
 * Device memory laid out as a frame of an fb engine, so that a scan-out inside it is a rectangle
 * the engine's kernels work on in place: the guest draws there, and the refresh path copies the
 * plane out of it inside the engine. With the WebAssembly engine the memory then lives in the
 * core's memory, and no frame crosses between JavaScript and WebAssembly on the hot path.
 *
 * ```text
 * frame ──► ┌ pad ┬──────────── device memory (size bytes) ───────────────────────┐
 *           │     │ … offset bytes … ┌ scan-out: height rows of `stride` bytes ┐  │
 *           └─────┴──────────────────┴──────────────────────────────────────────┴──┘
 * row r of the frame starts at byte r × stride; pad makes pad + offset a whole number of rows.
 * ```
 *
 * @module
 */
import type { DeviceMemory, MemoryHome } from "../drivers/device_memory.ts";
import type { FbEngine, Frame, Rect } from "../wasm/fb.ts";

/** Where a scan-out lies in device memory (bytes) and its size (pixels). */
export interface ScanoutLayout {
  /** Byte offset of pixel (0, 0) in the memory. */
  readonly offset: number;
  readonly width: number;
  readonly height: number;
  /** Bytes per row (a multiple of 4, ≥ width × 4). */
  readonly stride: number;
}

/** A scan-out as a rectangle of the frame that holds the memory. */
export interface ScanoutFrame {
  /** The frame whose bytes (from `pad`) are the device memory. */
  readonly frame: Frame;
  /** The scan-out inside `frame`. */
  readonly rect: Rect;
}

/** A frame of an engine that holds one device memory. */
class FrameHome implements MemoryHome {
  readonly engine: FbEngine;
  readonly frame: Frame;
  /** Bytes before the memory in the frame. */
  readonly pad: number;
  released = false;

  constructor(engine: FbEngine, frame: Frame, pad: number) {
    this.engine = engine;
    this.frame = frame;
    this.pad = pad;
  }

  view(): Uint8Array {
    return this.frame.bytes.subarray(this.pad);
  }

  release(): void {
    this.released = true;
    this.engine.freeFrame(this.frame);
  }
}

const HOMES = new WeakMap<DeviceMemory, FrameHome>();

/**
 * The frame holding `memory` laid out for `layout`, moving the memory there first unless it
 * already lives in such a frame of `engine` (one copy when it moves; none when it was not
 * materialised yet). A layout whose rows do not fit the memory is refused.
 *
 * @throws {RangeError} When the layout is not a valid scan-out inside the memory.
 */
export function scanoutFrame(
  engine: FbEngine,
  memory: DeviceMemory,
  layout: ScanoutLayout,
): ScanoutFrame {
  const { offset, width, height, stride } = layout;
  if (
    !Number.isSafeInteger(offset) || offset < 0 || width < 1 || height < 1 ||
    stride % 4 !== 0 || stride < width * 4 || offset + stride * height > memory.size
  ) {
    throw new RangeError(
      `Cannot lay out ${width}x${height} (stride ${stride}) at ${offset} in ${memory.size} bytes`,
    );
  }
  const pad = (stride - (offset % stride)) % stride;
  let home = HOMES.get(memory);
  if (
    home === undefined || home.released || !memory.homed || home.engine !== engine ||
    home.frame.stride !== stride || home.pad !== pad
  ) {
    const rows = Math.ceil((pad + memory.size) / stride);
    home = new FrameHome(engine, engine.allocFrame(stride / 4, rows, stride), pad);
    memory.moveTo(home);
    HOMES.set(memory, home);
  }
  return { frame: home.frame, rect: { x: 0, y: (pad + offset) / stride, width, height } };
}
