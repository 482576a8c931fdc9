/**
 * mdev parents (drivers/vfio/mdev/mdev_core.c: mdev_register_parent /
 * mdev_unregister_parent). The vendor driver owns the parent; it names the
 * mdev_driver that created devices are bound to.
 *
 * @module
 */
import { neg } from "../errno.ts";
import type { Device } from "../core/device.ts";
import { defineStep, type Step, type StepResult } from "../core/task.ts";
import type { World } from "../core/world.ts";
import { mdevCore } from "./core.ts";
import type { MdevDriver } from "./driver.ts";
import { mdevRemoveCommon } from "./device.ts";
import { MdevType, type MdevTypeInfo } from "./type.ts";

/** A `struct mdev_parent`. */
export class MdevParent {
  /** set by driver: the parent device. */
  readonly dev: Device;
  /** set by driver: the mdev_driver every child is bound to. */
  readonly driver: MdevDriver;
  /** set by core: types in registration order. */
  readonly types: MdevType[] = [];
  /** set by core: shared by all types when the driver has no get_available. */
  availableInstances: number;
  /** set by core: unregistration started (unreg_sem wanted for write; trylocks fail). */
  unregistering = false;
  /** set by core: `/sys/class/mdev_bus/<parent>` exists (removed once unregistration owns the sem). */
  classLink = true;
  /** set by core: holders of unreg_sem for read (a sleeping remove keeps it). */
  readers = 0;

  constructor(dev: Device, driver: MdevDriver) {
    this.dev = dev;
    this.driver = driver;
    this.availableInstances = driver.maxInstances;
  }

  /** The type with directory name `id`, if registered. */
  type(id: string): MdevType | undefined {
    return this.types.find((t) => t.id === id);
  }

  /** The wait key of unreg_sem. */
  get semKey(): string {
    return `mdev_unreg_sem:${this.dev.id}`;
  }
}

/**
 * mdev_register_parent(): the type directories are `<dev_driver_string>-<sysfs_name>`;
 * registering the same device twice is -ENOMEM (the kset already exists), a
 * duplicate type name -EEXIST; on failure nothing stays registered.
 */
export function mdevRegisterParent(
  dev: Device,
  driver: MdevDriver,
  types: readonly MdevTypeInfo[],
): MdevParent | number {
  const core = mdevCore(dev.world);
  if (core.parents.has(dev.id)) return neg("ENOMEM");
  const parent = new MdevParent(dev, driver);
  const prefix = dev.driverString();
  for (const info of types) {
    const id = `${prefix}-${info.sysfsName}`;
    if (parent.type(id) !== undefined) return neg("EEXIST");
    parent.types.push(new MdevType(parent, info, id));
  }
  core.parents.set(dev.id, parent);
  dev.world.log(`${dev.name}: MDEV: Registered`);
  for (const hook of core.parentRegisteredHooks) hook(parent);
  return parent;
}

/**
 * Steps of mdev_unregister_parent(): take unreg_sem for write (waiting for
 * removes in flight), drop the class link, remove every child in creation
 * order whatever its `active` flag (each may sleep on an open VFIO file),
 * then the type directories.
 */
export function mdevUnregisterParent(parent: MdevParent): Step[] {
  const a = { parent: parent.dev.id };
  parent.unregistering = true;
  return [downWrite(a), removeNextChild(a), unregEnd(a)];
}

const downWrite = defineStep(
  "mdev.unregister_parent.down_write",
  (world, a: { parent: number }) => {
    const parent = parentOf(world, a.parent);
    if (parent.readers > 0) return { wait: parent.semKey };
    parent.classLink = false;
    world.log(`${parent.dev.name}: MDEV: Unregistering`);
  },
);

const removeNextChild: (a: { parent: number }) => Step = defineStep(
  "mdev.unregister_parent.next_child",
  (world, a: { parent: number }): StepResult => {
    const parent = parentOf(world, a.parent);
    const child = mdevCore(world).childrenOf(parent).find((m) => m.registered && !m.dead);
    if (child === undefined) return;
    return [...mdevRemoveCommon(child), removeNextChild(a)];
  },
);

const unregEnd = defineStep("mdev.unregister_parent.end", (world, a: { parent: number }) => {
  const core = mdevCore(world);
  const parent = parentOf(world, a.parent);
  core.parents.delete(a.parent);
  world.log(`${parent.dev.name}: MDEV: Unregistered`);
});

function parentOf(world: World, devId: number): MdevParent {
  const parent = mdevCore(world).parents.get(devId);
  if (parent === undefined) throw new RangeError(`Cannot find mdev parent of device #${devId}`);
  return parent;
}
