/**
 * The driver core's and the mdev core's own sysfs files and their stores:
 * `uevent`, `driver_override`, `drivers_autoprobe`, `bind`, `unbind`,
 * `drivers_probe` and an mdev's `remove` (driver-core-mdev-vfio.md §2.3).
 *
 * @module
 */
import { type Attribute, rwAttr } from "../core/attribute.ts";
import { deviceAttach, deviceDriverAttach, deviceReleaseDriver } from "../core/binding.ts";
import type { Bus } from "../core/bus.ts";
import type { Device } from "../core/device.ts";
import type { Driver } from "../core/driver.ts";
import { cssUeventVars } from "../css/attributes.ts";
import { KernelError } from "../errno.ts";
import { MdevBus } from "../mdev/bus.ts";
import { MdevDevice, mdevRemoveStore } from "../mdev/device.ts";
import { UUID_STRING_LEN, uuidIsValid } from "../mdev/uuid.ts";
import { type AttrNode, cString, fail, PAGE_SIZE, type StoreResult, taskAttrNode } from "./node.ts";

/**
 * The device's uevent file as dev_uevent() prints it: DRIVER= while a
 * driver is set, then the bus's variables (mdev's MDEV_TYPE, platform's
 * MODALIAS, css's ST and MODALIAS). Device numbers are not simulated.
 */
export function ueventText(dev: Device): string {
  const vars: string[] = [];
  if (dev.driver !== undefined) vars.push(`DRIVER=${dev.driver.name}`);
  if (dev instanceof MdevDevice) vars.push(`MDEV_TYPE=${dev.type.info.sysfsName}`);
  if (dev.bus?.name === "platform") vars.push(`MODALIAS=platform:${dev.name}`);
  vars.push(...cssUeventVars(dev));
  return vars.map((v) => `${v}\n`).join("");
}

const UEVENT_ACTIONS = ["add", "remove", "change", "move", "online", "offline", "bind", "unbind"];

/**
 * Writing a `uevent` file (kobject_synth_uevent): an action name, optionally
 * followed by a UUID and ` KEY=VALUE` pairs; anything else is EINVAL.
 * Events themselves are not simulated, so a valid write only returns count.
 */
export function synthUevent(buf: string): number {
  let text = buf;
  if (text.endsWith("\n") || text.endsWith("\0")) text = text.slice(0, -1);
  const space = text.indexOf(" ");
  const action = space < 0 ? text : text.slice(0, space);
  if (!UEVENT_ACTIONS.includes(action)) throw new KernelError("EINVAL");
  if (space >= 0) {
    const args = text.slice(space + 1);
    const valid = args.length >= UUID_STRING_LEN && uuidIsValid(args) &&
      /^( [A-Za-z0-9_]+=[^ ]*)*$/.test(args.slice(UUID_STRING_LEN));
    if (!valid) throw new KernelError("EINVAL");
  }
  return buf.length;
}

/**
 * `driver_override` (__device_set_driver_override): count ≥ PAGE_SIZE - 1
 * is EINVAL (the value and its newline must fit a page); the string ends at
 * the first NUL; empty or starting with `\n` clears; otherwise the text up
 * to the first `\n` is kept. It never binds or unbinds by itself.
 */
export function driverOverrideAttr(dev: Device): Attribute {
  return rwAttr(
    "driver_override",
    () => `${dev.driverOverride ?? "(null)"}\n`,
    (buf) => {
      if (buf.length >= PAGE_SIZE - 1) throw new KernelError("EINVAL");
      const text = cString(buf);
      const newline = text.indexOf("\n");
      if (text.length === 0 || newline === 0) dev.driverOverride = undefined;
      else dev.driverOverride = newline < 0 ? text : text.slice(0, newline);
      return buf.length;
    },
  );
}

/** `drivers_autoprobe`: a first byte `0` turns it off, anything else on. */
export function driversAutoprobeAttr(bus: Bus): Attribute {
  return rwAttr(
    "drivers_autoprobe",
    () => (bus.driversAutoprobe ? "1\n" : "0\n"),
    (buf) => {
      bus.driversAutoprobe = buf[0] !== "0";
      return buf.length;
    },
  );
}

/**
 * bus_find_device_by_name() on the buffer read as a C string, with
 * sysfs_streq() semantics: exact, one trailing newline tolerated (device
 * names never end in one, so dropping it and looking the rest up is the same).
 */
export function findDeviceByName(bus: Bus, buf: string): Device | undefined {
  const name = cString(buf);
  return bus.devices.get(name.endsWith("\n") ? name.slice(0, -1) : name);
}

/**
 * `bind` (bus.c:bind_store): ENODEV when the name is not on the bus or the
 * bus does not match; otherwise device_driver_attach()'s errno flows back
 * (EBUSY when bound, the probe's errno, EAGAIN for a deferral).
 */
export function bindStore(drv: Driver, buf: string): number {
  const dev = findDeviceByName(drv.bus, buf);
  // driver_match_device() is used as a C truth value: only 0 means "no match".
  if (dev === undefined || drv.bus.match(dev, drv) === 0) {
    throw new KernelError(
      "ENODEV",
      drv.bus instanceof MdevBus ? { detail: "mdevs are bound by create" } : {},
    );
  }
  const ret = deviceDriverAttach(drv, dev);
  return ret < 0 ? fail(ret) : buf.length;
}

/**
 * `unbind` (bus.c:unbind_store): ENODEV unless the named device is bound to
 * this driver; the release runs as a task that sleeps while the driver's
 * remove waits (an open VFIO file).
 */
export function unbindStore(drv: Driver, buf: string): StoreResult {
  const dev = findDeviceByName(drv.bus, buf);
  if (dev === undefined || dev.driver !== drv) throw new KernelError("ENODEV");
  const task = drv.world.tasks.run(`unbind ${dev.name}`, deviceReleaseDriver(dev));
  return { count: buf.length, pending: task !== undefined };
}

/**
 * `drivers_probe` (bus.c:drivers_probe_store): ENODEV for an unknown name;
 * an unbound device goes through device_attach(), whose negative result is
 * reported as EINVAL.
 */
export function driversProbe(bus: Bus, buf: string): number {
  const dev = findDeviceByName(bus, buf);
  if (dev === undefined) throw new KernelError("ENODEV");
  if (dev.driver === undefined && deviceAttach(dev) < 0) throw new KernelError("EINVAL");
  return buf.length;
}

/**
 * The mdev's `remove` file. kstrtoul() reads the buffer as a C string; the
 * count reported is the whole write. A removal that sleeps on an open VFIO
 * file is left pending as the task `remove <uuid>`.
 */
export function removeAttrNode(mdev: MdevDevice): AttrNode {
  return taskAttrNode("remove", (buf) => {
    const ret = mdevRemoveStore(mdev, cString(buf));
    if (typeof ret === "number") return ret < 0 ? fail(ret) : { count: buf.length, pending: false };
    const task = mdev.world.tasks.run(`remove ${mdev.uuid}`, ret);
    return { count: buf.length, pending: task !== undefined };
  });
}
