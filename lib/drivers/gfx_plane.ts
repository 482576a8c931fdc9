/**
 * The display uAPI of include/uapi/linux/vfio.h that mdpy and mbochs answer and a display client
 * (QEMU's hw/vfio/display.c, mdevsim's refresh path) asks: `struct vfio_device_gfx_plane_info`
 * for VFIO_DEVICE_QUERY_GFX_PLANE (samples.md §1.2).
 *
 * ```text
 *  0 argsz u32        4 flags u32         8 drm_plane_type u32   12 drm_format u32
 * 16 drm_format_mod u64                  24 width u32           28 height u32
 * 32 stride u32      36 size u32         40 x_pos u32           44 y_pos u32
 * 48 x_hot u32       52 y_hot u32        56 region_index | dmabuf_id u32   60 reserved u32
 * ```
 *
 * @module
 */
import { putU32, putU64, u32, u64 } from "../vfio/uapi.ts";

/** Size of the whole structure. */
export const GFX_PLANE_INFO_SIZE = 64;
/** offsetofend(region_index): the samples need argsz ≥ 60 and copy back exactly 60 bytes. */
export const GFX_PLANE_INFO_MINSZ = 60;

/** vfio_device_gfx_plane_info.flags. */
export const GFX_PLANE_FLAGS = { PROBE: 1, DMABUF: 2, REGION: 4 } as const;

/** DRM_FORMAT_XRGB8888, fourcc 'XR24': the only format both samples scan out. */
export const DRM_FORMAT_XRGB8888 = 0x34325258;

/** DRM plane types (drm_plane_type). */
export const DRM_PLANE_TYPE = { OVERLAY: 0, PRIMARY: 1, CURSOR: 2 } as const;

/** The decoded structure. */
export interface GfxPlaneInfo {
  argsz: number;
  flags: number;
  drmPlaneType: number;
  drmFormat: number;
  drmFormatMod: bigint;
  width: number;
  height: number;
  stride: number;
  size: number;
  xPos: number;
  yPos: number;
  xHot: number;
  yHot: number;
  /** region_index (region mode) or dmabuf_id (dmabuf mode): one union. */
  id: number;
}

/** What a driver fills in on success (the union is `id`). */
export type GfxPlaneResult = Omit<GfxPlaneInfo, "argsz" | "flags" | "drmPlaneType">;

/** The request part of a query: argsz 64 and the given flags and plane type. */
export function encodeGfxPlaneQuery(flags: number, drmPlaneType: number): Uint8Array {
  const buf = new Uint8Array(GFX_PLANE_INFO_SIZE);
  putU32(buf, 0, GFX_PLANE_INFO_SIZE);
  putU32(buf, 4, flags);
  putU32(buf, 8, drmPlaneType);
  return buf;
}

/** Decodes the structure (fields beyond the buffer read as 0). */
export function decodeGfxPlaneInfo(buf: Uint8Array): GfxPlaneInfo {
  return {
    argsz: u32(buf, 0),
    flags: u32(buf, 4),
    drmPlaneType: u32(buf, 8),
    drmFormat: u32(buf, 12),
    drmFormatMod: u64(buf, 16),
    width: u32(buf, 24),
    height: u32(buf, 28),
    stride: u32(buf, 32),
    size: u32(buf, 36),
    xPos: u32(buf, 40),
    yPos: u32(buf, 44),
    xHot: u32(buf, 48),
    yHot: u32(buf, 52),
    id: u32(buf, 56),
  };
}

/** Writes a driver's answer into the caller's buffer (never beyond the 60 bytes copied back). */
export function putGfxPlaneResult(buf: Uint8Array, r: GfxPlaneResult): void {
  putU32(buf, 12, r.drmFormat);
  putU64(buf, 16, r.drmFormatMod);
  putU32(buf, 24, r.width);
  putU32(buf, 28, r.height);
  putU32(buf, 32, r.stride);
  putU32(buf, 36, r.size);
  putU32(buf, 40, r.xPos);
  putU32(buf, 44, r.yPos);
  putU32(buf, 48, r.xHot);
  putU32(buf, 52, r.yHot);
  putU32(buf, 56, r.id);
}

/** A fourcc as its four characters, e.g. `XR24` for 0x34325258. */
export function fourccName(fourcc: number): string {
  if (fourcc === 0) return "-";
  return String.fromCharCode(
    fourcc & 0xff,
    (fourcc >>> 8) & 0xff,
    (fourcc >>> 16) & 0xff,
    (fourcc >>> 24) & 0xff,
  );
}
