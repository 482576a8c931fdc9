/**
 * Adding and deleting devices and registering drivers (the device_add /
 * device_del half of drivers/base/core.c, bus_add_device / bus_remove_device
 * and driver_register / driver_unregister).
 *
 * @module
 */
import { neg } from "../errno.ts";
import { busProbeDevice, deviceReleaseDriver, driverAttach, driverDetach } from "./binding.ts";
import type { Device } from "./device.ts";
import type { Driver } from "./driver.ts";
import { defineStep, type Step } from "./task.ts";

/**
 * device_add(): into sysfs and onto the bus list, then autoprobe. A name
 * already on the bus is -EEXIST (the sysfs link collides).
 *
 * @returns 0 or a negative errno (nothing is left added on failure)
 */
export function deviceAdd(dev: Device): number {
  const fault = dev.world.faults.at("device_add");
  if (fault < 0) return fault;
  if (dev.bus?.devices.has(dev.name)) return neg("EEXIST");
  dev.parent?.get();
  dev.registered = true;
  if (dev.bus !== undefined) {
    dev.bus.devices.set(dev.name, dev);
    dev.onBusList = true;
  }
  dev.world.log(`add ${dev.bus?.name ?? dev.className ?? "device"} ${dev.name}`);
  busProbeDevice(dev);
  return 0;
}

/** Steps of device_del(): kill, off the bus, release the driver (may sleep), out of sysfs. */
export function deviceDel(dev: Device): Step[] {
  return [delBegin({ dev: dev.id }), delRelease({ dev: dev.id }), delEnd({ dev: dev.id })];
}

/** Steps of device_unregister(): device_del + put_device. */
export function deviceUnregister(dev: Device): Step[] {
  return [...deviceDel(dev), putDevice(dev)];
}

/** A step that drops one reference. */
export function putDevice(dev: Device): Step {
  return put({ dev: dev.id });
}

const delBegin = defineStep("core.device_del.begin", (world, a: { dev: number }) => {
  const dev = world.device(a.dev);
  dev.dead = true;
  if (dev.onBusList && dev.bus !== undefined) {
    dev.bus.devices.delete(dev.name);
    dev.onBusList = false;
  }
});

const delRelease = defineStep(
  "core.device_del.release",
  (world, a: { dev: number }) => deviceReleaseDriver(world.device(a.dev)),
);

const delEnd = defineStep("core.device_del.end", (world, a: { dev: number }) => {
  const dev = world.device(a.dev);
  world.deferred.remove(dev);
  dev.registered = false;
  world.log(`remove ${dev.bus?.name ?? dev.className ?? "device"} ${dev.name}`);
  dev.parent?.put();
});

const put = defineStep("core.put_device", (world, a: { dev: number }) => {
  const dev = world.findDevice(a.dev);
  if (dev === undefined) world.warn(`refcount_t: underflow; use-after-free (device #${a.dev})`);
  else dev.put();
});

/**
 * driver_register(): -EBUSY for a duplicate name on the bus; then, with
 * autoprobe on, driver_attach (whose probe failures do not fail registration).
 */
export function driverRegister(drv: Driver): number {
  if (drv.bus.drivers.has(drv.name)) return neg("EBUSY");
  drv.bus.drivers.set(drv.name, drv);
  drv.world.log(`registered ${drv.bus.name} driver ${drv.name}`);
  if (drv.bus.driversAutoprobe) driverAttach(drv);
  return 0;
}

/**
 * Steps of driver_unregister(): off the bus list (no new binds), unbind the
 * devices newest first, then the driver directory goes.
 */
export function driverUnregister(drv: Driver): Step[] {
  const a = { bus: drv.bus.name, driver: drv.name };
  return [unregBegin(a), ...driverDetach(drv), unregEnd(a)];
}

const unregBegin = defineStep(
  "core.driver_unregister.begin",
  (world, a: { bus: string; driver: string }) => {
    const drv = world.driverOn(a.bus, a.driver);
    if (drv !== undefined) drv.listed = false;
  },
);

const unregEnd = defineStep(
  "core.driver_unregister.end",
  (world, a: { bus: string; driver: string }) => {
    const drv = world.driverOn(a.bus, a.driver);
    if (drv === undefined) return;
    drv.bus.drivers.delete(drv.name);
    world.log(`unregistered ${drv.bus.name} driver ${drv.name}`);
  },
);
