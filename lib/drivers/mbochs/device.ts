/**
 * The mbochs VFIO device: private state set up in `init` (MiB reserved from the module budget,
 * config space, DISPI registers, EDID, lazily allocated VRAM), returned in `release`, and the
 * file operations — access by file position to config, MMIO registers, EDID region and VRAM,
 * mmap of the VRAM, the ioctls including QUERY_GFX_PLANE / GET_GFX_DMABUF in dmabuf mode, and
 * close_device dropping the VRAM (samples/vfio-mdev/mbochs.c, samples.md §4).
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
import {
  DRM_PLANE_TYPE,
  GFX_PLANE_FLAGS,
  GFX_PLANE_INFO_MINSZ,
  putGfxPlaneResult,
} from "../gfx_plane.ts";
import { mbochsBudget } from "./budget.ts";
import { MbochsConfigSpace, type MbochsConfigSpaceSnapshot } from "./config_space.ts";
import {
  MBOCHS_CONFIG_SPACE_SIZE,
  MBOCHS_EDID_BLOB_OFFSET,
  MBOCHS_EDID_OFFSET,
  MBOCHS_EDID_REGION_INDEX,
  MBOCHS_EDID_SIZE,
  MBOCHS_MEMORY_BAR_OFFSET,
  MBOCHS_MMIO_BAR_OFFSET,
  MBOCHS_MMIO_BAR_SIZE,
  MBOCHS_NUM_REGIONS,
  mbochsMemSize,
  type MbochsTypeData,
} from "./defs.ts";
import { Dispi } from "./dispi.ts";
import { type DmabufDescriptor, exportDmabuf, openDmaBufFile } from "./dmabuf.ts";
import { Edid, type EdidSnapshot } from "./edid.ts";
import { mmioRead, mmioWrite } from "./mmio.ts";
import { checkFramebuffer, type MbochsMode, modesEqual } from "./mode.ts";

/** `struct mdev_state` of the sample. */
export interface MbochsState {
  readonly type: MbochsTypeData;
  /** VRAM size in bytes. */
  readonly memSize: number;
  readonly config: MbochsConfigSpace;
  readonly dispi: Dispi;
  readonly edid: Edid;
  /** The VRAM pages (allocated on first touch, dropped on close). */
  readonly vram: DeviceMemory;
  /** dma-buf descriptors in creation order. */
  dmabufs: DmabufDescriptor[];
  /** The next descriptor id (ids are never reused). */
  nextId: number;
  /** The dmabuf_id of the last primary plane query (the sample keeps it for debugging). */
  activeId: number;
}

interface MbochsSnapshot {
  config: MbochsConfigSpaceSnapshot;
  dispi: number[];
  edid: EdidSnapshot;
  vram: DeviceMemorySnapshot;
  dmabufs: Array<{ id: number; mode: MbochsMode }>;
  nextId: number;
  activeId: number;
}

/** struct vfio_region_info plus one vfio_region_info_cap_type: what the EDID region reports. */
const REGION_INFO_EXT_SIZE = 48;
const REGION_INFO_MINSZ = 32;
/** VFIO_REGION_INFO_CAP_TYPE, VFIO_REGION_TYPE_GFX, VFIO_REGION_SUBTYPE_GFX_EDID. */
const CAP_TYPE = { ID: 1, VERSION: 1, TYPE_GFX: 1, SUBTYPE_GFX_EDID: 1 } as const;

function typeOf(vdev: VfioDevice): MbochsTypeData {
  return (vdev.parent as MdevDevice).type.info.data as MbochsTypeData;
}

