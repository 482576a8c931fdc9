import assert from "node:assert/strict";
import fc from "fast-check";
import type { World } from "../../lib/core/world.ts";
import { mttyPool } from "../../lib/drivers/mtty/pool.ts";
import { KernelError, neg } from "../../lib/errno.ts";
import { loadWorld, saveWorld, type WorldSnapshot } from "../../lib/machine.ts";
import { mdevCore } from "../../lib/mdev/core.ts";
import { vfioClose, vfioCore } from "../../lib/vfio/core.ts";
import {
  create,
  handleIds,
  mdevNamed,
  mttyWorld,
  openMdev,
  remove,
  U1,
  U2,
  U3,
  unbind,
  uuidN,
  vdevOf,
} from "../_fixtures.ts";

/** Every teardown finished: only the mtty parent lives, the pool and indexes are whole. */
function assertMttyClean(world: World): void {
  assert.deepEqual([...mdevCore(world).list.keys()], []);
  assert.deepEqual(world.tasks.sleeping, []);
  assert.deepEqual(world.leaks(), []);
  assert.equal(world.warnings, 0);
  assert.equal(mttyPool(world).available, 24);
  assert.equal(vfioCore(world).groups.size, 0);
  assert.equal(vfioCore(world).indexes.has(0), false);
  assert.deepEqual(world.liveDevices().map((d) => d.name), ["mtty"]);
}

function assertErrno(errno: string): (error: unknown) => true {
  return (error) => {
    assert.ok(error instanceof KernelError, `expected a KernelError, got ${String(error)}`);
    assert.equal(error.errno, errno);
    return true;
  };
}

Deno.test("MttyDriver.probe() registers vfio0 in emulated group 0 with one registration ref", () => {
  const world = mttyWorld();
  assert.equal(create(world, "mtty-2", U1), 37);
  const vdev = vdevOf(world, U1);
  assert.equal(vdev.name, "vfio0");
  assert.equal(vdev.index, 0);
  assert.equal(vdev.group, 0);
  assert.equal(vdev.regRefs, 1);
  assert.equal(vdev.openCount, 0);
  assert.equal(vdev.onGroupList, true);
  assert.equal(vdev.registered, true);
  assert.equal(vdev.parent, mdevNamed(world, U1));
  assert.deepEqual(vfioCore(world).groups.get(0)?.devices, [vdev]);
  assert.equal(mttyPool(world).available, 22);
});

Deno.test("vfioAllocDevice() reuses the lowest free index after a removal", () => {
  const world = mttyWorld();
  for (const uuid of [U1, U2, U3]) assert.equal(create(world, "mtty-1", uuid), 37);
  assert.deepEqual([U1, U2, U3].map((u) => vdevOf(world, u).name), ["vfio0", "vfio1", "vfio2"]);
  assert.equal(remove(world, U2), undefined);
  assert.equal(create(world, "mtty-1", uuidN(4)), 37);
  assert.equal(vdevOf(world, uuidN(4)).name, "vfio1");
  assert.equal(vdevOf(world, uuidN(4)).group, 1);
});

Deno.test("mdevCreate() on mtty returns -ENOSPC once the 24 ports are used", () => {
  const world = mttyWorld();
  for (let n = 0; n < 24; n++) assert.equal(create(world, "mtty-1", uuidN(n)), 37);
  assert.equal(mttyPool(world).available, 0);
  assert.equal(create(world, "mtty-1", uuidN(24)), neg("ENOSPC"));
  assert.equal(create(world, "mtty-2", uuidN(25)), neg("ENOSPC"));
  assert.equal(mdevCore(world).list.size, 24);
  assert.equal(vfioCore(world).indexes.has(24), false);
  assert.deepEqual(world.leaks(), []);
  assert.equal(remove(world, uuidN(3)), undefined);
  assert.equal(create(world, "mtty-1", uuidN(24)), 37);
  assert.equal(vdevOf(world, uuidN(24)).name, "vfio3");
});

Deno.test("vfioOpen() and vfioClose() count opens, registration refs and the module ref", () => {
  const world = mttyWorld();
  assert.equal(create(world, "mtty-1", U1), 37);
  const vdev = vdevOf(world, U1);
  const a = openMdev(world, 0, U1);
  const b = openMdev(world, 0, U1);
  assert.deepEqual([vdev.openCount, vdev.regRefs], [2, 3]);
  assert.equal(world.modules.loaded.get("mtty")!.refs, 1);
  assert.equal(vfioCore(world).groups.get(0)!.fileUsers, 2);
  vfioClose(world, a.id);
  assert.deepEqual([vdev.openCount, vdev.regRefs], [1, 2]);
  assert.equal(world.modules.loaded.get("mtty")!.refs, 1);
  vfioClose(world, b.id);
  assert.deepEqual([vdev.openCount, vdev.regRefs], [0, 1]);
  assert.equal(world.modules.loaded.get("mtty")!.refs, 0);
  assert.throws(() => vfioClose(world, b.id), assertErrno("EBADF"));
});

