import assert from "node:assert/strict";
import { hsch, msch } from "../../../lib/css/cio.ts";
import { cssAttachDevice, cssDetachDevice } from "../../../lib/css/hotplug.ts";
import { VfioCcwParentDevice } from "../../../lib/drivers/vfio_ccw/parent.ts";
import { STATE } from "../../../lib/drivers/vfio_ccw/private.ts";
import { KernelError } from "../../../lib/errno.ts";
import { bootWorld } from "../../../lib/machine.ts";
import { mdevCore } from "../../../lib/mdev/core.ts";
import { mdevCreate, mdevRemoveStore } from "../../../lib/mdev/device.ts";
import { listDir, readAttr, writeAttrText } from "../../../lib/sysfs/io.ts";
import { vfioClose } from "../../../lib/vfio/core.ts";
import {
  bindVfioCcw,
  ccwWorld,
  createCcwMdev,
  openHandle,
  SCHID,
  subchannel,
  UUID,
} from "./_world.ts";

const TYPE_DIR = `/sys/devices/css0/${SCHID}/mdev_supported_types/vfio_ccw-io`;

function releases(world: { logLines: string[] }, vfio = "vfio0"): number {
  return world.logLines.filter((line) => line === `${vfio}: released`).length;
}

function indexOfLog(world: { logLines: string[] }, text: string): number {
  const i = world.logLines.findIndex((line) => line.includes(text));
  assert.ok(i >= 0, `log has "${text}"`);
  return i;
}

Deno.test("VfioCcwCssDriver.probe() adds the parent device and registers the type io", () => {
  const world = ccwWorld();
  const sch = bindVfioCcw(world);
  assert.equal(sch.driver?.name, "vfio_ccw");
  const parent = sch.driverData;
  assert.ok(parent instanceof VfioCcwParentDevice);
  assert.equal(parent.parent, sch);
  assert.equal(parent.driverData, undefined);
  const names = listDir(world, `/sys/devices/css0/${SCHID}`).map((e) => e.name);
  assert.ok(names.includes("parent") && names.includes("mdev_supported_types"));
  assert.equal(readAttr(world, `${TYPE_DIR}/name`), "I/O subchannel (Non-QDIO)\n");
  assert.equal(readAttr(world, `${TYPE_DIR}/device_api`), "vfio-ccw\n");
  assert.equal(readAttr(world, `${TYPE_DIR}/available_instances`), "1\n");
  assert.ok(
    indexOfLog(world, "add device parent") < indexOfLog(world, `${SCHID}: MDEV: Registered`),
  );
});

Deno.test("VfioCcwCssDriver binds through the bind file without driver_override", () => {
  const world = ccwWorld();
  writeAttrText(world, `/sys/bus/css/devices/${SCHID}/driver/unbind`, `${SCHID}\n`);
  writeAttrText(world, "/sys/bus/css/drivers/vfio_ccw/bind", `${SCHID}\n`);
  assert.equal(subchannel(world).driver?.name, "vfio_ccw");
});

Deno.test("VfioCcwCssDriver.probe() failing leaves no parent device behind", () => {
  const world = ccwWorld();
  writeAttrText(world, `/sys/bus/css/devices/${SCHID}/driver/unbind`, `${SCHID}\n`);
  world.faults.failAt("device_add", "ENOMEM");
  assert.throws(
    () => writeAttrText(world, "/sys/bus/css/drivers/vfio_ccw/bind", `${SCHID}\n`),
    (e) => e instanceof KernelError && e.errno === "ENOMEM",
  );
  assert.equal(subchannel(world).driver, undefined);
  assert.equal(subchannel(world).driverData, undefined);
  assert.deepEqual(world.leaks(), []);
  assert.ok(!world.liveDevices().some((d) => d instanceof VfioCcwParentDevice));
});

Deno.test("VfioCcwMdevDriver.probe() points the parent at the private; one instance only", () => {
  const world = ccwWorld();
  const sch = bindVfioCcw(world);
  const vdev = createCcwMdev(world);
  assert.equal((sch.driverData as VfioCcwParentDevice).driverData, vdev);
  assert.equal(vdev.priv.state, STATE.STANDBY);
  assert.deepEqual(vdev.priv.ioRegion, new Uint8Array(124));
  assert.equal(readAttr(world, `${TYPE_DIR}/available_instances`), "0\n");
  const type = mdevCore(world).parentNamed(SCHID)!.type("vfio_ccw-io")!;
  assert.equal(mdevCreate(type, "83b8f4f2-509f-382f-3c1e-e6bfe0fa1002"), -87);
});

Deno.test("VfioCcwMdevDriver.remove() unregisters and puts; the private is released once", () => {
  const world = ccwWorld();
  const sch = bindVfioCcw(world);
  createCcwMdev(world);
  const mdev = mdevCore(world).list.get(UUID)!;
  const steps = mdevRemoveStore(mdev, "1\n");
  assert.ok(Array.isArray(steps));
  assert.equal(world.tasks.run("remove", steps), undefined);
  assert.equal(releases(world), 1);
  assert.equal((sch.driverData as VfioCcwParentDevice).driverData, undefined);
  assert.equal(readAttr(world, `${TYPE_DIR}/available_instances`), "1\n");
  // The index is free again: the next device is vfio0 once more.
  assert.equal(createCcwMdev(world).name, "vfio0");
  assert.deepEqual(world.leaks(), []);
});

