import assert from "node:assert/strict";
import { decode } from "fast-png";
import type { BlobBackend } from "../../lib/core/blobs.ts";
import { GFX_PLANE_FLAGS } from "../../lib/drivers/gfx_plane.ts";
import { bochsSetMode } from "../../lib/display/bochs_drm.ts";
import { GuestFramebuffer } from "../../lib/display/guest_fb.ts";
import { patternPixel } from "../../lib/display/patterns.ts";
import { DisplayClient, probeDisplay, queryPlane } from "../../lib/display/refresh.ts";
import { loadWorld, saveWorld } from "../../lib/machine.ts";
import type { FbEngine } from "../../lib/wasm/fb.ts";
import { loadFbCore } from "../../lib/wasm/fb.ts";
import { FbReference } from "../../lib/wasm/fb_reference.ts";
import { create, mttyWorld, openMdev, uuidN, vdevOf } from "../_fixtures.ts";
import { displayWorld, errnoOf, openDisplay, query } from "./_display_world.ts";

const core = await loadFbCore();
const ENGINES: FbEngine[] = [core, new FbReference()];

const decoded = new WeakMap<Uint8Array, ReturnType<typeof decode>>();

/** The RGBA of pixel (x, y) of a PNG (decoded once). */
function rgba(png: Uint8Array, x: number, y: number): number[] {
  let image = decoded.get(png);
  if (image === undefined) decoded.set(png, image = decode(png));
  const at = (y * image.width + x) * 4;
  return Array.from(image.data.subarray(at, at + 4));
}

/** 0xRRGGBB as the opaque RGBA bytes a snapshot shows. */
function opaque(color: number): number[] {
  return [(color >> 16) & 0xff, (color >> 8) & 0xff, color & 0xff, 255];
}

class MapBackend implements BlobBackend {
  readonly blobs = new Map<string, Uint8Array>();
  readBlob(name: string) {
    return this.blobs.get(name)?.slice();
  }
  writeBlob(name: string, bytes: Uint8Array) {
    this.blobs.set(name, bytes.slice());
  }
  deleteBlob(name: string) {
    this.blobs.delete(name);
  }
}

Deno.test("probeDisplay() finds dmabuf mode on mbochs, region mode on mdpy, nothing on mtty", () => {
  const world = displayWorld();
  assert.equal(probeDisplay(openDisplay(world, "mbochs-small", uuidN(1)).vdev), "dmabuf");
  assert.equal(probeDisplay(openDisplay(world, "mdpy-vga", uuidN(2)).vdev), "region");
  const mtty = mttyWorld();
  create(mtty, "mtty-2", uuidN(3));
  const vdev = vdevOf(mtty, uuidN(3));
  openMdev(mtty, vdev.group!, uuidN(3));
  assert.equal(errnoOf(() => probeDisplay(vdev)), "ENOTTY");
});

Deno.test("queryPlane() absorbs mbochs' first-query ENOMEM with one retry, as QEMU's next frame", () => {
  const { vdev } = openDisplay(displayWorld(), "mbochs-small");
  bochsSetMode(vdev, 640, 480);
  const plane = queryPlane(vdev, "dmabuf");
  assert.deepEqual([plane.width, plane.height, plane.id], [640, 480, 1]);
  bochsSetMode(vdev, 800, 600);
  assert.equal(queryPlane(vdev, "dmabuf").id, 2);
  assert.equal(query(vdev, GFX_PLANE_FLAGS.DMABUF).id, 2, "no further ENOMEM for the mode");
});

Deno.test("DisplayClient.snapshot() of every mdpy type decodes to its gradient", () => {
  const types = [["mdpy-vga", 640, 480], ["mdpy-xga", 1024, 768], ["mdpy-hd", 1920, 1080]] as const;
  for (const [typeId, width, height] of types) {
    const world = displayWorld();
    const { vdev } = openDisplay(world, typeId);
    const shot = new DisplayClient(world, vdev, core).snapshot()!;
    const image = decode(shot.png);
    assert.deepEqual([image.width, image.height, image.channels, image.depth], [
      width,
      height,
      4,
      8,
    ]);
    for (const y of [0, 1, height >> 1, height - 1]) {
      const g = Math.floor((y * 255) / height);
      for (const x of [0, width >> 1, width - 1]) {
        assert.deepEqual(rgba(shot.png, x, y), [g, g, g, 255], `${typeId} (${x}, ${y})`);
      }
    }
  }
});