Deno.test("vfioOpen() returns ENODEV for a name not in the group and ENOENT for no group", () => {
  const world = mttyWorld();
  assert.equal(create(world, "mtty-1", U1), 37);
  assert.throws(() => openMdev(world, 0, U2), assertErrno("ENODEV"));
  assert.throws(() => openMdev(world, 7, U1), assertErrno("ENOENT"));
  assert.equal(vdevOf(world, U1).regRefs, 1);
});

Deno.test("mdevRemoveStore() with an open handle sleeps until the last vfioClose()", () => {
  const world = mttyWorld();
  assert.equal(create(world, "mtty-2", U1), 37);
  const vdev = vdevOf(world, U1);
  const handle = openMdev(world, 0, U1);
  const task = remove(world, U1);
  assert.ok(task !== undefined && typeof task === "object", "the remove writer sleeps");
  assert.equal(task.waitingOn, vdev.registrationKey);
  assert.ok(mdevNamed(world, U1));
  assert.equal(create(world, "mtty-1", U1), neg("EEXIST"));
  assert.equal(vdev.onGroupList, false);
  assert.throws(() => openMdev(world, 0, U1), assertErrno("ENODEV"));
  assert.equal(mttyPool(world).available, 22);
  assert.deepEqual(world.leaks(), []);
  vfioClose(world, handle.id);
  assertMttyClean(world);
  assert.equal(create(world, "mtty-1", U1), 37);
  assert.equal(vdevOf(world, U1).name, "vfio0");
});

Deno.test("unbind of an mdev with an open handle sleeps; the mdev stays, unbound, removable", () => {
  const world = mttyWorld();
  assert.equal(create(world, "mtty-1", U1), 37);
  const handle = openMdev(world, 0, U1);
  const task = unbind(world, "mtty", U1);
  assert.ok(task !== undefined && typeof task === "object");
  vfioClose(world, handle.id);
  const mdev = mdevNamed(world, U1)!;
  assert.equal(mdev.driver, undefined);
  assert.equal(mdev.registered, true);
  assert.equal(mttyPool(world).available, 24);
  assert.equal(unbind(world, "mtty", U1), neg("ENODEV"));
  assert.equal(remove(world, U1), undefined);
  assertMttyClean(world);
});

Deno.test("ModuleTable.unloadSteps() without force refuses a module in use with EAGAIN", () => {
  const world = mttyWorld();
  assert.equal(create(world, "mtty-1", U1), 37);
  const handle = openMdev(world, 0, U1);
  assert.throws(() => world.modules.unloadSteps("mtty", false), (error: unknown) => {
    assertErrno("EAGAIN")(error);
    assert.match((error as Error).message, /in use/);
    return true;
  });
  assert.equal(world.modules.loaded.get("mtty")!.state, "live");
  vfioClose(world, handle.id);
  assert.equal(world.tasks.run("rmmod mtty", world.modules.unloadSteps("mtty", false)), undefined);
  assert.equal(world.modules.loaded.has("mtty"), false);
  assert.deepEqual(world.liveDevices(), []);
  assert.deepEqual(world.leaks(), []);
});

Deno.test("mdevUnregisterParent() removes children in creation order, sleeping on an open one", () => {
  const world = mttyWorld();
  assert.equal(create(world, "mtty-1", U1), 37);
  assert.equal(create(world, "mtty-2", U2), 37);
  const handle = openMdev(world, 0, U1);
  const parent = mdevCore(world).parentNamed("mtty")!;
  const task = world.tasks.run("rmmod -f mtty", world.modules.unloadSteps("mtty", true));
  assert.ok(task !== undefined);
  assert.equal(parent.unregistering, true);
  assert.equal(parent.classLink, false);
  assert.equal(mdevNamed(world, U1)!.dead, true);
  assert.equal(mdevNamed(world, U2)!.registered, true);
  assert.equal(vdevOf(world, U2).onGroupList, true);
  assert.equal(create(world, "mtty-1", U3), neg("ENODEV"));
  assert.equal(world.modules.loaded.get("mtty")!.state, "going");
  assert.deepEqual(world.leaks(), []);
  vfioClose(world, handle.id);
  assert.deepEqual(world.tasks.sleeping, []);
  assert.equal(world.modules.loaded.has("mtty"), false);
  assert.equal(mdevCore(world).parents.size, 0);
  assert.equal(mdevCore(world).list.size, 0);
  assert.equal(world.driverOn("mdev", "mtty"), undefined);
  assert.deepEqual(world.liveDevices(), []);
  assert.deepEqual(world.leaks(), []);
  assert.equal(world.warnings, 0);
  assert.equal(mttyPool(world).available, 24);
});