/** One piece of a read/write by file position; false fails the whole call with EFAULT. */
function accessPiece(
  s: MbochsState,
  pos: number,
  size: 1 | 2 | 4,
  write: boolean,
  value: number,
): number | false {
  if (pos < MBOCHS_CONFIG_SPACE_SIZE) {
    if (!write) return s.config.read(pos, size);
    s.config.write(pos, size, value);
    return 0;
  }
  if (
    pos >= MBOCHS_MMIO_BAR_OFFSET && pos + size <= MBOCHS_MMIO_BAR_OFFSET + MBOCHS_MMIO_BAR_SIZE
  ) {
    const offset = pos - MBOCHS_MMIO_BAR_OFFSET;
    if (!write) return mmioRead(s, offset, size);
    mmioWrite(s, offset, size, value);
    return 0;
  }
  if (pos >= MBOCHS_EDID_OFFSET && pos + size <= MBOCHS_EDID_OFFSET + MBOCHS_EDID_SIZE) {
    const offset = pos - MBOCHS_EDID_OFFSET;
    return offset < MBOCHS_EDID_BLOB_OFFSET
      ? s.edid.accessRegs(offset, size, write, value)
      : s.edid.accessBlob(offset - MBOCHS_EDID_BLOB_OFFSET, size, write, value);
  }
  if (pos >= MBOCHS_MEMORY_BAR_OFFSET && pos + size <= MBOCHS_MEMORY_BAR_OFFSET + s.memSize) {
    // QUIRK (not reproduced): the sample subtracts the MMIO BAR offset (0x1000) instead of
    // 0x3000, so its pread/pwrite hit VRAM two pages higher (and run past the page array at the
    // end); mmap is right and is what QEMU uses, so samples.md §4.3 asks for correct offsets.
    const at = pos - MBOCHS_MEMORY_BAR_OFFSET;
    return accessMemory(write ? s.vram.write() : s.vram.read(), at, size, write, value);
  }
  return false;
}

function rw(s: MbochsState, pos: bigint, buf: Uint8Array, write: boolean): number {
  return dispatchAccess(
    pos,
    buf,
    write,
    (at, size, isWrite, value) => accessPiece(s, at, size, isWrite, value),
  );
}

/**
 * mbochs_get_region_info(): argsz must lie in 32..48 (the sample's own bound); the EDID region
 * reports argsz 48 with a TYPE capability at offset 32. Only `argsz` bytes are copied back.
 */
function getRegionInfo(s: MbochsState, arg: Uint8Array): number {
  const argsz = u32(arg, 0);
  if (argsz < REGION_INFO_MINSZ || argsz > REGION_INFO_EXT_SIZE) return neg("EINVAL");
  const index = u32(arg, 8);
  if (index >= MBOCHS_NUM_REGIONS) return neg("EINVAL");
  const ext = new Uint8Array(REGION_INFO_EXT_SIZE);
  ext.set(arg.subarray(0, Math.min(REGION_INFO_MINSZ, arg.length)));
  let copyBack = REGION_INFO_MINSZ;
  let offset = 0;
  let size = 0;
  let flags = 0;
  switch (index) {
    case PCI_REGION.CONFIG:
      size = MBOCHS_CONFIG_SPACE_SIZE;
      flags = REGION_FLAGS.READ | REGION_FLAGS.WRITE;
      break;
    case PCI_REGION.BAR0:
      offset = MBOCHS_MEMORY_BAR_OFFSET;
      size = s.memSize;
      flags = REGION_FLAGS.READ | REGION_FLAGS.WRITE | REGION_FLAGS.MMAP;
      break;
    case PCI_REGION.BAR2:
      offset = MBOCHS_MMIO_BAR_OFFSET;
      size = MBOCHS_MMIO_BAR_SIZE;
      flags = REGION_FLAGS.READ | REGION_FLAGS.WRITE;
      break;
    case MBOCHS_EDID_REGION_INDEX:
      putU32(ext, 0, REGION_INFO_EXT_SIZE);
      putU32(ext, 12, REGION_INFO_MINSZ);
      ext.set([CAP_TYPE.ID, 0, CAP_TYPE.VERSION, 0], 32);
      putU32(ext, 36, 0); // next: end of the chain
      putU32(ext, 40, CAP_TYPE.TYPE_GFX);
      putU32(ext, 44, CAP_TYPE.SUBTYPE_GFX_EDID);
      offset = MBOCHS_EDID_OFFSET;
      size = MBOCHS_EDID_SIZE;
      flags = REGION_FLAGS.READ | REGION_FLAGS.WRITE | REGION_FLAGS.CAPS;
      copyBack = argsz;
      break;
  }
  putU32(ext, 4, flags);
  putU64(ext, 16, BigInt(size));
  putU64(ext, 24, BigInt(offset));
  arg.set(ext.subarray(0, Math.min(copyBack, arg.length)));
  return 0;
}

