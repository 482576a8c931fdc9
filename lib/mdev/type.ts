/**
 * mdev types (`struct mdev_type`): the driver names them, the core derives
 * the `<driver>-<sysfs_name>` directory name at registration.
 *
 * @module
 */
import type { MdevParent } from "./parent.ts";

/** What a driver supplies for one type (plus its own per-type data). */
export interface MdevTypeInfo<T = unknown> {
  /** set by driver: the name after the `<driver>-` prefix, e.g. `"2"` for `mtty-2`. */
  readonly sysfsName: string;
  /** set by driver: the `name` attribute; sysfsName when absent. */
  readonly prettyName?: string;
  /** set by driver: its own per-type data (ports, resolution, …). */
  readonly data: T;
}

/** A registered type. */
export class MdevType<T = unknown> {
  readonly parent: MdevParent;
  readonly info: MdevTypeInfo<T>;
  /** set by core: `dev_driver_string(parent) + "-" + sysfs_name`, fixed at registration. */
  readonly id: string;

  constructor(parent: MdevParent, info: MdevTypeInfo<T>, id: string) {
    this.parent = parent;
    this.info = info;
    this.id = id;
  }

  /** The `name` attribute's text (without the newline). */
  get name(): string {
    return this.info.prettyName ?? this.info.sysfsName;
  }

  /** `available_instances`: the driver's hook, else the per-parent counter. */
  availableInstances(): number {
    const drv = this.parent.driver;
    return drv.getAvailable ? drv.getAvailable(this) : this.parent.availableInstances;
  }
}
