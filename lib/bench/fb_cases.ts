/**
 * The framebuffer benchmark cases, as data: `bench/fb_bench.ts` registers them with `Deno.bench`
 * and `mdevsim bench fb` times them itself. Every operation runs on `wasm` (the WebAssembly core)
 * and `ts` (the TypeScript reference); fill and copy also on `bound` (the plain TypedArray
 * `fill` / `copyWithin` of the same bytes in the core's memory, the memory bound the others cannot
 * beat). Conversion, damage detection, checksum and glyph expansion have no such plain operation.
 *
 * @example Time one case by hand
 * ```ts
 * import { FB_CASES } from "./fb_cases.ts";
 *
 * const benchCase = FB_CASES.find((c) => c.name === "fb.fill" && c.engine === "wasm")!;
 * const run = await benchCase.setup();
 * const started = performance.now();
 * for (let i = 0; i < 100; i++) run();
 * console.log(`${benchCase.case}: ${(performance.now() - started) / 100} ms per op`);
 * ```
 *
 * @module
 */

import { type FbCore, type FbEngine, type Frame, loadFbCore, type Rect } from "../wasm/fb.ts";
import { FbReference } from "../wasm/fb_reference.ts";

/** Who runs a benchmark case. */
export type FbBenchEngine = "wasm" | "ts" | "bound";

/** One benchmark case: an operation on one engine. */
export interface FbBenchCase {
  /** The operation, e.g. `"fb.fill"`. */
  readonly name: string;
  /** The input, e.g. `"1920x1080"`. */
  readonly case: string;
  /** The engine that runs it. */
  readonly engine: FbBenchEngine;
  /** Prepares the frames and returns the operation to time; one call is one op. */
  setup(): Promise<() => void>;
}

const WIDTH = 1920;
const HEIGHT = 1080;
const FULL: Rect = { x: 0, y: 0, width: WIDTH, height: HEIGHT };
const TILE: Rect = { x: 640, y: 360, width: 64, height: 64 };
const TILE_TARGET = { x: 1200, y: 720 };
const SCROLL_ROWS = 16;
const COLOR = 0x00336699;
/** One 8×16 console glyph ("A"-like), 1 byte per row: the fbcon text path. */
const GLYPH_RECT: Rect = { x: 800, y: 400, width: 8, height: 16 };
const GLYPH = new Uint8Array([
  0x00,
  0x00,
  0x10,
  0x38,
  0x6c,
  0xc6,
  0xc6,
  0xfe,
  0xc6,
  0xc6,
  0xc6,
  0xc6,
  0x00,
  0x00,
  0x00,
  0x00,
]);
/** What changes between two frames in the damage case: a line of text and a cursor pixel. */
const TEXT_LINE: Rect = { x: 96, y: 512, width: 640, height: 16 };
const CURSOR = { x: 1919, y: 1079 };

/** Two 1920×1080 frames of one engine: `a` is the destination, `b` a patterned source. */
interface Frames {
  a: Frame;
  b: Frame;
}

/**
 * An operation, as run by an FbEngine and, where there is one, as the plain memory operation it
 * is bounded by.
 */
interface FbOperation {
  name: string;
  case: string;
  onEngine(engine: FbEngine, frames: Frames): () => void;
  onMemory?(memory: MemoryViews, frames: Frames): () => void;
}

/** Views over the whole core memory, re-derived if the memory has grown since. */
class MemoryViews {
  #core: FbCore;
  #words: Uint32Array = new Uint32Array(0);

  constructor(core: FbCore) {
    this.#core = core;
  }

  get words(): Uint32Array {
    if (this.#words.buffer !== this.#core.memory.buffer) {
      this.#words = new Uint32Array(this.#core.memory.buffer);
    }
    return this.#words;
  }
}

/** Index of pixel (x, y) of a core frame in MemoryViews.words. */
function wordAt(frame: Frame, x: number, y: number): number {
  return (frame.offset + y * frame.stride) / 4 + x;
}