/**
 * mbochs_query_gfx_plane(): dmabuf mode only. Anything but a valid primary plane answers success
 * with zeros. QUIRK (reproduced, samples.md §4.6): a mode without a descriptor gets one, but the
 * query still fails with ENOMEM because the sample never updates its lookup result; the next
 * query for that mode succeeds.
 */
function queryGfxPlane(s: MbochsState, arg: Uint8Array): number {
  if (u32(arg, 0) < GFX_PLANE_INFO_MINSZ) return neg("EINVAL");
  const flags = u32(arg, 4);
  if (flags & GFX_PLANE_FLAGS.PROBE) {
    return flags === (GFX_PLANE_FLAGS.PROBE | GFX_PLANE_FLAGS.DMABUF) ? 0 : neg("EINVAL");
  }
  if (flags !== GFX_PLANE_FLAGS.DMABUF) return neg("EINVAL");
  const primary = u32(arg, 8) === DRM_PLANE_TYPE.PRIMARY;
  const mode = primary ? checkFramebuffer(s.dispi, s.memSize) : undefined;
  const none = { drmFormatMod: 0n, xPos: 0, yPos: 0, xHot: 0, yHot: 0 };
  if (mode === undefined) {
    putGfxPlaneResult(arg, {
      ...none,
      drmFormat: 0,
      width: 0,
      height: 0,
      stride: 0,
      size: 0,
      id: 0,
    });
    if (primary) s.activeId = 0;
    return 0;
  }
  const descriptor = s.dmabufs.find((d) => modesEqual(d.mode, mode));
  if (descriptor === undefined) {
    s.dmabufs.push({ id: s.nextId++, mode });
    return neg("ENOMEM");
  }
  putGfxPlaneResult(arg, {
    ...none,
    drmFormat: mode.drmFormat,
    width: mode.width,
    height: mode.height,
    stride: mode.stride,
    size: mode.size,
    id: descriptor.id,
  });
  s.activeId = descriptor.id;
  return 0;
}

/** mbochs_get_gfx_dmabuf(): ENOENT for an unknown id, EINVAL when it cannot be exported. */
function getGfxDmabuf(vdev: VfioDevice<MbochsState>, arg: Uint8Array): number {
  if (arg.length < 4) return neg("EFAULT");
  const s = vdev.priv;
  const descriptor = s.dmabufs.find((d) => d.id === u32(arg, 0));
  if (descriptor === undefined) return neg("ENOENT");
  const buf = exportDmabuf(descriptor, s.vram);
  if (typeof buf === "number") return buf;
  return openDmaBufFile(vdev.world, buf);
}

function ioctl(vdev: VfioDevice<MbochsState>, cmd: number, arg: Uint8Array): number {
  const s = vdev.priv;
  switch (cmd) {
    case VFIO.DEVICE_GET_INFO:
      if (u32(arg, 0) < 16) return neg("EINVAL");
      putU32(arg, 4, DEVICE_FLAGS.PCI);
      putU32(arg, 8, MBOCHS_NUM_REGIONS);
      putU32(arg, 12, PCI_IRQ.NUM);
      return 0;
    case VFIO.DEVICE_GET_REGION_INFO:
      return getRegionInfo(s, arg);
    case VFIO.DEVICE_GET_IRQ_INFO:
      if (u32(arg, 0) < 16 || u32(arg, 8) >= PCI_IRQ.NUM) return neg("EINVAL");
      // QUIRK (not reproduced): the sample echoes the caller's flags; an emulator answers 0.
      putU32(arg, 4, 0);
      putU32(arg, 12, 0);
      return 0;
    case VFIO.DEVICE_QUERY_GFX_PLANE:
      return queryGfxPlane(s, arg);
    case VFIO.DEVICE_GET_GFX_DMABUF:
      return getGfxDmabuf(vdev, arg);
    case VFIO.DEVICE_SET_IRQS:
      return neg("EINVAL");
    case VFIO.DEVICE_RESET:
      // VBE registers only; VRAM, EDID and dma-bufs stay.
      s.dispi.reset(s.memSize);
      return 0;
    default:
      return neg("ENOTTY");
  }
}

