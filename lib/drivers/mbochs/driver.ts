/**
 * The mbochs mdev driver: a VFIO mdev driver (probe = alloc + register, remove = unregister +
 * put) whose available instances come from the module's memory budget, with a description per
 * type and the `vendor/memory` attribute.
 *
 * @module
 */
import { type AttributeGroup, roAttr } from "../../core/attribute.ts";
import type { Device } from "../../core/device.ts";
import type { World } from "../../core/world.ts";
import { mdevCore } from "../../mdev/core.ts";
import type { MdevDevice } from "../../mdev/device.ts";
import type { MdevType } from "../../mdev/type.ts";
import { VfioMdevDriver } from "../../vfio/mdev_driver.ts";
import { mbochsBudget } from "./budget.ts";
import type { MbochsTypeData } from "./defs.ts";
import { MBOCHS_OPS, type MbochsState } from "./device.ts";

function dataOf(type: MdevType): MbochsTypeData {
  return type.info.data as MbochsTypeData;
}

/** `mbochs_driver`. */
export class MbochsDriver extends VfioMdevDriver<MbochsState> {
  readonly deviceApi = "vfio-pci";
  readonly ops = MBOCHS_OPS;

  constructor(world: World) {
    super(world, "mbochs", mdevCore(world).bus, { module: "mbochs" });
  }

  /** mbochs_get_available(): free MiB / the type's MiB. */
  override getAvailable(type: MdevType): number {
    return Math.floor(mbochsBudget(this.world).available / dataOf(type).mbytes);
  }

  /** mbochs_show_description(). */
  override showDescription(type: MdevType): string {
    return `virtual display, ${dataOf(type).mbytes} MB video memory\n`;
  }

  override devGroups(dev: Device): readonly AttributeGroup[] {
    const { mbytes } = dataOf((dev as MdevDevice).type);
    return [{ name: "vendor", attrs: [roAttr("memory", () => `${mbytes} MB\n`)] }];
  }
}
