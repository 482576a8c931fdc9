import assert from "node:assert/strict";
import fc from "fast-check";
import { KernelError } from "../../lib/errno.ts";
import { loadCore } from "../../lib/wasm/_load.ts";
import {
  FB_ABI_VERSION,
  type FbCore,
  FbCore as FbCoreClass,
  type FbEngine,
  type Frame,
  loadFbCore,
  type Rect,
} from "../../lib/wasm/fb.ts";
import { FbReference, viewFrame } from "../../lib/wasm/fb_reference.ts";

const RUNS = { numRuns: 500 };
const PAGE = 4096;
const MAX_WIDTH = 100;
const MAX_HEIGHT = 24;

const core: FbCore = await loadFbCore();
const reference = new FbReference();

// ---- generators -------------------------------------------------------------------------------

interface Shape {
  width: number;
  height: number;
  stride: number;
}

/** Frames up to 100 pixels wide, so that rows take both the short (v128) and long copy paths. */
const shapeArb: fc.Arbitrary<Shape> = fc.record({
  width: fc.integer({ min: 1, max: MAX_WIDTH }),
  height: fc.integer({ min: 1, max: MAX_HEIGHT }),
  padding: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 20 })),
}).map(({ width, height, padding }) => ({ width, height, stride: (width + padding) * 4 }));

/** Coordinates near the frame's origin, anywhere around the frame, or far outside it. */
const coordinateArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -4, max: 4 }) },
  { weight: 5, arbitrary: fc.integer({ min: -MAX_WIDTH - 4, max: MAX_WIDTH + 4 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      Number.MIN_SAFE_INTEGER,
      Number.MAX_SAFE_INTEGER,
      -(2 ** 32),
      2 ** 32,
    ),
  },
);

/** Sizes of any kind, often large enough to reach across a whole frame (full-width rows). */
const extentArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 2 * MAX_WIDTH + 8 }) },
  { weight: 3, arbitrary: fc.integer({ min: MAX_WIDTH, max: 2 * MAX_WIDTH + 8 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 2 ** 31, 2 ** 32, Number.MAX_SAFE_INTEGER) },
);

const rectArb: fc.Arbitrary<Rect> = fc.record({
  x: coordinateArb,
  y: coordinateArb,
  width: extentArb,
  height: extentArb,
});

const colorArb = fc.integer({ min: 0, max: 0xffffffff });
const seedArb = fc.integer({ min: 1, max: 0x7fffffff });

/** Values that are not safe integers. */
const notIntegerArb = fc.constantFrom(0.5, -1.5, NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 53));

// ---- helpers ----------------------------------------------------------------------------------

/** Overwrites the whole core memory (header page included) with a pseudo-random pattern. */
function scramble(seed: number): void {
  const words = new Uint32Array(core.memory.buffer);
  let state = seed;
  for (let i = 0; i < words.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    words[i] = state;
  }
}

/** Asserts that the whole core memory equals `expected`, naming the first differing address. */
function assertMemoryEquals(expected: ArrayBufferLike): void {
  const actual = new Uint32Array(core.memory.buffer);
  const wanted = new Uint32Array(expected);
  assert.equal(actual.length, wanted.length);
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== wanted[i]) {
      const hex = (word: number) => `0x${word.toString(16).padStart(8, "0")}`;
      assert.fail(`Word at address ${i * 4} is ${hex(actual[i])}, expected ${hex(wanted[i])}`);
    }
  }
}

/** The same frame over a copy of the core memory, for the reference to work on. */
function inSnapshot(snapshot: ArrayBufferLike, frame: Frame): Frame {
  return viewFrame(snapshot, frame);
}

function withFrames<T>(shapes: Shape[], body: (frames: Frame[]) => T): T {
  const frames = shapes.map((s) => core.allocFrame(s.width, s.height, s.stride));
  try {
    return body(frames);
  } finally {
    for (const frame of frames) core.freeFrame(frame);
  }
}

function assertEinval(action: () => void): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof KernelError);
    assert.equal(error.errno, "EINVAL");
    return true;
  });
}

// ---- loading and layout -----------------------------------------------------------------------

Deno.test("loadFbCore() returns one shared core", async () => {
  assert.equal(await loadFbCore(), core);
});

Deno.test("FbCore.layout equals the constants the module exports", async () => {
  const bytes = await Deno.readFile(new URL("../../asm/build/fb.wasm", import.meta.url));
  const { instance } = await WebAssembly.instantiate(bytes, {});
  const value = (name: string) => (instance.exports[name] as WebAssembly.Global).value;
  assert.deepEqual(core.layout, {
    abiVersion: value("FB_ABI_VERSION"),
    bytesPerPixel: value("BYTES_PER_PIXEL"),
    frameAlign: value("FRAME_ALIGN"),
    headerOffset: value("HEADER_OFFSET"),
    headerSize: value("HEADER_SIZE"),
    framesBase: value("FRAMES_BASE"),
  });
  assert.equal(core.layout.abiVersion, FB_ABI_VERSION);
});