/** mbochs_mmap(): page offset exactly 3 (the VRAM BAR), at most memsize bytes, MAP_SHARED only. */
function mmap(vdev: VfioDevice<MbochsState>, request: MmapRequest): Mapping | number {
  const vram = vdev.priv.vram;
  if (request.offset !== BigInt(MBOCHS_MEMORY_BAR_OFFSET)) return neg("EINVAL");
  if (request.length > vram.size || !request.shared) return neg("EINVAL");
  return { memory: vram, start: 0, length: request.length };
}

/**
 * mbochs_close_device(): unexported descriptors are freed, exported ones unlinked (their buffers
 * keep their pages), and every VRAM page is dropped — VRAM reads as zero after a reopen, while
 * the VBE and EDID registers persist.
 */
function closeDevice(vdev: VfioDevice<MbochsState>): void {
  const s = vdev.priv;
  for (const descriptor of s.dmabufs) descriptor.exported?.orphan();
  s.dmabufs = [];
  s.vram.drop();
}

function newVram(vdev: VfioDevice, memSize: number, snapshot?: DeviceMemorySnapshot) {
  return snapshot === undefined
    ? new DeviceMemory(vdev.world, `mbochs-${vdev.id}.vram`, memSize)
    : DeviceMemory.fromSnapshot(vdev.world, snapshot);
}

/** The mbochs vfio_device_ops, with mmap. */
export const MBOCHS_OPS: VfioDeviceOps<MbochsState> & MmapOps<MbochsState> = {
  name: "mbochs",
  module: "mbochs",
  init(vdev) {
    const type = typeOf(vdev);
    if (!mbochsBudget(vdev.world).reserve(type.mbytes)) return neg("ENOSPC");
    const memSize = mbochsMemSize(type);
    vdev.priv = {
      type,
      memSize,
      config: new MbochsConfigSpace(memSize),
      dispi: new Dispi(memSize),
      edid: new Edid(type.maxX, type.maxY),
      vram: newVram(vdev, memSize),
      dmabufs: [],
      nextId: 1,
      activeId: 0,
    };
    const name = (vdev.parent as MdevDevice).type.name;
    vdev.world.log(
      `${vdev.name}: mbochs_init_dev: ${name}, ${type.mbytes} MB, ${memSize / 4096} pages`,
    );
    return 0;
  },
  release(vdev) {
    mbochsBudget(vdev.world).release(vdev.priv.type.mbytes);
    vdev.priv.vram.free();
  },
  closeDevice,
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
  savePriv(s): MbochsSnapshot {
    return {
      config: s.config.toSnapshot(),
      dispi: s.dispi.values(),
      edid: s.edid.toSnapshot(),
      vram: s.vram.toSnapshot(),
      dmabufs: s.dmabufs.map((d) => ({ id: d.id, mode: d.mode })),
      nextId: s.nextId,
      activeId: s.activeId,
    };
  },
  loadPriv(vdev, data) {
    const d = data as MbochsSnapshot;
    const type = typeOf(vdev);
    const memSize = mbochsMemSize(type);
    vdev.priv = {
      type,
      memSize,
      config: MbochsConfigSpace.fromSnapshot(d.config),
      dispi: Dispi.fromValues(d.dispi),
      edid: Edid.fromSnapshot(d.edid),
      vram: newVram(vdev, memSize, d.vram),
      dmabufs: d.dmabufs.map((x) => ({ id: x.id, mode: x.mode })),
      nextId: d.nextId,
      activeId: d.activeId,
    };
    return vdev.priv;
  },
};
registerVfioOps(MBOCHS_OPS);
