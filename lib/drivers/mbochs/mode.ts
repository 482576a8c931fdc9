/**
 * The scan-out mode mbochs derives from its DISPI registers (`mbochs_check_framebuffer`,
 * samples.md §4.6): 32 bpp only, stride from VIRT_WIDTH, offset from X/Y_OFFSET. VIRT_HEIGHT
 * and BANK are ignored.
 *
 * @module
 */
import { DRM_FORMAT_XRGB8888 } from "../gfx_plane.ts";
import { VBE_DISPI, VBE_DISPI_INDEX } from "./defs.ts";
import type { Dispi } from "./dispi.ts";

/** `struct mbochs_mode`. */
export interface MbochsMode {
  readonly drmFormat: number;
  readonly bytesPerPixel: number;
  readonly width: number;
  readonly height: number;
  /** Bytes per row: max(VIRT_WIDTH, XRES) × 4. */
  readonly stride: number;
  /** Byte offset in VRAM: X_OFFSET × 4 + Y_OFFSET × stride. */
  readonly offset: number;
  /** stride × height. */
  readonly size: number;
}

/** Smallest width and height mbochs accepts. */
export const MBOCHS_MIN_RESOLUTION = 64;

/**
 * The current mode, or undefined when there is none: ENABLE bit 0 clear, BPP ≠ 32, a resolution
 * under 64×64, or a framebuffer that overflows the VRAM.
 */
export function checkFramebuffer(dispi: Dispi, memSize: number): MbochsMode | undefined {
  if ((dispi.read(VBE_DISPI_INDEX.ENABLE) & VBE_DISPI.ENABLED) === 0) return undefined;
  if (dispi.read(VBE_DISPI_INDEX.BPP) !== 32) return undefined;
  const bytesPerPixel = 4;
  const width = dispi.read(VBE_DISPI_INDEX.XRES);
  const height = dispi.read(VBE_DISPI_INDEX.YRES);
  const stride = Math.max(dispi.read(VBE_DISPI_INDEX.VIRT_WIDTH), width) * bytesPerPixel;
  const size = stride * height;
  const offset = dispi.read(VBE_DISPI_INDEX.X_OFFSET) * bytesPerPixel +
    dispi.read(VBE_DISPI_INDEX.Y_OFFSET) * stride;
  if (width < MBOCHS_MIN_RESOLUTION || height < MBOCHS_MIN_RESOLUTION) return undefined;
  if (offset + size > memSize) return undefined;
  return { drmFormat: DRM_FORMAT_XRGB8888, bytesPerPixel, width, height, stride, offset, size };
}

/** mbochs_modes_equal(): every field, offset included. */
export function modesEqual(a: MbochsMode, b: MbochsMode): boolean {
  return a.drmFormat === b.drmFormat && a.bytesPerPixel === b.bytesPerPixel &&
    a.width === b.width && a.height === b.height && a.stride === b.stride &&
    a.offset === b.offset && a.size === b.size;
}