Deno.test("FbCore.layout places page-aligned frames after the header page", () => {
  const { frameAlign, headerOffset, headerSize, framesBase } = core.layout;
  assert.equal(frameAlign, PAGE);
  assert.equal(framesBase % frameAlign, 0);
  assert.ok(framesBase >= headerOffset + headerSize);
});

Deno.test("FbCore() refuses a module with another ABI version", async () => {
  const instance = await loadCore("fb");
  const exports = {
    ...instance.exports,
    FB_ABI_VERSION: new WebAssembly.Global({ value: "i32" }, FB_ABI_VERSION + 1),
    memory: new WebAssembly.Memory({ initial: 0 }),
  };
  assert.throws(
    () => new FbCoreClass({ exports } as WebAssembly.Instance),
    new RegExp(`ABI version ${FB_ABI_VERSION + 1}, this glue speaks ${FB_ABI_VERSION}; run`),
  );
});

Deno.test("FbCore() refuses a second core over the same memory", async () => {
  const instance = await loadCore("fb");
  assert.throws(() => new FbCoreClass(instance), TypeError);
});

Deno.test("loadCore() tells to run npm run build:wasm when the module is missing", async () => {
  await assert.rejects(
    loadCore("no_such_core"),
    /asm\/build\/no_such_core\.wasm is missing, run `npm run build:wasm`/,
  );
});

// ---- frames -----------------------------------------------------------------------------------

Deno.test("allocFrame() returns zero-filled, page-aligned, disjoint frames as frames come and go", () => {
  // Each step allocates a frame of the given shape, or frees the live frame at index % count.
  const stepArb = fc.oneof(shapeArb, fc.nat());
  fc.assert(
    fc.property(fc.array(stepArb, { maxLength: 30 }), (steps) => {
      const live: Frame[] = [];
      try {
        for (const step of steps) {
          if (typeof step === "number") {
            if (live.length > 0) core.freeFrame(live.splice(step % live.length, 1)[0]);
            continue;
          }
          const frame = core.allocFrame(step.width, step.height, step.stride);
          assert.ok(frame.bytes.every((byte) => byte === 0), "new frame is not zero-filled");
          frame.bytes.fill(0xa5);
          live.push(frame);
          assert.equal(frame.offset % PAGE, 0);
          assert.ok(frame.offset >= core.layout.framesBase);
          assert.ok(frame.offset + frame.bytes.length <= core.memory.buffer.byteLength);
          assert.equal(frame.bytes.byteOffset, frame.offset);
          assert.equal(frame.pixels.length * 4, frame.stride * frame.height);
        }
        const spans = live.map((f) => [f.offset, f.offset + f.stride * f.height])
          .sort((a, b) => a[0] - b[0]);
        for (let i = 1; i < spans.length; i++) assert.ok(spans[i - 1][1] <= spans[i][0]);
      } finally {
        for (const frame of live) core.freeFrame(frame);
      }
    }),
    RUNS,
  );
});

Deno.test("allocFrame() keeps frame views valid after the memory grows", async () => {
  // A core of its own, so that the shared core's memory (scrambled in every run) stays small.
  const bytes = await Deno.readFile(new URL("../../asm/build/fb.wasm", import.meta.url));
  const own = new FbCoreClass((await WebAssembly.instantiate(bytes, {})).instance);
  const small = own.allocFrame(8, 8);
  small.pixels[9] = 0x123456;
  const before = own.memory.buffer.byteLength;
  own.allocFrame(1920, 1080);
  assert.ok(own.memory.buffer.byteLength > before);
  assert.equal(small.pixels[9], 0x123456);
  assert.equal(small.pixels.buffer, own.memory.buffer);
  own.fill(small, { x: 1, y: 1, width: 1, height: 1 }, 0xabcdef);
  assert.equal(small.pixels[9], 0xabcdef);
});

Deno.test("allocFrame() rejects malformed shapes with RangeError on both engines", () => {
  for (const engine of [core, reference] as FbEngine[]) {
    assert.throws(() => engine.allocFrame(0, 10), RangeError);
    assert.throws(() => engine.allocFrame(10, -1), RangeError);
    assert.throws(() => engine.allocFrame(1.5, 10), RangeError);
    assert.throws(() => engine.allocFrame(10, 10, 39), RangeError);
    assert.throws(() => engine.allocFrame(10, 10, 42), RangeError);
  }
});

