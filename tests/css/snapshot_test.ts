import assert from "node:assert/strict";
import type { BlobBackend } from "../../lib/core/blobs.ts";
import { deviceReleaseDriver } from "../../lib/core/binding.ts";
import type { World } from "../../lib/core/world.ts";
import { CCW_CMD, CCW_FLAG } from "../../lib/css/ccw.ts";
import { msch, ssch, tsch } from "../../lib/css/cio.ts";
import { setChannelPath } from "../../lib/css/chp.ts";
import { cssCore } from "../../lib/css/core.ts";
import { cssDetachDevice } from "../../lib/css/hotplug.ts";
import type { Subchannel } from "../../lib/css/subchannel.ts";
import { bootWorld, loadWorld, saveWorld, type WorldSnapshot } from "../../lib/machine.ts";
import { Host, orb, pattern, scswOf } from "./_harness.ts";

/** A blob store in a Map that counts reads. */
function countingBackend(): BlobBackend & { reads: string[]; blobs: Map<string, Uint8Array> } {
  const blobs = new Map<string, Uint8Array>();
  const reads: string[] = [];
  return {
    blobs,
    reads,
    readBlob(name) {
      reads.push(name);
      return blobs.get(name)?.slice();
    },
    writeBlob(name, bytes) {
      blobs.set(name, bytes.slice());
    },
    deleteBlob(name) {
      blobs.delete(name);
    },
  };
}

function roundTrip(world: World): World {
  return loadWorld(JSON.parse(JSON.stringify(saveWorld(world))) as WorldSnapshot);
}

/** 0.0.0003 unbound (so nothing fetches its interrupts) and enabled by hand. */
function unboundSubchannel(world: World): Subchannel {
  const sch = cssCore(world).subchannel("0.0.0003")!;
  world.tasks.run("unbind", deviceReleaseDriver(sch));
  assert.equal(msch(sch, { enabled: true }), 0);
  return sch;
}

/** SEEK `block` + WRITE 4 KiB from 0x10000 (then an invalid command when `fail`). */
function writeProgram(host: Host, block: number, fail = false): Uint8Array {
  host.u32(0x3000, block);
  host.ccws(
    0x1000,
    { cmd: CCW_CMD.SEEK, flags: CCW_FLAG.CC, count: 4, cda: 0x3000 },
    { cmd: CCW_CMD.WRITE, flags: fail ? CCW_FLAG.CC : 0, count: 4096, cda: 0x10000 },
    { cmd: 0x05, flags: 0, count: 1, cda: 0 },
  );
  return orb(0x1000);
}

Deno.test("saveWorld() and loadWorld() keep subchannels, drivers, disks and pending status", () => {
  const world = bootWorld();
  const sch = unboundSubchannel(world);
  sch.pmcw.csense = false;
  const host = new Host();
  host.bytes.set(pattern(9), 0x10000);
  assert.equal(ssch(sch, writeProgram(host, 12, true), host.bytes), 0);
  world.settle();
  setChannelPath(world, 0x50, false);
  const before = sch.stsch()!;
  const next = roundTrip(world);
  const core = cssCore(next);
  assert.deepEqual(core.subchannels().map((s) => [s.schid, s.driver?.name ?? null]), [
    ["0.0.0000", "io_subchannel"],
    ["0.0.0001", "io_subchannel"],
    ["0.0.0002", "io_subchannel"],
    ["0.0.0003", null],
  ]);
  assert.equal(core.root.name, "css0");
  assert.deepEqual([...core.chps], [[0x50, false]]);
  const restored = core.subchannel("0.0.0003")!;
  assert.deepEqual(restored.stsch(), before);
  assert.equal(restored.device!.position, 13);
  assert.equal(restored.device!.sense[0], 0x80);
  assert.deepEqual(restored.device!.writtenBlocks(), [12]);
  const irb = tsch(restored)!;
  assert.deepEqual([scswOf(irb).dstat, scswOf(irb).cpa], [0x0e, 0x1000 + 24]);
  assert.equal(tsch(restored), null);
  assert.deepEqual(
    core.subchannels().map((s) => s.parent),
    [core.root, core.root, core.root, core.root],
  );
});

Deno.test("saveWorld() refuses a world whose started program has not run", () => {
  const world = bootWorld();
  const sch = unboundSubchannel(world);
  const host = new Host();
  assert.equal(ssch(sch, writeProgram(host, 0), host.bytes), 0);
  assert.throws(() => saveWorld(world), TypeError);
  world.settle();
  assert.doesNotThrow(() => saveWorld(world));
});

Deno.test("loadWorld() keeps a detached subchannel not operational", () => {
  const world = bootWorld();
  cssDetachDevice(world, "0.0.0001");
  const sch = cssCore(roundTrip(world)).subchannel("0.0.0001")!;
  assert.deepEqual([sch.device, sch.pmcw.dnv, sch.operational], [null, false, false]);
});

Deno.test("disk blocks load lazily: a world that does no I/O never reads a blob", () => {
  const backend = countingBackend();
  const world = bootWorld();
  world.blobs.attach(backend);
  const sch = unboundSubchannel(world);
  const host = new Host();
  host.bytes.set(pattern(4), 0x10000);
  assert.equal(ssch(sch, writeProgram(host, 30), host.bytes), 0);
  world.settle();
  tsch(sch);
  world.blobs.flush();
  assert.deepEqual([...backend.blobs.keys()], ["dasd-0.0.1003-30"]);
  assert.deepEqual(backend.reads, []);

  const idle = roundTrip(world);
  idle.blobs.attach(backend);
  idle.settle();
  saveWorld(idle);
  assert.deepEqual(backend.reads, [], "loading, settling and saving read nothing");

  const next = roundTrip(world);
  next.blobs.attach(backend);
  const restored = cssCore(next).subchannel("0.0.0003")!;
  const readBlock = (block: number) => {
    host.u32(0x3000, block);
    host.ccws(
      0x1000,
      { cmd: CCW_CMD.SEEK, flags: CCW_FLAG.CC, count: 4, cda: 0x3000 },
      { cmd: CCW_CMD.READ, flags: 0, count: 4096, cda: 0x20000 },
    );
    assert.equal(ssch(restored, orb(0x1000), host.bytes), 0);
    next.settle();
    tsch(restored);
  };
  readBlock(31);
  assert.deepEqual(backend.reads, [], "a never-written block has no blob to read");
  readBlock(30);
  assert.deepEqual(backend.reads, ["dasd-0.0.1003-30"]);
  assert.deepEqual(host.read(0x20000, 4096), pattern(4));
});
