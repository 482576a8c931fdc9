/**
 * vfio-ccw's `vfio_device_ops` (vfio_ccw_ops.c): init/release of the private state, open_device
 * and close_device (the three extra regions exist only while open; OPEN and CLOSE events), the
 * region file operations, and the ioctls GET_INFO, GET_REGION_INFO (with the region TYPE
 * capability for the extra regions), GET_IRQ_INFO, SET_IRQS and RESET.
 *
 * @module
 */
import { neg } from "../../errno.ts";
import { vfioCore } from "../../vfio/core.ts";
import { registerVfioOps } from "../../vfio/device.ts";
import { validateIrqSet } from "../../vfio/set_irqs.ts";
import {
  decodeIrqSet,
  DEVICE_FLAGS,
  IRQ_INFO_FLAGS,
  IRQ_SET,
  IRQ_SET_DATA_TYPE_MASK,
  putU32,
  putU64,
  REGION_FLAGS,
  u32,
  VFIO,
} from "../../vfio/uapi.ts";
import type { CcwEngineKind } from "./cp.ts";
import { engineLoader, forgetDevice } from "./dma.ts";
import { resetDevice, vfioCcwFsmEvent } from "./fsm.ts";
import {
  EVENT,
  loadPrivate,
  newPrivate,
  savePrivate,
  STATE,
  VFIO_CCW_OPS_NAME,
  type VfioCcwDevice,
  type VfioCcwPrivate,
  type VfioCcwPrivateSnapshot,
} from "./private.ts";
import {
  devRegion,
  readRegion,
  regionCount,
  registerDevRegions,
  unregisterDevRegions,
  writeRegion,
} from "./regions.ts";
import { CCW_IRQ, IO_REGION, REGION_INFO_CAP_TYPE, REGION_TYPE_CCW, regionOffset } from "./uapi.ts";

/** The module that supplies these ops. */
export const VFIO_CCW_MODULE = "vfio_ccw";

/** offsetofend(struct vfio_device_info, num_irqs). */
const DEVICE_INFO_MINSZ = 16;
/** sizeof(struct vfio_region_info). */
const REGION_INFO_SIZE = 32;
/** The TYPE capability: header (id u16, version u16, next u32) + type u32 + subtype u32. */
const CAP_TYPE_SIZE = 16;
/** offsetofend(struct vfio_irq_info, count). */
const IRQ_INFO_MINSZ = 16;

/** The translator vfio-ccw devices use: the module's `engine=` parameter, WebAssembly by default. */
function engineKind(vdev: VfioCcwDevice): CcwEngineKind {
  return vdev.world.modules.loaded.get(VFIO_CCW_MODULE)?.params.engine === "ts" ? "ts" : "wasm";
}

/** VFIO_DEVICE_GET_REGION_INFO (vfio_ccw_mdev_get_region_info and the capability chain). */
function getRegionInfo(priv: VfioCcwPrivate, arg: Uint8Array): number {
  if (u32(arg, 0) < REGION_INFO_SIZE) return neg("EINVAL");
  const index = u32(arg, 8);
  if (index === 0) {
    putU32(arg, 4, REGION_FLAGS.READ | REGION_FLAGS.WRITE);
    putU32(arg, 12, 0);
    putU64(arg, 16, BigInt(IO_REGION.SIZE));
    putU64(arg, 24, 0n);
    return 0;
  }
  const region = devRegion(priv, BigInt(index));
  if (region === undefined) return neg("EINVAL");
  putU64(arg, 16, BigInt(region.size));
  putU64(arg, 24, regionOffset(index));
  putU32(arg, 4, region.flags | REGION_FLAGS.CAPS);
  const needed = REGION_INFO_SIZE + CAP_TYPE_SIZE;
  if (u32(arg, 0) < needed) {
    // Too small for the capability: say how much is needed, point at nothing.
    putU32(arg, 0, needed);
    putU32(arg, 12, 0);
    return 0;
  }
  const view = new DataView(arg.buffer, arg.byteOffset, arg.byteLength);
  view.setUint16(REGION_INFO_SIZE, REGION_INFO_CAP_TYPE, true);
  view.setUint16(REGION_INFO_SIZE + 2, 1, true);
  view.setUint32(REGION_INFO_SIZE + 4, 0, true);
  view.setUint32(REGION_INFO_SIZE + 8, REGION_TYPE_CCW, true);
  view.setUint32(REGION_INFO_SIZE + 12, region.subtype, true);
  putU32(arg, 12, REGION_INFO_SIZE);
  return 0;
}

/** The eventfd field of an IRQ index. */
const TRIGGER_FIELD = {
  [CCW_IRQ.IO]: "ioTrigger",
  [CCW_IRQ.CRW]: "crwTrigger",
  [CCW_IRQ.REQ]: "reqTrigger",
} as const;

/**
 * VFIO_DEVICE_SET_IRQS (vfio_ccw_mdev_set_irqs): only ACTION_TRIGGER; DATA_NONE and a true
 * DATA_BOOL signal the assigned eventfd (so a "disable" with DATA_NONE and count 0 signals it —
 * the driver never treats count 0 as de-assign), DATA_EVENTFD assigns one or de-assigns with -1.
 */
