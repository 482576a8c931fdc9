import assert from "node:assert/strict";
import fc from "fast-check";
import {
  dmaMap,
  dmaMappings,
  dmaUnmap,
  guestRamBlobName,
  memRead,
  memWrite,
} from "../../../lib/drivers/vfio_ccw/dma.ts";
import { GUEST_RAM_SIZE } from "../../../lib/drivers/vfio_ccw/cp.ts";
import { decodeGuestRam } from "../../../lib/drivers/vfio_ccw/guest_ram_blob.ts";
import { STATE } from "../../../lib/drivers/vfio_ccw/private.ts";
import { writeRegion } from "../../../lib/drivers/vfio_ccw/regions.ts";
import { KernelError, neg } from "../../../lib/errno.ts";
import { mdevCore } from "../../../lib/mdev/core.ts";
import { mdevCreate } from "../../../lib/mdev/device.ts";
import { vfioClose, vfioOpen } from "../../../lib/vfio/core.ts";
import type { VfioDevice } from "../../../lib/vfio/device.ts";
import { parseScript } from "../../../lib/vfio/script.ts";
import { outcomeText, runScriptLines } from "../../../lib/vfio/script_runner.ts";
import {
  bindVfioCcw,
  ccwWorld,
  createCcwMdev,
  ioRequest,
  loadBlockProgram,
  openCcwDevice,
  openHandle,
  orbAt,
  PROGRAM,
} from "./_world.ts";

function errnoOf(call: () => unknown): string {
  try {
    call();
  } catch (error) {
    if (error instanceof KernelError) return error.errno;
    throw error;
  }
  return "none";
}

Deno.test("dmaMap() refuses empty, unaligned and out-of-RAM ranges, and overlaps", () => {
  const { world, handle } = openCcwDevice("ts", 0x1000);
  fc.assert(
    fc.property(
      fc.bigInt({ min: 0n, max: 1n << 26n }),
      fc.bigInt({ min: 0n, max: 1n << 26n }),
      (iova, size) => {
        const valid = size > 0n && iova % 4096n === 0n && size % 4096n === 0n &&
          iova + size <= BigInt(GUEST_RAM_SIZE);
        fc.pre(!valid);
        assert.equal(errnoOf(() => dmaMap(world, handle, iova, size)), "EINVAL");
      },
    ),
  );
  assert.equal(errnoOf(() => dmaMap(world, handle, 0n, 0x2000n)), "EEXIST");
  dmaMap(world, handle, 0x1000n, 0x1000n);
  assert.deepEqual(dmaMappings(world, handle), [
    { iova: 0, size: 0x1000 },
    { iova: 0x1000, size: 0x1000 },
  ]);
});

Deno.test("dmaUnmap() removes whole mappings and refuses to split one", () => {
  const { world, handle } = openCcwDevice("ts", 0x4000);
  assert.equal(errnoOf(() => dmaUnmap(world, handle, 0x1000n, 0x1000n)), "EINVAL");
  assert.equal(dmaUnmap(world, handle, 0x8000n, 0x1000n), 0);
  assert.equal(dmaUnmap(world, handle, 0n, 0x10000n), 0x4000);
  assert.deepEqual(dmaMappings(world, handle), []);
});

Deno.test("dmaMap() decides what the translator may reach", () => {
  const { world, handle, vdev } = openCcwDevice("ts", 0x1000);
  loadBlockProgram(world, handle, "read", 0);
  assert.equal(writeRegion(vdev, 0n, ioRequest(orbAt(PROGRAM.ccws))), neg("EINVAL"));
  dmaMap(world, handle, 0x1000n, 0xff000n);
  assert.equal(writeRegion(vdev, 0n, ioRequest(orbAt(PROGRAM.ccws))), 124);
});

