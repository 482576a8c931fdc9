import assert from "node:assert/strict";
import fc from "fast-check";
import { guestDriverOf, GuestFramebuffer } from "../../lib/display/guest_fb.ts";
import { bochsSetBase, bochsSetMode } from "../../lib/display/bochs_drm.ts";
import { BAR_COLORS, CHECKER_COLORS, patternPixel } from "../../lib/display/patterns.ts";
import { readValue } from "../../lib/vfio/access.ts";
import type { VfioDevice } from "../../lib/vfio/device.ts";
import type { FbEngine } from "../../lib/wasm/fb.ts";
import { loadFbCore } from "../../lib/wasm/fb.ts";
import { FbReference } from "../../lib/wasm/fb_reference.ts";
import { create, mttyWorld, openMdev, uuidN, vdevOf } from "../_fixtures.ts";
import { displayWorld, errnoOf, openDisplay } from "./_display_world.ts";

const ENGINES: FbEngine[] = [await loadFbCore(), new FbReference()];
const BAR0 = { name: "bar0" } as const;

/** The pixel the device holds at (x, y) of the guest's framebuffer, read with pread. */
function devicePixel(vdev: VfioDevice, fb: GuestFramebuffer, x: number, y: number): number {
  const { offset, stride } = fb.layout;
  return Number(readValue(vdev, BAR0, BigInt(offset + y * stride + 4 * x), 4));
}

Deno.test("guestDriverOf() binds mdpy-fb and bochs by PCI id, nothing to mtty (ENODEV)", () => {
  const world = displayWorld();
  assert.equal(guestDriverOf(openDisplay(world, "mdpy-vga", uuidN(1)).vdev), "mdpy-fb");
  assert.equal(guestDriverOf(openDisplay(world, "mbochs-small", uuidN(2)).vdev), "bochs");
  const mtty = mttyWorld();
  create(mtty, "mtty-1", uuidN(3));
  const vdev = vdevOf(mtty, uuidN(3));
  openMdev(mtty, vdev.group!, uuidN(3));
  assert.equal(errnoOf(() => guestDriverOf(vdev)), "ENODEV");
});

Deno.test("GuestFramebuffer needs a bochs mode on mbochs (EINVAL) and follows mdpy's fixed mode", () => {
  const world = displayWorld();
  const { vdev } = openDisplay(world, "mbochs-small", uuidN(1));
  assert.equal(errnoOf(() => new GuestFramebuffer(vdev, ENGINES[0]!)), "EINVAL");
  const mdpy = new GuestFramebuffer(openDisplay(world, "mdpy-xga", uuidN(2)).vdev, ENGINES[0]!);
  assert.deepEqual(mdpy.layout, { offset: 0, width: 1024, height: 768, stride: 4096 });
});

/** mdpy's initial gradient pixel on row y of an h-row framebuffer. */
function grey(y: number, h: number): number {
  return Math.floor((y * 255) / h) * 0x01010101;
}

Deno.test("GuestFramebuffer.fill() draws clipped rectangles that the device file reads back", () => {
  for (const engine of ENGINES) {
    const { vdev } = openDisplay(displayWorld(), "mdpy-vga");
    const fb = new GuestFramebuffer(vdev, engine);
    fb.fill({ x: -10, y: -10, width: 20, height: 15 }, 0xff0000);
    fb.fill({ x: 630, y: 470, width: 100, height: 100 }, 0x00ff00);
    assert.equal(devicePixel(vdev, fb, 0, 0), 0xff0000);
    assert.equal(devicePixel(vdev, fb, 9, 4), 0xff0000);
    assert.equal(devicePixel(vdev, fb, 10, 4), grey(4, 480));
    assert.equal(devicePixel(vdev, fb, 9, 5), grey(5, 480));
    assert.equal(devicePixel(vdev, fb, 639, 479), 0x00ff00);
    assert.equal(devicePixel(vdev, fb, 629, 479), grey(479, 480));
    assert.equal(devicePixel(vdev, fb, 0, 480), 0, "nothing below the visible rows");
  }
});

