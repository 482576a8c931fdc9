/**
 * The guest's framebuffer console drawing into a display device through BAR0: the guest driver
 * bound by PCI id (mdpy-fb for mdpy, bochs for mbochs) says where the scan-out lies, BAR0 is
 * mmap'ed, and fills, copies, patterns and 1-bit glyphs are drawn into it with an fb engine —
 * in place, in the engine's memory. Coordinates are the framebuffer's; everything is clipped
 * to it, as fbcon clips to the visible screen.
 *
 * @module
 */
import { KernelError } from "../errno.ts";
import { type DeviceMemory, vfioMmap } from "../drivers/device_memory.ts";
import { MBOCHS_PCI_DEVICE_ID, MBOCHS_PCI_VENDOR_ID } from "../drivers/mbochs/defs.ts";
import { MDPY_PCI_DEVICE_ID, MDPY_PCI_VENDOR_ID } from "../drivers/mdpy/defs.ts";
import { readValue } from "../vfio/access.ts";
import type { VfioDevice } from "../vfio/device.ts";
import { getRegionInfo } from "../vfio/ioctl.ts";
import { PCI_REGION } from "../vfio/uapi.ts";
import type { FbEngine, Rect } from "../wasm/fb.ts";
import { bochsScanout } from "./bochs_drm.ts";
import { mdpyFbProbe } from "./mdpy_fb.ts";
import { type ScanoutFrame, scanoutFrame, type ScanoutLayout } from "./memory_frame.ts";
import {
  BAR_COLORS,
  barBounds,
  CHECKER_COLORS,
  CHECKER_SIZE,
  gradientColor,
  type PatternName,
} from "./patterns.ts";

/** Which guest driver drives the device. */
export type GuestDriver = "mdpy-fb" | "bochs";

/** The guest driver bound by the device's PCI id; ENODEV when no display driver matches. */
export function guestDriverOf(vdev: VfioDevice): GuestDriver {
  const ids = Number(readValue(vdev, { name: "config" }, 0n, 4));
  if (ids === ((MDPY_PCI_DEVICE_ID << 16) | MDPY_PCI_VENDOR_ID)) return "mdpy-fb";
  if (ids === ((MBOCHS_PCI_DEVICE_ID << 16) | MBOCHS_PCI_VENDOR_ID)) return "bochs";
  throw new KernelError("ENODEV", {
    detail: `no guest display driver for PCI id ${ids.toString(16).padStart(8, "0")}`,
  });
}

/** The guest's scan-out layout: mdpy-fb's fixed framebuffer, or bochs' current DISPI mode. */
export function guestScanout(vdev: VfioDevice): ScanoutLayout {
  if (guestDriverOf(vdev) === "mdpy-fb") {
    const fb = mdpyFbProbe(vdev);
    return { offset: 0, width: fb.width, height: fb.height, stride: fb.lineLength };
  }
  const mode = bochsScanout(vdev);
  if (!mode.enabled || mode.bpp !== 32 || mode.width === 0 || mode.height === 0) {
    throw new KernelError("EINVAL", { detail: "bochs: no mode is set (run `fb mode` first)" });
  }
  return { offset: mode.offset, width: mode.width, height: mode.height, stride: mode.pitch };
}

/** mmap of the whole of BAR0, as the guest's ioremap sees it: the device memory behind it. */
export function mapBar0(vdev: VfioDevice): DeviceMemory {
  const bar0 = getRegionInfo(vdev, PCI_REGION.BAR0);
  const mapping = vfioMmap(vdev, { offset: bar0.offset, length: Number(bar0.size), shared: true });
  if (typeof mapping === "number") throw KernelError.fromReturn(mapping);
  return mapping.memory;
}

/** Intersection of a rectangle with [0, width) × [0, height). */
function clip(rect: Rect, width: number, height: number): Rect {
  const x = Math.max(rect.x, 0);
  const y = Math.max(rect.y, 0);
  return {
    x,
    y,
    width: Math.max(0, Math.min(rect.x + rect.width, width) - x),
    height: Math.max(0, Math.min(rect.y + rect.height, height) - y),
  };
}

function checkRect(what: string, rect: Rect): void {
  for (const [name, value] of Object.entries(rect)) {
    const min = name === "width" || name === "height" ? 0 : Number.MIN_SAFE_INTEGER;
    if (!Number.isSafeInteger(value) || value < min) {
      throw new KernelError("EINVAL", { detail: `${what}: ${name} ${value} is invalid` });
    }
  }
}

function checkColor(what: string, color: number): void {
  if (!Number.isInteger(color) || color < 0 || color > 0xffffff) {
    throw new KernelError("EINVAL", { detail: `${what}: colour ${color} is not 0xRRGGBB` });
  }
}

/** The guest's framebuffer on one device: drawing operations in framebuffer coordinates. */
export class GuestFramebuffer {
  /** The scan-out layout the guest driver uses. */
  readonly layout: ScanoutLayout;
  readonly #engine: FbEngine;
  readonly #memory: DeviceMemory;

