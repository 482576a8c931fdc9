/**
 * The host side of a display device, as QEMU's hw/vfio/display.c drives it (samples.md §5.1):
 * probe dmabuf mode, then region mode; on each refresh query the primary plane, reach its pixels
 * (the region's mmap, or the dma-buf's pages), and turn them into an image. The plane is copied
 * into a frame of its exact size inside the fb engine, converted to RGBA there and encoded as a
 * PNG; damage is the engine's tile diff against the previous snapshot.
 *
 * @example Snapshot an mdpy device as QEMU's display would show it
 * ```ts
 * import assert from "node:assert/strict";
 * import { bootWorld } from "../machine.ts";
 * import { mdevCore } from "../mdev/core.ts";
 * import { mdevCreate } from "../mdev/device.ts";
 * import { vfioOpen } from "../vfio/core.ts";
 * import type { VfioDevice } from "../vfio/device.ts";
 * import { loadFbCore } from "../wasm/fb.ts";
 * import { DisplayClient } from "./refresh.ts";
 *
 * const world = bootWorld();
 * world.modules.load("mdpy", {});
 * const uuid = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001";
 * mdevCreate(mdevCore(world).parentNamed("mdpy")!.type("mdpy-vga")!, uuid);
 * const vdev = mdevCore(world).list.get(uuid)!.driverData as VfioDevice;
 * vfioOpen(world, vdev.group!, uuid, `/dev/vfio/${vdev.group}`);
 * const client = new DisplayClient(world, vdev, await loadFbCore());
 * const shot = client.snapshot()!; // a 640×480 PNG of mdpy's grey gradient
 * assert.equal(shot.image.info.width, 640);
 * assert.deepEqual(client.damage(), []);
 * ```
 *
 * @module
 */
import { encode } from "fast-png";
import type { World } from "../core/world.ts";
import { KernelError } from "../errno.ts";
import { type DeviceMemory, vfioMmap } from "../drivers/device_memory.ts";
import {
  decodeGfxPlaneInfo,
  DRM_FORMAT_XRGB8888,
  DRM_PLANE_TYPE,
  encodeGfxPlaneQuery,
  GFX_PLANE_FLAGS,
  type GfxPlaneInfo,
} from "../drivers/gfx_plane.ts";
import { closeDmaBufFile, dmaBufFile } from "../drivers/mbochs/dmabuf.ts";
import type { VfioDevice } from "../vfio/device.ts";
import { deviceIoctl, getRegionInfo } from "../vfio/ioctl.ts";
import { putU32, VFIO } from "../vfio/uapi.ts";
import type { FbEngine, Frame, Rect } from "../wasm/fb.ts";
import { scanoutFrame, type ScanoutLayout } from "./memory_frame.ts";

/** How the device shows its display: dma-bufs (mbochs) or a mappable region (mdpy). */
export type DisplayMode = "dmabuf" | "region";

/** One refresh's plane: what the query said and the pixels in a frame of exactly its size. */
export interface PlaneImage {
  readonly mode: DisplayMode;
  readonly info: GfxPlaneInfo;
  /** Byte offset of the plane in the device memory it lies in (the dma-buf's start in VRAM). */
  readonly offset: number;
  /** The plane's pixels (width × height, packed rows); the client's next refresh reuses it. */
  readonly frame: Frame;
}

/** What {@linkcode DisplayClient.snapshot} produces. */
export interface Snapshot {
  readonly image: PlaneImage;
  /** The PNG file's bytes: RGBA, 8 bits per channel, alpha 255. */
  readonly png: Uint8Array;
}

const SNAPSHOT_SUFFIX = "snapshot";
/** Header of a stored snapshot: magic, width, height, DRM format (u32 each). */
const SNAPSHOT_MAGIC = 0x31534246; // "FBS1"
const SNAPSHOT_HEADER = 16;

/**
 * vfio_display_probe(): QUERY_GFX_PLANE with PROBE|DMABUF, then PROBE|REGION; the first that
 * succeeds names the mode. A device with neither fails with the region probe's errno (ENOTTY for
 * a device without the ioctl, as mtty).
 */
export function probeDisplay(vdev: VfioDevice): DisplayMode {
  try {
    queryRaw(vdev, GFX_PLANE_FLAGS.PROBE | GFX_PLANE_FLAGS.DMABUF, DRM_PLANE_TYPE.PRIMARY);
    return "dmabuf";
  } catch (error) {
    if (!(error instanceof KernelError)) throw error;
  }
  queryRaw(vdev, GFX_PLANE_FLAGS.PROBE | GFX_PLANE_FLAGS.REGION, DRM_PLANE_TYPE.PRIMARY);
  return "region";
}