Deno.test("GuestFramebuffer.fill() refuses malformed rectangles and colours with EINVAL", () => {
  const fb = new GuestFramebuffer(openDisplay(displayWorld(), "mdpy-vga").vdev, ENGINES[0]!);
  assert.equal(errnoOf(() => fb.fill({ x: 0, y: 0, width: -1, height: 1 }, 0)), "EINVAL");
  assert.equal(errnoOf(() => fb.fill({ x: 0.5, y: 0, width: 1, height: 1 }, 0)), "EINVAL");
  assert.equal(errnoOf(() => fb.fill({ x: 0, y: 0, width: 1, height: 1 }, 0x1000000)), "EINVAL");
});

Deno.test("GuestFramebuffer.copy() scrolls like fbcon, clipped to the framebuffer", () => {
  for (const engine of ENGINES) {
    const { vdev } = openDisplay(displayWorld(), "mdpy-vga");
    const fb = new GuestFramebuffer(vdev, engine);
    fb.fill({ x: 0, y: 16, width: 640, height: 16 }, 0x123456);
    fb.copy({ x: 0, y: 16, width: 640, height: 464 }, 0, 0);
    assert.equal(devicePixel(vdev, fb, 320, 0), 0x123456);
    assert.equal(devicePixel(vdev, fb, 320, 15), 0x123456);
    assert.equal(devicePixel(vdev, fb, 320, 16), grey(32, 480));
    assert.equal(devicePixel(vdev, fb, 320, 463), grey(479, 480));
    assert.equal(devicePixel(vdev, fb, 320, 464), grey(464, 480), "the last rows stay");
    // Overlapping copy one pixel to the right, partly off screen.
    fb.fill({ x: 636, y: 100, width: 4, height: 1 }, 0xabcdef);
    fb.copy({ x: 636, y: 100, width: 10, height: 1 }, 637, 100);
    assert.deepEqual(
      [636, 637, 638, 639].map((x) => devicePixel(vdev, fb, x, 100)),
      [0xabcdef, 0xabcdef, 0xabcdef, 0xabcdef],
    );
  }
});

Deno.test("GuestFramebuffer.mono() expands glyph bits MSB first, also when clipped", () => {
  for (const engine of ENGINES) {
    const world = displayWorld();
    const { vdev } = openDisplay(world, "mbochs-small");
    bochsSetMode(vdev, 640, 480);
    bochsSetBase(vdev, 4096, 0, 0); // pitch wider than the screen: the frame is wider too
    const fb = new GuestFramebuffer(vdev, engine);
    const glyph = new Uint8Array([0x3c, 0x42]);
    fb.mono({ x: 100, y: 40, width: 8, height: 2 }, 0xffffff, 0x0000ff, glyph);
    const row = (y: number, x0: number, n: number) =>
      Array.from({ length: n }, (_, i) => devicePixel(vdev, fb, x0 + i, y) === 0xffffff ? 1 : 0);
    assert.deepEqual(row(40, 100, 8), [0, 0, 1, 1, 1, 1, 0, 0]);
    assert.deepEqual(row(41, 100, 8), [0, 1, 0, 0, 0, 0, 1, 0]);
    assert.equal(devicePixel(vdev, fb, 100, 40), 0x0000ff);
    fb.mono({ x: -4, y: 0, width: 8, height: 1 }, 0xffffff, 0, new Uint8Array([0x0f]));
    assert.deepEqual(row(0, 0, 4), [1, 1, 1, 1]);
    fb.mono({ x: 636, y: 10, width: 8, height: 1 }, 0xffffff, 0, new Uint8Array([0xf0]));
    assert.deepEqual(row(10, 636, 4), [1, 1, 1, 1]);
    assert.equal(devicePixel(vdev, fb, 640, 10), 0, "not past XRES although the pitch allows");
    assert.equal(
      errnoOf(() => fb.mono({ x: 0, y: 0, width: 9, height: 1 }, 0, 0, new Uint8Array(1))),
      "EINVAL",
    );
  }
});

Deno.test("GuestFramebuffer.pattern() paints every pixel as patterns.ts defines it", () => {
  for (const engine of ENGINES) {
    const { vdev } = openDisplay(displayWorld(), "mbochs-small");
    bochsSetMode(vdev, 800, 600);
    const fb = new GuestFramebuffer(vdev, engine);
    for (const name of ["bars", "gradient", "checker"] as const) {
      fb.pattern(name);
      for (
        const [x, y] of [[0, 0], [99, 5], [100, 5], [401, 333], [799, 599], [63, 31], [64, 32]]
      ) {
        assert.equal(devicePixel(vdev, fb, x!, y!), patternPixel(name, x!, y!, 800), `${name}`);
      }
    }
  }
  assert.equal(patternPixel("bars", 0, 0, 800), BAR_COLORS[0]);
  assert.equal(patternPixel("bars", 799, 0, 800), BAR_COLORS[7]);
  assert.equal(patternPixel("checker", 32, 0, 800), CHECKER_COLORS[1]);
});

