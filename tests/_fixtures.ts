/**
 * Shared test fixtures of spec §7: the generic bus G (`gbus`, every driver
 * matches), a driver whose probe results are scripted, the FX mdev parent and
 * an mtty world, plus small helpers to drive create / remove / open as a
 * writer would.
 *
 * @module
 */
import { Bus } from "../lib/core/bus.ts";
import { Device } from "../lib/core/device.ts";
import { Driver } from "../lib/core/driver.ts";
import { deviceReleaseDriver } from "../lib/core/binding.ts";
import { deviceAdd, driverRegister } from "../lib/core/registration.ts";
import type { Step, Task } from "../lib/core/task.ts";
import type { World } from "../lib/core/world.ts";
import { neg } from "../lib/errno.ts";
import { bareWorld as bootWorld } from "../lib/machine.ts";
import { mdevCore } from "../lib/mdev/core.ts";
import { mdevCreate, type MdevDevice, mdevRemoveStore } from "../lib/mdev/device.ts";
import { MdevDriver, mdevRegisterDriver } from "../lib/mdev/driver.ts";
import { type MdevParent, mdevRegisterParent } from "../lib/mdev/parent.ts";
import type { MdevType } from "../lib/mdev/type.ts";
import { vfioCore, type VfioHandle, vfioOpen } from "../lib/vfio/core.ts";
import type { VfioDevice } from "../lib/vfio/device.ts";

/** U1 of §7. */
export const U1 = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001";
/** U2 of §7. */
export const U2 = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1002";
/** U3 of §7. */
export const U3 = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1003";

/** The n-th test UUID (n < 65536), in canonical lower-case form. */
export function uuidN(n: number): string {
  return `83b8f4f2-509f-382f-3c1e-e6bfe0fa${n.toString(16).padStart(4, "0")}`;
}

/** Throws unless a kernel return code is 0 (fixture set-up must not fail silently). */
export function ok(ret: number): void {
  if (ret !== 0) throw new Error(`fixture step failed with ${ret}`);
}

/** The generic bus G: `match` returns 1 for every driver. */
export class GBus extends Bus {
  readonly name = "gbus";

  protected busMatch(): number {
    return 1;
  }
}

/** A device on any bus that counts how often its release runs. */
export class CountingDevice extends Device {
  releases = 0;

  override get kind(): string {
    return "counting";
  }

  protected override release(): void {
    this.releases++;
  }
}

/** A driver whose probe returns queued results (0 once the queue is empty) and logs removes. */
export class ScriptedDriver extends Driver {
  /** Results the next probes return, in order. */
  readonly results: number[];
  /** Names of the devices probed, in order. */
  readonly probed: string[] = [];
  /** `driver:device` per remove call, shared between drivers when the caller passes one log. */
  readonly removals: string[];

  constructor(
    world: World,
    name: string,
    bus: Bus,
    options: { results?: number[]; removals?: string[] } = {},
  ) {
    super(world, name, bus);
    this.results = [...(options.results ?? [])];
    this.removals = options.removals ?? [];
  }

  override probe(dev: Device): number {
    this.probed.push(dev.name);
    return this.results.shift() ?? 0;
  }

  override remove(dev: Device): Step[] {
    this.removals.push(`${this.name}:${dev.name}`);
    return [];
  }
}

/** The world's gbus, registering it on first use. */
export function gbusOf(world: World): GBus {
  const bus = world.bus("gbus");
  if (bus instanceof GBus) return bus;
  const created = new GBus();
  world.addBus(created);
  return created;
}

/** A booted world (platform + mdev buses) with gbus registered. */
export function gbusWorld(): { world: World; bus: GBus } {
  const world = bootWorld();
  return { world, bus: gbusOf(world) };
}

/** A registered scripted driver on `bus`. */
export function addDriver(
  world: World,
  bus: Bus,
  name: string,
  options: { results?: number[]; removals?: string[] } = {},
): ScriptedDriver {
  const drv = new ScriptedDriver(world, name, bus, options);
  ok(driverRegister(drv));
  return drv;
}

