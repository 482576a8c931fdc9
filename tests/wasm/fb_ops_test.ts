import assert from "node:assert/strict";
import fc from "fast-check";
import { KernelError } from "../../lib/errno.ts";
import { loadCore } from "../../lib/wasm/_load.ts";
import {
  DIFF_TILE,
  FB_ABI_VERSION,
  type FbCore,
  FbCore as FbCoreClass,
  type FbEngine,
  type Frame,
  loadFbCore,
  type Rect,
  type Rgb565Frame,
} from "../../lib/wasm/fb.ts";
import { FbReference, viewFrame, viewRgb565Frame } from "../../lib/wasm/fb_reference.ts";

const RUNS = { numRuns: 300 };
const PAGE = 4096;
const MAX_WIDTH = 100;
const MAX_HEIGHT = 24;

const core: FbCore = await loadFbCore();
const reference = new FbReference();
const engines: readonly FbEngine[] = [core, reference];

// ---- generators -------------------------------------------------------------------------------

interface Shape {
  width: number;
  height: number;
  stride: number;
}

/** XRGB8888 frames up to 100 pixels wide (SIMD bodies and scalar tails), with any padding. */
const shapeArb: fc.Arbitrary<Shape> = fc.record({
  width: fc.integer({ min: 1, max: MAX_WIDTH }),
  height: fc.integer({ min: 1, max: MAX_HEIGHT }),
  padding: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 20 })),
}).map(({ width, height, padding }) => ({ width, height, stride: (width + padding) * 4 }));

/** The same width and height with an RGB565 stride of its own (any even padding). */
function rgb565ShapeArb(shape: { width: number; height: number }): fc.Arbitrary<Shape> {
  return fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 21 }))
    .map((padding) => ({ ...shape, stride: (shape.width + padding) * 2 }));
}

/** Frames spanning several diff tiles, including partial tiles at the right and bottom. */
const diffShapeArb = fc.record({
  width: fc.oneof(fc.integer({ min: 1, max: 3 * DIFF_TILE + 9 }), fc.constant(2 * DIFF_TILE)),
  height: fc.oneof(fc.integer({ min: 1, max: 2 * DIFF_TILE + 9 }), fc.constant(DIFF_TILE)),
  aPadding: fc.nat(5),
  bPadding: fc.nat(5),
});

/** Coordinates near the frame's origin, anywhere around the frame, or far outside it. */
const coordinateArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -12, max: 12 }) },
  { weight: 5, arbitrary: fc.integer({ min: -MAX_WIDTH - 4, max: MAX_WIDTH + 4 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(Number.MIN_SAFE_INTEGER, -(2 ** 32), 2 ** 32, 2 ** 40),
  },
);

/** Bitmap sizes: empty, glyph-like, or wider than the frame (the bitmap must exist in full). */
const bitmapExtentArb = fc.oneof(
  { weight: 1, arbitrary: fc.constant(0) },
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 24 }) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: MAX_WIDTH + 40 }) },
);

/** A rectangle for mono() with a random bitmap of exactly the length it needs. */
const monoArgsArb = fc.record({
  x: coordinateArb,
  y: coordinateArb,
  width: bitmapExtentArb,
  height: bitmapExtentArb.map((h) => Math.min(h, MAX_HEIGHT + 12)),
}).chain((rect) => {
  const length = Math.ceil(rect.width / 8) * rect.height;
  return fc.record({
    rect: fc.constant(rect as Rect),
    bitmap: fc.uint8Array({ minLength: length, maxLength: length }),
  });
});

const colorArb = fc.integer({ min: 0, max: 0xffffffff });
const seedArb = fc.integer({ min: 1, max: 0x7fffffff });

/** Values that are not safe integers. */
const notIntegerArb = fc.constantFrom(0.5, -1.5, NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 53));

// ---- helpers ----------------------------------------------------------------------------------

/** Fills `words` with a xorshift pattern from `seed`. */
function pattern(words: Uint32Array | Uint16Array, seed: number): void {
  let state = seed;
  for (let i = 0; i < words.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    words[i] = state >>> 0;
  }
}

