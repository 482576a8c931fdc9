/**
 * What the three sample modules (mtty, mdpy, mbochs) do at init and exit, in
 * the samples' order: register the mdev driver, create the class device
 * (`/sys/devices/virtual/<name>/<name>`) and register it as the mdev parent;
 * exit unregisters the parent (children removed, may sleep), the device and
 * the driver. A failed init unwinds what it did.
 *
 * @module
 */
import { ClassDevice } from "../core/class_device.ts";
import { deviceAdd, deviceUnregister, driverUnregister } from "../core/registration.ts";
import type { Step } from "../core/task.ts";
import type { World } from "../core/world.ts";
import { mdevCore } from "../mdev/core.ts";
import { type MdevDriver, mdevRegisterDriver } from "../mdev/driver.ts";
import { mdevRegisterParent, mdevUnregisterParent } from "../mdev/parent.ts";
import type { MdevTypeInfo } from "../mdev/type.ts";

/** module_init of a sample: 0 or a negative errno (nothing stays registered on failure). */
export function registerSampleParent(
  driver: MdevDriver,
  name: string,
  types: readonly MdevTypeInfo[],
): number {
  const world = driver.world;
  let ret = mdevRegisterDriver(driver);
  if (ret < 0) return ret;
  const dev = new ClassDevice(world, { name, className: name });
  ret = deviceAdd(dev);
  const parent = ret < 0 ? ret : mdevRegisterParent(dev, driver, types);
  if (typeof parent !== "number") return 0;
  world.tasks.run(`${name} init (unwind)`, [
    ...(dev.registered ? deviceUnregister(dev) : []),
    ...driverUnregister(driver),
  ]);
  if (!dev.registered) dev.put();
  return parent;
}

/** module_exit of a sample, as steps. */
export function unregisterSampleParent(world: World, name: string): Step[] {
  const parent = mdevCore(world).parentNamed(name)!;
  return [
    ...mdevUnregisterParent(parent),
    ...deviceUnregister(parent.dev),
    ...driverUnregister(world.driverOn("mdev", name)!),
  ];
}
