/**
 * mdevsim: the Linux mediated-device world — driver core, mdev bus, VFIO
 * device lifecycle and the sample drivers — simulated in userspace.
 *
 * @example Create an mtty device and read its sysfs-visible state
 * ```ts
 * import assert from "node:assert/strict";
 * import { bootWorld, mdevCore, mdevCreate } from "./mod.ts";
 *
 * const world = bootWorld();
 * world.modules.load("mtty", {});
 * const type = mdevCore(world).parentNamed("mtty")!.type("mtty-2")!;
 * assert.equal(mdevCreate(type, "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001\n"), 37);
 * assert.equal(type.availableInstances(), 11);
 * ```
 *
 * @module
 */
export { bootWorld, loadWorld, saveWorld, type WorldSnapshot } from "./lib/machine.ts";
export { World } from "./lib/core/world.ts";
export { Device } from "./lib/core/device.ts";
export { Driver } from "./lib/core/driver.ts";
export { Bus } from "./lib/core/bus.ts";
export { deviceAttach, deviceDriverAttach, deviceReleaseDriver } from "./lib/core/binding.ts";
export { deviceAdd, deviceDel, driverRegister, driverUnregister } from "./lib/core/registration.ts";
export { type ErrnoName, KernelError, strerror } from "./lib/errno.ts";
export { mdevCore } from "./lib/mdev/core.ts";
export { mdevCreate, MdevDevice, mdevRemoveStore } from "./lib/mdev/device.ts";
export { MdevDriver, mdevRegisterDriver } from "./lib/mdev/driver.ts";
export { MdevParent, mdevRegisterParent, mdevUnregisterParent } from "./lib/mdev/parent.ts";
export { MdevType } from "./lib/mdev/type.ts";
export { vfioClose, vfioCore, vfioOpen } from "./lib/vfio/core.ts";
export { vfioAllocDevice, VfioDevice } from "./lib/vfio/device.ts";
