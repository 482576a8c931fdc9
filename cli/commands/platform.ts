/**
 * `platform …`, `inject …`, `reset` and `dmesg`: the generic-bus
 * experiments of cli.md §2.
 *
 * @module
 */
import { KernelError, parseErrno } from "../../lib/errno.ts";
import {
  deviceAdd,
  deviceUnregister,
  driverRegister,
  driverUnregister,
} from "../../lib/core/registration.ts";
import { PlatformDevice } from "../../lib/platform/device.ts";
import { PlatformDriver } from "../../lib/platform/driver.ts";
import { resolveStateRoot } from "../../lib/state/root.ts";
import { StateStore } from "../../lib/state/store.ts";
import { UsageError } from "../errors.ts";
import { err, out, outJson } from "../output.ts";
import { type GlobalOptions, withWorld } from "../session.ts";
import { runTask } from "./_task.ts";

const NAME = /^[A-Za-z0-9_.:+-]{1,64}$/;

function checkName(name: string): string {
  if (!NAME.test(name)) {
    throw new UsageError(`invalid name '${name}': use 1-64 of [A-Za-z0-9_.:+-]`);
  }
  return name;
}

/** `platform add-device NAME`. */
export async function addDevice(options: GlobalOptions, name: string): Promise<void> {
  checkName(name);
  await withWorld(options, ({ world }) => {
    const dev = new PlatformDevice(world, name);
    const ret = deviceAdd(dev);
    if (ret < 0) {
      dev.put();
      throw KernelError.fromReturn(ret, { path: `/sys/bus/platform/devices/${name}` });
    }
  });
}

/** `platform del-device NAME` (device_unregister; may be pending). */
export async function delDevice(options: GlobalOptions, name: string): Promise<void> {
  await withWorld(options, ({ world }) => {
    const dev = world.bus("platform")!.devices.get(name);
    if (dev === undefined) {
      throw new KernelError("ENODEV", { path: `/sys/bus/platform/devices/${name}` });
    }
    runTask(world, `del-device ${name}`, deviceUnregister(dev), "platform del-device");
  });
}

/** `platform add-driver NAME [--match GLOB]`. */
export async function addDriver(options: GlobalOptions, name: string, glob = "*"): Promise<void> {
  checkName(name);
  await withWorld(options, ({ world }) => {
    const ret = driverRegister(new PlatformDriver(world, name, glob));
    if (ret < 0) throw KernelError.fromReturn(ret, { path: `/sys/bus/platform/drivers/${name}` });
  });
}

/** `platform del-driver NAME`. */
export async function delDriver(options: GlobalOptions, name: string): Promise<void> {
  await withWorld(options, ({ world }) => {
    const drv = world.driverOn("platform", name);
    if (!(drv instanceof PlatformDriver) || !drv.listed) {
      throw new KernelError("ENODEV", { path: `/sys/bus/platform/drivers/${name}` });
    }
    runTask(world, `del-driver ${name}`, driverUnregister(drv), "platform del-driver");
  });
}

/** `inject BUS DRIVER --probe ERRNO [--times N]` / `inject --clear`. */
export async function inject(
  options: GlobalOptions & { probe?: string; times?: string; clear?: boolean },
  bus?: string,
  driver?: string,
): Promise<void> {
  if (options.clear) {
    await withWorld(options, ({ world }) => world.faults.clear());
    return;
  }
  if (bus === undefined || driver === undefined || options.probe === undefined) {
    throw new UsageError("inject needs BUS DRIVER --probe ERRNO, or --clear");
  }
  const errno = parseErrno(options.probe);
  if (errno === undefined) throw new UsageError(`unknown errno '${options.probe}'`);
  const times = options.times === undefined ? 1 : Number(options.times);
  if (!Number.isInteger(times) || times < 1 || times > 1_000_000) {
    throw new UsageError(`--times must be a positive integer, not '${options.times}'`);
  }
  await withWorld(options, ({ world, json }) => {
    if (world.bus(bus) === undefined) throw new KernelError("ENOENT", { path: `/sys/bus/${bus}` });
    world.faults.injectProbe({ bus, driver, errno, times });
    if (json) outJson({ bus, driver, errno, times });
  });
}

/** `reset [--yes]`. */
export async function reset(options: GlobalOptions & { yes?: boolean }): Promise<void> {
  const root = resolveStateRoot(options.root);
  if (!options.yes && Deno.stdin.isTerminal()) {
    const answer = prompt(`Delete the state in ${root}? [y/N]`);
    if (answer?.toLowerCase() !== "y") return err("mdevsim: reset: cancelled");
  }
  const store = await StateStore.open(root);
  try {
    store.clear();
  } finally {
    store.close();
  }
}

/** `dmesg`: the kernel log. */
export async function dmesg(options: GlobalOptions): Promise<void> {
  await withWorld(options, ({ world, json }) => {
    if (json) {
      outJson({
        log: world.logLines,
        warnings: world.warnings,
        leaks: world.leaks().map((d) => d.name),
      });
    } else out(world.logLines.map((l) => `${l}\n`).join(""));
  }, { readOnly: true });
}
