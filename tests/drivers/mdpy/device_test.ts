import assert from "node:assert/strict";
import type { BlobBackend } from "../../../lib/core/blobs.ts";
import { vfioMmap } from "../../../lib/drivers/device_memory.ts";
import { DRM_PLANE_TYPE, GFX_PLANE_FLAGS } from "../../../lib/drivers/gfx_plane.ts";
import { loadWorld, saveWorld } from "../../../lib/machine.ts";
import { mdevCore } from "../../../lib/mdev/core.ts";
import { readAttr, writeAttrText } from "../../../lib/sysfs/mod.ts";
import { readValue, regionRead, regionWrite, writeValue } from "../../../lib/vfio/access.ts";
import { vfioClose } from "../../../lib/vfio/core.ts";
import type { VfioDevice } from "../../../lib/vfio/device.ts";
import {
  deviceIoctl,
  getInfo,
  getIrqInfo,
  getRegionInfo,
  reset,
  setIrqs,
} from "../../../lib/vfio/ioctl.ts";
import { putU32, VFIO } from "../../../lib/vfio/uapi.ts";
import { create, remove, uuidN, vdevOf } from "../../_fixtures.ts";
import {
  displayWorld,
  errnoOf,
  getDmabuf,
  openDisplay,
  query,
} from "../../display/_display_world.ts";

const TYPES = "/sys/class/mdev_bus/mdpy/mdev_supported_types";
const SIZES = {
  "mdpy-vga": [640, 480, 0x200000],
  "mdpy-xga": [1024, 768, 0x400000],
  "mdpy-hd": [1920, 1080, 0x800000],
} as const;
const BAR0 = { name: "bar0" } as const;
const CONFIG = { name: "config" } as const;

/** A pread of the raw device file at `pos`. */
function pread(vdev: VfioDevice, pos: bigint, length: number): Uint8Array | number {
  return vdev.ops.read!(vdev, pos, length);
}

/** Blobs kept in a Map, as the state store keeps them in files. */
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

Deno.test("mdpy registers types vga, xga, hd with names, descriptions and vfio-pci", () => {
  const world = displayWorld();
  for (const [id, [w, h]] of Object.entries(SIZES)) {
    assert.equal(readAttr(world, `${TYPES}/${id}/name`), `${id}\n`);
    assert.equal(
      readAttr(world, `${TYPES}/${id}/description`),
      `virtual display, ${w}x${h} framebuffer\n`,
    );
    assert.equal(readAttr(world, `${TYPES}/${id}/device_api`), "vfio-pci\n");
    assert.equal(readAttr(world, `${TYPES}/${id}/available_instances`), "4\n");
  }
});

Deno.test("mdpy allows 4 devices across all types, then create fails with EUSERS", () => {
  const world = displayWorld();
  assert.equal(create(world, "mdpy-vga", uuidN(1)), 37);
  assert.equal(create(world, "mdpy-hd", uuidN(2)), 37);
  assert.equal(create(world, "mdpy-xga", uuidN(3)), 37);
  assert.equal(readAttr(world, `${TYPES}/mdpy-vga/available_instances`), "1\n");
  assert.equal(create(world, "mdpy-hd", uuidN(4)), 37);
  assert.equal(readAttr(world, `${TYPES}/mdpy-xga/available_instances`), "0\n");
  assert.equal(errnoOf(() => writeAttrText(world, `${TYPES}/mdpy-vga/create`, uuidN(5))), "EUSERS");
  remove(world, uuidN(2));
  assert.equal(readAttr(world, `${TYPES}/mdpy-hd/available_instances`), "1\n");
});

Deno.test("modprobe mdpy count=N sets max_instances; a count that is no int is EINVAL", () => {
  const world = displayWorld({ mdpy: { count: "2" } });
  assert.equal(readAttr(world, `${TYPES}/mdpy-hd/available_instances`), "2\n");
  world.tasks.run("rmmod mdpy", world.modules.unloadSteps("mdpy", false));
  for (const count of ["four", "", "0x", "2147483648"]) {
    assert.equal(errnoOf(() => world.modules.load("mdpy", { count })), "EINVAL", count);
  }
  world.modules.load("mdpy", { count: "0x10" });
  assert.equal(readAttr(world, `${TYPES}/mdpy-vga/available_instances`), "16\n");
});

Deno.test("an mdpy device shows vendor/resolution as WxH", () => {
  const world = displayWorld();
  openDisplay(world, "mdpy-xga");
  assert.equal(
    readAttr(world, `/sys/bus/mdev/devices/${uuidN(1)}/vendor/resolution`),
    "1024x768\n",
  );
});

Deno.test("mdpy GET_INFO reports PCI, 9 regions, 5 IRQs; GET_IRQ_INFO needs it first", () => {
  const { vdev } = openDisplay(displayWorld(), "mdpy-vga");
  assert.equal(errnoOf(() => getIrqInfo(vdev, 0)), "EINVAL");
  const info = getInfo(vdev);
  assert.deepEqual([info.flags, info.numRegions, info.numIrqs], [2, 9, 5]);
  for (let index = 0; index < 5; index++) {
    const irq = getIrqInfo(vdev, index);
    assert.deepEqual([irq.count, irq.flags], [0, 0]);
  }
  assert.equal(errnoOf(() => getIrqInfo(vdev, 5)), "EINVAL");
});

