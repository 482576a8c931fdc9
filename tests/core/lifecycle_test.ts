import assert from "node:assert/strict";
import { deviceDriverAttach, deviceReleaseDriver } from "../../lib/core/binding.ts";
import {
  deviceAdd,
  deviceUnregister,
  driverUnregister,
  putDevice,
} from "../../lib/core/registration.ts";
import { neg } from "../../lib/errno.ts";
import { addDevice, addDriver, CountingDevice, gbusWorld } from "../_fixtures.ts";

Deno.test("deviceReleaseDriver() runs remove, clears the driver and keeps the device", () => {
  const { world, bus } = gbusWorld();
  const drv = addDriver(world, bus, "d");
  const dev = addDevice(world, bus, "g0");
  assert.equal(world.tasks.run("unbind g0", deviceReleaseDriver(dev)), undefined);
  assert.deepEqual(drv.removals, ["d:g0"]);
  assert.equal(dev.driver, undefined);
  assert.equal(dev.driverLinks, false);
  assert.equal(dev.driverGroups, false);
  assert.deepEqual(drv.bound, []);
  assert.equal(dev.registered, true);
  assert.equal(bus.devices.get("g0"), dev);
  assert.deepEqual(world.leaks(), []);
});

Deno.test("deviceReleaseDriver() of an unbound device does nothing", () => {
  const { world, bus } = gbusWorld();
  const dev = addDevice(world, bus, "g0");
  assert.deepEqual(deviceReleaseDriver(dev), []);
});

Deno.test("driverUnregister() unbinds the newest-bound device first", () => {
  const { world, bus } = gbusWorld();
  bus.driversAutoprobe = false;
  const devs = ["g0", "g1", "g2"].map((n) => addDevice(world, bus, n));
  const drv = addDriver(world, bus, "d");
  for (const name of ["g1", "g2", "g0"]) {
    assert.equal(deviceDriverAttach(drv, bus.devices.get(name)!), 0);
  }
  assert.equal(world.tasks.run("rmmod d", driverUnregister(drv)), undefined);
  assert.deepEqual(drv.removals, ["d:g0", "d:g2", "d:g1"]);
  assert.equal(bus.drivers.has("d"), false);
  assert.deepEqual(devs.map((d) => [d.driver, d.registered]), [
    [undefined, true],
    [undefined, true],
    [undefined, true],
  ]);
  assert.deepEqual(world.leaks(), []);
});

Deno.test("deviceUnregister() unbinds, leaves the bus list and releases the device", () => {
  const { world, bus } = gbusWorld();
  const drv = addDriver(world, bus, "d");
  const dev = addDevice(world, bus, "g0");
  assert.equal(world.tasks.run("device_unregister g0", deviceUnregister(dev)), undefined);
  assert.deepEqual(drv.removals, ["d:g0"]);
  assert.equal(bus.devices.has("g0"), false);
  assert.equal(dev.onBusList, false);
  assert.equal(dev.registered, false);
  assert.equal(dev.dead, true);
  assert.equal(dev.releases, 1);
  assert.deepEqual(world.liveDevices(), []);
  assert.deepEqual(world.leaks(), []);
});

Deno.test("deviceUnregister() drops a deferred device from the deferred lists", () => {
  const { world, bus } = gbusWorld();
  addDriver(world, bus, "d", { results: [neg("EPROBE_DEFER")] });
  const dev = addDevice(world, bus, "g0");
  assert.deepEqual(world.deferred.pending, [dev]);
  world.tasks.run("device_unregister g0", deviceUnregister(dev));
  assert.deepEqual(world.deferred.pending, []);
  assert.deepEqual(world.leaks(), []);
});

Deno.test("Faults.injectProbe() makes exactly the next N probes fail", () => {
  const { world, bus } = gbusWorld();
  bus.driversAutoprobe = false;
  const drv = addDriver(world, bus, "d");
  const dev = addDevice(world, bus, "g0");
  world.faults.injectProbe({ bus: "gbus", driver: "d", errno: "ENXIO", times: 2 });
  assert.equal(deviceDriverAttach(drv, dev), neg("ENXIO"));
  assert.equal(deviceDriverAttach(drv, dev), neg("ENXIO"));
  assert.deepEqual(drv.probed, []);
  assert.equal(deviceDriverAttach(drv, dev), 0);
  assert.deepEqual(drv.probed, ["g0"]);
  assert.deepEqual(world.faults.probes, []);
});

Deno.test("Faults.injectProbe() of EPROBE_DEFER reaches an explicit attach as -EAGAIN", () => {
  const { world, bus } = gbusWorld();
  bus.driversAutoprobe = false;
  const drv = addDriver(world, bus, "d");
  const dev = addDevice(world, bus, "g0");
  world.faults.injectProbe({ bus: "gbus", driver: "d", errno: "EPROBE_DEFER", times: 1 });
  assert.equal(deviceDriverAttach(drv, dev), neg("EAGAIN"));
  assert.deepEqual(world.deferred.pending, []);
});

Deno.test("Device.put() runs release exactly once, when the last reference drops", () => {
  const { world, bus } = gbusWorld();
  const dev = new CountingDevice(world, { name: "g0", bus });
  dev.get();
  dev.put();
  assert.equal(dev.releases, 0);
  dev.put();
  assert.equal(dev.releases, 1);
  assert.equal(world.findDevice(dev.id), undefined);
  assert.equal(world.warnings, 0);
});

Deno.test("Device.put() reports a double put and does not run release again", () => {
  const { world, bus } = gbusWorld();
  const dev = new CountingDevice(world, { name: "g0", bus });
  dev.put();
  dev.put();
  assert.equal(dev.releases, 1);
  assert.equal(world.warnings, 1);
  assert.match(world.logLines.at(-1)!, /refcount_t: underflow/);
});

Deno.test("putDevice() as a step on a released device is reported as an underflow", () => {
  const { world, bus } = gbusWorld();
  const dev = new CountingDevice(world, { name: "g0", bus });
  const step = putDevice(dev);
  world.tasks.run("put", [step]);
  world.tasks.run("put again", [step]);
  assert.equal(dev.releases, 1);
  assert.equal(world.warnings, 1);
});

Deno.test("Device.get() on a released device is reported and takes no reference", () => {
  const { world, bus } = gbusWorld();
  const dev = new CountingDevice(world, { name: "g0", bus });
  dev.put();
  dev.get();
  assert.equal(world.warnings, 1);
  assert.equal(dev.refcount, 0);
});

Deno.test("deviceAdd() holds the parent until the child's device_del", () => {
  const { world, bus } = gbusWorld();
  const parent = addDevice(world, bus, "p");
  const child = new CountingDevice(world, { name: "c", bus, parent });
  assert.equal(deviceAdd(child), 0);
  assert.equal(parent.refcount, 2);
  world.tasks.run("unregister parent", deviceUnregister(parent));
  assert.equal(parent.releases, 0);
  world.tasks.run("unregister child", deviceUnregister(child));
  assert.deepEqual([parent.releases, child.releases], [1, 1]);
  assert.deepEqual(world.liveDevices(), []);
  assert.deepEqual(world.leaks(), []);
});

Deno.test("World.leaks() reports a deleted device whose last reference was never put", () => {
  const { world, bus } = gbusWorld();
  const dev = addDevice(world, bus, "g0");
  dev.get();
  world.tasks.run("device_unregister g0", deviceUnregister(dev));
  assert.deepEqual(world.leaks(), [dev]);
  dev.put();
  assert.deepEqual(world.leaks(), []);
});
