/**
 * include/uapi/linux/vfio_ccw.h and the vfio-ccw parts of include/uapi/linux/vfio.h: region and
 * IRQ indexes, the layouts of the four regions (raw big-endian structures, as on s390) and the
 * file-offset encoding (vfio-ccw.md §3).
 *
 * @module
 */

/** `VFIO_CCW_OFFSET_SHIFT`: region index i lives at file offset `i << 10`. */
export const OFFSET_SHIFT = 10n;
/** `VFIO_CCW_OFFSET_MASK`: the position inside a region. */
export const OFFSET_MASK = (1n << OFFSET_SHIFT) - 1n;

/**
 * `VFIO_CCW_NUM_REGIONS`: the regions that always exist (the I/O region, index 0); the async,
 * SCHIB and CRW regions follow at 1–3 while the device is open.
 */
export const FIXED_REGIONS = 1;

/** IRQ indexes (`VFIO_CCW_*_IRQ_INDEX`) and `VFIO_CCW_NUM_IRQS`. */
export const CCW_IRQ = { IO: 0, CRW: 1, REQ: 2, NUM: 3 } as const;

/** `VFIO_REGION_TYPE_CCW` and its subtypes (region info TYPE capability). */
export const REGION_TYPE_CCW = 2;
/** Subtypes of {@linkcode REGION_TYPE_CCW}. */
export const CCW_SUBTYPE = { ASYNC_CMD: 1, SCHIB: 2, CRW: 3 } as const;
/** `VFIO_REGION_INFO_CAP_TYPE`. */
export const REGION_INFO_CAP_TYPE = 2;

/** `struct ccw_io_region`: orb 0–11, scsw 12–23, irb 24–119, ret_code 120–123. */
export const IO_REGION = {
  ORB: 0,
  ORB_SIZE: 12,
  SCSW: 12,
  SCSW_SIZE: 12,
  IRB: 24,
  IRB_SIZE: 96,
  RET_CODE: 120,
  SIZE: 124,
} as const;

/** `struct ccw_cmd_region`: command u32, ret_code u32. */
export const CMD_REGION = { COMMAND: 0, RET_CODE: 4, SIZE: 8 } as const;
/** `struct ccw_schib_region`: the 52-byte SCHIB. */
export const SCHIB_REGION_SIZE = 52;
/** `struct ccw_crw_region`: crw u32, pad u32. */
export const CRW_REGION = { CRW: 0, SIZE: 8 } as const;

/** `VFIO_CCW_ASYNC_CMD_HSCH` / `_CSCH`. */
export const ASYNC_CMD = { HSCH: 1, CSCH: 2 } as const;

/** `sizeof(union orb)`: how much of the I/O region the kernel copies as its ORB (§1.4). */
export const ORB_COPY_SIZE = 32;
/** `sizeof(struct irb)`: the bytes written into `irb_area`. */
export const IRB_SIZE = 64;

/** `VFIO_CCW_ISC` = `IO_SCH_ISC`. */
export const VFIO_CCW_ISC = 3;

/** The file position of a region index. */
export function regionOffset(index: number): bigint {
  return BigInt(index) << OFFSET_SHIFT;
}

/** `VFIO_CCW_OFFSET_TO_INDEX` and the position inside the region. */
export function splitPosition(pos: bigint): { index: bigint; offset: number } {
  return { index: pos >> OFFSET_SHIFT, offset: Number(pos & OFFSET_MASK) };
}