Deno.test("mdpy GET_REGION_INFO: config, BAR0 and display region 16 at PAGE_SIZE, else zeros", () => {
  for (const [typeId, [, , fbSize]] of Object.entries(SIZES)) {
    const { vdev } = openDisplay(displayWorld(), typeId);
    const region = (index: number) => {
      const r = getRegionInfo(vdev, index);
      return [r.flags, Number(r.size), Number(r.offset)];
    };
    assert.deepEqual(region(7), [0x3, 0xff, 0]);
    assert.deepEqual(region(0), [0x7, fbSize, 0x1000]);
    assert.deepEqual(region(16), [0x7, fbSize, 0x1000]);
    for (const index of [1, 2, 3, 4, 5, 6, 8]) assert.deepEqual(region(index), [0, 0, 0]);
    for (const index of [9, 10, 15, 17, 100]) assert.equal(errnoOf(() => region(index)), "EINVAL");
  }
});

Deno.test("mdpy refuses SET_IRQS with EINVAL, GET_GFX_DMABUF and unknown ioctls with ENOTTY", () => {
  const { vdev } = openDisplay(displayWorld(), "mdpy-vga");
  getInfo(vdev);
  const trigger = { flags: 0x21, index: 0, start: 0, count: 0, data: new Uint8Array(0) };
  assert.equal(errnoOf(() => setIrqs(vdev, trigger)), "EINVAL");
  assert.equal(errnoOf(() => getDmabuf(vdev, 1)), "ENOTTY");
  assert.equal(errnoOf(() => deviceIoctl(vdev, 0x3b99, new Uint8Array(16))), "ENOTTY");
  const shortArg = new Uint8Array(32);
  putU32(shortArg, 0, 31);
  putU32(shortArg, 8, 7);
  assert.equal(errnoOf(() => deviceIoctl(vdev, VFIO.DEVICE_GET_REGION_INFO, shortArg)), "EINVAL");
});

Deno.test("mdpy QUERY_GFX_PLANE answers region mode with the type's plane in region 16", () => {
  for (const [typeId, [w, h, fbSize]] of Object.entries(SIZES)) {
    const { vdev } = openDisplay(displayWorld(), typeId);
    const plane = query(vdev, GFX_PLANE_FLAGS.REGION);
    assert.deepEqual(
      [plane.drmFormat, plane.width, plane.height, plane.stride, plane.size, plane.id],
      [0x34325258, w, h, w * 4, fbSize, 16],
    );
    assert.equal(plane.drmFormatMod, 0n);
    assert.deepEqual([plane.xPos, plane.yPos, plane.xHot, plane.yHot], [0, 0, 0, 0]);
  }
});

Deno.test("mdpy QUERY_GFX_PLANE checks argsz and flags; probes only PROBE|REGION", () => {
  const { vdev } = openDisplay(displayWorld(), "mdpy-vga");
  const { PROBE, DMABUF, REGION } = GFX_PLANE_FLAGS;
  assert.equal(errnoOf(() => query(vdev, REGION, DRM_PLANE_TYPE.PRIMARY, 59)), "EINVAL");
  assert.equal(errnoOf(() => query(vdev, REGION, DRM_PLANE_TYPE.PRIMARY, 60)), undefined);
  assert.equal(errnoOf(() => query(vdev, PROBE | REGION)), undefined);
  for (
    const flags of [PROBE, PROBE | DMABUF, PROBE | REGION | DMABUF, DMABUF, 0, REGION | DMABUF]
  ) {
    assert.equal(errnoOf(() => query(vdev, flags)), "EINVAL", `flags ${flags}`);
  }
  // The probe copies the request back unchanged.
  assert.equal(query(vdev, PROBE | REGION).width, 0);
});

Deno.test("mdpy QUERY_GFX_PLANE ignores the plane type: a cursor query returns the framebuffer", () => {
  const { vdev } = openDisplay(displayWorld(), "mdpy-xga");
  const cursor = query(vdev, GFX_PLANE_FLAGS.REGION, DRM_PLANE_TYPE.CURSOR);
  assert.deepEqual([cursor.width, cursor.height, cursor.id], [1024, 768, 16]);
});

Deno.test("mdpy's framebuffer starts as the grey gradient ⌊y·255/height⌋, zero past the rows", () => {
  for (const [typeId, [w, h, fbSize]] of Object.entries(SIZES)) {
    const { vdev } = openDisplay(displayWorld(), typeId);
    const mapping = vfioMmap(vdev, { offset: 0x1000n, length: fbSize, shared: true });
    assert.ok(typeof mapping !== "number");
    const fb = mapping.memory.read();
    for (let y = 0; y < h; y++) {
      const row = fb.subarray(y * w * 4, (y + 1) * w * 4);
      assert.ok(row.every((b) => b === Math.floor((y * 255) / h)), `${typeId} row ${y}`);
    }
    assert.ok(fb.subarray(w * h * 4).every((b) => b === 0));
    // The same bytes through read(2).
    assert.equal(
      readValue(vdev, BAR0, BigInt(w * 4 * (h - 1)), 4),
      BigInt(0x01010101 * fb[w * 4 * (h - 1)]!),
    );
  }
});

