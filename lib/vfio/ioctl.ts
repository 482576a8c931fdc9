/**
 * Typed VFIO device ioctls from userspace's side: encode the uapi argument
 * buffer, call the driver's `ioctl` hook as the device fd would, decode the
 * result (include/uapi/linux/vfio.h, driver-core-mdev-vfio.md §5.5).
 *
 * @module
 */
import { KernelError } from "../errno.ts";
import type { VfioDevice } from "./device.ts";
import {
  type DeviceInfo,
  encodeIrqSet,
  type IrqInfo,
  type IrqSet,
  putU32,
  type RegionInfo,
  u32,
  u64,
  VFIO,
} from "./uapi.ts";

const DEVICE_INFO_SIZE = 20;
const REGION_INFO_SIZE = 32;
const IRQ_INFO_SIZE = 16;

/**
 * ioctl(2) on the device fd: the core answers EINVAL when the driver has no
 * ioctl op (§5.3); a negative return becomes a KernelError.
 *
 * @returns the driver's non-negative return value
 */
export function deviceIoctl(vdev: VfioDevice, cmd: number, arg: Uint8Array): number {
  if (vdev.ops.ioctl === undefined) throw new KernelError("EINVAL");
  const ret = vdev.ops.ioctl(vdev, cmd, arg);
  if (ret < 0) throw KernelError.fromReturn(ret);
  return ret;
}

/** VFIO_DEVICE_GET_INFO. */
export function getInfo(vdev: VfioDevice): DeviceInfo {
  const arg = new Uint8Array(DEVICE_INFO_SIZE);
  putU32(arg, 0, arg.length);
  deviceIoctl(vdev, VFIO.DEVICE_GET_INFO, arg);
  return {
    argsz: u32(arg, 0),
    flags: u32(arg, 4),
    numRegions: u32(arg, 8),
    numIrqs: u32(arg, 12),
    capOffset: u32(arg, 16),
  };
}

/** VFIO_DEVICE_GET_REGION_INFO for one region index. */
export function getRegionInfo(vdev: VfioDevice, index: number): RegionInfo {
  const arg = new Uint8Array(REGION_INFO_SIZE);
  putU32(arg, 0, arg.length);
  putU32(arg, 8, index);
  deviceIoctl(vdev, VFIO.DEVICE_GET_REGION_INFO, arg);
  return {
    argsz: u32(arg, 0),
    flags: u32(arg, 4),
    index: u32(arg, 8),
    capOffset: u32(arg, 12),
    size: u64(arg, 16),
    offset: u64(arg, 24),
  };
}

/** VFIO_DEVICE_GET_IRQ_INFO for one IRQ index. */
export function getIrqInfo(vdev: VfioDevice, index: number): IrqInfo {
  const arg = new Uint8Array(IRQ_INFO_SIZE);
  putU32(arg, 0, arg.length);
  putU32(arg, 8, index);
  deviceIoctl(vdev, VFIO.DEVICE_GET_IRQ_INFO, arg);
  return { argsz: u32(arg, 0), flags: u32(arg, 4), index: u32(arg, 8), count: u32(arg, 12) };
}

/** VFIO_DEVICE_SET_IRQS; `data` holds the per-IRQ elements (s32 fds for DATA_EVENTFD). */
export function setIrqs(vdev: VfioDevice, set: Omit<IrqSet, "argsz">): void {
  deviceIoctl(vdev, VFIO.DEVICE_SET_IRQS, encodeIrqSet(set));
}

/** VFIO_DEVICE_RESET (no argument). */
export function reset(vdev: VfioDevice): void {
  deviceIoctl(vdev, VFIO.DEVICE_RESET, new Uint8Array(0));
}

const hex = (value: number | bigint) => `0x${value.toString(16)}`;

/** GET_INFO as `flags=0x2 num_regions=9 num_irqs=5`. */
export function formatDeviceInfo(info: DeviceInfo): string {
  return `flags=${hex(info.flags)} num_regions=${info.numRegions} num_irqs=${info.numIrqs}`;
}

/** GET_REGION_INFO as `index=7 flags=0x3 size=0xff offset=0x70000000000`. */
export function formatRegionInfo(info: RegionInfo): string {
  return `index=${info.index} flags=${hex(info.flags)} size=${hex(info.size)} offset=${
    hex(info.offset)
  }`;
}

/** GET_IRQ_INFO as `index=0 flags=0x7 count=1`. */
export function formatIrqInfo(info: IrqInfo): string {
  return `index=${info.index} flags=${hex(info.flags)} count=${info.count}`;
}
