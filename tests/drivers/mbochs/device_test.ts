import assert from "node:assert/strict";
import { GFX_PLANE_FLAGS } from "../../../lib/drivers/gfx_plane.ts";
import { closeDmaBufFile, dmaBufFile } from "../../../lib/drivers/mbochs/dmabuf.ts";
import { loadWorld, saveWorld } from "../../../lib/machine.ts";
import { readAttr, writeAttrText } from "../../../lib/sysfs/mod.ts";
import { readValue, regionRead, writeValue } from "../../../lib/vfio/access.ts";
import { vfioClose } from "../../../lib/vfio/core.ts";
import type { VfioDevice } from "../../../lib/vfio/device.ts";
import { getInfo, getIrqInfo, getRegionInfo, reset, setIrqs } from "../../../lib/vfio/ioctl.ts";
import { create, openMdev, remove, uuidN, vdevOf } from "../../_fixtures.ts";
import {
  displayWorld,
  errnoOf,
  getDmabuf,
  openDisplay,
  query,
} from "../../display/_display_world.ts";

const TYPES = "/sys/class/mdev_bus/mbochs/mdev_supported_types";
const MMIO = { name: "bar2" } as const;
const VRAM = { name: "bar0" } as const;
const EDID = { name: "edid" } as const;

function program1024(vdev: VfioDevice): void {
  const regs: Array<[number, number]> = [[4, 0], [3, 32], [1, 1024], [2, 768], [6, 1024], [
    4,
    0x41,
  ]];
  for (const [index, value] of regs) {
    writeValue(vdev, MMIO, BigInt(0x500 + 2 * index), 2, BigInt(value));
  }
}

function pread(vdev: VfioDevice, pos: bigint, length: number): Uint8Array | number {
  return vdev.ops.read!(vdev, pos, length);
}

Deno.test("mbochs registers small, medium, large with names, descriptions and the MiB budget", () => {
  const world = displayWorld();
  const expected = [["mbochs-small", 4, 64], ["mbochs-medium", 16, 16], ["mbochs-large", 64, 4]];
  for (const [id, mbytes, available] of expected) {
    assert.equal(readAttr(world, `${TYPES}/${id}/name`), `${id}\n`);
    assert.equal(
      readAttr(world, `${TYPES}/${id}/description`),
      `virtual display, ${mbytes} MB video memory\n`,
    );
    assert.equal(readAttr(world, `${TYPES}/${id}/device_api`), "vfio-pci\n");
    assert.equal(readAttr(world, `${TYPES}/${id}/available_instances`), `${available}\n`);
  }
});

Deno.test("mbochs reserves MiB at create, fails with ENOSPC when short, returns them at release", () => {
  const world = displayWorld();
  for (let i = 1; i <= 4; i++) assert.equal(create(world, "mbochs-large", uuidN(i)), 37);
  assert.equal(readAttr(world, `${TYPES}/mbochs-small/available_instances`), "0\n");
  assert.equal(
    errnoOf(() => writeAttrText(world, `${TYPES}/mbochs-small/create`, uuidN(9))),
    "ENOSPC",
  );
  remove(world, uuidN(2));
  assert.equal(readAttr(world, `${TYPES}/mbochs-medium/available_instances`), "4\n");
  assert.equal(readAttr(world, `/sys/bus/mdev/devices/${uuidN(1)}/vendor/memory`), "64 MB\n");
});

Deno.test("modprobe mbochs count=N or mem=N sets the budget in MiB", () => {
  const count = displayWorld({ mbochs: { count: "20" } });
  assert.equal(readAttr(count, `${TYPES}/mbochs-small/available_instances`), "5\n");
  assert.equal(readAttr(count, `${TYPES}/mbochs-medium/available_instances`), "1\n");
  assert.equal(readAttr(count, `${TYPES}/mbochs-large/available_instances`), "0\n");
  const mem = displayWorld({ mbochs: { mem: "64" } });
  assert.equal(readAttr(mem, `${TYPES}/mbochs-large/available_instances`), "1\n");
  mem.tasks.run("rmmod", mem.modules.unloadSteps("mbochs", false));
  assert.equal(errnoOf(() => mem.modules.load("mbochs", { count: "lots" })), "EINVAL");
  assert.equal(errnoOf(() => mem.modules.load("mbochs", { size: "4" })), "EINVAL");
});

Deno.test("mbochs GET_INFO and GET_REGION_INFO follow samples.md §4.3", () => {
  const { vdev } = openDisplay(displayWorld(), "mbochs-medium");
  const info = getInfo(vdev);
  assert.deepEqual([info.flags, info.numRegions, info.numIrqs], [2, 10, 5]);
  const region = (index: number) => {
    const r = getRegionInfo(vdev, index);
    return [r.flags, Number(r.size), Number(r.offset)];
  };
  assert.deepEqual(region(7), [0x3, 0xff, 0]);
  assert.deepEqual(region(2), [0x3, 0x1000, 0x1000]);
  assert.deepEqual(region(9), [0xb, 0x1000, 0x2000]);
  assert.deepEqual(region(0), [0x7, 16 << 20, 0x3000]);
  for (const index of [1, 3, 4, 5, 6, 8]) assert.deepEqual(region(index), [0, 0, 0]);
  for (const index of [10, 16]) assert.equal(errnoOf(() => region(index)), "EINVAL");
});

