/**
 * The mdpy module: init registers the mdev driver, the `mdpy` class device and the mdev parent;
 * exit undoes it in the sample's order. `modprobe mdpy count=N` sets `max_instances`.
 *
 * @module
 */
import { registerSampleParent, unregisterSampleParent } from "../sample_parent.ts";
import { defineModule } from "../../core/module.ts";
import type { World } from "../../core/world.ts";
import { mdevCore } from "../../mdev/core.ts";
import { neg } from "../../errno.ts";
import { parseIntParam } from "../module_param.ts";
import { MDPY_MAX_INSTANCES, MDPY_TYPES } from "./defs.ts";
import { MdpyDriver } from "./driver.ts";

function parentOf(world: World) {
  return mdevCore(world).parentNamed("mdpy");
}

function driverOf(world: World): MdpyDriver | undefined {
  return world.driverOn("mdev", "mdpy") as MdpyDriver | undefined;
}

/** `mdpy.ko`. */
export const MDPY_MODULE = defineModule({
  name: "mdpy",
  description: "Mediated virtual PCI display host device driver",
  params: ["count"],
  init(world, params) {
    const count = params.count === undefined ? MDPY_MAX_INSTANCES : parseIntParam(params.count);
    if (count === undefined) return neg("EINVAL");
    const driver = new MdpyDriver(world, count);
    return registerSampleParent(driver, "mdpy", MDPY_TYPES);
  },
  exit(world) {
    return unregisterSampleParent(world, "mdpy");
  },
  save(world) {
    return { maxInstances: driverOf(world)?.maxInstances ?? MDPY_MAX_INSTANCES };
  },
  restore(world, data) {
    const driver = new MdpyDriver(world, (data as { maxInstances: number }).maxInstances);
    driver.bus.drivers.set(driver.name, driver);
  },
  describe(world) {
    const parent = parentOf(world);
    const max = driverOf(world)?.maxInstances ?? MDPY_MAX_INSTANCES;
    return [
      "mdev driver mdpy",
      ...(parent
        ? [
          `mdev parent ${parent.dev.name} (${parent.types.map((t) => t.id).join(", ")})`,
          `instances available ${parent.availableInstances}/${max}`,
        ]
        : []),
    ];
  },
});
