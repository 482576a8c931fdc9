import assert from "node:assert/strict";
import { deviceAttach, deviceDriverAttach } from "../../lib/core/binding.ts";
import { deviceAdd, deviceDel, driverRegister } from "../../lib/core/registration.ts";
import { neg } from "../../lib/errno.ts";
import { bootWorld } from "../../lib/machine.ts";
import { PlatformDevice } from "../../lib/platform/device.ts";
import { PlatformDriver } from "../../lib/platform/driver.ts";
import {
  addDevice,
  addDriver,
  CountingDevice,
  gbusWorld,
  ok,
  ScriptedDriver,
} from "../_fixtures.ts";

/** A gbus world with autoprobe off while devices are added, so they stay unbound. */
function unboundDevice(name = "g0") {
  const { world, bus } = gbusWorld();
  bus.driversAutoprobe = false;
  const dev = addDevice(world, bus, name);
  bus.driversAutoprobe = true;
  return { world, bus, dev };
}

Deno.test("deviceDriverAttach() returns -ENODEV for a device that was never added", () => {
  const { world, bus } = gbusWorld();
  const drv = addDriver(world, bus, "d");
  const dev = new CountingDevice(world, { name: "g0", bus });
  assert.equal(deviceDriverAttach(drv, dev), neg("ENODEV"));
  assert.deepEqual(drv.probed, []);
  dev.put();
  assert.deepEqual(world.leaks(), []);
});

Deno.test("deviceDriverAttach() returns -ENODEV for a device being deleted (dead)", () => {
  const { world, bus, dev } = unboundDevice();
  const drv = new ScriptedDriver(world, "d", bus);
  bus.driversAutoprobe = false;
  ok(driverRegister(drv));
  const [killStep, ...rest] = deviceDel(dev);
  assert.equal(world.tasks.run("device_del (kill)", [killStep!]), undefined);
  assert.equal(dev.dead, true);
  assert.equal(deviceDriverAttach(drv, dev), neg("ENODEV"));
  assert.deepEqual(drv.probed, []);
  world.tasks.run("device_del (rest)", rest);
  dev.put();
  assert.equal(dev.releases, 1);
  assert.deepEqual(world.leaks(), []);
});

Deno.test("deviceDriverAttach() returns -EBUSY for a device already bound to any driver", () => {
  const { world, bus, dev } = unboundDevice();
  const first = addDriver(world, bus, "first");
  assert.equal(dev.driver, first);
  const second = new ScriptedDriver(world, "second", bus);
  bus.driversAutoprobe = false;
  ok(driverRegister(second));
  assert.equal(deviceDriverAttach(second, dev), neg("EBUSY"));
  assert.equal(deviceDriverAttach(first, dev), neg("EBUSY"));
  assert.equal(dev.driver, first);
  assert.deepEqual(second.probed, []);
});

for (const errno of ["ENOMEM", "EINVAL", "ENOSPC", "ENXIO", "ENODEV"] as const) {
  Deno.test(`deviceDriverAttach() passes a probe's -${errno} through and leaves no links`, () => {
    const { world, bus, dev } = unboundDevice();
    bus.driversAutoprobe = false;
    const drv = addDriver(world, bus, "d", { results: [neg(errno)] });
    assert.equal(deviceDriverAttach(drv, dev), neg(errno));
    assert.equal(dev.driver, undefined);
    assert.equal(dev.driverLinks, false);
    assert.equal(dev.driverGroups, false);
    assert.deepEqual(drv.bound, []);
    assert.deepEqual(world.deferred.pending, []);
  });
}

Deno.test("deviceDriverAttach() turns -EPROBE_DEFER into -EAGAIN and does not queue a retry", () => {
  const { world, bus, dev } = unboundDevice();
  bus.driversAutoprobe = false;
  const drv = addDriver(world, bus, "d", { results: [neg("EPROBE_DEFER")] });
  assert.equal(deviceDriverAttach(drv, dev), neg("EAGAIN"));
  assert.deepEqual(world.deferred.pending, []);
  assert.deepEqual(world.deferred.active, []);
  assert.equal(dev.driverLinks, false);
  assert.equal(dev.driver, undefined);
});

Deno.test("deviceDriverAttach() binds on a zero probe: links, groups and the driver's list", () => {
  const { world, bus, dev } = unboundDevice();
  bus.driversAutoprobe = false;
  const drv = addDriver(world, bus, "d");
  assert.equal(deviceDriverAttach(drv, dev), 0);
  assert.equal(dev.driver, drv);
  assert.equal(dev.driverLinks, true);
  assert.equal(dev.driverGroups, true);
  assert.deepEqual(drv.bound, [dev]);
});

Deno.test("deviceAdd() autoprobe binds the first matching driver in registration order", () => {
  const { world, bus } = gbusWorld();
  const first = addDriver(world, bus, "first");
  const second = addDriver(world, bus, "second");
  const dev = addDevice(world, bus, "g0");
  assert.equal(dev.driver, first);
  assert.deepEqual(first.probed, ["g0"]);
  assert.deepEqual(second.probed, []);
});

Deno.test("deviceAdd() autoprobe tries the next driver after a probe error", () => {
  const { world, bus } = gbusWorld();
  const first = addDriver(world, bus, "first", { results: [neg("ENXIO")] });
  const second = addDriver(world, bus, "second");
  const dev = addDevice(world, bus, "g0");
  assert.equal(dev.driver, second);
  assert.deepEqual(first.probed, ["g0"]);
  assert.deepEqual(world.deferred.pending, []);
});