Deno.test("allocFrame() fails with ENOMEM beyond the 4 GiB WebAssembly memory", () => {
  assert.throws(() => core.allocFrame(65536, 16385), (error: unknown) => {
    assert.ok(error instanceof KernelError);
    assert.equal(error.errno, "ENOMEM");
    return true;
  });
});

Deno.test("FbCore refuses freed frames and frames of another engine", () => {
  const frame = core.allocFrame(4, 4);
  core.freeFrame(frame);
  const rect = { x: 0, y: 0, width: 1, height: 1 };
  assert.throws(() => frame.pixels, TypeError);
  assert.throws(() => core.fill(frame, rect, 0), TypeError);
  assert.throws(() => core.freeFrame(frame), TypeError);
  assert.throws(() => core.fill(reference.allocFrame(4, 4), rect, 0), TypeError);
});

// ---- fill and copy: behaviour -----------------------------------------------------------------

Deno.test("fill() sets the clipped rectangle and nothing else", () => {
  for (const engine of [core, reference] as FbEngine[]) {
    const frame = engine.allocFrame(4, 3);
    engine.fill(frame, { x: 2, y: -1, width: 5, height: 3 }, 0xff0000);
    assert.deepEqual(
      [...frame.pixels],
      [
        [0, 0, 0xff0000, 0xff0000],
        [0, 0, 0xff0000, 0xff0000],
        [0, 0, 0, 0],
      ].flat(),
    );
    engine.freeFrame(frame);
  }
});

Deno.test("copy() scrolls a frame up and down by whole rows", () => {
  for (const engine of [core, reference] as FbEngine[]) {
    const frame = engine.allocFrame(2, 4);
    frame.pixels.set([1, 2, 3, 4, 5, 6, 7, 8]);
    engine.copy(frame, 0, 0, frame, { x: 0, y: 1, width: 2, height: 3 });
    assert.deepEqual([...frame.pixels], [3, 4, 5, 6, 7, 8, 7, 8]);
    engine.copy(frame, 0, 1, frame, { x: 0, y: 0, width: 2, height: 3 });
    assert.deepEqual([...frame.pixels], [3, 4, 3, 4, 5, 6, 7, 8]);
    engine.freeFrame(frame);
  }
});

Deno.test("fill() and copy() with a zero-size rectangle change nothing", () => {
  withFrames([{ width: 8, height: 8, stride: 40 }], ([frame]) => {
    scramble(7);
    const before = core.memory.buffer.slice(0);
    core.fill(frame, { x: 1, y: 1, width: 0, height: 5 }, 0xffffff);
    core.copy(frame, 0, 0, frame, { x: 2, y: 2, width: 3, height: 0 });
    assertMemoryEquals(before);
  });
});

// ---- fill and copy: WebAssembly ≡ reference ---------------------------------------------------

Deno.test("fill() of the core equals the reference over the whole memory", () => {
  fc.assert(
    fc.property(shapeArb, rectArb, colorArb, seedArb, (shape, rect, color, seed) => {
      withFrames([shape], ([frame]) => {
        scramble(seed);
        const expected = core.memory.buffer.slice(0);
        reference.fill(inSnapshot(expected, frame), rect, color);
        core.fill(frame, rect, color);
        assertMemoryEquals(expected);
      });
    }),
    RUNS,
  );
});

Deno.test("copy() of the core between two frames equals the reference over the whole memory", () => {
  fc.assert(
    fc.property(
      shapeArb,
      shapeArb,
      rectArb,
      coordinateArb,
      coordinateArb,
      seedArb,
      (dstShape, srcShape, srcRect, dx, dy, seed) => {
        withFrames([dstShape, srcShape], ([dst, src]) => {
          scramble(seed);
          const expected = core.memory.buffer.slice(0);
          reference.copy(inSnapshot(expected, dst), dx, dy, inSnapshot(expected, src), srcRect);
          core.copy(dst, dx, dy, src, srcRect);
          assertMemoryEquals(expected);
        });
      },
    ),
    RUNS,
  );
});

Deno.test("copy() of the core of whole frames with any strides equals the reference", () => {
  // Full-width rows are copied as one block only when both strides match: this stream aims there.
  fc.assert(
    fc.property(shapeArb, fc.nat(8), fc.nat(8), seedArb, (shape, dstPad, srcPad, seed) => {
      const dstShape = { ...shape, stride: shape.width * 4 + dstPad * 4 * (dstPad % 2) };
      const srcShape = { ...shape, stride: shape.width * 4 + srcPad * 4 * (srcPad % 2) };
      withFrames([dstShape, srcShape], ([dst, src]) => {
        scramble(seed);
        const expected = core.memory.buffer.slice(0);
        const whole = { x: 0, y: 0, width: shape.width, height: shape.height };
        reference.copy(inSnapshot(expected, dst), 0, 0, inSnapshot(expected, src), whole);
        core.copy(dst, 0, 0, src, whole);
        assertMemoryEquals(expected);
      });
    }),
    RUNS,
  );
});