function setIrqs(vdev: VfioCcwDevice, arg: Uint8Array): number {
  const set = decodeIrqSet(arg);
  const dataSize = validateIrqSet(set, 1, CCW_IRQ.NUM);
  if (dataSize < 0) return dataSize;
  if ((set.flags & IRQ_SET.ACTION_TRIGGER) === 0) return neg("EINVAL");
  const field = TRIGGER_FIELD[set.index as keyof typeof TRIGGER_FIELD];
  if (field === undefined) return neg("EINVAL");
  const priv = vdev.priv;
  const core = vfioCore(vdev.world);
  const data = new DataView(set.data.buffer, set.data.byteOffset, set.data.byteLength);
  switch (set.flags & IRQ_SET_DATA_TYPE_MASK) {
    case IRQ_SET.DATA_NONE: {
      const fd = priv[field];
      if (fd !== null) core.signal(fd);
      return 0;
    }
    case IRQ_SET.DATA_BOOL: {
      if (set.data.length < 1) return neg("EFAULT");
      const fd = priv[field];
      if (set.data[0] !== 0 && fd !== null) core.signal(fd);
      return 0;
    }
    case IRQ_SET.DATA_EVENTFD: {
      if (set.data.length < 4) return neg("EFAULT");
      const fd = data.getInt32(0, true);
      if (fd === -1) priv[field] = null;
      else if (fd >= 0) {
        if (!core.eventfds.has(fd)) return neg("EBADF");
        priv[field] = fd;
      } else return neg("EINVAL");
      return 0;
    }
    default:
      return neg("EINVAL");
  }
}

function ioctl(vdev: VfioCcwDevice, cmd: number, arg: Uint8Array): number {
  const priv = vdev.priv;
  switch (cmd) {
    case VFIO.DEVICE_GET_INFO:
      if (u32(arg, 0) < DEVICE_INFO_MINSZ) return neg("EINVAL");
      putU32(arg, 4, DEVICE_FLAGS.CCW | DEVICE_FLAGS.RESET);
      putU32(arg, 8, regionCount(priv));
      putU32(arg, 12, CCW_IRQ.NUM);
      return 0;
    case VFIO.DEVICE_GET_REGION_INFO:
      return getRegionInfo(priv, arg);
    case VFIO.DEVICE_GET_IRQ_INFO: {
      if (u32(arg, 0) < IRQ_INFO_MINSZ) return neg("EINVAL");
      const index = u32(arg, 8);
      if (index >= CCW_IRQ.NUM) return neg("EINVAL");
      putU32(arg, 4, IRQ_INFO_FLAGS.EVENTFD);
      putU32(arg, 12, 1);
      return 0;
    }
    case VFIO.DEVICE_SET_IRQS:
      return setIrqs(vdev, arg);
    case VFIO.DEVICE_RESET:
      return resetDevice(vdev);
    default:
      return neg("ENOTTY");
  }
}

/**
 * vfio_ccw_mdev_open_device(): refused in NOT_OPER; registers the async, SCHIB and CRW regions,
 * then OPEN; a device left NOT_OPER fails the open with EINVAL and loses the regions again.
 */
function openDevice(vdev: VfioCcwDevice): number {
  const notOper = () => vdev.priv.state === STATE.NOT_OPER;
  if (notOper()) return neg("EINVAL");
  registerDevRegions(vdev.priv);
  vfioCcwFsmEvent(vdev, EVENT.OPEN);
  if (notOper()) {
    unregisterDevRegions(vdev.priv);
    return neg("EINVAL");
  }
  return 0;
}

/** vfio_ccw_mdev_close_device(): CLOSE, then the extra regions go. */
function closeDevice(vdev: VfioCcwDevice): void {
  vfioCcwFsmEvent(vdev, EVENT.CLOSE);
  unregisterDevRegions(vdev.priv);
}

/** The vfio-ccw vfio_device_ops. */
export const VFIO_CCW_OPS = registerVfioOps<VfioCcwPrivate>({
  name: VFIO_CCW_OPS_NAME,
  module: VFIO_CCW_MODULE,
  init(vdev) {
    vdev.priv = newPrivate(engineKind(vdev), engineLoader(vdev));
    return 0;
  },
  release(vdev) {
    // vfio_ccw_mdev_release_dev(): the queued CRWs and region buffers go with the memory.
    vdev.priv.crw.length = 0;
    forgetDevice(vdev);
  },
  openDevice,
  closeDevice,
  read(vdev, pos, length) {
    return readRegion(vdev, pos, length);
  },
  write(vdev, pos, data) {
    return writeRegion(vdev, pos, data);
  },
  ioctl,
  savePriv(priv) {
    return savePrivate(priv);
  },
  loadPriv(vdev, data) {
    vdev.priv = loadPrivate(data as VfioCcwPrivateSnapshot, engineLoader(vdev));
    return vdev.priv;
  },
});