Deno.test("DisplayClient.snapshot() shows what the guest drew on mdpy", () => {
  const world = displayWorld();
  const { vdev } = openDisplay(world, "mdpy-xga");
  const fb = new GuestFramebuffer(vdev, core);
  fb.fill({ x: 100, y: 50, width: 200, height: 100 }, 0x3366cc);
  const { png } = new DisplayClient(world, vdev, core).snapshot()!;
  assert.deepEqual(rgba(png, 100, 50), opaque(0x3366cc));
  assert.deepEqual(rgba(png, 299, 149), opaque(0x3366cc));
  const grey = Math.floor((149 * 255) / 768);
  assert.deepEqual(rgba(png, 300, 149), [grey, grey, grey, 255], "the gradient of row 149");
});

Deno.test("DisplayClient.snapshot() of mbochs at two modes decodes to the guest's drawing", () => {
  for (const engine of ENGINES) {
    const world = displayWorld();
    const { vdev } = openDisplay(world, "mbochs-medium");
    const client = new DisplayClient(world, vdev, engine);
    assert.equal(client.snapshot(), undefined, "no mode, no plane");
    bochsSetMode(vdev, 800, 600);
    new GuestFramebuffer(vdev, engine).pattern("bars");
    const bars = client.snapshot()!;
    assert.deepEqual([decode(bars.png).width, decode(bars.png).height], [800, 600]);
    for (const x of [0, 99, 100, 450, 799]) {
      assert.deepEqual(rgba(bars.png, x, 300), opaque(patternPixel("bars", x, 300, 800)));
    }
    bochsSetMode(vdev, 1280, 1024);
    const fb = new GuestFramebuffer(vdev, engine);
    fb.pattern("checker");
    fb.fill({ x: 1200, y: 1000, width: 80, height: 24 }, 0xff8000);
    const checker = client.snapshot()!;
    assert.equal(checker.image.info.stride, 5120);
    assert.deepEqual(rgba(checker.png, 0, 0), opaque(patternPixel("checker", 0, 0, 1280)));
    assert.deepEqual(rgba(checker.png, 40, 10), opaque(patternPixel("checker", 40, 10, 1280)));
    assert.deepEqual(rgba(checker.png, 1279, 1023), opaque(0xff8000));
  }
});

Deno.test("DisplayClient.damage() is the whole plane first, then the tiles changed since", () => {
  for (const engine of ENGINES) {
    const world = displayWorld();
    const { vdev } = openDisplay(world, "mdpy-vga");
    const client = new DisplayClient(world, vdev, engine);
    assert.deepEqual(client.damage(), [{ x: 0, y: 0, width: 640, height: 480 }]);
    client.snapshot();
    assert.deepEqual(client.damage(), []);
    new GuestFramebuffer(vdev, engine).fill({ x: 70, y: 130, width: 10, height: 10 }, 0xffffff);
    assert.deepEqual(client.damage(), [{ x: 64, y: 128, width: 64, height: 64 }]);
    assert.deepEqual(client.damage(), [{ x: 64, y: 128, width: 64, height: 64 }], "not reset");
    client.snapshot();
    assert.deepEqual(client.damage(), []);
  }
});

Deno.test("DisplayClient.damage() compares with a snapshot taken by an earlier command", () => {
  const backend = new MapBackend();
  const world = displayWorld();
  world.blobs.attach(backend);
  const { vdev } = openDisplay(world, "mbochs-small");
  bochsSetMode(vdev, 640, 480);
  new DisplayClient(world, vdev, core).snapshot();
  world.settle();
  world.blobs.flush();
  const next = loadWorld(JSON.parse(JSON.stringify(saveWorld(world))));
  next.blobs.attach(backend);
  const again = vdevOf(next, uuidN(1));
  assert.deepEqual(new DisplayClient(next, again, core).damage(), []);
  new GuestFramebuffer(again, core).fill({ x: 600, y: 0, width: 40, height: 1 }, 0x010101);
  assert.deepEqual(new DisplayClient(next, again, core).damage(), [
    { x: 576, y: 0, width: 64, height: 64 },
  ]);
  bochsSetMode(again, 800, 600);
  assert.deepEqual(new DisplayClient(next, again, core).damage(), [
    { x: 0, y: 0, width: 800, height: 600 },
  ]);
});

Deno.test("DisplayClient.snapshot() refuses a plane whose offset cannot be exported (EINVAL)", () => {
  const world = displayWorld();
  const { vdev } = openDisplay(world, "mbochs-small");
  bochsSetMode(vdev, 640, 480);
  const regs = vdev.ops.write!;
  regs(vdev, 0x1000n + 0x510n, new Uint8Array([1, 0]));
  assert.equal(errnoOf(() => new DisplayClient(world, vdev, core).snapshot()), "EINVAL");
});