Deno.test("mbochs GET_IRQ_INFO needs no GET_INFO, reports count 0; SET_IRQS is EINVAL", () => {
  const { vdev } = openDisplay(displayWorld(), "mbochs-small");
  for (let index = 0; index < 5; index++) {
    assert.deepEqual([getIrqInfo(vdev, index).count, getIrqInfo(vdev, index).flags], [0, 0]);
  }
  assert.equal(errnoOf(() => getIrqInfo(vdev, 5)), "EINVAL");
  const set = { flags: 0x21, index: 0, start: 0, count: 0, data: new Uint8Array(0) };
  assert.equal(errnoOf(() => setIrqs(vdev, set)), "EINVAL");
});

Deno.test("mbochs read/write dispatch on position and fail with EFAULT elsewhere", () => {
  const { vdev } = openDisplay(displayWorld(), "mbochs-small");
  assert.equal(readValue(vdev, { name: "config" }, 0n, 4), 0x11111234n);
  assert.equal(pread(vdev, 0x100n, 4), -14);
  assert.equal(pread(vdev, 0xffen, 4), -14, "0xFFE lies between config space and the MMIO BAR");
  assert.equal(pread(vdev, 0x3000n + 4n * 1024n * 1024n - 2n, 4), -14);
  assert.equal(pread(vdev, 0x3000n + 4n * 1024n * 1024n, 1), -14);
  writeValue(vdev, VRAM, 0x2000n, 4, 0x01020304n);
  assert.equal(readValue(vdev, VRAM, 0x2000n, 4), 0x01020304n, "correct offsets, not +0x2000");
  assert.equal(readValue(vdev, VRAM, 0x4000n, 4), 0n);
});

Deno.test("mbochs VFIO_DEVICE_RESET resets the VBE registers only", () => {
  const { vdev } = openDisplay(displayWorld(), "mbochs-small");
  program1024(vdev);
  writeValue(vdev, VRAM, 0n, 4, 0xffn);
  writeValue(vdev, EDID, 8n, 4, 128n);
  reset(vdev);
  assert.equal(readValue(vdev, MMIO, 0x502n, 2), 0n);
  assert.equal(readValue(vdev, MMIO, 0x500n, 2), 0xb0c5n);
  assert.equal(readValue(vdev, VRAM, 0n, 4), 0xffn);
  assert.equal(readValue(vdev, EDID, 8n, 4), 128n);
});

Deno.test("mbochs close drops the VRAM; VBE and EDID registers persist into the next open", () => {
  const world = displayWorld();
  const { vdev, handle } = openDisplay(world, "mbochs-small");
  program1024(vdev);
  writeValue(vdev, VRAM, 0x10n, 4, 0xabcdn);
  writeValue(vdev, EDID, 20n, 4, 1n);
  vfioClose(world, handle.id);
  openMdev(world, vdev.group!, uuidN(1));
  assert.equal(readValue(vdev, VRAM, 0x10n, 4), 0n);
  assert.equal(readValue(vdev, MMIO, 0x502n, 2), 1024n);
  assert.equal(readValue(vdev, EDID, 20n, 4), 1n);
});

Deno.test("mbochs close forgets dma-buf descriptors; an exported buffer keeps its pages", () => {
  const world = displayWorld();
  const { vdev, handle } = openDisplay(world, "mbochs-small");
  program1024(vdev);
  errnoOf(() => query(vdev, GFX_PLANE_FLAGS.DMABUF));
  const id = query(vdev, GFX_PLANE_FLAGS.DMABUF).id;
  writeValue(vdev, VRAM, 4n, 4, 0x00112233n);
  const fd = getDmabuf(vdev, id);
  vfioClose(world, handle.id);
  const kept = dmaBufFile(world, fd);
  assert.equal(kept.live, false);
  assert.deepEqual(Array.from(kept.view().subarray(4, 8)), [0x33, 0x22, 0x11, 0]);
  closeDmaBufFile(world, fd);
  openMdev(world, vdev.group!, uuidN(1));
  assert.equal(errnoOf(() => getDmabuf(vdev, id)), "ENOENT");
  assert.equal(errnoOf(() => query(vdev, GFX_PLANE_FLAGS.DMABUF)), "ENOMEM");
  assert.equal(query(vdev, GFX_PLANE_FLAGS.DMABUF).id, 2, "ids are never reused");
  assert.deepEqual(Array.from(regionRead(vdev, VRAM, 4n, 4)), [0, 0, 0, 0]);
});

Deno.test("mbochs state survives save and load: registers, EDID, descriptors, budget", () => {
  const world = displayWorld();
  const { vdev } = openDisplay(world, "mbochs-medium");
  program1024(vdev);
  writeValue(vdev, EDID, 8n, 4, 256n);
  errnoOf(() => query(vdev, GFX_PLANE_FLAGS.DMABUF));
  const loaded = loadWorld(JSON.parse(JSON.stringify(saveWorld(world))));
  const again = vdevOf(loaded, uuidN(1));
  assert.equal(readValue(again, MMIO, 0x504n, 2), 768n);
  assert.equal(readValue(again, EDID, 8n, 4), 256n);
  assert.equal(query(again, GFX_PLANE_FLAGS.DMABUF).id, 1, "the descriptor came along");
  assert.equal(readAttr(loaded, `${TYPES}/mbochs-medium/available_instances`), "15\n");
});
