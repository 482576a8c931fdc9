/**
 * What mdevctl reads from sysfs, taken from the world: the types of every
 * parent in /sys/class/mdev_bus, and the devices in /sys/bus/mdev/devices
 * (parent = the directory the device sits in, type = its mdev_type link).
 *
 * @module
 */
import type { World } from "../core/world.ts";
import { mdevCore } from "../mdev/core.ts";
import type { DeviceRow, TypeRow } from "./format.ts";

/** Types of every visible parent (optionally one parent). */
export function typeRows(world: World, parentName?: string): TypeRow[] {
  const rows: TypeRow[] = [];
  for (const parent of mdevCore(world).parents.values()) {
    if (!parent.classLink || (parentName !== undefined && parent.dev.name !== parentName)) continue;
    for (const type of parent.types) {
      rows.push({
        parent: parent.dev.name,
        type: type.id,
        availableInstances: type.availableInstances(),
        deviceApi: parent.driver.deviceApi,
        name: type.name,
        description: parent.driver.showDescription?.(type) ?? "",
      });
    }
  }
  return rows;
}

/** Active devices as `mdevctl list` sees them. */
export function activeRows(
  world: World,
  filter: { parent?: string; uuid?: string } = {},
): DeviceRow[] {
  const rows: DeviceRow[] = [];
  for (const mdev of mdevCore(world).list.values()) {
    if (!mdev.onBusList || !mdev.typeLinks) continue;
    const parent = mdev.type.parent.dev.name;
    if (filter.parent !== undefined && filter.parent !== parent) continue;
    if (filter.uuid !== undefined && filter.uuid !== mdev.uuid) continue;
    rows.push({
      uuid: mdev.uuid,
      parent,
      type: mdev.type.id,
      start: "manual",
      attrs: [],
      suffix: "",
    });
  }
  return rows;
}
