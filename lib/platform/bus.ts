/**
 * The `platform` bus: a generic bus for driver-core experiments. A driver
 * matches a device whose name matches the driver's glob (default `*`);
 * driver_override wins over the glob, as platform_match() does.
 *
 * @module
 */
import { Bus } from "../core/bus.ts";
import type { Device } from "../core/device.ts";
import type { Driver } from "../core/driver.ts";
import { PlatformDriver } from "./driver.ts";

/** `platform_bus_type`. */
export class PlatformBus extends Bus {
  readonly name = "platform";
  override readonly hasDriverOverride = true;

  protected busMatch(dev: Device, drv: Driver): number {
    return drv instanceof PlatformDriver && drv.matches(dev.name) ? 1 : 0;
  }
}
