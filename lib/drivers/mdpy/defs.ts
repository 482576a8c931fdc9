/**
 * The mdpy device specification (samples/vfio-mdev/mdpy-defs.h and the type table of mdpy.c;
 * samples.md §3): PCI identity, the vendor capability the guest driver reads its mode from, the
 * region layout, and the three types as data.
 *
 * @module
 */
import type { MdevTypeInfo } from "../../mdev/type.ts";
import { PAGE_SIZE } from "../device_memory.ts";
import { DRM_FORMAT_XRGB8888 } from "../gfx_plane.ts";

/** PCI_VENDOR_ID_REDHAT. */
export const MDPY_PCI_VENDOR_ID = 0x1b36;
/** The mdpy device id. */
export const MDPY_PCI_DEVICE_ID = 0x000f;
/** PCI_SUBVENDOR_ID_REDHAT_QUMRANET. */
export const MDPY_PCI_SUBVENDOR_ID = 0x1af4;
/** PCI_SUBDEVICE_ID_QEMU. */
export const MDPY_PCI_SUBDEVICE_ID = 0x1100;

/** Offset of the vendor-specific capability (id 0x09) that carries the mode. */
export const MDPY_VENDORCAP_OFFSET = 0x40;
/** Length of that capability. */
export const MDPY_VENDORCAP_SIZE = 0x10;
/** u32 DRM fourcc of the framebuffer. */
export const MDPY_FORMAT_OFFSET = MDPY_VENDORCAP_OFFSET + 0x04;
/** u32 width in pixels. */
export const MDPY_WIDTH_OFFSET = MDPY_VENDORCAP_OFFSET + 0x08;
/** u32 height in pixels. */
export const MDPY_HEIGHT_OFFSET = MDPY_VENDORCAP_OFFSET + 0x0c;

/** Size of the config region the sample reports: one short of 256. */
export const MDPY_CONFIG_SPACE_SIZE = 0xff;
/** File offset of BAR0 and of the display region (PAGE_SIZE). */
export const MDPY_MEMORY_BAR_OFFSET = PAGE_SIZE;
/** The display region's index, outside VFIO_PCI_NUM_REGIONS; the same memory as BAR0. */
export const MDPY_DISPLAY_REGION = 16;

/** What one mdpy type fixes. */
export interface MdpyTypeData {
  readonly format: number;
  readonly bytesPerPixel: number;
  readonly width: number;
  readonly height: number;
}

/** `mdpy-vga`, `mdpy-xga`, `mdpy-hd` (`mdpy_types`). */
export const MDPY_TYPES: readonly MdevTypeInfo<MdpyTypeData>[] = [
  {
    sysfsName: "vga",
    prettyName: "mdpy-vga",
    data: { format: DRM_FORMAT_XRGB8888, bytesPerPixel: 4, width: 640, height: 480 },
  },
  {
    sysfsName: "xga",
    prettyName: "mdpy-xga",
    data: { format: DRM_FORMAT_XRGB8888, bytesPerPixel: 4, width: 1024, height: 768 },
  },
  {
    sysfsName: "hd",
    prettyName: "mdpy-hd",
    data: { format: DRM_FORMAT_XRGB8888, bytesPerPixel: 4, width: 1920, height: 1080 },
  },
];

/** Devices of all types together (`mdpy_driver.max_instances`, module parameter `count`). */
export const MDPY_MAX_INSTANCES = 4;

/** The framebuffer size: `roundup_pow_of_two(width × height × bytes per pixel)`. */
export function mdpyFbSize(type: MdpyTypeData): number {
  const bytes = type.width * type.height * type.bytesPerPixel;
  let size = 1;
  while (size < bytes) size *= 2;
  return size;
}

/** Bytes per framebuffer row. */
export function mdpyStride(type: MdpyTypeData): number {
  return type.width * type.bytesPerPixel;
}
