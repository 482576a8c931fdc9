/**
 * Restore factories for device kinds that belong to a driver module rather
 * than to a bus layer (vfio_ccw's "parent" device): the module registers its
 * kind when its code is imported, so restoring a world needs only the code of
 * the modules it uses.
 *
 * @module
 */
import type { Device, DeviceSnapshot } from "./device.ts";
import type { World } from "./world.ts";

/** Builds a device of one kind from its snapshot (core fields are restored by the caller). */
export type DeviceKindFactory = (world: World, snapshot: DeviceSnapshot) => Device;

const FACTORIES = new Map<string, DeviceKindFactory>();

/** Registers the restore factory of a device kind. */
export function registerDeviceKind(kind: string, factory: DeviceKindFactory): void {
  FACTORIES.set(kind, factory);
}

/** The factory of a kind, if its module's code is loaded. */
export function deviceKindFactory(kind: string): DeviceKindFactory | undefined {
  return FACTORIES.get(kind);
}