function queryRaw(vdev: VfioDevice, flags: number, planeType: number): GfxPlaneInfo {
  const arg = encodeGfxPlaneQuery(flags, planeType);
  deviceIoctl(vdev, VFIO.DEVICE_QUERY_GFX_PLANE, arg);
  return decodeGfxPlaneInfo(arg);
}

/**
 * VFIO_DEVICE_QUERY_GFX_PLANE in the device's mode. mbochs answers the first query after every
 * new mode with ENOMEM (its quirk); QEMU skips that frame and asks again on the next one, and so
 * does this: one retry.
 */
export function queryPlane(
  vdev: VfioDevice,
  mode: DisplayMode,
  planeType: number = DRM_PLANE_TYPE.PRIMARY,
): GfxPlaneInfo {
  const flags = mode === "dmabuf" ? GFX_PLANE_FLAGS.DMABUF : GFX_PLANE_FLAGS.REGION;
  try {
    return queryRaw(vdev, flags, planeType);
  } catch (error) {
    if (!(error instanceof KernelError) || error.errno !== "ENOMEM" || mode !== "dmabuf") {
      throw error;
    }
    return queryRaw(vdev, flags, planeType);
  }
}

/** A plane with pixels: a format and a size (QEMU skips a frame whose format or size is 0). */
function hasPixels(info: GfxPlaneInfo): boolean {
  return info.drmFormat !== 0 && info.size !== 0 && info.width !== 0 && info.height !== 0;
}

/** The host's view of one display device. */
export class DisplayClient {
  /** The mode the probe found. */
  readonly mode: DisplayMode;
  readonly #world: World;
  readonly #vdev: VfioDevice;
  readonly #engine: FbEngine;
  #current: Frame | undefined;
  #previous: Frame | undefined;
  #memory: DeviceMemory | undefined;

  /** Probes the device (its errno when it has no display). */
  constructor(world: World, vdev: VfioDevice, engine: FbEngine) {
    this.#world = world;
    this.#vdev = vdev;
    this.#engine = engine;
    this.mode = probeDisplay(vdev);
  }

  /** The primary plane as the device reports it (zeros when it shows nothing). */
  query(): GfxPlaneInfo {
    return queryPlane(this.#vdev, this.mode);
  }

  /**
   * One refresh: query the primary plane and copy its pixels into the client's frame. Undefined
   * when the device shows no plane.
   *
   * @throws {KernelError} EINVAL for a format other than XRGB8888, and what the ioctls answer.
   */
  refresh(): PlaneImage | undefined {
    const info = this.query();
    if (!hasPixels(info)) return undefined;
    if (info.drmFormat !== DRM_FORMAT_XRGB8888) {
      throw new KernelError("EINVAL", {
        detail: `unsupported format 0x${info.drmFormat.toString(16)}`,
      });
    }
    const frame = this.#frameFor(info);
    const offset = this.mode === "region"
      ? this.#readRegion(info, frame)
      : this.#readDmabuf(info, frame);
    return { mode: this.mode, info, offset, frame };
  }

  /**
   * The display refresh path end to end: refresh, convert to RGBA in the engine, encode a PNG
   * (opaque, 8 bits per channel), and remember the plane as the previous snapshot — also across
   * commands, as a blob attached to the device memory. Undefined when there is no plane.
   */
  snapshot(): Snapshot | undefined {
    const image = this.refresh();
    if (image === undefined) return undefined;
    const { width, height } = image.frame;
    const png = encode({
      width,
      height,
      data: this.#engine.convertToRgba(image.frame),
      channels: 4,
      depth: 8,
    });
    this.#remember(image);
    return { image, png };
  }

  /**
   * Rectangles that changed since the previous snapshot (the whole plane when there is none, or
   * its size changed); undefined when there is no plane now.
   */
  damage(): Rect[] | undefined {
    const image = this.refresh();
    if (image === undefined) return undefined;
    const { width, height } = image.frame;
    const previous = this.#previous ?? this.#loadSnapshot(width, height);
    if (previous === undefined || previous.width !== width || previous.height !== height) {
      return [{ x: 0, y: 0, width, height }];
    }
    return this.#engine.diff(previous, image.frame);
  }

  #frameFor(info: GfxPlaneInfo): Frame {
    const current = this.#current;
    if (current !== undefined && current.width === info.width && current.height === info.height) {
      return current;
    }
    if (current !== undefined) this.#engine.freeFrame(current);
    return this.#current = this.#engine.allocFrame(info.width, info.height);
  }

