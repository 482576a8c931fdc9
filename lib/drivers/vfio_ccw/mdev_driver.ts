/**
 * The mdev driver `vfio_ccw_mdev` (vfio_ccw_ops.c after the parent rework): probe allocates the
 * `vfio_ccw_private` through vfio_alloc_device (the ops' init sets it up), points the parent's
 * drvdata at it and registers it; remove unregisters it, clears the parent's drvdata and puts it —
 * the VFIO core's release frees it on the last put, whoever holds that.
 *
 * @module
 */
import type { Device } from "../../core/device.ts";
import { defineStep, type Step } from "../../core/task.ts";
import type { World } from "../../core/world.ts";
import { mdevCore } from "../../mdev/core.ts";
import { MdevDriver } from "../../mdev/driver.ts";
import {
  vfioPutDeviceStep,
  vfioRegisterEmulatedIommuDev,
  vfioUnregisterGroupDev,
} from "../../vfio/core.ts";
import { isErrno, vfioAllocDevice, vfioPutDevice } from "../../vfio/device.ts";
import { VFIO_CCW_MODULE, VFIO_CCW_OPS } from "./ops.ts";
import type { VfioCcwDevice } from "./private.ts";

/** `VFIO_DEVICE_API_CCW_STRING`. */
export const VFIO_CCW_DEVICE_API = "vfio-ccw";

/** The `vfio_ccw_parent` device below an mdev's subchannel (the subchannel's drvdata). */
function parentDeviceOf(mdev: Device): Device {
  const parent = mdev.parent?.driverData;
  if (parent === undefined || parent === null || typeof parent !== "object") {
    throw new RangeError(`Cannot find the vfio_ccw parent of mdev ${mdev.name}`);
  }
  return parent as Device;
}

/** `vfio_ccw_mdev_driver`: one instance per subchannel. */
export class VfioCcwMdevDriver extends MdevDriver {
  readonly deviceApi = VFIO_CCW_DEVICE_API;
  override readonly maxInstances = 1;

  constructor(world: World) {
    super(world, "vfio_ccw_mdev", mdevCore(world).bus, { module: VFIO_CCW_MODULE });
  }

  /** vfio_ccw_mdev_probe(). */
  override probe(mdev: Device): number {
    const parent = parentDeviceOf(mdev);
    const vdev = vfioAllocDevice(mdev, VFIO_CCW_OPS);
    if (isErrno(vdev)) return vdev;
    parent.driverData = vdev;
    mdev.world.log(`vfio_ccw: sch ${mdev.parent!.name}: create`);
    const ret = vfioRegisterEmulatedIommuDev(vdev);
    if (ret < 0) {
      parent.driverData = undefined;
      vfioPutDevice(vdev);
      return ret;
    }
    mdev.driverData = vdev;
    return 0;
  }

  /** vfio_ccw_mdev_remove(): unregister (sleeps while a handle is open), clear, put. */
  override remove(mdev: Device): Step[] {
    const vdev = parentDeviceOf(mdev).driverData as VfioCcwDevice;
    mdev.world.log(`vfio_ccw: sch ${mdev.parent!.name}: remove`);
    return [
      ...vfioUnregisterGroupDev(vdev),
      clearParentDrvdata({ mdev: mdev.id }),
      vfioPutDeviceStep(vdev),
    ];
  }
}

const clearParentDrvdata = defineStep(
  "vfio_ccw.mdev_remove.clear_parent",
  (world, a: { mdev: number }) => {
    parentDeviceOf(world.device(a.mdev)).driverData = undefined;
  },
);
