/**
 * include/uapi/linux/vfio.h: ioctl numbers, flags and the structure layouts
 * (little-endian, as on x86-64 and in the CLI's decoded output).
 *
 * @module
 */

/** `_IO(';', 100 + n)`. */
export const VFIO = {
  GROUP_GET_STATUS: 0x3b67,
  GROUP_SET_CONTAINER: 0x3b68,
  GROUP_UNSET_CONTAINER: 0x3b69,
  GROUP_GET_DEVICE_FD: 0x3b6a,
  DEVICE_GET_INFO: 0x3b6b,
  DEVICE_GET_REGION_INFO: 0x3b6c,
  DEVICE_GET_IRQ_INFO: 0x3b6d,
  DEVICE_SET_IRQS: 0x3b6e,
  DEVICE_RESET: 0x3b6f,
  DEVICE_QUERY_GFX_PLANE: 0x3b72,
  DEVICE_GET_GFX_DMABUF: 0x3b73,
  DEVICE_FEATURE: 0x3b75,
} as const;

/** vfio_device_info.flags. */
export const DEVICE_FLAGS = {
  RESET: 1 << 0,
  PCI: 1 << 1,
  PLATFORM: 1 << 2,
  AMBA: 1 << 3,
  CCW: 1 << 4,
  AP: 1 << 5,
  FSL_MC: 1 << 6,
  CAPS: 1 << 7,
  CDX: 1 << 8,
} as const;

/** vfio_region_info.flags. */
export const REGION_FLAGS = { READ: 1, WRITE: 2, MMAP: 4, CAPS: 8 } as const;

/** vfio_irq_info.flags. */
export const IRQ_INFO_FLAGS = { EVENTFD: 1, MASKABLE: 2, AUTOMASKED: 4, NORESIZE: 8 } as const;

/** vfio_irq_set.flags. */
export const IRQ_SET = {
  DATA_NONE: 1,
  DATA_BOOL: 2,
  DATA_EVENTFD: 4,
  ACTION_MASK: 8,
  ACTION_UNMASK: 16,
  ACTION_TRIGGER: 32,
} as const;
/** Data-type bits of vfio_irq_set.flags. */
export const IRQ_SET_DATA_TYPE_MASK = 0x7;
/** Action bits of vfio_irq_set.flags. */
export const IRQ_SET_ACTION_TYPE_MASK = 0x38;

/** PCI region indexes (VFIO_PCI_*_REGION_INDEX). */
export const PCI_REGION = {
  BAR0: 0,
  BAR1: 1,
  BAR2: 2,
  BAR3: 3,
  BAR4: 4,
  BAR5: 5,
  ROM: 6,
  CONFIG: 7,
  VGA: 8,
  NUM: 9,
} as const;

/** PCI IRQ indexes (VFIO_PCI_*_IRQ_INDEX). */
export const PCI_IRQ = { INTX: 0, MSI: 1, MSIX: 2, ERR: 3, REQ: 4, NUM: 5 } as const;

/** `struct vfio_device_info` (minimum argsz 16; cap_offset needs 20). */
export interface DeviceInfo {
  argsz: number;
  flags: number;
  numRegions: number;
  numIrqs: number;
  capOffset: number;
}

/** `struct vfio_region_info` (minimum argsz 32). */
export interface RegionInfo {
  argsz: number;
  flags: number;
  index: number;
  capOffset: number;
  size: bigint;
  offset: bigint;
}

/** `struct vfio_irq_info` (minimum argsz 16). */
export interface IrqInfo {
  argsz: number;
  flags: number;
  index: number;
  count: number;
}

/** `struct vfio_irq_set` header (20 bytes) plus its data. */
export interface IrqSet {
  argsz: number;
  flags: number;
  index: number;
  start: number;
  count: number;
  data: Uint8Array;
}

/** Size of the vfio_irq_set header. */
export const IRQ_SET_HEADER = 20;

function view(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Reads a little-endian u32 at `offset`, or 0 beyond the buffer. */
export function u32(buf: Uint8Array, offset: number): number {
  return offset + 4 <= buf.length ? view(buf).getUint32(offset, true) : 0;
}

/** Writes a little-endian u32 if it fits. */
export function putU32(buf: Uint8Array, offset: number, value: number): void {
  if (offset + 4 <= buf.length) view(buf).setUint32(offset, value >>> 0, true);
}

/** Writes a little-endian u64 if it fits. */
export function putU64(buf: Uint8Array, offset: number, value: bigint): void {
  if (offset + 8 <= buf.length) view(buf).setBigUint64(offset, value, true);
}

/** Reads a little-endian u64, or 0 beyond the buffer. */
export function u64(buf: Uint8Array, offset: number): bigint {
  return offset + 8 <= buf.length ? view(buf).getBigUint64(offset, true) : 0n;
}

/** Encodes a vfio_irq_set. */
export function encodeIrqSet(s: Omit<IrqSet, "argsz">): Uint8Array {
  const buf = new Uint8Array(IRQ_SET_HEADER + s.data.length);
  putU32(buf, 0, buf.length);
  putU32(buf, 4, s.flags);
  putU32(buf, 8, s.index);
  putU32(buf, 12, s.start);
  putU32(buf, 16, s.count);
  buf.set(s.data, IRQ_SET_HEADER);
  return buf;
}

/** Decodes a vfio_irq_set header (data is a view past the header). */
export function decodeIrqSet(buf: Uint8Array): IrqSet {
  return {
    argsz: u32(buf, 0),
    flags: u32(buf, 4),
    index: u32(buf, 8),
    start: u32(buf, 12),
    count: u32(buf, 16),
    data: buf.subarray(Math.min(IRQ_SET_HEADER, buf.length)),
  };
}