  /** Region mode: mmap the region the plane names and copy the plane out of it. */
  #readRegion(info: GfxPlaneInfo, frame: Frame): number {
    const region = getRegionInfo(this.#vdev, info.id);
    const mapping = vfioMmap(this.#vdev, {
      offset: region.offset,
      length: Number(region.size),
      shared: true,
    });
    if (typeof mapping === "number") throw KernelError.fromReturn(mapping);
    this.#copyPlane(mapping.memory, { offset: 0, ...shapeOf(info) }, frame);
    return 0;
  }

  /** Dmabuf mode: GET_GFX_DMABUF, copy the plane out of the buffer's pages, close the fd. */
  #readDmabuf(info: GfxPlaneInfo, frame: Frame): number {
    const arg = new Uint8Array(4);
    putU32(arg, 0, info.id);
    const fd = deviceIoctl(this.#vdev, VFIO.DEVICE_GET_GFX_DMABUF, arg);
    try {
      const buf = dmaBufFile(this.#world, fd);
      const memory = buf.memory;
      if (memory !== undefined) {
        this.#copyPlane(memory, { offset: buf.mode.offset, ...shapeOf(info) }, frame);
      } else {
        copyRows(buf.view(), info.stride, frame);
      }
      return buf.mode.offset;
    } finally {
      closeDmaBufFile(this.#world, fd);
    }
  }

  #copyPlane(memory: DeviceMemory, layout: ScanoutLayout, frame: Frame): void {
    this.#memory = memory;
    const source = scanoutFrame(this.#engine, memory, layout);
    this.#engine.copy(frame, 0, 0, source.frame, source.rect);
  }

  #remember(image: PlaneImage): void {
    const { width, height } = image.frame;
    let previous = this.#previous;
    if (previous === undefined || previous.width !== width || previous.height !== height) {
      if (previous !== undefined) this.#engine.freeFrame(previous);
      previous = this.#previous = this.#engine.allocFrame(width, height);
    }
    this.#engine.copy(previous, 0, 0, image.frame, { x: 0, y: 0, width, height });
    if (this.#memory === undefined) return;
    const blob = new Uint8Array(SNAPSHOT_HEADER + width * height * 4);
    const header = new DataView(blob.buffer);
    header.setUint32(0, SNAPSHOT_MAGIC, true);
    header.setUint32(4, width, true);
    header.setUint32(8, height, true);
    header.setUint32(12, image.info.drmFormat, true);
    blob.set(previous.bytes, SNAPSHOT_HEADER);
    this.#world.blobs.set(this.#memory.attachment(SNAPSHOT_SUFFIX), blob);
  }

  /** The snapshot a previous command stored, in a frame, if it has this size. */
  #loadSnapshot(width: number, height: number): Frame | undefined {
    if (this.#memory === undefined) return undefined;
    const blob = this.#world.blobs.get(this.#memory.attachment(SNAPSHOT_SUFFIX));
    if (blob === undefined || blob.length !== SNAPSHOT_HEADER + width * height * 4) {
      return undefined;
    }
    const header = new DataView(blob.buffer, blob.byteOffset, SNAPSHOT_HEADER);
    if (
      header.getUint32(0, true) !== SNAPSHOT_MAGIC || header.getUint32(4, true) !== width ||
      header.getUint32(8, true) !== height
    ) return undefined;
    const frame = this.#previous = this.#engine.allocFrame(width, height);
    frame.bytes.set(blob.subarray(SNAPSHOT_HEADER));
    return frame;
  }
}

function shapeOf(info: GfxPlaneInfo): Omit<ScanoutLayout, "offset"> {
  return { width: info.width, height: info.height, stride: info.stride };
}

/** Copies rows of `stride` bytes from a plain buffer (a dma-buf that outlived its VRAM). */
function copyRows(bytes: Uint8Array, stride: number, frame: Frame): void {
  const rowBytes = frame.width * 4;
  const target = frame.bytes;
  for (let y = 0; y < frame.height; y++) {
    target.set(bytes.subarray(y * stride, y * stride + rowBytes), y * frame.stride);
  }
}
