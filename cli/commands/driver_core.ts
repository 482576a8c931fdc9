/**
 * `bind`, `unbind`, `override`, `probe` (cli.md §4): each is the write a
 * user would do to the bus's sysfs files, through the same code path.
 *
 * @module
 */
import { KernelError } from "../../lib/errno.ts";
import { readLink, writeAttrText } from "../../lib/sysfs/io.ts";
import { UsageError } from "../errors.ts";
import { outJson } from "../output.ts";
import { type GlobalOptions, withWorld } from "../session.ts";
import { reportPending } from "./_task.ts";

function write(
  options: GlobalOptions,
  operation: string,
  path: (world: Parameters<typeof readLink>[0]) => string,
  value: string,
) {
  return withWorld(options, ({ world, json }) => {
    const target = path(world);
    const { pending } = writeAttrText(world, target, value);
    if (pending) reportPending(operation);
    if (json) outJson({ path: target, value, pending });
  });
}

/** `bind BUS DEVICE DRIVER`: `echo DEVICE > /sys/bus/BUS/drivers/DRIVER/bind`. */
export function bind(
  options: GlobalOptions,
  bus: string,
  device: string,
  driver: string,
): Promise<void> {
  return write(options, "bind", () => `/sys/bus/${bus}/drivers/${driver}/bind`, `${device}\n`);
}

/** `unbind BUS DEVICE`: `echo DEVICE > /sys/bus/BUS/devices/DEVICE/driver/unbind` (ENODEV when unbound). */
export function unbind(options: GlobalOptions, bus: string, device: string): Promise<void> {
  return write(options, "unbind", (world) => {
    const link = `/sys/bus/${bus}/devices/${device}/driver`;
    try {
      readLink(world, link);
    } catch (error) {
      if (error instanceof KernelError && error.errno === "ENOENT") {
        // The device exists but has no driver link: the kernel's unbind_store answers ENODEV.
        readLink(world, `/sys/bus/${bus}/devices/${device}`);
        throw new KernelError("ENODEV", { path: link });
      }
      throw error;
    }
    return `${link}/unbind`;
  }, `${device}\n`);
}

/** `override BUS DEVICE DRIVER` / `override BUS DEVICE --clear`. */
export function override(
  options: GlobalOptions,
  bus: string,
  device: string,
  driver: string | undefined,
  clear: boolean,
): Promise<void> {
  if (!clear && driver === undefined) {
    return Promise.reject(new UsageError("override needs DRIVER or --clear"));
  }
  return write(
    options,
    "override",
    () => `/sys/bus/${bus}/devices/${device}/driver_override`,
    clear ? "\n" : `${driver}\n`,
  );
}

/** `probe BUS DEVICE`: `echo DEVICE > /sys/bus/BUS/drivers_probe`. */
export function probe(options: GlobalOptions, bus: string, device: string): Promise<void> {
  return write(options, "probe", () => `/sys/bus/${bus}/drivers_probe`, `${device}\n`);
}