const OPERATIONS: readonly FbOperation[] = [
  {
    name: "fb.fill",
    case: "1920x1080",
    onEngine: (engine, { a }) => () => engine.fill(a, FULL, COLOR),
    onMemory: (_memory, { a }) => () => a.pixels.fill(COLOR),
  },
  {
    name: "fb.fill",
    case: "64x64",
    onEngine: (engine, { a }) => () => engine.fill(a, TILE, COLOR),
    onMemory: (memory, { a }) => () => {
      const words = memory.words;
      for (let y = TILE.y; y < TILE.y + TILE.height; y++) {
        const start = wordAt(a, TILE.x, y);
        words.fill(COLOR, start, start + TILE.width);
      }
    },
  },
  {
    name: "fb.copy",
    case: "1920x1080",
    onEngine: (engine, { a, b }) => () => engine.copy(a, 0, 0, b, FULL),
    onMemory: (memory, { a, b }) => () => {
      const start = wordAt(b, 0, 0);
      memory.words.copyWithin(wordAt(a, 0, 0), start, start + b.pixels.length);
    },
  },
  {
    name: "fb.copy",
    case: "64x64",
    onEngine: (engine, { a, b }) => () => engine.copy(a, TILE_TARGET.x, TILE_TARGET.y, b, TILE),
    onMemory: (memory, { a, b }) => () => {
      const words = memory.words;
      for (let row = 0; row < TILE.height; row++) {
        const start = wordAt(b, TILE.x, TILE.y + row);
        words.copyWithin(wordAt(a, TILE_TARGET.x, TILE_TARGET.y + row), start, start + TILE.width);
      }
    },
  },
  {
    name: "fb.copy",
    case: "1920x1080,scroll",
    onEngine: (engine, { a }) => () =>
      engine.copy(a, 0, 0, a, { x: 0, y: SCROLL_ROWS, width: WIDTH, height: HEIGHT - SCROLL_ROWS }),
    onMemory: (memory, { a }) => () =>
      memory.words.copyWithin(wordAt(a, 0, 0), wordAt(a, 0, SCROLL_ROWS), wordAt(a, 0, HEIGHT)),
  },
  {
    name: "fb.mono",
    case: "8x16",
    onEngine: (engine, { a }) => () => engine.mono(a, GLYPH_RECT, 0xffffff, COLOR, GLYPH),
  },
  {
    name: "fb.convert",
    case: "xrgb8888>rgba/1920x1080",
    onEngine: (engine, { b }) => () => engine.convertToRgba(b),
  },
  {
    name: "fb.convert",
    case: "xrgb8888>rgb565/1920x1080",
    onEngine: (engine, { b }) => {
      const rgb565 = engine.allocRgb565Frame(WIDTH, HEIGHT);
      return () => engine.convertToRgb565(rgb565, b);
    },
  },
  {
    name: "fb.convert",
    case: "rgb565>xrgb8888/1920x1080",
    onEngine: (engine, { a, b }) => {
      const rgb565 = engine.allocRgb565Frame(WIDTH, HEIGHT);
      engine.convertToRgb565(rgb565, b);
      return () => engine.convertFromRgb565(a, rgb565);
    },
  },
  {
    name: "fb.diff",
    case: "1920x1080",
    onEngine: (engine, { b }) => {
      // Frames of their own: the other cases overwrite `a` between runs.
      const before = engine.allocFrame(WIDTH, HEIGHT);
      const after = engine.allocFrame(WIDTH, HEIGHT);
      engine.copy(before, 0, 0, b, FULL);
      engine.copy(after, 0, 0, b, FULL);
      engine.fill(after, TEXT_LINE, 0x00ffffff);
      engine.fill(after, { ...CURSOR, width: 1, height: 1 }, 0x00ffffff);
      return () => engine.diff(before, after);
    },
  },
  {
    name: "fb.checksum",
    case: "1920x1080",
    onEngine: (engine, { b }) => () => engine.checksum(b),
  },
];

function allocFrames(engine: FbEngine): Frames {
  const a = engine.allocFrame(WIDTH, HEIGHT);
  const b = engine.allocFrame(WIDTH, HEIGHT);
  // A source of distinct pixels, so that a copy that moves nothing would show in the tests.
  b.pixels.forEach((_, i, pixels) => pixels[i] = Math.imul(i, 0x9e3779b1) >>> 8);
  return { a, b };
}

/** Frames shared by every case of one engine: the cases overwrite them anyway. */
let coreFrames: Promise<{ core: FbCore; memory: MemoryViews; frames: Frames }> | undefined;
let referenceFrames: { engine: FbReference; frames: Frames } | undefined;

function onCore(): Promise<{ core: FbCore; memory: MemoryViews; frames: Frames }> {
  coreFrames ??= loadFbCore().then((core) => ({
    core,
    memory: new MemoryViews(core),
    frames: allocFrames(core),
  }));
  return coreFrames;
}

function onReference(): { engine: FbReference; frames: Frames } {
  if (referenceFrames === undefined) {
    const engine = new FbReference();
    referenceFrames = { engine, frames: allocFrames(engine) };
  }
  return referenceFrames;
}

function casesOf(operation: FbOperation): FbBenchCase[] {
  const { name, case: input, onMemory } = operation;
  const cases: FbBenchCase[] = [
    {
      name,
      case: input,
      engine: "wasm",
      setup: async () => {
        const { core, frames } = await onCore();
        return operation.onEngine(core, frames);
      },
    },
    {
      name,
      case: input,
      engine: "ts",
      setup: () => {
        const { engine, frames } = onReference();
        return Promise.resolve(operation.onEngine(engine, frames));
      },
    },
  ];
  if (onMemory !== undefined) {
    cases.push({
      name,
      case: input,
      engine: "bound",
      setup: async () => {
        const { memory, frames } = await onCore();
        return onMemory(memory, frames);
      },
    });
  }
  return cases;
}

/** Every framebuffer benchmark case: each operation on `wasm` and `ts`, and `bound` if any. */
export const FB_CASES: readonly FbBenchCase[] = OPERATIONS.flatMap(casesOf);