Deno.test("VfioCcwCssDriver.remove() takes the mdev parent, then the parent device, in order", () => {
  const world = ccwWorld();
  bindVfioCcw(world);
  createCcwMdev(world);
  writeAttrText(world, `/sys/bus/css/devices/${SCHID}/driver/unbind`, `${SCHID}\n`);
  const removed = indexOfLog(world, `remove mdev ${UUID}`);
  const unregistered = indexOfLog(world, `${SCHID}: MDEV: Unregistered`);
  const parentGone = indexOfLog(world, "remove device parent");
  const unbound = indexOfLog(world, `vfio_ccw: unbound from subchannel ${SCHID}`);
  assert.ok(removed < unregistered && unregistered < parentGone && parentGone < unbound);
  assert.equal(releases(world), 1);
  assert.equal(subchannel(world).driver, undefined);
  assert.equal(mdevCore(world).parentNamed(SCHID), undefined);
  assert.ok(!world.liveDevices().some((d) => d instanceof VfioCcwParentDevice));
  assert.deepEqual(world.leaks(), []);
});

Deno.test("VfioCcwCssDriver unbind with an open handle is pending until the handle closes", () => {
  const world = ccwWorld();
  bindVfioCcw(world);
  const vdev = createCcwMdev(world);
  const handle = openHandle(world, vdev);
  const result = writeAttrText(world, `/sys/bus/css/devices/${SCHID}/driver/unbind`, `${SCHID}\n`);
  assert.equal(result.pending, true);
  assert.equal(releases(world), 0);
  assert.equal(subchannel(world).driver?.name, "vfio_ccw");
  assert.deepEqual(world.leaks(), []);
  vfioClose(world, handle);
  assert.equal(releases(world), 1);
  assert.equal(subchannel(world).driver, undefined);
  assert.equal(world.tasks.sleeping.length, 0);
  assert.deepEqual(world.leaks(), []);
});

Deno.test("rmmod vfio_ccw is EAGAIN with an open handle; forced, it waits for the close", () => {
  const world = ccwWorld();
  bindVfioCcw(world);
  const vdev = createCcwMdev(world);
  const handle = openHandle(world, vdev);
  assert.throws(
    () => world.modules.unloadSteps("vfio_ccw", false),
    (e) => e instanceof KernelError && e.errno === "EAGAIN",
  );
  const task = world.tasks.run("rmmod -f vfio_ccw", world.modules.unloadSteps("vfio_ccw", true));
  assert.notEqual(task, undefined);
  assert.equal(world.modules.loaded.get("vfio_ccw")?.state, "going");
  vfioClose(world, handle);
  assert.equal(world.modules.loaded.has("vfio_ccw"), false);
  assert.equal(releases(world), 1);
  assert.equal(world.driverOn("css", "vfio_ccw"), undefined);
  assert.equal(world.driverOn("mdev", "vfio_ccw_mdev"), undefined);
  assert.deepEqual(world.leaks(), []);
});

Deno.test("rmmod vfio_ccw unbinds every subchannel, newest first, then the mdev driver goes", () => {
  const world = ccwWorld();
  bindVfioCcw(world, "0.0.0001");
  bindVfioCcw(world, "0.0.0002");
  createCcwMdev(world, "0.0.0002", "83b8f4f2-509f-382f-3c1e-e6bfe0fa1002");
  assert.equal(world.tasks.run("rmmod", world.modules.unloadSteps("vfio_ccw", false)), undefined);
  const second = indexOfLog(world, "vfio_ccw: unbound from subchannel 0.0.0002");
  const first = indexOfLog(world, "vfio_ccw: unbound from subchannel 0.0.0001");
  const css = indexOfLog(world, "unregistered css driver vfio_ccw");
  const mdevDriver = indexOfLog(world, "unregistered mdev driver vfio_ccw_mdev");
  assert.ok(second < first && first < css && css < mdevDriver);
  assert.equal(releases(world), 1);
  assert.deepEqual(world.leaks(), []);
});

Deno.test("VfioCcwCssDriver.irq() without an mdev disables the subchannel again", () => {
  const world = ccwWorld();
  const sch = bindVfioCcw(world);
  assert.equal(msch(sch, { enabled: true }), 0);
  assert.equal(hsch(sch), 0);
  world.settle();
  assert.equal(sch.pmcw.enabled, false);
  assert.ok(world.logLines.some((l) => l.includes(`sch ${SCHID}: unexpected interrupt`)));
});

Deno.test("VfioCcwCssDriver.schEvent() makes the device NOT_OPER when its disk goes", () => {
  const world = ccwWorld();
  bindVfioCcw(world);
  const vdev = createCcwMdev(world);
  openHandle(world, vdev);
  cssDetachDevice(world, SCHID);
  assert.equal(vdev.priv.state, STATE.NOT_OPER);
  // The disk coming back does not revive it: only a new mdev would.
  cssAttachDevice(world, SCHID);
  assert.equal(vdev.priv.state, STATE.NOT_OPER);
});

Deno.test("VfioCcwCssDriver.schEvent() without an mdev changes nothing", () => {
  const world = ccwWorld();
  const sch = bindVfioCcw(world);
  cssDetachDevice(world, SCHID);
  assert.equal(sch.driver?.name, "vfio_ccw");
  assert.ok(!world.logLines.some((l) => l.includes("notoper")));
});

Deno.test("modprobe vfio_ccw engine= picks the devices' translator; other values are EINVAL", () => {
  for (const engine of ["ts", "wasm"] as const) {
    const world = ccwWorld(engine);
    bindVfioCcw(world);
    assert.equal(createCcwMdev(world).priv.cp.kind, engine);
  }
  const world = bootWorld();
  assert.throws(
    () => world.modules.load("vfio_ccw", { engine: "asm" }),
    (e) => e instanceof KernelError && e.errno === "EINVAL",
  );
  assert.equal(world.modules.loaded.has("vfio_ccw"), false);
  world.modules.load("vfio_ccw", {});
  bindVfioCcw(world);
  assert.equal(createCcwMdev(world).priv.cp.kind, "wasm");
});