Deno.test("mdpy read/write reach the framebuffer at the right offset (the sample's bug is not kept)", () => {
  const { vdev } = openDisplay(displayWorld(), "mdpy-vga");
  writeValue(vdev, BAR0, 0x1234n, 4, 0xdeadbeefn);
  regionWrite(vdev, { index: 16 }, 0x2000n, new Uint8Array([1, 2, 3]));
  assert.equal(readValue(vdev, BAR0, 0x1234n, 4), 0xdeadbeefn);
  assert.deepEqual(Array.from(regionRead(vdev, BAR0, 0x2000n, 3)), [1, 2, 3]);
  assert.equal(readValue(vdev, BAR0, 0n, 4), 0n, "byte 0 is not hit by other accesses");
});

Deno.test("mdpy read/write fail with EFAULT outside config and the framebuffer", () => {
  const { vdev } = openDisplay(displayWorld(), "mdpy-vga");
  assert.ok(pread(vdev, 0xfcn, 4) instanceof Uint8Array);
  assert.equal(pread(vdev, 0xfen, 4), -14, "the second piece starts at 0x100");
  assert.equal(pread(vdev, 0x100n, 1), -14);
  assert.equal(pread(vdev, 0xfffn, 1), -14);
  assert.equal(pread(vdev, 0x1000n + 0x200000n - 4n, 4) instanceof Uint8Array, true);
  assert.equal(pread(vdev, 0x1000n + 0x200000n - 2n, 4), -14);
  assert.equal(vdev.ops.write!(vdev, 0x1000n + 0x200000n, new Uint8Array(1)), -14);
});

Deno.test("mdpy config writes through the device file size BAR0 and ignore the rest", () => {
  const { vdev } = openDisplay(displayWorld(), "mdpy-hd");
  writeValue(vdev, CONFIG, 0x10n, 4, 0xffffffffn);
  writeValue(vdev, CONFIG, 0x04n, 4, 0x7n);
  writeValue(vdev, CONFIG, 0x3cn, 1, 0xan);
  assert.equal(readValue(vdev, CONFIG, 0x10n, 4), 0xff800008n);
  assert.equal(readValue(vdev, CONFIG, 0x04n, 4), 0x00100003n);
  assert.equal(readValue(vdev, CONFIG, 0x3cn, 1), 0n);
});

Deno.test("mdpy VFIO_DEVICE_RESET repaints the gradient rows and leaves the rest", () => {
  const { vdev } = openDisplay(displayWorld(), "mdpy-vga");
  writeValue(vdev, BAR0, 0n, 4, 0x11223344n);
  writeValue(vdev, BAR0, 0x1fff00n, 4, 0x55667788n);
  reset(vdev);
  assert.equal(readValue(vdev, BAR0, 0n, 4), 0n);
  assert.equal(readValue(vdev, BAR0, 2560n * 479n, 1), BigInt(Math.floor((479 * 255) / 480)));
  assert.equal(readValue(vdev, BAR0, 0x1fff00n, 4), 0x55667788n);
});

Deno.test("mdpy mmap accepts only the BAR at PAGE_SIZE, shared, up to fbsize", () => {
  const { vdev } = openDisplay(displayWorld(), "mdpy-vga");
  const map = (offset: bigint, length: number, shared = true) =>
    vfioMmap(vdev, { offset, length, shared });
  const mapping = map(0x1000n, 0x200000);
  assert.ok(typeof mapping !== "number");
  assert.equal(mapping.memory.size, 0x200000);
  assert.equal(map(0x1000n, 4096, false), -22);
  assert.equal(map(0x1000n, 0x200001), -22);
  assert.equal(map(0n, 4096), -22);
  assert.equal(map(0x2000n, 4096), -22);
  assert.equal(map(0x1800n, 4096), -22);
  assert.equal(map(0x1000n, 0), -22);
});

Deno.test("mdpy's framebuffer persists in its blob across save and load, and goes with the device", () => {
  const backend = new MapBackend();
  const world = displayWorld();
  world.blobs.attach(backend);
  const { vdev, handle } = openDisplay(world, "mdpy-vga");
  writeValue(vdev, BAR0, 0x100n, 4, 0xcafef00dn);
  world.settle();
  world.blobs.flush();
  assert.equal(backend.blobs.size, 1);
  const json = JSON.parse(JSON.stringify(saveWorld(world)));
  assert.ok(!JSON.stringify(json).includes("cafef00d"));
  const loaded = loadWorld(json);
  loaded.blobs.attach(backend);
  const again = vdevOf(loaded, uuidN(1));
  assert.equal(readValue(again, BAR0, 0x100n, 4), 0xcafef00dn);
  vfioClose(loaded, handle.id);
  remove(loaded, uuidN(1));
  loaded.blobs.flush();
  assert.equal(backend.blobs.size, 0);
  assert.equal(mdevCore(loaded).list.size, 0);
});
