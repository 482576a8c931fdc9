/**
 * Buses (drivers/base/bus.c analogue): the per-bus registries of devices and
 * drivers, drivers_autoprobe, and the optional driver_override matching.
 *
 * @module
 */
import type { Device } from "./device.ts";
import type { Driver } from "./driver.ts";
import type { Step } from "./task.ts";

/** A `struct bus_type`. Subclasses decide matching and may wrap probe/remove. */
export abstract class Bus {
  abstract readonly name: string;
  /** The bus opts in to the generic driver_override file (2026 driver core). */
  readonly hasDriverOverride: boolean = false;
  /** Devices on the bus list, in the order they were added. */
  readonly devices = new Map<string, Device>();
  /** Registered drivers, in registration order. */
  readonly drivers = new Map<string, Driver>();
  /** `/sys/bus/X/drivers_autoprobe`. */
  driversAutoprobe = true;

  /** The bus's own match: 1 match, 0 no match, negative errno (e.g. -EPROBE_DEFER). */
  protected abstract busMatch(dev: Device, drv: Driver): number;

  /**
   * driver_match_device(): a set driver_override wins over the bus's own rule
   * (device_match_driver_override), on buses that have the override.
   */
  match(dev: Device, drv: Driver): number {
    if (this.hasDriverOverride && dev.driverOverride !== undefined) {
      return dev.driverOverride === drv.name ? 1 : 0;
    }
    return this.busMatch(dev, drv);
  }

  /** bus->probe; the default calls the driver's probe. */
  probe(dev: Device, drv: Driver): number {
    return drv.probe(dev);
  }

  /** bus->remove; the default calls the driver's remove. */
  remove(dev: Device, drv: Driver): Step[] {
    return drv.remove(dev);
  }
}
