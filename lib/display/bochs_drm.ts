/**
 * The guest's bochs DRM driver (drivers/gpu/drm/tiny/bochs.c, samples.md §4.7) against an mbochs
 * device: every access goes through the MMIO BAR (region 2) as 1- or 2-byte pread/pwrite, in the
 * driver's order — hardware init (the ID check and the VRAM size), the modeset through the
 * DISPI registers, and the plane base.
 *
 * @module
 */
import { KernelError } from "../errno.ts";
import { VBE_DISPI, VBE_DISPI_INDEX } from "../drivers/mbochs/defs.ts";
import { readValue, writeValue } from "../vfio/access.ts";
import type { VfioDevice } from "../vfio/device.ts";
import { getRegionInfo } from "../vfio/ioctl.ts";
import { PCI_REGION } from "../vfio/uapi.ts";

const MMIO = { index: PCI_REGION.BAR2 } as const;
/** Where the DISPI registers sit in the MMIO BAR. */
const DISPI_BASE = 0x500;
/** VGA ioports 0x3C0–0x3DF appear at MMIO 0x400 + (port − 0x3C0). */
const VGA_ATT_W = 0x400; // 0x3C0
const VGA_MIS_W = 0x402; // 0x3C2
const VGA_IS1_RC = 0x41a; // 0x3DA
/** The attribute controller's "palette address source" bit: unblanks the screen. */
const VGA_AR_ENABLE_DISPLAY = 0x20;
/** drm mode_config.max_width / max_height of the driver. */
export const BOCHS_MAX_RESOLUTION = 8192;

/** What bochs_hw_init() learnt. */
export interface BochsHw {
  /** The DISPI ID register (0xB0C0..0xB0CF). */
  readonly id: number;
  /** VRAM the driver uses: VIDEO_MEMORY_64K × 64 KiB, or BAR0's size when they disagree. */
  readonly fbSize: number;
}

/** The guest's scan-out as the DISPI registers describe it (what it draws into). */
export interface BochsScanout {
  readonly width: number;
  readonly height: number;
  readonly bpp: number;
  /** VIRT_WIDTH × 4. */
  readonly pitch: number;
  /** Byte offset in VRAM: Y_OFFSET × pitch + X_OFFSET × 4. */
  readonly offset: number;
  readonly enabled: boolean;
}

function dispiRead(vdev: VfioDevice, index: number): number {
  return Number(readValue(vdev, MMIO, BigInt(DISPI_BASE + 2 * index), 2));
}

function dispiWrite(vdev: VfioDevice, index: number, value: number): void {
  writeValue(vdev, MMIO, BigInt(DISPI_BASE + 2 * index), 2, BigInt(value & 0xffff));
}

/**
 * bochs_hw_init(): ENODEV on an ID mismatch ((id & 0xFFF0) ≠ 0xB0C0); the VRAM size comes from
 * VIDEO_MEMORY_64K, and when it disagrees with BAR0 the smaller is used ("Size mismatch").
 */
export function bochsHwInit(vdev: VfioDevice): BochsHw {
  const id = dispiRead(vdev, VBE_DISPI_INDEX.ID);
  if ((id & 0xfff0) !== 0xb0c0) {
    throw new KernelError("ENODEV", { detail: `bochs: ID mismatch (0x${id.toString(16)})` });
  }
  const reported = dispiRead(vdev, VBE_DISPI_INDEX.VIDEO_MEMORY_64K) * 65536;
  const bar0 = Number(getRegionInfo(vdev, PCI_REGION.BAR0).size);
  return { id, fbSize: Math.min(reported, bar0) };
}

/**
 * bochs_hw_setmode() then bochs_hw_setbase() for `width` × `height` at 32 bpp, as the current
 * driver programs it (it copies damage into VRAM offset 0, so the base is 0 and VIRT_WIDTH is
 * the pitch in pixels). The driver's mode_valid rejects what does not fit the VRAM and its
 * mode_config limits anything above 8192 in either direction: EINVAL.
 */
export function bochsSetMode(vdev: VfioDevice, width: number, height: number): BochsScanout {
  const hw = bochsHwInit(vdev);
  if (
    !Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width < 1 || height < 1 ||
    width > BOCHS_MAX_RESOLUTION || height > BOCHS_MAX_RESOLUTION ||
    height > Math.floor(hw.fbSize / (width * 4))
  ) {
    throw new KernelError("EINVAL", {
      detail: `bochs: mode ${width}x${height} does not fit ${hw.fbSize} bytes of VRAM`,
    });
  }
  // Unblank through the remapped VGA ports: mbochs ignores these.
  writeValue(vdev, MMIO, BigInt(VGA_MIS_W), 1, 0x01n);
  readValue(vdev, MMIO, BigInt(VGA_IS1_RC), 1);
  writeValue(vdev, MMIO, BigInt(VGA_ATT_W), 1, BigInt(VGA_AR_ENABLE_DISPLAY));
  dispiWrite(vdev, VBE_DISPI_INDEX.ENABLE, VBE_DISPI.DISABLED);
  dispiWrite(vdev, VBE_DISPI_INDEX.BPP, 32);
  dispiWrite(vdev, VBE_DISPI_INDEX.XRES, width);
  dispiWrite(vdev, VBE_DISPI_INDEX.YRES, height);
  dispiWrite(vdev, VBE_DISPI_INDEX.BANK, 0);
  dispiWrite(vdev, VBE_DISPI_INDEX.VIRT_WIDTH, width);
  dispiWrite(vdev, VBE_DISPI_INDEX.VIRT_HEIGHT, Math.floor(hw.fbSize / (width * 4)));
  dispiWrite(vdev, VBE_DISPI_INDEX.X_OFFSET, 0);
  dispiWrite(vdev, VBE_DISPI_INDEX.Y_OFFSET, 0);
  dispiWrite(vdev, VBE_DISPI_INDEX.ENABLE, VBE_DISPI.ENABLED | VBE_DISPI.LFB_ENABLED);
  bochsSetBase(vdev, width * 4, 0, 0);
  return bochsScanout(vdev);
}

/** bochs_hw_setbase(): VIRT_WIDTH = pitch / 4, then the X and Y offsets. */
export function bochsSetBase(vdev: VfioDevice, pitch: number, x: number, y: number): void {
  dispiWrite(vdev, VBE_DISPI_INDEX.VIRT_WIDTH, pitch / 4);
  dispiWrite(vdev, VBE_DISPI_INDEX.X_OFFSET, x);
  dispiWrite(vdev, VBE_DISPI_INDEX.Y_OFFSET, y);
}

/** The scan-out the DISPI registers describe now (read back through the MMIO BAR). */
export function bochsScanout(vdev: VfioDevice): BochsScanout {
  const width = dispiRead(vdev, VBE_DISPI_INDEX.XRES);
  const pitch = Math.max(dispiRead(vdev, VBE_DISPI_INDEX.VIRT_WIDTH), width) * 4;
  return {
    width,
    height: dispiRead(vdev, VBE_DISPI_INDEX.YRES),
    bpp: dispiRead(vdev, VBE_DISPI_INDEX.BPP),
    pitch,
    offset: dispiRead(vdev, VBE_DISPI_INDEX.Y_OFFSET) * pitch +
      dispiRead(vdev, VBE_DISPI_INDEX.X_OFFSET) * 4,
    enabled: (dispiRead(vdev, VBE_DISPI_INDEX.ENABLE) & VBE_DISPI.ENABLED) !== 0,
  };
}