Deno.test("GuestFramebuffer draws at the scan-out's offset inside the VRAM", () => {
  const { vdev } = openDisplay(displayWorld(), "mbochs-small");
  bochsSetMode(vdev, 256, 128);
  bochsSetBase(vdev, 1024, 16, 3);
  const fb = new GuestFramebuffer(vdev, ENGINES[0]!);
  assert.deepEqual(fb.layout, { offset: 3 * 1024 + 64, width: 256, height: 128, stride: 1024 });
  fb.fill({ x: 0, y: 0, width: 1, height: 1 }, 0x777777);
  assert.equal(readValue(vdev, BAR0, BigInt(3 * 1024 + 64), 4), 0x777777n);
});

/** The guest framebuffer as a plain array, the model the operations are checked against. */
class ModelFb {
  readonly pixels: Uint32Array;
  constructor(readonly width: number, readonly height: number) {
    this.pixels = new Uint32Array(width * height);
  }
  fill(x: number, y: number, w: number, h: number, color: number) {
    for (let j = Math.max(y, 0); j < Math.min(y + h, this.height); j++) {
      for (let i = Math.max(x, 0); i < Math.min(x + w, this.width); i++) {
        this.pixels[j * this.width + i] = color;
      }
    }
  }
  copy(sx: number, sy: number, dx: number, dy: number, w: number, h: number) {
    const source = this.pixels.slice();
    for (let j = 0; j < h; j++) {
      for (let i = 0; i < w; i++) {
        const [x0, y0, x1, y1] = [sx + i, sy + j, dx + i, dy + j];
        const inside = (x: number, y: number) =>
          x >= 0 && y >= 0 && x < this.width && y < this.height;
        if (inside(x0, y0) && inside(x1, y1)) {
          this.pixels[y1 * this.width + x1] = source[y0 * this.width + x0]!;
        }
      }
    }
  }
}

Deno.test("GuestFramebuffer fill/copy sequences match a plain-array model on both engines", () => {
  const coord = fc.integer({ min: -20, max: 90 });
  const size = fc.integer({ min: 0, max: 90 });
  const op = fc.oneof(
    fc.tuple(
      fc.constant("fill" as const),
      coord,
      coord,
      size,
      size,
      fc.integer({ min: 0, max: 0xffffff }),
    ),
    fc.tuple(fc.constant("copy" as const), coord, coord, coord, coord, size, size),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 12 }), fc.constantFrom(...ENGINES), (ops, engine) => {
      const { vdev } = openDisplay(displayWorld(), "mbochs-small");
      bochsSetMode(vdev, 72, 64);
      const fb = new GuestFramebuffer(vdev, engine);
      fb.fill({ x: 0, y: 0, width: 72, height: 64 }, 0);
      const model = new ModelFb(72, 64);
      for (const o of ops) {
        if (o[0] === "fill") {
          fb.fill({ x: o[1], y: o[2], width: o[3], height: o[4] }, o[5]);
          model.fill(o[1], o[2], o[3], o[4], o[5]);
        } else {
          fb.copy({ x: o[1], y: o[2], width: o[5], height: o[6] }, o[3], o[4]);
          model.copy(o[1], o[2], o[3], o[4], o[5], o[6]);
        }
      }
      const mapping = new Uint32Array(72 * 64);
      const bytes = readBytes(vdev, 72 * 64 * 4);
      mapping.set(new Uint32Array(bytes.buffer, bytes.byteOffset, 72 * 64));
      assert.deepEqual(mapping, model.pixels);
    }),
    { numRuns: 60 },
  );
});

function readBytes(vdev: VfioDevice, length: number): Uint8Array {
  const bytes = vdev.ops.read!(vdev, 0x3000n, length);
  if (typeof bytes === "number") throw new Error(`read failed ${bytes}`);
  return bytes;
}
