/**
 * The mdpy VFIO device: private state set up in `init` (config space, the framebuffer painted
 * with the grey gradient), freed in `release`, and the file operations — config and framebuffer
 * access by file position, mmap of the framebuffer, and the ioctls including
 * VFIO_DEVICE_QUERY_GFX_PLANE in region mode (samples/vfio-mdev/mdpy.c, samples.md §3.3).
 *
 * @module
 */
import { neg } from "../../errno.ts";
import type { MdevDevice } from "../../mdev/device.ts";
import { registerVfioOps, type VfioDevice, type VfioDeviceOps } from "../../vfio/device.ts";
import { accessMemory, dispatchAccess } from "../../vfio/rw_split.ts";
import {
  DEVICE_FLAGS,
  PCI_IRQ,
  PCI_REGION,
  putU32,
  putU64,
  REGION_FLAGS,
  u32,
  VFIO,
} from "../../vfio/uapi.ts";
import {
  DeviceMemory,
  type DeviceMemorySnapshot,
  type Mapping,
  type MmapOps,
  type MmapRequest,
} from "../device_memory.ts";
import { GFX_PLANE_FLAGS, GFX_PLANE_INFO_MINSZ, putGfxPlaneResult } from "../gfx_plane.ts";
import { MdpyConfigSpace, type MdpyConfigSpaceSnapshot } from "./config_space.ts";
import {
  MDPY_CONFIG_SPACE_SIZE,
  MDPY_DISPLAY_REGION,
  MDPY_MEMORY_BAR_OFFSET,
  mdpyFbSize,
  mdpyStride,
  type MdpyTypeData,
} from "./defs.ts";

/** `struct mdev_state` of the sample. */
export interface MdpyState {
  readonly type: MdpyTypeData;
  readonly config: MdpyConfigSpace;
  /** The framebuffer (`memblk`, fbsize bytes). */
  readonly memory: DeviceMemory;
  /** Quirk: the cached vfio_device_info; num_irqs stays 0 until GET_INFO runs. */
  cachedNumIrqs: number;
}

interface MdpySnapshot {
  config: MdpyConfigSpaceSnapshot;
  memory: DeviceMemorySnapshot;
  cachedNumIrqs: number;
}

function typeOf(vdev: VfioDevice): MdpyTypeData {
  return (vdev.parent as MdevDevice).type.info.data as MdpyTypeData;
}

/**
 * mdpy_reset(): every row y < height is filled, all `stride` bytes of it, with ⌊y·255/height⌋ —
 * a grey gradient whose X byte equals the grey value. Bytes past the last row are left alone.
 */
export function paintGradient(type: MdpyTypeData, bytes: Uint8Array): void {
  const stride = mdpyStride(type);
  for (let y = 0; y < type.height; y++) {
    bytes.fill(Math.floor((y * 255) / type.height), y * stride, (y + 1) * stride);
  }
}

/** One piece of a read/write; false fails the whole call with EFAULT. */
function accessPiece(
  s: MdpyState,
  pos: number,
  size: 1 | 2 | 4,
  write: boolean,
  value: number,
): number | false {
  if (pos < MDPY_CONFIG_SPACE_SIZE) {
    if (!write) return s.config.read(pos, size);
    s.config.write(pos, size, value);
    return 0;
  }
  const fbSize = s.memory.size;
  if (pos >= MDPY_MEMORY_BAR_OFFSET && pos + size <= MDPY_MEMORY_BAR_OFFSET + fbSize) {
    // QUIRK (not reproduced): the sample computes the offset inside the BAR but then copies
    // to/from byte 0 of the framebuffer for every access; real clients mmap the BAR instead,
    // and samples.md §3.3 asks emulators to use the correct offset.
    const at = pos - MDPY_MEMORY_BAR_OFFSET;
    return accessMemory(write ? s.memory.write() : s.memory.read(), at, size, write, value);
  }
  return false;
}

function rw(s: MdpyState, pos: bigint, buf: Uint8Array, write: boolean): number {
  return dispatchAccess(
    pos,
    buf,
    write,
    (at, size, isWrite, value) => accessPiece(s, at, size, isWrite, value),
  );
}

function getRegionInfo(s: MdpyState, arg: Uint8Array): number {
  if (u32(arg, 0) < 32) return neg("EINVAL");
  const index = u32(arg, 8);
  if (index >= PCI_REGION.NUM && index !== MDPY_DISPLAY_REGION) return neg("EINVAL");
  let offset = 0n;
  let size = 0n;
  let flags = 0;
  if (index === PCI_REGION.CONFIG) {
    size = BigInt(MDPY_CONFIG_SPACE_SIZE);
    flags = REGION_FLAGS.READ | REGION_FLAGS.WRITE;
  } else if (index === PCI_REGION.BAR0 || index === MDPY_DISPLAY_REGION) {
    offset = BigInt(MDPY_MEMORY_BAR_OFFSET);
    size = BigInt(s.memory.size);
    flags = REGION_FLAGS.READ | REGION_FLAGS.WRITE | REGION_FLAGS.MMAP;
  }
  putU32(arg, 4, flags);
  putU64(arg, 16, size);
  putU64(arg, 24, offset);
  return 0;
}