Deno.test("dmaUnmap() of a page the running program pinned resets the device (§2.13)", () => {
  const world = ccwWorld();
  bindVfioCcw(world);
  const vdev = createCcwMdev(world);
  const handle = openHandle(world, vdev);
  dmaMap(world, handle, 0n, 0x10000n);
  dmaMap(world, handle, 0x10000n, 0x20000n);
  dmaMap(world, handle, 0x80000n, 0x10000n);
  loadBlockProgram(world, handle, "read", 0);
  writeRegion(vdev, 0n, ioRequest(orbAt(PROGRAM.ccws)));
  assert.equal(vdev.priv.state, STATE.CP_PENDING);
  // Nothing of the program lives at 0x80000: no reset.
  dmaUnmap(world, handle, 0x80000n, 0x10000n);
  assert.equal(vdev.priv.state, STATE.CP_PENDING);
  assert.equal(vdev.priv.cp.initialized, true);
  // The data buffer at 0x20000 was pinned: CLOSE + OPEN frees the program.
  dmaUnmap(world, handle, 0x10000n, 0x20000n);
  assert.equal(vdev.priv.state, STATE.IDLE);
  assert.equal(vdev.priv.cp.initialized, false);
  assert.ok(world.logLines.some((l) => l.endsWith("state CP_PENDING event CLOSE")));
});

Deno.test("memWrite() and memRead() reach the handle's RAM without a mapping, EFAULT beyond", () => {
  const world = ccwWorld();
  bindVfioCcw(world);
  const handle = openHandle(world, createCcwMdev(world));
  memWrite(world, handle, 0x123n, new Uint8Array([1, 2, 3]));
  assert.deepEqual(memRead(world, handle, 0x122n, 5), new Uint8Array([0, 1, 2, 3, 0]));
  assert.equal(
    errnoOf(() => memRead(world, handle, BigInt(GUEST_RAM_SIZE) - 1n, 2)),
    "EFAULT",
  );
  assert.equal(errnoOf(() => memWrite(world, handle, 1n << 63n, new Uint8Array(1))), "EFAULT");
});

Deno.test("guest RAM goes to one blob per handle once used, and away with the handle", () => {
  const world = ccwWorld();
  bindVfioCcw(world);
  const vdev = createCcwMdev(world);
  const unused = openHandle(world, vdev);
  const handle = openHandle(world, vdev);
  memWrite(world, handle, 0x5000n, new Uint8Array([0xab]));
  world.settle();
  const blob = world.blobs.get(guestRamBlobName(handle));
  assert.ok(blob !== undefined);
  const ram = new Uint8Array(GUEST_RAM_SIZE);
  decodeGuestRam(blob, ram);
  assert.equal(ram[0x5000], 0xab);
  assert.equal(world.blobs.get(guestRamBlobName(unused)), undefined);
  vfioClose(world, handle);
  world.settle();
  assert.equal(world.blobs.get(guestRamBlobName(handle)), undefined);
});

Deno.test("memRead() gives every handle its own RAM", () => {
  const world = ccwWorld();
  bindVfioCcw(world);
  const vdev = createCcwMdev(world);
  const first = openHandle(world, vdev);
  const second = openHandle(world, vdev);
  memWrite(world, first, 0x100n, new Uint8Array([1]));
  memWrite(world, second, 0x100n, new Uint8Array([2]));
  assert.deepEqual(memRead(world, first, 0x100n, 1), new Uint8Array([1]));
  assert.deepEqual(memRead(world, second, 0x100n, 1), new Uint8Array([2]));
});

Deno.test("runScriptLines() runs dma and mem lines on vfio-ccw handles only", () => {
  const world = ccwWorld();
  bindVfioCcw(world);
  const ccw = openHandle(world, createCcwMdev(world));
  const script = parseScript(
    "dma map 0 0x100000\nmem write 0x10 00ff\nmem read 0x10 2\n" +
      "dma unmap 0 0x100000\ndma map 0 3\n",
  );
  assert.deepEqual(
    runScriptLines(world, ccw, script).map(outcomeText),
    ["ok", "ok", "00ff", "ok", "error EINVAL"],
  );
  world.modules.load("mtty", {});
  const parent = mdevCore(world).parentNamed("mtty")!;
  const uuid = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1009";
  mdevCreate(parent.type("mtty-1")!, uuid);
  const vdev = mdevCore(world).list.get(uuid)!.driverData as VfioDevice;
  const mtty = vfioOpen(world, vdev.group!, uuid, "/dev/vfio/x").id;
  assert.deepEqual(
    runScriptLines(world, mtty, parseScript("dma map 0 0x1000\nmem read 0 1\n")).map(outcomeText),
    ["error EINVAL", "error EINVAL"],
  );
});
