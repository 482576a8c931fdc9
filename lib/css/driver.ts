/**
 * css drivers (`struct css_driver`): a driver on the css bus with the
 * subchannel types it drives (its `css_device_id` table) and the optional
 * hooks the channel subsystem calls.
 *
 * @module
 */
import { Driver } from "../core/driver.ts";
import type { World } from "../core/world.ts";
import { cssCore } from "./core.ts";
import { SUBCHANNEL_TYPE_IO } from "./schib.ts";
import type { Subchannel } from "./subchannel.ts";

/** The hooks a css driver may implement; the channel subsystem calls each only if present. */
export interface CssDriverHooks {
  /** An interrupt is pending (the driver fetches the IRB with TSCH). */
  irq?(sch: Subchannel): void;
  /** A subchannel event: its device went away or came back (sch_event). */
  schEvent?(sch: Subchannel): void;
  /** A channel path of the subchannel (`mask`, one bit per path) went offline or came online. */
  chpEvent?(sch: Subchannel, mask: number, event: "online" | "offline"): void;
}

/**
 * A driver on the css bus; subclasses implement the {@linkcode CssDriverHooks}
 * they need. Drivers that extend plain `Driver` on the css
 * bus work too: they match I/O subchannels, like every css driver mdevsim
 * knows (io_subchannel, vfio_ccw).
 */
export class CssDriver extends Driver {
  /** The subchannel types the driver drives (`css_device_id` table). */
  readonly subchannelTypes: readonly number[];

  constructor(
    world: World,
    name: string,
    options: { module?: string; subchannelTypes?: readonly number[] } = {},
  ) {
    super(
      world,
      name,
      cssCore(world).bus,
      options.module === undefined ? {} : { module: options.module },
    );
    this.subchannelTypes = options.subchannelTypes ?? [SUBCHANNEL_TYPE_IO];
  }
}
