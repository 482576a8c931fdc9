/**
 * The default css driver `io_subchannel` (drivers/s390/cio/device.c), bound
 * to every I/O subchannel at boot. The ccw-device layer above it (the
 * `ccw` bus, DASD driver) is not modelled, so the driver keeps the
 * subchannel usable and consumes its interrupts:
 *
 * * probe enables the subchannel with ISC 3 and concurrent sense (what
 *   io_subchannel_init_config and device recognition leave behind); remove
 *   disables it;
 * * an interrupt is fetched with TSCH (the ccw device would handle it);
 * * a subchannel event re-enables a subchannel whose device came back (the
 *   kernel would also unregister one whose device went; mdevsim keeps it, not
 *   operational, so `css add` can bring the device back);
 * * a channel-path event narrows or widens the subchannel's lpm.
 *
 * @module
 */
import type { Device } from "../core/device.ts";
import { driverRegister } from "../core/registration.ts";
import type { Step } from "../core/task.ts";
import type { World } from "../core/world.ts";
import { msch, tsch } from "./cio.ts";
import { CssDriver } from "./driver.ts";
import type { Subchannel } from "./subchannel.ts";

/** IO_SCH_ISC: the interruption subclass of I/O subchannels. */
export const IO_SCH_ISC = 3;

/** `io_subchannel_driver`. */
export class IoSubchannelDriver extends CssDriver {
  constructor(world: World) {
    super(world, "io_subchannel");
  }

  override probe(dev: Device): number {
    enable(dev as Subchannel);
    return 0;
  }

  override remove(dev: Device): Step[] {
    msch(dev as Subchannel, { enabled: false });
    return [];
  }

  irq(sch: Subchannel): void {
    tsch(sch);
  }

  schEvent(sch: Subchannel): void {
    if (sch.operational) enable(sch);
    else sch.world.log(`io_subchannel ${sch.schid}: device not operational`);
  }

  chpEvent(sch: Subchannel, mask: number, event: "online" | "offline"): void {
    const pmcw = sch.pmcw;
    pmcw.lpm = event === "offline" ? pmcw.lpm & ~mask & 0xff : pmcw.lpm | (mask & pmcw.pim);
  }
}

function enable(sch: Subchannel): void {
  msch(sch, { enabled: true, isc: IO_SCH_ISC, csense: true });
}

/** Registers io_subchannel on the css bus (autoprobe binds every unbound I/O subchannel). */
export function registerIoSubchannelDriver(world: World): IoSubchannelDriver {
  const drv = new IoSubchannelDriver(world);
  const ret = driverRegister(drv);
  if (ret < 0) throw new TypeError(`Cannot register io_subchannel: error ${ret}`);
  return drv;
}
