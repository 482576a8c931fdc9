/**
 * The device object and its lifetime (drivers/base/core.c analogue): a
 * reference count set to 1 by initialisation, `get`/`put`, and a release that
 * runs exactly once when the last reference drops.
 *
 * @module
 */
import type { Bus } from "./bus.ts";
import type { Driver } from "./driver.ts";
import type { World } from "./world.ts";

/** Named fields every device persists; subclasses add their own under `data`. */
export interface DeviceSnapshot {
  id: number;
  kind: string;
  name: string;
  bus: string | null;
  parent: number | null;
  className: string | null;
  refcount: number;
  registered: boolean;
  dead: boolean;
  onBusList: boolean;
  driver: string | null;
  driverLinks: boolean;
  driverGroups: boolean;
  driverOverride: string | null;
  releasing: boolean;
  /** drvdata when it is another device (a VFIO driver's vfio_device), by id. */
  driverData: number | null;
  data?: unknown;
}

/** What a `new Device(...)` needs; `bus`, `parent` and `className` are optional as in `struct device`. */
export interface DeviceOptions {
  name: string;
  bus?: Bus;
  parent?: Device;
  className?: string;
}

/**
 * A `struct device`. Fields marked "core" are owned by the driver core and
 * only read elsewhere.
 */
export class Device {
  /** core: world-unique, stable across saves; also gives creation order. */
  readonly id: number;
  /** Snapshot tag naming the subclass that restores this device. */
  get kind(): string {
    return "device";
  }
  readonly world: World;
  name: string;
  readonly bus: Bus | undefined;
  readonly parent: Device | undefined;
  /** The device class (`/sys/class/<name>`), e.g. `mtty` or `vfio-dev`. */
  readonly className: string | undefined;
  /** core: the reference count; release runs when it reaches 0. */
  refcount = 1;
  /** core: true between device_add and the end of device_del (the kobject is in sysfs). */
  registered = false;
  /** core: set first thing in device_del (kill_device); binds then fail with ENODEV. */
  dead = false;
  /** core: true while the device is on its bus's list (and /sys/bus/X/devices/<name> exists). */
  onBusList = false;
  /** core: the driver, set by really_probe before probe runs and cleared at unbind. */
  driver: Driver | undefined;
  /** core: the `driver` link and the driver's `<name>` link exist. */
  driverLinks = false;
  /** core: the driver's dev_groups attributes exist. */
  driverGroups = false;
  /** core: an unbind is in progress (the device lock is held across a sleeping remove). */
  releasing = false;
  /** Bus-level driver_override (only on buses that have it), `undefined` = unset. */
  driverOverride: string | undefined;
  /** Driver private data (dev_set_drvdata). */
  driverData: unknown;
  /** core: release has run; any further get/put is a use-after-free. */
  released = false;

  constructor(world: World, options: DeviceOptions, id?: number) {
    this.world = world;
    this.id = id ?? world.allocateDeviceId();
    this.name = options.name;
    this.bus = options.bus;
    this.parent = options.parent;
    this.className = options.className;
    world.trackDevice(this);
  }

  /** get_device(): takes a reference. */
  get(): this {
    if (this.released || this.refcount <= 0) {
      this.world.warn(`refcount_t: addition on 0; use-after-free (device '${this.name}')`);
      return this;
    }
    this.refcount++;
    return this;
  }

  /**
   * put_device(): drops a reference; the last one runs {@linkcode release}
   * exactly once. A put on a released device is reported (refcount underflow)
   * and changes nothing, so a double put never releases twice.
   */
  put(): void {
    if (this.released || this.refcount <= 0) {
      this.world.warn(`refcount_t: underflow; use-after-free (device '${this.name}')`);
      return;
    }
    if (--this.refcount === 0) {
      this.released = true;
      this.world.untrackDevice(this);
      this.release();
    }
  }

  /**
   * The release callback (dev->release, type release or class dev_release).
   * Subclasses override it; the base has none, which the kernel reports as a
   * broken device.
   */
  protected release(): void {
    this.world.warn(
      `Device '${this.name}' does not have a release() function, it is broken and must be fixed`,
    );
  }

  /**
   * True when something outside the driver core legitimately holds this
   * unregistered device (e.g. an open VFIO file); used by leak detection.
   */
  heldElsewhere(): boolean {
    return false;
  }

  /** The kernel's dev_driver_string(): driver name, else bus name, else class name, else "". */
  driverString(): string {
    return this.driver?.name ?? this.bus?.name ?? this.className ?? "";
  }

  /** Named-field snapshot of the core fields; subclasses add `data`. */
  toSnapshot(): DeviceSnapshot {
    return {
      id: this.id,
      kind: this.kind,
      name: this.name,
      bus: this.bus?.name ?? null,
      parent: this.parent?.id ?? null,
      className: this.className ?? null,
      refcount: this.refcount,
      registered: this.registered,
      dead: this.dead,
      onBusList: this.onBusList,
      driver: this.driver?.name ?? null,
      driverLinks: this.driverLinks,
      driverGroups: this.driverGroups,
      driverOverride: this.driverOverride ?? null,
      releasing: this.releasing,
      driverData: this.driverData instanceof Device ? this.driverData.id : null,
    };
  }

  /** Restores the core fields written by {@linkcode toSnapshot} (the driver is linked by the world). */
  restoreCore(s: DeviceSnapshot): void {
    this.refcount = s.refcount;
    this.registered = s.registered;
    this.dead = s.dead;
    this.onBusList = s.onBusList;
    this.driverLinks = s.driverLinks;
    this.driverGroups = s.driverGroups;
    this.driverOverride = s.driverOverride ?? undefined;
    this.releasing = s.releasing;
  }
}
