/**
 * Fixtures of the display tests: a booted world with `mdpy` and `mbochs` loaded, devices created
 * through their types' `create` files and opened through their groups as QEMU would, and the
 * raw ioctl helpers a display client uses.
 *
 * @module
 */
import type { World } from "../../lib/core/world.ts";
import { KernelError } from "../../lib/errno.ts";
import {
  decodeGfxPlaneInfo,
  DRM_PLANE_TYPE,
  encodeGfxPlaneQuery,
  type GfxPlaneInfo,
} from "../../lib/drivers/gfx_plane.ts";
import { bootWorld } from "../../lib/machine.ts";
import type { VfioHandle } from "../../lib/vfio/core.ts";
import type { VfioDevice } from "../../lib/vfio/device.ts";
import { deviceIoctl } from "../../lib/vfio/ioctl.ts";
import { putU32, VFIO } from "../../lib/vfio/uapi.ts";
import { create, openMdev, uuidN, vdevOf } from "../_fixtures.ts";

/** A booted world with the display samples loaded (module parameters per module). */
export function displayWorld(
  params: { mdpy?: Record<string, string>; mbochs?: Record<string, string> } = {},
): World {
  const world = bootWorld();
  world.modules.load("mdpy", params.mdpy ?? {});
  world.modules.load("mbochs", params.mbochs ?? {});
  return world;
}

/** A device of type `typeId` (e.g. `mdpy-vga`), created and opened: its VFIO device and handle. */
export function openDisplay(
  world: World,
  typeId: string,
  uuid: string = uuidN(1),
): { vdev: VfioDevice; handle: VfioHandle } {
  const ret = create(world, typeId, uuid);
  if (ret < 0) throw KernelError.fromReturn(ret, { path: typeId });
  const vdev = vdevOf(world, uuid);
  const handle = openMdev(world, vdev.group!, uuid);
  return { vdev, handle };
}

/** VFIO_DEVICE_QUERY_GFX_PLANE with `flags` (argsz 64 unless given), decoded. */
export function query(
  vdev: VfioDevice,
  flags: number,
  planeType: number = DRM_PLANE_TYPE.PRIMARY,
  argsz?: number,
): GfxPlaneInfo {
  const arg = encodeGfxPlaneQuery(flags, planeType);
  if (argsz !== undefined) putU32(arg, 0, argsz);
  deviceIoctl(vdev, VFIO.DEVICE_QUERY_GFX_PLANE, arg);
  return decodeGfxPlaneInfo(arg);
}

/** The errno a call fails with, or undefined when it succeeds. */
export function errnoOf(call: () => unknown): string | undefined {
  try {
    call();
    return undefined;
  } catch (error) {
    if (error instanceof KernelError) return error.errno;
    throw error;
  }
}

/** VFIO_DEVICE_GET_GFX_DMABUF: the new file descriptor. */
export function getDmabuf(vdev: VfioDevice, id: number): number {
  const arg = new Uint8Array(4);
  putU32(arg, 0, id);
  return deviceIoctl(vdev, VFIO.DEVICE_GET_GFX_DMABUF, arg);
}