/** A counting device added to `bus` (autoprobe runs). */
export function addDevice(world: World, bus: Bus, name: string): CountingDevice {
  const dev = new CountingDevice(world, { name, bus });
  ok(deviceAdd(dev));
  return dev;
}

/** The FX mdev driver of §7: `fxm`, device_api `vfio-ap`, max_instances 2, a description hook. */
export class FxMdevDriver extends MdevDriver {
  readonly deviceApi = "vfio-ap";
  override readonly maxInstances = 2;

  constructor(world: World) {
    super(world, "fxm", mdevCore(world).bus);
  }

  override showDescription(): string {
    return "desc\n";
  }
}

/** The FX parent of §7: `fx0` on gbus bound to `fxdrv`, types `a` and `b`. */
export function addFxParent(world: World): MdevParent {
  const bus = gbusOf(world);
  addDriver(world, bus, "fxdrv");
  const fx0 = addDevice(world, bus, "fx0");
  if (fx0.driver?.name !== "fxdrv") throw new Error("fixture: fx0 did not bind to fxdrv");
  const fxm = new FxMdevDriver(world);
  ok(mdevRegisterDriver(fxm));
  const parent = mdevRegisterParent(fx0, fxm, [
    { sysfsName: "a", data: {} },
    { sysfsName: "b", data: {} },
  ]);
  if (typeof parent === "number") throw new Error(`fixture: FX registration failed ${parent}`);
  return parent;
}

/** A booted world with `mtty` loaded (modprobe mtty). */
export function mttyWorld(): World {
  const world = bootWorld();
  world.modules.load("mtty", {});
  return world;
}

/** A type of a registered parent by its directory name, e.g. `mtty-2` or `fxdrv-a`. */
export function typeNamed(world: World, id: string): MdevType {
  for (const parent of mdevCore(world).parents.values()) {
    const type = parent.type(id);
    if (type !== undefined) return type;
  }
  throw new Error(`fixture: no type ${id}`);
}

/** The mdev with a UUID on the global list, or undefined. */
export function mdevNamed(world: World, uuid: string): MdevDevice | undefined {
  return mdevCore(world).list.get(uuid);
}

/** Writes `uuid\n` to a type's `create` file; returns the byte count or -errno. */
export function create(world: World, typeId: string, uuid: string): number {
  return mdevCreate(typeNamed(world, typeId), `${uuid}\n`);
}

/**
 * Writes `buf` (default `1\n`) to the `remove` file of `uuid`: a number is the
 * write's immediate result; a Task means the writer sleeps; undefined means
 * the removal completed (the write returned count).
 */
export function remove(world: World, uuid: string, buf = "1\n"): number | Task | undefined {
  const mdev = mdevNamed(world, uuid);
  if (mdev === undefined) return neg("ENOENT");
  const ret = mdevRemoveStore(mdev, buf);
  if (typeof ret === "number") return ret;
  return world.tasks.run(`remove ${uuid}`, ret);
}

/**
 * `/sys/bus/mdev/drivers/<driver>/unbind`: ENODEV unless the device is on the
 * bus and bound to that driver; else the release sequence as a task.
 */
export function unbind(world: World, driver: string, name: string): number | Task | undefined {
  const dev = mdevCore(world).bus.devices.get(name);
  if (dev === undefined || dev.driver?.name !== driver) return neg("ENODEV");
  return world.tasks.run(`unbind ${name}`, deviceReleaseDriver(dev));
}

/** The VFIO device a bound mdev's driver registered. */
export function vdevOf(world: World, uuid: string): VfioDevice {
  const vdev = mdevNamed(world, uuid)?.driverData;
  if (vdev === undefined) throw new Error(`fixture: ${uuid} has no vfio device`);
  return vdev as VfioDevice;
}

/** Opens `uuid` through its group, as QEMU does (`/dev/vfio/N` + GET_DEVICE_FD). */
export function openMdev(world: World, groupId: number, uuid: string): VfioHandle {
  return vfioOpen(world, groupId, uuid, `/dev/vfio/${groupId}`);
}

/** The open handles of a world, by id. */
export function handleIds(world: World): number[] {
  return [...vfioCore(world).handles.keys()];
}
