/**
 * Drivers (drivers/base/driver.c analogue): a name on a bus, optional probe
 * and remove hooks, the attribute groups a bound device gains, and the list
 * of bound devices in bind order.
 *
 * @module
 */
import type { AttributeGroup } from "./attribute.ts";
import type { Bus } from "./bus.ts";
import type { Device } from "./device.ts";
import type { Step } from "./task.ts";
import type { World } from "./world.ts";

/** A `struct device_driver`. Subclasses supply the hooks. */
export class Driver {
  readonly world: World;
  readonly name: string;
  readonly bus: Bus;
  /** core: bound devices, oldest first (driver_detach walks it from the end). */
  readonly bound: Device[] = [];
  /** No bind/unbind files in sysfs. */
  readonly suppressBindAttrs: boolean;
  /** The module that registered it (`/sys/bus/X/drivers/D/module`), if modular. */
  readonly module: string | undefined;
  /** core: on the bus's driver list; cleared first by driver_unregister so nothing new binds. */
  listed = true;

  constructor(
    world: World,
    name: string,
    bus: Bus,
    options: { suppressBindAttrs?: boolean; module?: string } = {},
  ) {
    this.world = world;
    this.name = name;
    this.bus = bus;
    this.suppressBindAttrs = options.suppressBindAttrs ?? false;
    this.module = options.module;
  }

  /** probe(): 0 or a negative errno. The default binds without doing anything. */
  probe(_dev: Device): number {
    return 0;
  }

  /** remove(): the steps of the driver's teardown (a VFIO driver's may sleep). */
  remove(_dev: Device): Step[] {
    return [];
  }

  /** Attribute groups a device gains while bound to this driver (dev_groups). */
  devGroups(_dev: Device): readonly AttributeGroup[] {
    return [];
  }
}
