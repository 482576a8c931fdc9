/**
 * The mtty mdev driver: a VFIO mdev driver (probe = alloc + register,
 * remove = unregister + put) with mtty's instance accounting and attributes.
 *
 * @module
 */
import type { AttributeGroup } from "../../core/attribute.ts";
import type { Device } from "../../core/device.ts";
import type { World } from "../../core/world.ts";
import { mdevCore } from "../../mdev/core.ts";
import type { MdevDevice } from "../../mdev/device.ts";
import type { MdevType } from "../../mdev/type.ts";
import { VfioMdevDriver } from "../../vfio/mdev_driver.ts";
import { MTTY_OPS, type MttyState } from "./device.ts";
import { mttyPool } from "./pool.ts";
import type { MttyTypeData } from "./types.ts";

/** `mtty_driver`. */
export class MttyDriver extends VfioMdevDriver<MttyState> {
  readonly deviceApi = "vfio-pci";
  readonly ops = MTTY_OPS;

  constructor(world: World) {
    super(world, "mtty", mdevCore(world).bus, { module: "mtty" });
  }

  /** avail_ports / nr_ports of the type. */
  override getAvailable(type: MdevType): number {
    return Math.floor(mttyPool(this.world).available / (type.info.data as MttyTypeData).ports);
  }

  override devGroups(dev: Device): readonly AttributeGroup[] {
    const uuid = (dev as MdevDevice).uuid;
    return [{
      name: "vendor",
      attrs: [{ name: "sample_mdev_dev", mode: 0o444, show: () => `This is MDEV ${uuid}\n` }],
    }];
  }
}