  /** Binds the guest driver's view of `vdev` (ENODEV / EINVAL as {@linkcode guestScanout}). */
  constructor(vdev: VfioDevice, engine: FbEngine) {
    this.layout = guestScanout(vdev);
    this.#engine = engine;
    this.#memory = mapBar0(vdev);
  }

  /** Framebuffer width in pixels. */
  get width(): number {
    return this.layout.width;
  }

  /** Framebuffer height in pixels. */
  get height(): number {
    return this.layout.height;
  }

  /** The memory as a frame, marked written (the guest is about to draw). */
  #target(): ScanoutFrame {
    const target = scanoutFrame(this.#engine, this.#memory, this.layout);
    this.#memory.write();
    return target;
  }

  /** Fills a rectangle with 0xRRGGBB. */
  fill(rect: Rect, color: number): void {
    checkRect("fill", rect);
    checkColor("fill", color);
    const visible = clip(rect, this.width, this.height);
    if (visible.width === 0 || visible.height === 0) return;
    const { frame, rect: at } = this.#target();
    this.#engine.fill(frame, { ...visible, x: at.x + visible.x, y: at.y + visible.y }, color);
  }

  /**
   * Copies `src` to (dx, dy) as fbcon scrolls: only pixels whose source and destination both
   * lie on the framebuffer move; overlapping copies behave as if through a temporary buffer.
   */
  copy(src: Rect, dx: number, dy: number): void {
    checkRect("copy", { ...src, x: dx, y: dy });
    checkRect("copy", src);
    let { x: sx, y: sy, width, height } = src;
    const shiftX = Math.max(0, -sx, -dx);
    const shiftY = Math.max(0, -sy, -dy);
    sx += shiftX;
    dx += shiftX;
    width -= shiftX;
    sy += shiftY;
    dy += shiftY;
    height -= shiftY;
    width = Math.min(width, this.width - sx, this.width - dx);
    height = Math.min(height, this.height - sy, this.height - dy);
    if (width <= 0 || height <= 0) return;
    const { frame, rect: at } = this.#target();
    this.#engine.copy(frame, at.x + dx, at.y + dy, frame, {
      x: at.x + sx,
      y: at.y + sy,
      width,
      height,
    });
  }

  /**
   * Expands a 1-bit bitmap (rows of ⌈w/8⌉ bytes, most significant bit first): set bits become
   * `fg`, clear bits `bg` — the fbcon glyph path.
   */
  mono(rect: Rect, fg: number, bg: number, bitmap: Uint8Array): void {
    checkRect("mono", rect);
    checkColor("mono", fg);
    checkColor("mono", bg);
    const pitch = Math.ceil(rect.width / 8);
    if (bitmap.length !== pitch * rect.height) {
      throw new KernelError("EINVAL", {
        detail: `mono: ${bitmap.length} bytes are not ${rect.height} rows of ${pitch}`,
      });
    }
    const visible = clip(rect, this.width, this.height);
    if (visible.width === 0 || visible.height === 0) return;
    const bits = visible.width === rect.width && visible.height === rect.height
      ? bitmap
      : cutBitmap(bitmap, pitch, visible.x - rect.x, visible.y - rect.y, visible);
    const { frame, rect: at } = this.#target();
    this.#engine.mono(
      frame,
      { ...visible, x: at.x + visible.x, y: at.y + visible.y },
      fg,
      bg,
      bits,
    );
  }

  /** Paints a whole-screen test pattern (see patterns.ts for every pixel's colour). */
  pattern(name: PatternName): void {
    const { width, height } = this;
    switch (name) {
      case "bars":
        BAR_COLORS.forEach((color, i) => {
          const [left, right] = barBounds(i, width);
          this.fill({ x: left, y: 0, width: right - left, height }, color);
        });
        return;
      case "gradient":
        for (let x = 0; x < width; x++) {
          this.fill({ x, y: 0, width: 1, height }, gradientColor(x, width));
        }
        return;
      case "checker":
        for (let y = 0; y < height; y += CHECKER_SIZE) {
          for (let x = 0; x < width; x += CHECKER_SIZE) {
            const odd = (x / CHECKER_SIZE + y / CHECKER_SIZE) % 2;
            this.fill({ x, y, width: CHECKER_SIZE, height: CHECKER_SIZE }, CHECKER_COLORS[odd]!);
          }
        }
        return;
    }
  }
}

/** The bits of `part` (at column `left`, row `top` of a bitmap with rows of `pitch` bytes). */
function cutBitmap(
  bitmap: Uint8Array,
  pitch: number,
  left: number,
  top: number,
  part: Rect,
): Uint8Array {
  const outPitch = Math.ceil(part.width / 8);
  const out = new Uint8Array(outPitch * part.height);
  for (let j = 0; j < part.height; j++) {
    for (let i = 0; i < part.width; i++) {
      const bit = left + i;
      const set = (bitmap[(top + j) * pitch + (bit >> 3)]! >> (7 - (bit & 7))) & 1;
      if (set) out[j * outPitch + (i >> 3)]! |= 0x80 >> (i & 7);
    }
  }
  return out;
}
