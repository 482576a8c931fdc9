/**
 * Region access through a VFIO device fd: resolve a script's REGION to a
 * region index, find the region's file offset with GET_REGION_INFO, then
 * read(2)/write(2) at offset + OFFSET through the driver's file ops. PCI
 * regions are little-endian; vfio-ccw regions hold raw big-endian structures (cli.md §5). The
 * device's `device_api` tells which names apply.
 *
 * @module
 */
import { KernelError } from "../errno.ts";
import { MdevDevice } from "../mdev/device.ts";
import type { VfioDevice } from "./device.ts";
import { getRegionInfo } from "./ioctl.ts";
import type { AccessWidth, RegionName, RegionRef } from "./script.ts";
import { PCI_REGION } from "./uapi.ts";

const PCI_REGION_BY_NAME: Partial<Record<RegionName, number>> = {
  bar0: PCI_REGION.BAR0,
  bar1: PCI_REGION.BAR1,
  bar2: PCI_REGION.BAR2,
  bar3: PCI_REGION.BAR3,
  bar4: PCI_REGION.BAR4,
  bar5: PCI_REGION.BAR5,
  rom: PCI_REGION.ROM,
  config: PCI_REGION.CONFIG,
  vga: PCI_REGION.VGA,
  // mbochs' EDID region, the first index after the PCI ones (samples.md §4.3).
  edid: PCI_REGION.NUM,
};

/** vfio-ccw region indexes: the I/O region, then async, SCHIB and CRW in registration order. */
const CCW_REGION_BY_NAME: Partial<Record<RegionName, number>> = {
  io: 0,
  async: 1,
  schib: 2,
  crw: 3,
};

/** The `device_api` of the mdev type a VFIO device was created from (`vfio-pci` otherwise). */
export function deviceApi(vdev: VfioDevice): string {
  const mdev = vdev.parent;
  return mdev instanceof MdevDevice ? mdev.type.parent.driver.deviceApi : "vfio-pci";
}

function isCcw(vdev: VfioDevice): boolean {
  return deviceApi(vdev) === "vfio-ccw";
}

/**
 * The VFIO region index a REGION names: PCI names map to VFIO_PCI_*_REGION_INDEX on PCI devices,
 * `io`/`async`/`schib`/`crw` to 0–3 on vfio-ccw devices; a decimal index is used as given.
 *
 * @throws {KernelError} EINVAL for a name the device's kind does not have.
 */
export function regionIndex(vdev: VfioDevice, ref: RegionRef): number {
  if ("index" in ref) return ref.index;
  const ccw = isCcw(vdev);
  const index = (ccw ? CCW_REGION_BY_NAME : PCI_REGION_BY_NAME)[ref.name];
  if (index === undefined) {
    throw new KernelError("EINVAL", {
      detail: `region ${ref.name} is not a ${ccw ? "vfio-ccw" : "PCI"} region`,
    });
  }
  return index;
}

function filePosition(vdev: VfioDevice, ref: RegionRef, offset: bigint): bigint {
  return getRegionInfo(vdev, regionIndex(vdev, ref)).offset + offset;
}

/** read(2) of `length` bytes at OFFSET in the region; the driver's op missing → EINVAL. */
export function regionRead(
  vdev: VfioDevice,
  ref: RegionRef,
  offset: bigint,
  length: number,
): Uint8Array {
  const pos = filePosition(vdev, ref, offset);
  if (vdev.ops.read === undefined) throw new KernelError("EINVAL");
  const result = vdev.ops.read(vdev, pos, length);
  if (typeof result === "number") throw KernelError.fromReturn(result);
  return result;
}

/** write(2) of `data` at OFFSET in the region; the driver's op missing → EINVAL. */
export function regionWrite(
  vdev: VfioDevice,
  ref: RegionRef,
  offset: bigint,
  data: Uint8Array,
): void {
  const pos = filePosition(vdev, ref, offset);
  if (vdev.ops.write === undefined) throw new KernelError("EINVAL");
  const ret = vdev.ops.write(vdev, pos, data);
  if (ret < 0) throw KernelError.fromReturn(ret);
}

/** A `width`-byte read: little-endian on PCI devices, big-endian on vfio-ccw devices. */
export function readValue(
  vdev: VfioDevice,
  ref: RegionRef,
  offset: bigint,
  width: AccessWidth,
): bigint {
  const bytes = regionRead(vdev, ref, offset, width);
  if (!isCcw(vdev)) bytes.reverse();
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

/** A `width`-byte write: little-endian on PCI devices, big-endian on vfio-ccw devices. */
export function writeValue(
  vdev: VfioDevice,
  ref: RegionRef,
  offset: bigint,
  width: AccessWidth,
  value: bigint,
): void {
  const bytes = new Uint8Array(width);
  for (let i = 0; i < width; i++) bytes[i] = Number((value >> BigInt(i * 8)) & 0xffn);
  if (isCcw(vdev)) bytes.reverse();
  regionWrite(vdev, ref, offset, bytes);
}
