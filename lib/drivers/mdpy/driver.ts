/**
 * The mdpy mdev driver: a VFIO mdev driver (probe = alloc + register, remove = unregister +
 * put) whose instances the mdev core counts (`max_instances`, module parameter `count`), with
 * a description per type and the `vendor/resolution` attribute.
 *
 * @module
 */
import type { AttributeGroup } from "../../core/attribute.ts";
import { roAttr } from "../../core/attribute.ts";
import type { Device } from "../../core/device.ts";
import type { World } from "../../core/world.ts";
import { mdevCore } from "../../mdev/core.ts";
import type { MdevDevice } from "../../mdev/device.ts";
import type { MdevType } from "../../mdev/type.ts";
import { VfioMdevDriver } from "../../vfio/mdev_driver.ts";
import type { MdpyTypeData } from "./defs.ts";
import { MDPY_OPS, type MdpyState } from "./device.ts";

/** `mdpy_driver`. */
export class MdpyDriver extends VfioMdevDriver<MdpyState> {
  readonly deviceApi = "vfio-pci";
  readonly ops = MDPY_OPS;
  /** `max_instances`: the core's per-parent counter starts here (no get_available hook). */
  override readonly maxInstances: number;

  /** @param maxInstances The module parameter `count` (default 4). */
  constructor(world: World, maxInstances: number) {
    super(world, "mdpy", mdevCore(world).bus, { module: "mdpy" });
    this.maxInstances = maxInstances;
  }

  /** mdpy_show_description(). */
  override showDescription(type: MdevType): string {
    const { width, height } = type.info.data as MdpyTypeData;
    return `virtual display, ${width}x${height} framebuffer\n`;
  }

  override devGroups(dev: Device): readonly AttributeGroup[] {
    const { width, height } = (dev as MdevDevice).type.info.data as MdpyTypeData;
    return [{ name: "vendor", attrs: [roAttr("resolution", () => `${width}x${height}\n`)] }];
  }
}
