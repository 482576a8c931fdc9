/**
 * The `mdev` bus (drivers/vfio/mdev/mdev_driver.c): match never succeeds,
 * because mdevs are only bound by the explicit device_driver_attach() in
 * create; probe and remove call the mdev_driver's hooks.
 *
 * @module
 */
import { Bus } from "../core/bus.ts";

/** The mdev bus_type. No driver_override (mdev never opted in). */
export class MdevBus extends Bus {
  readonly name = "mdev";

  /** "Drivers are only bound by explicit device_driver_attach()". */
  protected busMatch(): number {
    return 0;
  }
}
