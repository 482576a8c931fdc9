/**
 * The `css` bus (drivers/s390/cio/css.c, css_bus_type): driver_override
 * first, then the driver's subchannel-type table against the subchannel's
 * type (css_bus_match).
 *
 * @module
 */
import { Bus } from "../core/bus.ts";
import type { Device } from "../core/device.ts";
import type { Driver } from "../core/driver.ts";
import { SUBCHANNEL_TYPE_IO } from "./schib.ts";

/** `css_bus_type`. */
export class CssBus extends Bus {
  readonly name = "css";
  override readonly hasDriverOverride = true;

  /**
   * A driver without a type table (one that extends plain `Driver`) is
   * taken to drive I/O subchannels, the only type mdevsim has.
   */
  protected busMatch(dev: Device, drv: Driver): number {
    const types = (drv as { subchannelTypes?: readonly number[] }).subchannelTypes ??
      [SUBCHANNEL_TYPE_IO];
    const type = (dev as { subchannelType?: number }).subchannelType;
    return type !== undefined && types.includes(type) ? 1 : 0;
  }
}