// Series-specific (series 1 patch 1 as posted, spec §3.4 / test 34): the merged
// respin would go on to the second driver; the simulator models the series.
Deno.test("deviceAdd() autoprobe stops the search at a deferral and queues the device once", () => {
  const { world, bus } = gbusWorld();
  const first = addDriver(world, bus, "first", {
    results: [neg("EPROBE_DEFER"), neg("EPROBE_DEFER")],
  });
  const second = addDriver(world, bus, "second");
  const dev = addDevice(world, bus, "g0");
  assert.equal(dev.driver, undefined);
  assert.deepEqual(second.probed, []);
  assert.deepEqual(world.deferred.pending, [dev]);
  assert.equal(deviceAttach(dev), 0);
  assert.deepEqual(first.probed, ["g0", "g0"]);
  assert.deepEqual(world.deferred.pending, [dev]);
});

Deno.test("DeferredProbe retries a deferred device after a successful bind elsewhere", () => {
  const { world, bus } = gbusWorld();
  const drv = addDriver(world, bus, "d", { results: [neg("EPROBE_DEFER")] });
  const deferred = addDevice(world, bus, "g0");
  world.settle();
  assert.equal(deferred.driver, undefined);
  assert.deepEqual(world.deferred.pending, [deferred]);
  const other = addDevice(world, bus, "g1");
  assert.equal(other.driver, drv);
  assert.deepEqual(world.deferred.active, [deferred]);
  world.settle();
  assert.equal(deferred.driver, drv);
  assert.deepEqual(world.deferred.pending, []);
  assert.deepEqual(world.deferred.active, []);
  assert.deepEqual(drv.probed, ["g0", "g1", "g0"]);
});

Deno.test("DeferredProbe is triggered by an explicit deviceDriverAttach() bind as well", () => {
  const { world, bus } = gbusWorld();
  const drv = addDriver(world, bus, "d", { results: [neg("EPROBE_DEFER")] });
  const deferred = addDevice(world, bus, "g0");
  bus.driversAutoprobe = false;
  const other = addDevice(world, bus, "g1");
  bus.driversAutoprobe = true;
  assert.equal(deviceDriverAttach(drv, other), 0);
  world.settle();
  assert.equal(deferred.driver, drv);
});

Deno.test("Bus.driversAutoprobe off suppresses autoprobe at deviceAdd()", () => {
  const { world, bus } = gbusWorld();
  const drv = addDriver(world, bus, "d");
  bus.driversAutoprobe = false;
  const dev = addDevice(world, bus, "g0");
  assert.equal(dev.driver, undefined);
  assert.deepEqual(drv.probed, []);
});

Deno.test("Bus.driversAutoprobe off suppresses deferred retries", () => {
  const { world, bus } = gbusWorld();
  const drv = addDriver(world, bus, "d", { results: [neg("EPROBE_DEFER")] });
  const deferred = addDevice(world, bus, "g0");
  bus.driversAutoprobe = false;
  const other = addDevice(world, bus, "g1");
  assert.equal(deviceDriverAttach(drv, other), 0);
  world.settle();
  assert.equal(deferred.driver, undefined);
  assert.deepEqual(drv.probed, ["g0", "g1"]);
});

Deno.test("driverRegister() with autoprobe binds matching unbound devices only", () => {
  const { world, bus } = gbusWorld();
  const old = addDriver(world, bus, "old");
  const bound = addDevice(world, bus, "g0");
  bus.driversAutoprobe = false;
  const loose = [addDevice(world, bus, "g1"), addDevice(world, bus, "g2")];
  bus.driversAutoprobe = true;
  const drv = addDriver(world, bus, "new");
  assert.equal(bound.driver, old);
  assert.deepEqual(loose.map((d) => d.driver), [drv, drv]);
  assert.deepEqual(drv.probed, ["g1", "g2"]);
});

Deno.test("driverRegister() succeeds even when every probe fails", () => {
  const { world, bus } = gbusWorld();
  const devs = [addDevice(world, bus, "g0"), addDevice(world, bus, "g1")];
  const drv = new ScriptedDriver(world, "d", bus, { results: [neg("ENOMEM"), neg("EINVAL")] });
  assert.equal(driverRegister(drv), 0);
  assert.deepEqual(drv.probed, ["g0", "g1"]);
  assert.deepEqual(devs.map((d) => d.driver), [undefined, undefined]);
  assert.equal(bus.drivers.get("d"), drv);
});

Deno.test("driverRegister() returns -EBUSY for a duplicate driver name on the bus", () => {
  const { world, bus } = gbusWorld();
  const first = addDriver(world, bus, "d");
  assert.equal(driverRegister(new ScriptedDriver(world, "d", bus)), neg("EBUSY"));
  assert.equal(bus.drivers.get("d"), first);
});

Deno.test("PlatformBus.match() lets driver_override win over the glob", () => {
  const world = bootWorld();
  const bus = world.bus("platform")!;
  const glob = new PlatformDriver(world, "everything", "*");
  const named = new PlatformDriver(world, "named", "nothing-matches-*");
  ok(driverRegister(glob));
  ok(driverRegister(named));
  const dev = new PlatformDevice(world, "p0");
  dev.driverOverride = "named";
  assert.equal(bus.match(dev, glob), 0);
  assert.equal(bus.match(dev, named), 1);
  ok(deviceAdd(dev));
  assert.equal(dev.driver, named);
  const plain = new PlatformDevice(world, "p1");
  assert.equal(bus.match(plain, named), 0);
  ok(deviceAdd(plain));
  assert.equal(plain.driver, glob);
});
