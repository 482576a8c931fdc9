/**
 * The mtty module: init registers the mdev driver, the `mtty` class device
 * and the mdev parent; exit undoes it in the sample's order.
 *
 * @module
 */
import { ClassDevice } from "../../core/class_device.ts";
import { defineModule } from "../../core/module.ts";
import { deviceAdd, deviceUnregister, driverUnregister } from "../../core/registration.ts";
import type { World } from "../../core/world.ts";
import { mdevCore } from "../../mdev/core.ts";
import { mdevRegisterDriver } from "../../mdev/driver.ts";
import { mdevRegisterParent, mdevUnregisterParent } from "../../mdev/parent.ts";
import { MttyDriver } from "./driver.ts";
import { mttyPool } from "./pool.ts";
import { MTTY_TYPES } from "./types.ts";

function parentDevice(world: World) {
  return mdevCore(world).parentNamed("mtty");
}

/** `mtty.ko`. */
export const MTTY_MODULE = defineModule({
  name: "mtty",
  description: "Test driver that simulate serial port over PCI",
  params: [],
  init(world) {
    const driver = new MttyDriver(world);
    let ret = mdevRegisterDriver(driver);
    if (ret < 0) return ret;
    const dev = new ClassDevice(world, { name: "mtty", className: "mtty" });
    ret = deviceAdd(dev);
    const parent = ret < 0 ? ret : mdevRegisterParent(dev, driver, MTTY_TYPES);
    if (typeof parent === "number") {
      world.tasks.run("mtty init (unwind)", [
        ...(dev.registered ? deviceUnregister(dev) : []),
        ...driverUnregister(driver),
      ]);
      if (!dev.registered) dev.put();
      return parent;
    }
    return 0;
  },
  exit(world) {
    const parent = parentDevice(world)!;
    const driver = world.driverOn("mdev", "mtty")!;
    return [
      ...mdevUnregisterParent(parent),
      ...deviceUnregister(parent.dev),
      ...driverUnregister(driver),
    ];
  },
  save(world) {
    return { availablePorts: mttyPool(world).available };
  },
  restore(world, data) {
    mttyPool(world).available = (data as { availablePorts: number }).availablePorts;
    const driver = new MttyDriver(world);
    driver.bus.drivers.set(driver.name, driver);
  },
  describe(world) {
    const parent = parentDevice(world);
    return [
      "mdev driver mtty",
      ...(parent
        ? [`mdev parent ${parent.dev.name} (${parent.types.map((t) => t.id).join(", ")})`]
        : []),
      `ports available ${mttyPool(world).available}/24`,
    ];
  },
});
