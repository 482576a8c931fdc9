/**
 * The simulated kernel presented as the sysfs tree the real kernel lays out,
 * with show/store dispatch and the kernel's errnos. Every `bind`, `unbind`,
 * `create`, `remove`, `driver_override` or `drivers_probe` of the CLI is a
 * write through {@linkcode writeAttr}.
 *
 * @example Creating an mdev through its type's `create` file
 * ```ts
 * import assert from "node:assert/strict";
 * import { Device } from "../core/device.ts";
 * import { deviceAdd } from "../core/registration.ts";
 * import { World } from "../core/world.ts";
 * import { mdevCore } from "../mdev/core.ts";
 * import { MdevDriver, mdevRegisterDriver } from "../mdev/driver.ts";
 * import { mdevRegisterParent } from "../mdev/parent.ts";
 * import { listDir, readAttr, readLink, writeAttrText } from "./mod.ts";
 *
 * class Sample extends MdevDriver {
 *   readonly deviceApi = "vfio-pci";
 *   override readonly maxInstances = 4;
 * }
 * const world = new World();
 * const drv = new Sample(world, "sample", mdevCore(world).bus);
 * mdevRegisterDriver(drv);
 * const dev = new Device(world, { name: "sample", className: "sample" });
 * deviceAdd(dev);
 * mdevRegisterParent(dev, drv, [{ sysfsName: "1", data: null }]);
 *
 * const type = "/sys/class/mdev_bus/sample/mdev_supported_types/sample-1";
 * const uuid = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001";
 * assert.deepEqual(writeAttrText(world, `${type}/create`, `${uuid}\n`), { count: 37, pending: false });
 * assert.equal(readAttr(world, `${type}/available_instances`), "3\n");
 * assert.equal(readLink(world, `/sys/bus/mdev/devices/${uuid}/mdev_type`), "../mdev_supported_types/sample-1");
 * assert.deepEqual(listDir(world, `${type}/devices`).map((entry) => entry.name), [uuid]);
 * ```
 *
 * @module
 */
export * from "./io.ts";
export * from "./path.ts";
export * from "./render.ts";
export * from "./tree.ts";