/** mdpy_query_gfx_plane(): region mode only; the answer ignores the plane type asked for. */
function queryGfxPlane(s: MdpyState, arg: Uint8Array): number {
  if (u32(arg, 0) < GFX_PLANE_INFO_MINSZ) return neg("EINVAL");
  const flags = u32(arg, 4);
  if (flags & GFX_PLANE_FLAGS.PROBE) {
    return flags === (GFX_PLANE_FLAGS.PROBE | GFX_PLANE_FLAGS.REGION) ? 0 : neg("EINVAL");
  }
  if (flags !== GFX_PLANE_FLAGS.REGION) return neg("EINVAL");
  // QUIRK: drm_plane_type is not checked, so a CURSOR query also returns the framebuffer; and
  // size is the power-of-two fbsize, not stride × height.
  putGfxPlaneResult(arg, {
    drmFormat: s.type.format,
    drmFormatMod: 0n,
    width: s.type.width,
    height: s.type.height,
    stride: mdpyStride(s.type),
    size: s.memory.size,
    xPos: 0,
    yPos: 0,
    xHot: 0,
    yHot: 0,
    id: MDPY_DISPLAY_REGION,
  });
  return 0;
}

function ioctl(vdev: VfioDevice<MdpyState>, cmd: number, arg: Uint8Array): number {
  const s = vdev.priv;
  switch (cmd) {
    case VFIO.DEVICE_GET_INFO:
      if (u32(arg, 0) < 16) return neg("EINVAL");
      putU32(arg, 4, DEVICE_FLAGS.PCI);
      putU32(arg, 8, PCI_REGION.NUM);
      putU32(arg, 12, PCI_IRQ.NUM);
      s.cachedNumIrqs = PCI_IRQ.NUM;
      return 0;
    case VFIO.DEVICE_GET_REGION_INFO:
      return getRegionInfo(s, arg);
    case VFIO.DEVICE_GET_IRQ_INFO:
      // Quirk kept: the index is checked against the cached num_irqs (0 before GET_INFO).
      if (u32(arg, 0) < 16 || u32(arg, 8) >= s.cachedNumIrqs) return neg("EINVAL");
      // QUIRK (not reproduced): the sample echoes the caller's flags; samples.md §3.3 says 0.
      putU32(arg, 4, 0);
      putU32(arg, 12, 0);
      return 0;
    case VFIO.DEVICE_QUERY_GFX_PLANE:
      return queryGfxPlane(s, arg);
    case VFIO.DEVICE_SET_IRQS:
      return neg("EINVAL");
    case VFIO.DEVICE_RESET:
      paintGradient(s.type, s.memory.write());
      return 0;
    default:
      return neg("ENOTTY");
  }
}

/** mdpy_mmap(): page offset exactly 1 (the BAR), at most fbsize bytes, MAP_SHARED only. */
function mmap(vdev: VfioDevice<MdpyState>, request: MmapRequest): Mapping | number {
  const memory = vdev.priv.memory;
  if (request.offset !== BigInt(MDPY_MEMORY_BAR_OFFSET)) return neg("EINVAL");
  if (request.length > memory.size || !request.shared) return neg("EINVAL");
  return { memory, start: 0, length: request.length };
}

function newMemory(vdev: VfioDevice, type: MdpyTypeData, snapshot?: DeviceMemorySnapshot) {
  const paint = (bytes: Uint8Array) => paintGradient(type, bytes);
  return snapshot === undefined
    ? new DeviceMemory(vdev.world, `mdpy-${vdev.id}.fb`, mdpyFbSize(type), paint)
    : DeviceMemory.fromSnapshot(vdev.world, snapshot, paint);
}

/** The mdpy vfio_device_ops, with mmap. */
export const MDPY_OPS: VfioDeviceOps<MdpyState> & MmapOps<MdpyState> = {
  name: "mdpy",
  module: "mdpy",
  init(vdev) {
    const type = typeOf(vdev);
    vdev.priv = {
      type,
      config: new MdpyConfigSpace(type, mdpyFbSize(type)),
      // The framebuffer starts as the reset image; it is painted when first touched.
      memory: newMemory(vdev, type),
      cachedNumIrqs: 0,
    };
    vdev.world.log(
      `${vdev.name}: mdpy_init_dev: ${
        (vdev.parent as MdevDevice).type.name
      } (${type.width}x${type.height})`,
    );
    return 0;
  },
  release(vdev) {
    vdev.priv.memory.free();
  },
  read(vdev, pos, length) {
    const buf = new Uint8Array(length);
    const ret = rw(vdev.priv, pos, buf, false);
    return ret < 0 ? ret : buf;
  },
  write(vdev, pos, data) {
    return rw(vdev.priv, pos, data, true);
  },
  ioctl,
  mmap,
  savePriv(s): MdpySnapshot {
    return {
      config: s.config.toSnapshot(),
      memory: s.memory.toSnapshot(),
      cachedNumIrqs: s.cachedNumIrqs,
    };
  },
  loadPriv(vdev, data) {
    const d = data as MdpySnapshot;
    const type = typeOf(vdev);
    vdev.priv = {
      type,
      config: MdpyConfigSpace.fromSnapshot(type, d.config),
      memory: newMemory(vdev, type, d.memory),
      cachedNumIrqs: d.cachedNumIrqs,
    };
    return vdev.priv;
  },
};
registerVfioOps(MDPY_OPS);