/** A source rectangle around the frame and a small shift, so source and destination overlap. */
const overlapArb = fc.record({
  shape: shapeArb,
  srcRect: fc.record({
    x: fc.integer({ min: -4, max: MAX_WIDTH }),
    y: fc.integer({ min: -4, max: MAX_HEIGHT }),
    width: fc.integer({ min: 0, max: MAX_WIDTH + 8 }),
    height: fc.integer({ min: 0, max: MAX_HEIGHT + 8 }),
  }),
  shiftX: fc.integer({ min: -12, max: 12 }),
  shiftY: fc.integer({ min: -6, max: 6 }),
  seed: seedArb,
});

Deno.test("copy() of the core within one frame equals the reference in every direction", () => {
  fc.assert(
    fc.property(overlapArb, ({ shape, srcRect, shiftX, shiftY, seed }) => {
      withFrames([shape], ([frame]) => {
        const dx = srcRect.x + shiftX;
        const dy = srcRect.y + shiftY;
        scramble(seed);
        const expected = core.memory.buffer.slice(0);
        const view = inSnapshot(expected, frame);
        reference.copy(view, dx, dy, view, srcRect);
        core.copy(frame, dx, dy, frame, srcRect);
        assertMemoryEquals(expected);
      });
    }),
    RUNS,
  );
});

Deno.test("copy() of the reference within one frame equals copying from an untouched source", () => {
  fc.assert(
    fc.property(overlapArb, ({ shape, srcRect, shiftX, shiftY, seed }) => {
      const dx = srcRect.x + shiftX;
      const dy = srcRect.y + shiftY;
      const frame = reference.allocFrame(shape.width, shape.height, shape.stride);
      frame.pixels.forEach((_, i, pixels) => pixels[i] = Math.imul(i + 1, seed));
      const source = viewFrame(frame.bytes.slice().buffer, frame);
      const expected = viewFrame(frame.bytes.slice().buffer, frame);
      reference.copy(expected, dx, dy, source, srcRect);
      reference.copy(frame, dx, dy, frame, srcRect);
      assert.deepEqual(frame.pixels, expected.pixels);
    }),
    RUNS,
  );
});

// ---- fill and copy: invalid arguments ---------------------------------------------------------

/** A valid rectangle with one field made invalid: not an integer, or a negative size. */
const badRectArb = fc.tuple(
  fc.record({
    x: fc.integer({ min: -8, max: 8 }),
    y: fc.integer({ min: -8, max: 8 }),
    width: fc.nat(8),
    height: fc.nat(8),
  }),
  fc.constantFrom("x", "y", "width", "height"),
  fc.oneof(notIntegerArb, fc.integer({ min: -1000, max: -1 })),
).filter(([, field, bad]) => !Number.isInteger(bad) || field === "width" || field === "height")
  .map(([rect, field, bad]) => ({ ...rect, [field]: bad }) as Rect);

Deno.test("fill() and copy() reject malformed rectangles with EINVAL and write nothing", () => {
  fc.assert(
    fc.property(badRectArb, seedArb, (rect, seed) => {
      withFrames([{ width: 8, height: 8, stride: 32 }], ([frame]) => {
        scramble(seed);
        const before = core.memory.buffer.slice(0);
        const plain = reference.allocFrame(8, 8);
        for (const [engine, target] of [[core, frame], [reference, plain]] as const) {
          assertEinval(() => engine.fill(target, rect, 0x00ff00));
          assertEinval(() => engine.copy(target, 0, 0, target, rect));
        }
        assertMemoryEquals(before);
        assert.ok(plain.pixels.every((pixel) => pixel === 0));
      });
    }),
    RUNS,
  );
});

Deno.test("fill() rejects colors outside 32 bits and copy() non-integer targets with EINVAL", () => {
  fc.assert(
    fc.property(
      fc.oneof(notIntegerArb, fc.constantFrom(-1, 2 ** 32)),
      notIntegerArb,
      (color, target) => {
        const rect = { x: 0, y: 0, width: 2, height: 2 };
        withFrames([{ width: 4, height: 4, stride: 16 }], ([frame]) => {
          const plain = reference.allocFrame(4, 4);
          for (const [engine, f] of [[core, frame], [reference, plain]] as const) {
            assertEinval(() => engine.fill(f, rect, color));
            assertEinval(() => engine.copy(f, target, 0, f, rect));
            assertEinval(() => engine.copy(f, 0, target, f, rect));
          }
        });
      },
    ),
    RUNS,
  );
});
