/**
 * The mtty mdev driver: probe = vfio_alloc_device + register, remove =
 * unregister + put (the shape the 2021/2022 series gave every sample).
 *
 * @module
 */
import type { AttributeGroup } from "../../core/attribute.ts";
import type { Device } from "../../core/device.ts";
import type { Step } from "../../core/task.ts";
import type { World } from "../../core/world.ts";
import { mdevCore } from "../../mdev/core.ts";
import type { MdevDevice } from "../../mdev/device.ts";
import { MdevDriver } from "../../mdev/driver.ts";
import type { MdevType } from "../../mdev/type.ts";
import {
  vfioPutDeviceStep,
  vfioRegisterEmulatedIommuDev,
  vfioUnregisterGroupDev,
} from "../../vfio/core.ts";
import { isErrno, vfioAllocDevice, type VfioDevice } from "../../vfio/device.ts";
import { MTTY_OPS } from "./device.ts";
import { mttyPool } from "./pool.ts";
import type { MttyTypeData } from "./types.ts";

/** `mtty_driver`. */
export class MttyDriver extends MdevDriver {
  readonly deviceApi = "vfio-pci";

  constructor(world: World) {
    super(world, "mtty", mdevCore(world).bus, { module: "mtty" });
  }

  /** avail_ports / nr_ports of the type. */
  override getAvailable(type: MdevType): number {
    return Math.floor(mttyPool(this.world).available / (type.info.data as MttyTypeData).ports);
  }

  override probe(dev: Device): number {
    const vdev = vfioAllocDevice(dev, MTTY_OPS);
    if (isErrno(vdev)) return vdev;
    const ret = vfioRegisterEmulatedIommuDev(vdev);
    if (ret < 0) {
      vdev.put();
      return ret;
    }
    dev.driverData = vdev;
    return 0;
  }

  override remove(dev: Device): Step[] {
    const vdev = dev.driverData as VfioDevice;
    return [...vfioUnregisterGroupDev(vdev), vfioPutDeviceStep(vdev)];
  }

  override devGroups(dev: Device): readonly AttributeGroup[] {
    const uuid = (dev as MdevDevice).uuid;
    return [{
      name: "vendor",
      attrs: [{ name: "sample_mdev_dev", mode: 0o444, show: () => `This is MDEV ${uuid}\n` }],
    }];
  }
}
