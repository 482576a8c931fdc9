/**
 * mdev drivers (`struct mdev_driver`): data the core needs (device_api,
 * max_instances) and optional hooks (get_available, show_description).
 *
 * @module
 */
import { neg } from "../errno.ts";
import { Driver } from "../core/driver.ts";
import { driverRegister } from "../core/registration.ts";
import type { MdevType } from "./type.ts";

/** A `struct mdev_driver`. */
export abstract class MdevDriver extends Driver {
  /** set by driver: the VFIO device API string, e.g. `vfio-pci`. Mandatory. */
  abstract readonly deviceApi: string;
  /** set by driver: instances per parent when there is no getAvailable hook (0 = unset). */
  readonly maxInstances: number = 0;
  /** optional hook: instances still available of a type; the core then enforces nothing. */
  getAvailable?(type: MdevType): number;
  /** optional hook: the type's `description` file (present only with this hook). */
  showDescription?(type: MdevType): string;
}

/** mdev_register_driver(): a driver without device_api is -EINVAL. */
export function mdevRegisterDriver(drv: MdevDriver): number {
  if (!drv.deviceApi) return neg("EINVAL");
  return driverRegister(drv);
}
