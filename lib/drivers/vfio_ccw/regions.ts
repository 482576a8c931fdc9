/**
 * vfio-ccw's regions (vfio_ccw_ops.c, vfio_ccw_async.c, vfio_ccw_chp.c; vfio-ccw.md §4.1): the
 * I/O region at index 0 and, while the device is open, the async command, SCHIB and CRW regions
 * at 1–3. A file position is `index << 10 | offset`; an index beyond the registered regions or an
 * access past the region's end is EINVAL. Writes that drive the FSM take the io_mutex with a
 * trylock (EAGAIN when held) and answer the region's ret_code when it is non-zero.
 *
 * @module
 */
import { neg } from "../../errno.ts";
import { vfioCore } from "../../vfio/core.ts";
import { REGION_FLAGS } from "../../vfio/uapi.ts";
import { cioUpdateSchib } from "./cio_helpers.ts";
import { vfioCcwFsmEvent } from "./fsm.ts";
import { EVENT, subchannelOf, type VfioCcwDevice, type VfioCcwPrivate } from "./private.ts";
import {
  CCW_SUBTYPE,
  CMD_REGION,
  CRW_REGION,
  FIXED_REGIONS,
  IO_REGION,
  SCHIB_REGION_SIZE,
  splitPosition,
} from "./uapi.ts";

/** One device-specific region (`struct vfio_ccw_region` with its ops). */
export interface CcwRegion {
  readonly subtype: number;
  readonly size: number;
  readonly flags: number;
  read(vdev: VfioCcwDevice, offset: number, length: number): Uint8Array | number;
  write(vdev: VfioCcwDevice, offset: number, data: Uint8Array): number;
}

/** Runs an FSM event under the io_mutex, as the region writes do with mutex_trylock. */
function withIoMutex(priv: VfioCcwPrivate, body: () => number): number {
  if (priv.ioMutex) return neg("EAGAIN");
  priv.ioMutex = true;
  try {
    return body();
  } finally {
    priv.ioMutex = false;
  }
}

function retCode(region: Uint8Array, offset: number): number {
  return new DataView(region.buffer, region.byteOffset, region.byteLength).getInt32(offset);
}

/** vfio_ccw_async_region_read/write: the command region; a write runs ASYNC_REQ. */
const ASYNC_REGION: CcwRegion = {
  subtype: CCW_SUBTYPE.ASYNC_CMD,
  size: CMD_REGION.SIZE,
  flags: REGION_FLAGS.READ | REGION_FLAGS.WRITE,
  read(vdev, offset, length) {
    return vdev.priv.cmdRegion.slice(offset, offset + length);
  },
  write(vdev, offset, data) {
    const priv = vdev.priv;
    return withIoMutex(priv, () => {
      priv.cmdRegion.set(data, offset);
      vfioCcwFsmEvent(vdev, EVENT.ASYNC_REQ);
      const ret = retCode(priv.cmdRegion, CMD_REGION.RET_CODE);
      return ret !== 0 ? ret : data.length;
    });
  },
};

/** vfio_ccw_schib_region_read: STSCH into the region, then copy; writes are EINVAL. */
const SCHIB_REGION: CcwRegion = {
  subtype: CCW_SUBTYPE.SCHIB,
  size: SCHIB_REGION_SIZE,
  flags: REGION_FLAGS.READ,
  read(vdev, offset, length) {
    const schib = cioUpdateSchib(subchannelOf(vdev));
    if (schib === null) return neg("ENODEV");
    vdev.priv.schibRegion.set(schib.subarray(0, SCHIB_REGION_SIZE));
    return vdev.priv.schibRegion.slice(offset, offset + length);
  },
  write() {
    return neg("EINVAL");
  },
};

/**
 * vfio_ccw_crw_region_read: pops the oldest queued CRW into the region (zeros when none), copies,
 * clears the region's CRW again, and re-signals the CRW eventfd while more are queued.
 */
const CRW_REGION_OPS: CcwRegion = {
  subtype: CCW_SUBTYPE.CRW,
  size: CRW_REGION.SIZE,
  flags: REGION_FLAGS.READ,
  read(vdev, offset, length) {
    const priv = vdev.priv;
    const crw = priv.crw.shift();
    const view = new DataView(priv.crwRegion.buffer, priv.crwRegion.byteOffset, CRW_REGION.SIZE);
    if (crw !== undefined) view.setUint32(CRW_REGION.CRW, crw);
    const bytes = priv.crwRegion.slice(offset, offset + length);
    view.setUint32(CRW_REGION.CRW, 0);
    if (priv.crw.length > 0 && priv.crwTrigger !== null) {
      vfioCore(vdev.world).signal(priv.crwTrigger);
    }
    return bytes;
  },
  write() {
    return neg("EINVAL");
  },
};

/** The device-specific regions in registration order (indexes 1, 2, 3). */
export const CCW_REGIONS: readonly CcwRegion[] = [ASYNC_REGION, SCHIB_REGION, CRW_REGION_OPS];

/** Registers the async, SCHIB and CRW regions (open_device). */
export function registerDevRegions(priv: VfioCcwPrivate): void {
  priv.numRegions = CCW_REGIONS.length;
}

/** vfio_ccw_unregister_dev_regions() (close_device); the buffers stay until release. */
export function unregisterDevRegions(priv: VfioCcwPrivate): void {
  priv.numRegions = 0;
}

/** The region at an index that exists now, or undefined (index 0 is the I/O region). */
export function devRegion(priv: VfioCcwPrivate, index: bigint): CcwRegion | undefined {
  if (index < BigInt(FIXED_REGIONS) || index >= BigInt(FIXED_REGIONS + priv.numRegions)) {
    return undefined;
  }
  return CCW_REGIONS[Number(index) - FIXED_REGIONS];
}

/** The number of regions GET_INFO reports. */
export function regionCount(priv: VfioCcwPrivate): number {
  return FIXED_REGIONS + priv.numRegions;
}

/**
 * read(2) on the device fd: the bytes, or -EINVAL for a missing region or an access past its
 * end (the SCHIB region also -ENODEV when STSCH fails).
 */
export function readRegion(vdev: VfioCcwDevice, pos: bigint, length: number): Uint8Array | number {
  const { index, offset } = splitPosition(pos);
  if (index === 0n) {
    if (offset + length > IO_REGION.SIZE) return neg("EINVAL");
    return vdev.priv.ioRegion.slice(offset, offset + length);
  }
  const region = devRegion(vdev.priv, index);
  if (region === undefined || offset + length > region.size) return neg("EINVAL");
  return region.read(vdev, offset, length);
}

/**
 * write(2) on the device fd. The I/O region: trylock the io_mutex (EAGAIN), copy the bytes in
 * whatever the offset and length, run IO_REQ, answer ret_code if non-zero else the count.
 */
export function writeRegion(vdev: VfioCcwDevice, pos: bigint, data: Uint8Array): number {
  const { index, offset } = splitPosition(pos);
  if (index === 0n) {
    if (offset + data.length > IO_REGION.SIZE) return neg("EINVAL");
    const priv = vdev.priv;
    return withIoMutex(priv, () => {
      priv.ioRegion.set(data, offset);
      vfioCcwFsmEvent(vdev, EVENT.IO_REQ);
      const ret = retCode(priv.ioRegion, IO_REGION.RET_CODE);
      return ret !== 0 ? ret : data.length;
    });
  }
  const region = devRegion(vdev.priv, index);
  if (region === undefined || offset + data.length > region.size) return neg("EINVAL");
  return region.write(vdev, offset, data);
}
