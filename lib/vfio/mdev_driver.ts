/**
 * The probe/remove every VFIO mdev driver shares since the 2021/2022
 * series: probe = vfio_alloc_device (the ops' init sets up private state) +
 * vfio_register_emulated_iommu_dev, remove = unregister (may sleep on open
 * files) + vfio_put_device (the ops' release runs on the last put).
 *
 * @module
 */
import type { Device } from "../core/device.ts";
import type { Step } from "../core/task.ts";
import { MdevDriver } from "../mdev/driver.ts";
import { vfioPutDeviceStep, vfioRegisterEmulatedIommuDev, vfioUnregisterGroupDev } from "./core.ts";
import { isErrno, vfioAllocDevice, type VfioDevice, type VfioDeviceOps } from "./device.ts";

/** An mdev driver whose probe registers a VFIO device with `ops`. */
export abstract class VfioMdevDriver<P = unknown> extends MdevDriver {
  /** set by driver: the vfio_device_ops of its devices. */
  abstract readonly ops: VfioDeviceOps<P>;

  override probe(dev: Device): number {
    const vdev = vfioAllocDevice(dev, this.ops);
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
    const vdev = dev.driverData as VfioDevice<P>;
    return [...vfioUnregisterGroupDev(vdev), vfioPutDeviceStep(vdev)];
  }
}
