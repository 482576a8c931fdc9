/**
 * The mtty module: init registers the mdev driver, the `mtty` class device
 * and the mdev parent; exit undoes it in the sample's order.
 *
 * @module
 */
import { registerSampleParent, unregisterSampleParent } from "../sample_parent.ts";
import { defineModule } from "../../core/module.ts";
import type { World } from "../../core/world.ts";
import { mdevCore } from "../../mdev/core.ts";
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
    return registerSampleParent(driver, "mtty", MTTY_TYPES);
  },
  exit(world) {
    return unregisterSampleParent(world, "mtty");
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