Deno.test("loadWorld() of a world saved mid pending removal completes it on the last close", () => {
  const before = mttyWorld();
  assert.equal(create(before, "mtty-2", U1), 37);
  assert.equal(create(before, "mtty-1", U2), 37);
  const handle = openMdev(before, 0, U1);
  assert.ok(remove(before, U1) !== undefined);
  const world = loadWorld(JSON.parse(JSON.stringify(saveWorld(before))) as WorldSnapshot);
  assert.equal(world.tasks.sleeping.length, 1);
  assert.equal(create(world, "mtty-1", U1), neg("EEXIST"));
  assert.throws(() => openMdev(world, 0, U1), assertErrno("ENODEV"));
  assert.deepEqual(world.leaks(), []);
  vfioClose(world, handle.id);
  assert.deepEqual(world.tasks.sleeping, []);
  assert.deepEqual([...mdevCore(world).list.keys()], [U2]);
  assert.equal(mttyPool(world).available, 23);
  assert.equal(create(world, "mtty-1", U1), 37);
  assert.equal(vdevOf(world, U1).name, "vfio0");
  assert.deepEqual(world.leaks(), []);
  assert.equal(world.warnings, 0);
});

Deno.test("loadWorld() of a world saved mid forced rmmod finishes unloading on close", () => {
  const before = mttyWorld();
  assert.equal(create(before, "mtty-1", U1), 37);
  assert.equal(create(before, "mtty-1", U2), 37);
  const handle = openMdev(before, 0, U1);
  assert.ok(before.tasks.run("rmmod -f mtty", before.modules.unloadSteps("mtty", true)));
  const world = loadWorld(JSON.parse(JSON.stringify(saveWorld(before))) as WorldSnapshot);
  assert.ok(mdevNamed(world, U2)?.registered);
  vfioClose(world, handle.id);
  assert.equal(world.modules.loaded.has("mtty"), false);
  assert.deepEqual(world.liveDevices(), []);
  assert.deepEqual(world.leaks(), []);
  assert.equal(world.warnings, 0);
});

type Op =
  | { op: "create"; type: 1 | 2; uuid: number }
  | { op: "remove"; uuid: number }
  | { op: "open"; uuid: number; group: number }
  | { op: "close"; pick: number }
  | { op: "unbind"; uuid: number };

const UUIDS = [U1, U2, U3, uuidN(4)];

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant("create" as const),
    type: fc.constantFrom(1 as const, 2 as const),
    uuid: fc.nat(3),
  }),
  fc.record({ op: fc.constant("remove" as const), uuid: fc.nat(3) }),
  fc.record({ op: fc.constant("open" as const), uuid: fc.nat(3), group: fc.nat(4) }),
  fc.record({ op: fc.constant("close" as const), pick: fc.nat(7) }),
  fc.record({ op: fc.constant("unbind" as const), uuid: fc.nat(3) }),
);

function apply(world: World, op: Op): void {
  switch (op.op) {
    case "create":
      create(world, `mtty-${op.type}`, UUIDS[op.uuid]!);
      return;
    case "remove":
      remove(world, UUIDS[op.uuid]!);
      return;
    case "open":
      openMdev(world, op.group, UUIDS[op.uuid]!);
      return;
    case "close": {
      const ids = handleIds(world);
      // Closing an id that is not open exercises EBADF.
      vfioClose(world, ids.length === 0 ? 1000 + op.pick : ids[op.pick % ids.length]!);
      return;
    }
    case "unbind":
      unbind(world, "mtty", UUIDS[op.uuid]!);
      return;
  }
}

Deno.test("mtty lifecycle: any op sequence throws only KernelError and tears down cleanly", () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
      const world = mttyWorld();
      for (const op of ops) {
        try {
          apply(world, op);
        } catch (error) {
          if (!(error instanceof KernelError)) throw error;
        }
        world.settle();
      }
      for (const id of handleIds(world)) vfioClose(world, id);
      assert.deepEqual(world.tasks.sleeping, []);
      for (const uuid of [...mdevCore(world).list.keys()]) {
        assert.equal(remove(world, uuid), undefined);
      }
      assertMttyClean(world);
    }),
    { numRuns: 300 },
  );
});
