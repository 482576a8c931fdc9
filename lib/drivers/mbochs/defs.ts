/**
 * The mbochs device specification (samples/vfio-mdev/mbochs.c, samples.md §4): PCI identity,
 * the file layout of its regions, the Bochs DISPI (VBE) register indexes, and the three types
 * as data.
 *
 * @module
 */
import type { MdevTypeInfo } from "../../mdev/type.ts";
import { PAGE_SIZE } from "../device_memory.ts";

/** QEMU stdvga's vendor id. */
export const MBOCHS_PCI_VENDOR_ID = 0x1234;
/** QEMU stdvga's device id. */
export const MBOCHS_PCI_DEVICE_ID = 0x1111;
/** PCI_SUBVENDOR_ID_REDHAT_QUMRANET. */
export const MBOCHS_PCI_SUBVENDOR_ID = 0x1af4;
/** PCI_SUBDEVICE_ID_QEMU. */
export const MBOCHS_PCI_SUBDEVICE_ID = 0x1100;

/** Size of the config region the sample reports: one short of 256. */
export const MBOCHS_CONFIG_SPACE_SIZE = 0xff;
/** File offset of the MMIO register BAR (BAR2). */
export const MBOCHS_MMIO_BAR_OFFSET = PAGE_SIZE;
/** Size of the MMIO register BAR. */
export const MBOCHS_MMIO_BAR_SIZE = PAGE_SIZE;
/** File offset of the EDID region. */
export const MBOCHS_EDID_OFFSET = MBOCHS_MMIO_BAR_OFFSET + MBOCHS_MMIO_BAR_SIZE;
/** Size of the EDID region: registers in the first half, the blob from the second. */
export const MBOCHS_EDID_SIZE = PAGE_SIZE;
/** Offset of the EDID blob inside the EDID region (the initial `edid_offset`). */
export const MBOCHS_EDID_BLOB_OFFSET = MBOCHS_EDID_SIZE / 2;
/** Size of the EDID blob (the initial `edid_max_size`). */
export const MBOCHS_EDID_BLOB_SIZE = 0x400;
/** File offset of the VRAM BAR (BAR0). */
export const MBOCHS_MEMORY_BAR_OFFSET = MBOCHS_EDID_OFFSET + MBOCHS_EDID_SIZE;
/** The EDID region's index: the first after the PCI regions. */
export const MBOCHS_EDID_REGION_INDEX = 9;
/** GET_INFO's num_regions. */
export const MBOCHS_NUM_REGIONS = MBOCHS_EDID_REGION_INDEX + 1;

/** Bochs DISPI register indexes (VBE_DISPI_INDEX_*); register i sits at MMIO 0x500 + 2i. */
export const VBE_DISPI_INDEX = {
  ID: 0x0,
  XRES: 0x1,
  YRES: 0x2,
  BPP: 0x3,
  ENABLE: 0x4,
  BANK: 0x5,
  VIRT_WIDTH: 0x6,
  VIRT_HEIGHT: 0x7,
  X_OFFSET: 0x8,
  Y_OFFSET: 0x9,
  VIDEO_MEMORY_64K: 0xa,
} as const;
/** How many DISPI registers exist (VBE_DISPI_INDEX_COUNT). */
export const VBE_DISPI_INDEX_COUNT = 0xb;

/** The ID register's value after reset (VBE_DISPI_ID5). */
export const VBE_DISPI_ID5 = 0xb0c5;

/** ENABLE register bits. */
export const VBE_DISPI = {
  DISABLED: 0x00,
  ENABLED: 0x01,
  GETCAPS: 0x02,
  EIGHT_BIT_DAC: 0x20,
  LFB_ENABLED: 0x40,
  NOCLEARMEM: 0x80,
} as const;

/** Where the MMIO BAR puts things (offsets inside BAR2). */
export const MBOCHS_MMIO = {
  /** The EDID blob as the guest reads it: 0x000–0x3FF. */
  EDID_END: 0x400,
  /** VGA ioports 0x3C0–0x3DF remapped: 0x400–0x41F. */
  VGA_PORTS: 0x400,
  VGA_PORTS_END: 0x420,
  /** The DISPI registers: 0x500–0x515. */
  DISPI: 0x500,
  DISPI_END: 0x516,
  /** QEMU's extended registers: 0x600–0x607. */
  QEXT: 0x600,
  QEXT_END: 0x608,
} as const;

/** What one mbochs type fixes. */
export interface MbochsTypeData {
  /** VRAM in MiB; also what the type takes from the module's budget. */
  readonly mbytes: number;
  /** The EDID region's max_xres / max_yres (0 = unlimited). */
  readonly maxX: number;
  readonly maxY: number;
}

/** `mbochs-small`, `mbochs-medium`, `mbochs-large` (`mbochs_types`). */
export const MBOCHS_TYPES: readonly MdevTypeInfo<MbochsTypeData>[] = [
  { sysfsName: "small", prettyName: "mbochs-small", data: { mbytes: 4, maxX: 800, maxY: 600 } },
  {
    sysfsName: "medium",
    prettyName: "mbochs-medium",
    data: { mbytes: 16, maxX: 1920, maxY: 1440 },
  },
  { sysfsName: "large", prettyName: "mbochs-large", data: { mbytes: 64, maxX: 0, maxY: 0 } },
];

/** The module's default memory budget in MiB (`max_mbytes`). */
export const MBOCHS_DEFAULT_MBYTES = 256;

/** VRAM size in bytes of a type. */
export function mbochsMemSize(type: MbochsTypeData): number {
  return type.mbytes * 1024 * 1024;
}
