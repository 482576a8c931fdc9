/**
 * The guest's mdpy-fb driver (samples/vfio-mdev/mdpy-fb.c, samples.md §3.4), run against an
 * mdpy device through its VFIO regions: the PCI id match, then the mode from the vendor
 * capability in config space, then a framebuffer over the whole of BAR0. mdpy-fb never touches
 * a register after probe: the device is pure memory.
 *
 * @module
 */
import { KernelError } from "../errno.ts";
import {
  MDPY_FORMAT_OFFSET,
  MDPY_HEIGHT_OFFSET,
  MDPY_PCI_DEVICE_ID,
  MDPY_PCI_SUBDEVICE_ID,
  MDPY_PCI_SUBVENDOR_ID,
  MDPY_PCI_VENDOR_ID,
  MDPY_WIDTH_OFFSET,
} from "../drivers/mdpy/defs.ts";
import { DRM_FORMAT_XRGB8888 } from "../drivers/gfx_plane.ts";
import { readValue } from "../vfio/access.ts";
import type { VfioDevice } from "../vfio/device.ts";
import { getRegionInfo } from "../vfio/ioctl.ts";
import { PCI_REGION } from "../vfio/uapi.ts";

/** The fb_info mdpy-fb sets up (32 bpp, A8R8G8B8 layout, no panning). */
export interface MdpyFbInfo {
  readonly width: number;
  readonly height: number;
  /** line_length: width × 4. */
  readonly lineLength: number;
  /** smem_len: the whole BAR0 (fbsize). */
  readonly smemLen: number;
}

/** mdpy-fb accepts widths and heights in this range. */
export const MDPY_FB_MIN = 100;
/** Upper bound of the accepted width and height. */
export const MDPY_FB_MAX = 10000;

const CONFIG = { name: "config" } as const;

function config32(vdev: VfioDevice, offset: number): number {
  return Number(readValue(vdev, CONFIG, BigInt(offset), 4));
}

/**
 * mdpy_fb_probe(): ENODEV unless vendor, device, subvendor and subdevice all match; EINVAL for a
 * format other than XRGB8888 ("format mismatch") or a width or height outside 100..10000.
 */
export function mdpyFbProbe(vdev: VfioDevice): MdpyFbInfo {
  const ids = config32(vdev, 0x00);
  const subsystem = config32(vdev, 0x2c);
  if (
    ids !== ((MDPY_PCI_DEVICE_ID << 16) | MDPY_PCI_VENDOR_ID) ||
    subsystem !== ((MDPY_PCI_SUBDEVICE_ID << 16) | MDPY_PCI_SUBVENDOR_ID)
  ) {
    throw new KernelError("ENODEV", { detail: "mdpy-fb: not an mdpy device" });
  }
  const format = config32(vdev, MDPY_FORMAT_OFFSET);
  if (format !== DRM_FORMAT_XRGB8888) {
    throw new KernelError("EINVAL", {
      detail: `mdpy-fb: format mismatch (0x${format.toString(16)})`,
    });
  }
  const width = config32(vdev, MDPY_WIDTH_OFFSET);
  const height = config32(vdev, MDPY_HEIGHT_OFFSET);
  for (const [what, value] of [["width", width], ["height", height]] as const) {
    if (value < MDPY_FB_MIN || value > MDPY_FB_MAX) {
      throw new KernelError("EINVAL", { detail: `mdpy-fb: ${what} ${value} out of range` });
    }
  }
  const bar0 = getRegionInfo(vdev, PCI_REGION.BAR0);
  return { width, height, lineLength: width * 4, smemLen: Number(bar0.size) };
}
