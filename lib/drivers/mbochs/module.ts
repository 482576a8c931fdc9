/**
 * The mbochs module: init sets the memory budget and registers the mdev driver, the `mbochs`
 * class device and the mdev parent; exit undoes it in the sample's order.
 *
 * The budget in MiB is the module parameter `count` — the sample's real parameter name, although
 * its description calls it "mem" — so `modprobe mbochs count=N` and `mem=N` both set it
 * (default 256).
 *
 * @module
 */
import { registerSampleParent, unregisterSampleParent } from "../sample_parent.ts";
import { defineModule } from "../../core/module.ts";
import type { World } from "../../core/world.ts";
import { neg } from "../../errno.ts";
import { mdevCore } from "../../mdev/core.ts";
import { parseIntParam } from "../module_param.ts";
import { mbochsBudget } from "./budget.ts";
import { MBOCHS_DEFAULT_MBYTES, MBOCHS_TYPES } from "./defs.ts";
import { MbochsDriver } from "./driver.ts";

function parentOf(world: World) {
  return mdevCore(world).parentNamed("mbochs");
}

/** The budget the parameters ask for: the last of `count=` / `mem=` given wins. */
function budgetParam(params: Readonly<Record<string, string>>): number | undefined {
  const given = Object.entries(params).filter(([key]) => key === "count" || key === "mem");
  const last = given.at(-1);
  return last === undefined ? MBOCHS_DEFAULT_MBYTES : parseIntParam(last[1]);
}

/** `mbochs.ko`. */
export const MBOCHS_MODULE = defineModule({
  name: "mbochs",
  description: "Mediated virtual PCI display host device driver",
  params: ["count", "mem"],
  init(world, params) {
    const mbytes = budgetParam(params);
    if (mbytes === undefined) return neg("EINVAL");
    mbochsBudget(world).available = mbytes;
    const driver = new MbochsDriver(world);
    return registerSampleParent(driver, "mbochs", MBOCHS_TYPES);
  },
  exit(world) {
    return unregisterSampleParent(world, "mbochs");
  },
  save(world) {
    return { availableMbytes: mbochsBudget(world).available };
  },
  restore(world, data) {
    mbochsBudget(world).available = (data as { availableMbytes: number }).availableMbytes;
    const driver = new MbochsDriver(world);
    driver.bus.drivers.set(driver.name, driver);
  },
  describe(world) {
    const parent = parentOf(world);
    return [
      "mdev driver mbochs",
      ...(parent
        ? [`mdev parent ${parent.dev.name} (${parent.types.map((t) => t.id).join(", ")})`]
        : []),
      `video memory available ${mbochsBudget(world).available} MB`,
    ];
  },
});