/** Overwrites the whole core memory (header page included) with a pseudo-random pattern. */
function scramble(seed: number): void {
  pattern(new Uint32Array(core.memory.buffer), seed);
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(2, "0")}`;
}

/** Asserts that the whole core memory equals `expected`, naming the first differing address. */
function assertMemoryEquals(expected: ArrayBufferLike): void {
  assertMemoryEqualsExcept(expected, 0, 0);
}

/** Like assertMemoryEquals, but bytes [from, to) may differ. */
function assertMemoryEqualsExcept(expected: ArrayBufferLike, from: number, to: number): void {
  const actual = new Uint8Array(core.memory.buffer);
  const wanted = new Uint8Array(expected);
  assert.equal(actual.length, wanted.length);
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== wanted[i] && (i < from || i >= to)) {
      assert.fail(`Byte at address ${i} is ${hex(actual[i])}, expected ${hex(wanted[i])}`);
    }
  }
}

/**
 * Asserts that the core memory equals `expected` except for one copy of `staged` somewhere: the
 * glue stages a bitmap in a scratch block of its own choosing before the kernel reads it.
 */
function assertMemoryEqualsExceptStaged(expected: ArrayBufferLike, staged: Uint8Array): void {
  const actual = new Uint8Array(core.memory.buffer);
  const wanted = new Uint8Array(expected);
  const first = actual.findIndex((byte, i) => byte !== wanted[i]);
  if (first < 0) return;
  // The first difference lies inside the copy, so the copy starts at most staged.length before.
  for (let start = Math.max(0, first - staged.length + 1); start <= first; start++) {
    const copy = actual.subarray(start, start + staged.length);
    if (copy.length === staged.length && copy.every((byte, i) => byte === staged[i])) {
      assertMemoryEqualsExcept(expected, start, start + staged.length);
      return;
    }
  }
  assert.fail(`Byte at address ${first} changed outside the staged bitmap`);
}

function withFrames<T>(shapes: Shape[], body: (frames: Frame[]) => T): T {
  const frames = shapes.map((s) => core.allocFrame(s.width, s.height, s.stride));
  try {
    return body(frames);
  } finally {
    for (const frame of frames) core.freeFrame(frame);
  }
}

function withRgb565Frame<T>(shape: Shape, body: (frame: Rgb565Frame) => T): T {
  const frame = core.allocRgb565Frame(shape.width, shape.height, shape.stride);
  try {
    return body(frame);
  } finally {
    core.freeFrame(frame);
  }
}

function assertEinval(action: () => void): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof KernelError);
    assert.equal(error.errno, "EINVAL");
    return true;
  });
}

/** The changed pixels of two frames of one size, found pixel by pixel. */
function changedPixels(a: Frame, b: Frame): { x: number; y: number }[] {
  const changed = [];
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      if (a.pixels[y * a.stride / 4 + x] !== b.pixels[y * b.stride / 4 + x]) changed.push({ x, y });
    }
  }
  return changed;
}

function contains(rect: Rect, x: number, y: number): boolean {
  return x >= rect.x && x < rect.x + rect.width && y >= rect.y && y < rect.y + rect.height;
}

/**
 * Asserts what FbEngine.diff() promises: ordered, disjoint, tile-aligned rectangles inside the
 * frame that cover every changed pixel and hold only tiles with a changed pixel.
 */
function assertDamage(rects: Rect[], a: Frame, b: Frame): void {
  const changed = changedPixels(a, b);
  for (const { x, y } of changed) {
    assert.equal(rects.filter((r) => contains(r, x, y)).length, 1, `pixel ${x},${y}`);
  }
  for (const [i, rect] of rects.entries()) {
    assert.ok(rect.width > 0 && rect.height > 0);
    assert.equal(rect.x % DIFF_TILE, 0);
    assert.equal(rect.y % DIFF_TILE, 0);
    const right = rect.x + rect.width;
    const bottom = rect.y + rect.height;
    assert.ok(right % DIFF_TILE === 0 && right <= a.width || right === a.width);
    assert.ok(bottom % DIFF_TILE === 0 && bottom <= a.height || bottom === a.height);
    for (const other of rects.slice(i + 1)) {
      const apart = other.x >= right || other.x + other.width <= rect.x ||
        other.y >= bottom || other.y + other.height <= rect.y;
      assert.ok(apart, "rectangles overlap");
      assert.ok(other.y > rect.y || other.y === rect.y && other.x > rect.x, "out of order");
    }
    for (let ty = rect.y; ty < bottom; ty += DIFF_TILE) {
      for (let tx = rect.x; tx < right; tx += DIFF_TILE) {
        const tile = { x: tx, y: ty, width: DIFF_TILE, height: DIFF_TILE };
        assert.ok(changed.some((p) => contains(tile, p.x, p.y)), `clean tile ${tx},${ty}`);
      }
    }
  }
}

/** FNV-1a 32 of `bytes`, written from the definition. */
function fnv1a(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (const byte of bytes) hash = Number((BigInt(hash ^ byte) * 0x01000193n) & 0xffffffffn);
  return hash;
}

// ---- layout -----------------------------------------------------------------------------------

Deno.test("FbCore.opsLayout equals the constants the module exports", async () => {
  const bytes = await Deno.readFile(new URL("../../asm/build/fb.wasm", import.meta.url));
  const { instance } = await WebAssembly.instantiate(bytes, {});
  const value = (name: string) => (instance.exports[name] as WebAssembly.Global).value;
  assert.deepEqual(core.opsLayout, {
    rgb565BytesPerPixel: value("RGB565_BYTES_PER_PIXEL"),
    diffTile: value("DIFF_TILE"),
    rectBytes: value("RECT_BYTES"),
  });
  assert.equal(core.opsLayout.diffTile, DIFF_TILE);
  assert.equal(value("FB_ABI_VERSION"), FB_ABI_VERSION);
  assert.equal(FB_ABI_VERSION, 2);
});

Deno.test("FbCore() refuses a module whose diff tile differs from the glue's", async () => {
  const instance = await loadCore("fb");
  const exports = {
    ...instance.exports,
    DIFF_TILE: new WebAssembly.Global({ value: "i32" }, DIFF_TILE * 2),
    memory: new WebAssembly.Memory({ initial: 0 }),
  };
  assert.throws(
    () => new FbCoreClass({ exports } as WebAssembly.Instance),
    new RegExp(`diffTile ${DIFF_TILE * 2}, this glue assumes ${DIFF_TILE}; run`),
  );
});

Deno.test("diffWorkspaceBytes() holds a rectangle per tile and three arrays per tile column", async () => {
  const instance = await loadCore("fb");
  const bytesFor = instance.exports.diffWorkspaceBytes as (w: number, h: number) => number;
  // 1920×1080: 30 × 17 tiles of 16 bytes, then 30 × (4 + 4 + 1) bytes.
  assert.equal(bytesFor(1920, 1080), 30 * 17 * 16 + 30 * 9);
  assert.equal(bytesFor(1, 1), 16 + 9);
});

// ---- RGB565 frames ----------------------------------------------------------------------------

Deno.test("allocRgb565Frame() returns zero-filled, page-aligned frames with 2-byte pixels", () => {
  fc.assert(
    fc.property(shapeArb.chain(rgb565ShapeArb), (shape) => {
      withRgb565Frame(shape, (frame) => {
        assert.equal(frame.offset % PAGE, 0);
        assert.equal(frame.pixels.length * 2, shape.stride * shape.height);
        assert.ok(frame.bytes.every((byte) => byte === 0));
        frame.bytes.fill(0x5a);
      });
      const plain = reference.allocRgb565Frame(shape.width, shape.height, shape.stride);
      assert.equal(plain.pixels.length * 2, shape.stride * shape.height);
    }),
    RUNS,
  );
});

Deno.test("allocRgb565Frame() rejects malformed shapes with RangeError on both engines", () => {
  for (const engine of engines) {
    assert.throws(() => engine.allocRgb565Frame(0, 10), RangeError);
    assert.throws(() => engine.allocRgb565Frame(10, 1.5), RangeError);
    assert.throws(() => engine.allocRgb565Frame(10, 10, 19), RangeError);
    assert.throws(() => engine.allocRgb565Frame(10, 10, 21), RangeError);
  }
});

Deno.test("FbCore refuses frames of the wrong format, freed frames and frames of the reference", () => {
  const rgb565 = core.allocRgb565Frame(4, 4);
  const xrgb = core.allocFrame(4, 4);
  const rect = { x: 0, y: 0, width: 1, height: 1 };
  assert.throws(() => core.fill(rgb565 as unknown as Frame, rect, 0), TypeError);
  assert.throws(() => core.convertToRgb565(xrgb as unknown as Rgb565Frame, xrgb), TypeError);
  assert.throws(() => core.convertToRgb565(rgb565, reference.allocFrame(4, 4)), TypeError);
  assert.throws(() => core.diff(xrgb, reference.allocFrame(4, 4)), TypeError);
  core.freeFrame(rgb565);
  assert.throws(() => rgb565.pixels, TypeError);
  assert.throws(() => core.convertFromRgb565(xrgb, rgb565), TypeError);
  core.freeFrame(xrgb);
  assert.throws(() => core.checksum(xrgb), TypeError);
  assert.throws(() => core.convertToRgba(xrgb), TypeError);
  assert.throws(() => core.mono(xrgb, rect, 0, 0, new Uint8Array(1)), TypeError);
});

// ---- mono -------------------------------------------------------------------------------------

Deno.test("mono() sets 1 bits to fg and 0 bits to bg, most significant bit first", () => {
  for (const engine of engines) {
    const frame = engine.allocFrame(12, 2);
    // 10 pixels wide: 2 bytes per row, the last 6 bits of each row unused.
    const bitmap = new Uint8Array([0b10110011, 0b01000000, 0b00000000, 0b00111111]);
    engine.mono(frame, { x: 1, y: 0, width: 10, height: 2 }, 0xffffff, 0x0000ff, bitmap);
    const text = [...frame.pixels].map((p) => p === 0xffffff ? "#" : p === 0xff ? "." : " ");
    assert.equal(text.join(""), " #.##..##.# " + " .......... ");
  }
});

Deno.test("mono() clipped on the left reads the bitmap from the first visible bit", () => {
  for (const engine of engines) {
    const frame = engine.allocFrame(16, 1);
    // 19 pixels wide starting at x = -3: bitmap pixels 3..18 land on x = 0..15.
    const bitmap = new Uint8Array([0b00010110, 0b01110000, 0b11100000]);
    engine.mono(frame, { x: -3, y: 0, width: 19, height: 1 }, 1, 2, bitmap);
    assert.deepEqual([...frame.pixels], [1, 2, 1, 1, 2, 2, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1]);
  }
});

Deno.test("mono() of the core equals the reference and writes only the clipped rectangle", () => {
  fc.assert(
    fc.property(
      shapeArb,
      monoArgsArb,
      colorArb,
      colorArb,
      seedArb,
      (shape, { rect, bitmap }, fg, bg, seed) => {
        withFrames([shape], ([frame]) => {
          // A first call sizes the staging block, so the checked call allocates nothing.
          core.mono(frame, rect, fg, bg, bitmap);
          scramble(seed);
          const expected = core.memory.buffer.slice(0);
          reference.mono(viewFrame(expected, frame), rect, fg, bg, bitmap);
          core.mono(frame, rect, fg, bg, bitmap);
          assertMemoryEqualsExceptStaged(expected, bitmap);
        });
      },
    ),
    RUNS,
  );
});

Deno.test("mono() rejects malformed rectangles, colors and bitmap lengths with EINVAL", () => {
  const badArgsArb = fc.oneof(
    fc.record({
      rect: fc.record({
        x: fc.oneof(fc.integer({ min: -8, max: 8 }), notIntegerArb),
        y: fc.integer({ min: -8, max: 8 }),
        width: fc.oneof(fc.integer({ min: -100, max: -1 }), notIntegerArb),
        height: fc.nat(8),
      }),
      fg: colorArb,
      bg: colorArb,
      extra: fc.constant(0),
    }),
    fc.record({
      rect: fc.record({ x: fc.nat(8), y: fc.nat(8), width: fc.nat(8), height: fc.nat(8) }),
      fg: fc.oneof(colorArb, notIntegerArb, fc.constantFrom(-1, 2 ** 32)),
      bg: fc.oneof(notIntegerArb, fc.constantFrom(-1, 2 ** 32)),
      extra: fc.constant(0),
    }),
    fc.record({
      rect: fc.record({
        x: fc.nat(8),
        y: fc.nat(8),
        width: fc.integer({ min: 1, max: 24 }),
        height: fc.integer({ min: 1, max: 8 }),
      }),
      fg: colorArb,
      bg: colorArb,
      extra: fc.oneof(fc.integer({ min: -4, max: -1 }), fc.integer({ min: 1, max: 4 })),
    }),
  );
  fc.assert(
    fc.property(badArgsArb, seedArb, ({ rect, fg, bg, extra }, seed) => {
      const width = Number.isSafeInteger(rect.width) ? Math.max(rect.width, 0) : 8;
      const length = Math.max(0, Math.ceil(width / 8) * rect.height + extra);
      const bitmap = new Uint8Array(length).fill(0xff);
      withFrames([{ width: 8, height: 8, stride: 32 }], ([frame]) => {
        scramble(seed);
        const before = core.memory.buffer.slice(0);
        const plain = reference.allocFrame(8, 8);
        assertEinval(() => core.mono(frame, rect as Rect, fg, bg, bitmap));
        assertEinval(() => reference.mono(plain, rect as Rect, fg, bg, bitmap));
        assertMemoryEquals(before);
        assert.ok(plain.pixels.every((pixel) => pixel === 0));
      });
    }),
    RUNS,
  );
});

Deno.test("mono() reads a bitmap that views the core's memory even when staging grows it", async () => {
  // A core of its own whose memory is full, so that staging the bitmap must grow it (and
  // detach every view of the old memory, the bitmap's included).
  const bytes = await Deno.readFile(new URL("../../asm/build/fb.wasm", import.meta.url));
  const own = new FbCoreClass((await WebAssembly.instantiate(bytes, {})).instance);
  const frame = own.allocFrame(16, 2);
  const holder = own.allocFrame(1, 1);
  const free = own.memory.buffer.byteLength - holder.offset - PAGE;
  if (free > 0) own.allocFrame(free / 4, 1);
  const before = own.memory.buffer.byteLength;
  holder.bytes.set([0xf0, 0x0f, 0xaa, 0x55]);
  const rect = { x: 0, y: 0, width: 16, height: 2 };
  own.mono(frame, rect, 7, 0, holder.bytes);
  assert.ok(own.memory.buffer.byteLength > before);
  const expected = reference.allocFrame(16, 2);
  reference.mono(expected, rect, 7, 0, new Uint8Array([0xf0, 0x0f, 0xaa, 0x55]));
  assert.deepEqual([...frame.pixels], [...expected.pixels]);
});

// ---- format conversion ------------------------------------------------------------------------

Deno.test("convertToRgb565() truncates each channel as drm_fb_xrgb8888_to_rgb565() does", () => {
  const inputs = [0x00ffffff, 0x00f8fcf8, 0x00f7fbf7, 0x00070307, 0xff000000, 0x00123456];
  const outputs = [0xffff, 0xffff, 0xf7de, 0x0000, 0x0000, 0x11aa];
  for (const engine of engines) {
    const src = engine.allocFrame(inputs.length, 1);
    const dst = engine.allocRgb565Frame(inputs.length, 1);
    src.pixels.set(inputs);
    engine.convertToRgb565(dst, src);
    assert.deepEqual([...dst.pixels], outputs);
  }
});

Deno.test("convertFromRgb565() widens channels by bit replication with X = 0xff", () => {
  const inputs = [0xf800, 0x07e0, 0x001f, 0x0000, 0x8410, 0x11aa, 0xffff];
  const outputs = [
    0xffff0000,
    0xff00ff00,
    0xff0000ff,
    0xff000000,
    0xff848284,
    0xff103452,
    0xffffffff,
  ];
  for (const engine of engines) {
    const src = engine.allocRgb565Frame(inputs.length, 1);
    const dst = engine.allocFrame(inputs.length, 1);
    src.pixels.set(inputs);
    engine.convertFromRgb565(dst, src);
    assert.deepEqual([...dst.pixels], outputs);
  }
});

Deno.test("convertToRgb565() of the core equals the reference over the whole memory", () => {
  const argsArb = shapeArb.chain((shape) =>
    fc.tuple(fc.constant(shape), rgb565ShapeArb(shape), seedArb)
  );
  fc.assert(
    fc.property(argsArb, ([shape, dstShape, seed]) => {
      withFrames([shape], ([src]) => {
        withRgb565Frame(dstShape, (dst) => {
          scramble(seed);
          const expected = core.memory.buffer.slice(0);
          reference.convertToRgb565(viewRgb565Frame(expected, dst), viewFrame(expected, src));
          core.convertToRgb565(dst, src);
          assertMemoryEquals(expected);
        });
      });
    }),
    RUNS,
  );
});

Deno.test("convertFromRgb565() of the core equals the reference over the whole memory", () => {
  const argsArb = shapeArb.chain((shape) =>
    fc.tuple(fc.constant(shape), rgb565ShapeArb(shape), seedArb)
  );
  fc.assert(
    fc.property(argsArb, ([shape, srcShape, seed]) => {
      withFrames([shape], ([dst]) => {
        withRgb565Frame(srcShape, (src) => {
          scramble(seed);
          const expected = core.memory.buffer.slice(0);
          reference.convertFromRgb565(viewFrame(expected, dst), viewRgb565Frame(expected, src));
          core.convertFromRgb565(dst, src);
          assertMemoryEquals(expected);
        });
      });
    }),
    RUNS,
  );
});

Deno.test("convertFromRgb565() then convertToRgb565() gives back every RGB565 value", () => {
  for (const engine of engines) {
    const src = engine.allocRgb565Frame(256, 256);
    src.pixels.forEach((_, i, pixels) => pixels[i] = i);
    const wide = engine.allocFrame(256, 256, 256 * 4 + 12);
    const back = engine.allocRgb565Frame(256, 256, 256 * 2 + 6);
    engine.convertFromRgb565(wide, src);
    engine.convertToRgb565(back, wide);
    for (let y = 0; y < 256; y++) {
      assert.deepEqual(
        back.pixels.subarray(y * 259, y * 259 + 256),
        src.pixels.subarray(y * 256, y * 256 + 256),
      );
    }
    for (const frame of [src, wide, back]) engine.freeFrame(frame);
  }
});

Deno.test("convertFromRgb565() then convertToRgb565() is the identity for any strides", () => {
  const argsArb = shapeArb.chain((shape) =>
    fc.tuple(fc.constant(shape), rgb565ShapeArb(shape), rgb565ShapeArb(shape), seedArb)
  );
  fc.assert(
    fc.property(argsArb, ([shape, srcShape, backShape, seed]) => {
      for (const engine of engines) {
        const src = engine.allocRgb565Frame(shape.width, shape.height, srcShape.stride);
        const wide = engine.allocFrame(shape.width, shape.height, shape.stride);
        const back = engine.allocRgb565Frame(shape.width, shape.height, backShape.stride);
        pattern(src.pixels, seed);
        engine.convertFromRgb565(wide, src);
        engine.convertToRgb565(back, wide);
        for (let y = 0; y < shape.height; y++) {
          const at = (frame: Rgb565Frame) =>
            frame.pixels.subarray(y * frame.stride / 2, y * frame.stride / 2 + shape.width);
          assert.deepEqual(at(back), at(src));
        }
        for (const frame of [src, wide, back]) engine.freeFrame(frame);
      }
    }),
    RUNS,
  );
});

Deno.test("convertToRgba() writes R, G, B, 255 per pixel with packed rows", () => {
  for (const engine of engines) {
    const frame = engine.allocFrame(2, 2, 16);
    frame.pixels.set([0xab123456, 0x00ffffff, 0x77777777, 0x00000000, 0x01020304, 0xffa0b0c0]);
    assert.deepEqual(
      [...engine.convertToRgba(frame)],
      [
        0x12,
        0x34,
        0x56,
        0xff,
        0xff,
        0xff,
        0xff,
        0xff,
        0x02,
        0x03,
        0x04,
        0xff,
        0xa0,
        0xb0,
        0xc0,
        0xff,
      ],
    );
  }
});

Deno.test("convertToRgba() of the core equals the reference and writes only its result", () => {
  fc.assert(
    fc.property(shapeArb, seedArb, (shape, seed) => {
      withFrames([shape], ([frame]) => {
        // A first call sizes the result buffer, so the checked call allocates nothing.
        core.convertToRgba(frame);
        scramble(seed);
        const expected = core.memory.buffer.slice(0);
        const wanted = reference.convertToRgba(viewFrame(expected, frame));
        const rgba = core.convertToRgba(frame);
        assert.deepEqual(rgba, wanted);
        assert.equal(rgba.buffer, core.memory.buffer);
        assertMemoryEqualsExcept(expected, rgba.byteOffset, rgba.byteOffset + rgba.length);
      });
    }),
    RUNS,
  );
});

Deno.test("convertToRgb565(), convertFromRgb565() and diff() refuse frames of other sizes", () => {
  for (const engine of engines) {
    const frame = engine.allocFrame(4, 3);
    const wider = engine.allocFrame(5, 3);
    const rgb565 = engine.allocRgb565Frame(4, 2);
    assert.throws(() => engine.convertToRgb565(rgb565, frame), RangeError);
    assert.throws(() => engine.convertFromRgb565(frame, rgb565), RangeError);
    assert.throws(() => engine.diff(frame, wider), RangeError);
    for (const f of [frame, wider, rgb565]) engine.freeFrame(f);
  }
});

// ---- diff -------------------------------------------------------------------------------------

/** Two frames of one size with random strides, b a copy of a with a few pixels changed. */
const diffCaseArb = fc.record({
  shape: diffShapeArb,
  seed: seedArb,
  changes: fc.array(
    fc.record({ x: fc.nat(), y: fc.nat(), value: fc.integer({ min: 0, max: 0xffffffff }) }),
    { maxLength: 6 },
  ),
  blocks: fc.array(
    fc.record({ x: fc.nat(), y: fc.nat(), width: fc.nat(140), height: fc.nat(100) }),
    { maxLength: 2 },
  ),
});

type DiffCase = typeof diffCaseArb extends fc.Arbitrary<infer T> ? T : never;

/** Builds the frames of a diff case on `engine`, runs `body`, and frees them. */
function withDiffFrames(engine: FbEngine, c: DiffCase, body: (a: Frame, b: Frame) => void): void {
  const { width, height, aPadding, bPadding } = c.shape;
  const a = engine.allocFrame(width, height, (width + aPadding) * 4);
  const b = engine.allocFrame(width, height, (width + bPadding) * 4);
  try {
    pattern(a.pixels, c.seed);
    pattern(b.pixels, c.seed ^ 0x5bd1e995);
    engine.copy(b, 0, 0, a, { x: 0, y: 0, width, height });
    for (const { x, y, value } of c.changes) {
      b.pixels[(y % height) * b.stride / 4 + x % width] = value;
    }
    for (const block of c.blocks) {
      engine.fill(b, { ...block, x: block.x % width, y: block.y % height }, c.seed);
    }
    body(a, b);
  } finally {
    engine.freeFrame(a);
    engine.freeFrame(b);
  }
}

Deno.test("diff() of the core equals the reference and covers exactly the dirty tiles", () => {
  fc.assert(
    fc.property(diffCaseArb, (c) => {
      let wanted: Rect[] = [];
      withDiffFrames(reference, c, (a, b) => {
        wanted = reference.diff(a, b);
        assertDamage(wanted, a, b);
      });
      withDiffFrames(core, c, (a, b) => {
        const before = [a.bytes.slice(), b.bytes.slice()];
        assert.deepEqual(core.diff(a, b), wanted);
        assert.deepEqual([a.bytes, b.bytes], before);
      });
    }),
    RUNS,
  );
});

Deno.test("diff() of equal frames is empty, whatever their strides and padding", () => {
  fc.assert(
    fc.property(diffShapeArb, seedArb, (shape, seed) => {
      const c = { shape, seed, changes: [], blocks: [] };
      for (const engine of engines) {
        withDiffFrames(engine, c, (a, b) => {
          assert.deepEqual(engine.diff(a, b), []);
          assert.deepEqual(engine.diff(a, a), []);
        });
      }
    }),
    RUNS,
  );
});

Deno.test("diff() merges dirty tiles into row runs and runs of equal span downwards", () => {
  for (const engine of engines) {
    const a = engine.allocFrame(300, 200);
    const b = engine.allocFrame(300, 200);
    // Band 0: tiles 0 and 1 (one run) and tile 4 (the partial right edge, x 256..299).
    b.pixels[5 * 300 + 10] = 1;
    b.pixels[63 * 300 + 127] = 1;
    b.pixels[0 * 300 + 299] = 1;
    // Band 1: tiles 0 and 1 again (extends the first rectangle), tile 3 alone.
    b.pixels[70 * 300 + 3] = 1;
    b.pixels[64 * 300 + 64] = 1;
    b.pixels[100 * 300 + 200] = 1;
    // Band 3 (partial, y 192..199): tiles 0 and 1 after a clean band 2 start a new rectangle.
    b.pixels[199 * 300 + 0] = 1;
    b.pixels[199 * 300 + 64] = 1;
    assert.deepEqual(engine.diff(a, b), [
      { x: 0, y: 0, width: 128, height: 128 },
      { x: 256, y: 0, width: 44, height: 64 },
      { x: 192, y: 64, width: 64, height: 64 },
      { x: 0, y: 192, width: 128, height: 8 },
    ]);
  }
});

Deno.test("diff() ignores the padding between rows", () => {
  for (const engine of engines) {
    const a = engine.allocFrame(3, 2, 16);
    const b = engine.allocFrame(3, 2, 24);
    b.bytes.fill(0xee, 12, 24);
    b.bytes.fill(0xee, 36, 48);
    assert.deepEqual(engine.diff(a, b), []);
  }
});

// ---- checksum ---------------------------------------------------------------------------------

Deno.test("checksum() is FNV-1a 32 over each row's pixel bytes without padding", () => {
  assert.equal(fnv1a(new TextEncoder().encode("a")), 0xe40c292c);
  assert.equal(fnv1a(new TextEncoder().encode("foobar")), 0xbf9cf968);
  fc.assert(
    fc.property(shapeArb, seedArb, (shape, seed) => {
      withFrames([shape], ([frame]) => {
        pattern(frame.pixels, seed);
        const rows = [];
        for (let y = 0; y < shape.height; y++) {
          rows.push(...frame.bytes.subarray(y * shape.stride, y * shape.stride + shape.width * 4));
        }
        const wanted = fnv1a(new Uint8Array(rows));
        const before = core.memory.buffer.slice(0);
        assert.equal(core.checksum(frame), wanted);
        assert.equal(reference.checksum(frame), wanted);
        assertMemoryEquals(before);
      });
    }),
    RUNS,
  );
});

Deno.test("checksum() changes when one pixel changes, on both engines", () => {
  const argsArb = fc.record({
    shape: shapeArb,
    seed: seedArb,
    at: fc.nat(),
    value: fc.integer({ min: 0, max: 0xffffffff }),
  });
  fc.assert(
    fc.property(argsArb, ({ shape, seed, at, value }) => {
      withFrames([shape], ([frame]) => {
        pattern(frame.pixels, seed);
        const index = Math.floor(at / shape.width) % shape.height * shape.stride / 4 +
          at % shape.width;
        fc.pre(frame.pixels[index] !== value);
        const before = core.checksum(frame);
        assert.equal(reference.checksum(frame), before);
        frame.pixels[index] = value;
        assert.notEqual(core.checksum(frame), before);
        assert.notEqual(reference.checksum(frame), before);
        assert.equal(core.checksum(frame), reference.checksum(frame));
      });
    }),
    RUNS,
  );
});

Deno.test("checksum() of the same pixels is the same for any stride", () => {
  for (const engine of engines) {
    const packed = engine.allocFrame(5, 3);
    const padded = engine.allocFrame(5, 3, 32);
    pattern(packed.pixels, 99);
    engine.copy(padded, 0, 0, packed, { x: 0, y: 0, width: 5, height: 3 });
    padded.bytes.fill(0xcc, 20, 32);
    assert.equal(engine.checksum(padded), engine.checksum(packed));
  }
});
