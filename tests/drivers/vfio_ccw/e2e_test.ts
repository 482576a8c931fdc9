import assert from "node:assert/strict";
import type { BlobBackend } from "../../../lib/core/blobs.ts";
import type { World } from "../../../lib/core/world.ts";
import type { CcwEngineKind } from "../../../lib/drivers/vfio_ccw/cp.ts";
import { memRead, memWrite } from "../../../lib/drivers/vfio_ccw/dma.ts";
import { STATE, type VfioCcwDevice } from "../../../lib/drivers/vfio_ccw/private.ts";
import { writeRegion } from "../../../lib/drivers/vfio_ccw/regions.ts";
import { loadWorld, saveWorld } from "../../../lib/machine.ts";
import { mdevCore } from "../../../lib/mdev/core.ts";
import { vfioCore } from "../../../lib/vfio/core.ts";
import {
  hexBytes,
  ioRequest,
  loadBlockProgram,
  openCcwDevice,
  orbAt,
  PROGRAM,
  regionIrb,
  subchannel,
  UUID,
} from "./_world.ts";

const BLOCK = 7;

/** 4 KiB that differ from block to block and byte to byte. */
function pattern(seed: number): Uint8Array {
  return Uint8Array.from({ length: 4096 }, (_, i) => (i * 31 + seed * 7 + (i >> 8)) & 0xff);
}

/** Runs the SEEK + READ/WRITE program through the I/O region and lets the channel run. */
function runBlockProgram(
  world: World,
  handle: number,
  vdev: VfioCcwDevice,
  command: "write" | "read",
): void {
  loadBlockProgram(world, handle, command, BLOCK);
  assert.equal(writeRegion(vdev, 0n, ioRequest(orbAt(PROGRAM.ccws))), 124);
  assert.equal(vdev.priv.state, STATE.CP_PENDING);
  world.settle();
  assert.equal(vdev.priv.state, STATE.IDLE);
  assert.equal(vdev.priv.cp.initialized, false);
  // Channel end + device end, primary + secondary + status pending, CPA mapped back to the
  // guest address one past the last CCW (0x1008 + 8).
  assert.deepEqual(regionIrb(vdev).subarray(0, 12), hexBytes("00 c0 40 07 00001010 0c 00 0000"));
}

for (const engine of ["wasm", "ts"] as CcwEngineKind[]) {
  Deno.test(`vfio-ccw writes 4 KiB to the DASD and reads it back (${engine} engine)`, () => {
    const { world, handle, vdev, sch } = openCcwDevice(engine);
    const eventfd = vfioCore(world).eventfd();
    vdev.priv.ioTrigger = eventfd;
    const data = pattern(1);
    memWrite(world, handle, BigInt(PROGRAM.data), data);
    runBlockProgram(world, handle, vdev, "write");
    assert.deepEqual(sch.device!.writtenBlocks(), [BLOCK]);
    memWrite(world, handle, BigInt(PROGRAM.data), new Uint8Array(4096));
    runBlockProgram(world, handle, vdev, "read");
    assert.deepEqual(memRead(world, handle, BigInt(PROGRAM.data), 4096), data);
    assert.equal(vfioCore(world).eventfds.get(eventfd), 2);
  });
}

/** An in-memory blob store standing in for the state root. */
function memoryBackend(): BlobBackend {
  const blobs = new Map<string, Uint8Array>();
  return {
    readBlob: (name) => blobs.get(name)?.slice(),
    writeBlob: (name, bytes) => void blobs.set(name, bytes.slice()),
    deleteBlob: (name) => void blobs.delete(name),
  };
}

/** What a CLI command does between two invocations: settle, flush, save, load. */
function reload(world: World, backend: BlobBackend): World {
  world.settle();
  world.blobs.flush();
  const next = loadWorld(JSON.parse(JSON.stringify(saveWorld(world))));
  next.blobs.attach(backend);
  return next;
}

Deno.test("vfio-ccw devices, handles and guest RAM survive a save and load", () => {
  const backend = memoryBackend();
  const first = openCcwDevice("wasm");
  first.world.blobs.attach(backend);
  const data = pattern(2);
  memWrite(first.world, first.handle, BigInt(PROGRAM.data), data);
  runBlockProgram(first.world, first.handle, first.vdev, "write");

  const world = reload(first.world, backend);
  const vdev = mdevCore(world).list.get(UUID)!.driverData as VfioCcwDevice;
  assert.equal(vdev.priv.state, STATE.IDLE);
  assert.equal(vdev.priv.cp.kind, "wasm");
  assert.equal(subchannel(world).pmcw.enabled, true);
  assert.deepEqual(memRead(world, first.handle, BigInt(PROGRAM.data), 4096), data);
  memWrite(world, first.handle, BigInt(PROGRAM.data), new Uint8Array(4096));
  runBlockProgram(world, first.handle, vdev, "read");

  const again = reload(world, backend);
  assert.deepEqual(memRead(again, first.handle, BigInt(PROGRAM.data), 4096), data);
});

Deno.test("a program still pending at a save is translated again after the load", () => {
  const backend = memoryBackend();
  const { world, handle, vdev } = openCcwDevice("ts");
  world.blobs.attach(backend);
  loadBlockProgram(world, handle, "read", BLOCK);
  writeRegion(vdev, 0n, ioRequest(orbAt(PROGRAM.ccws)));
  const pinned = vdev.priv.cp.engine.pinnedPages();
  // Keep the channel from taking the program: what is saved is "translated, not yet run".
  subchannel(world).io.started = null;
  world.settle();
  assert.equal(vdev.priv.state, STATE.CP_PENDING);
  world.blobs.flush();
  const next = loadWorld(JSON.parse(JSON.stringify(saveWorld(world))));
  next.blobs.attach(backend);
  const restored = mdevCore(next).list.get(UUID)!.driverData as VfioCcwDevice;
  assert.equal(restored.priv.cp.initialized, true);
  assert.deepEqual(restored.priv.cp.engine.pinnedPages(), pinned);
});
