/**
 * `vfio info|open|close|handles|run|config` (cli.md §5): userspace access to
 * an mdev's VFIO device through its group path, with handles that outlive a
 * command.
 *
 * @module
 */
import type { World } from "../../lib/core/world.ts";
import { KernelError } from "../../lib/errno.ts";
import { mdevCore } from "../../lib/mdev/core.ts";
import { regionRead } from "../../lib/vfio/access.ts";
import { handleDevice, vfioClose, vfioCore, vfioOpen } from "../../lib/vfio/core.ts";
import { VfioDevice } from "../../lib/vfio/device.ts";
import {
  formatDeviceInfo,
  formatIrqInfo,
  formatRegionInfo,
  getInfo,
  getIrqInfo,
  getRegionInfo,
} from "../../lib/vfio/ioctl.ts";
import { parseScript } from "../../lib/vfio/script.ts";
import { outcomeText, runScriptLines } from "../../lib/vfio/script_runner.ts";
import { PCI_REGION } from "../../lib/vfio/uapi.ts";
import { UsageError } from "../errors.ts";
import { err, out, outJson } from "../output.ts";
import { type GlobalOptions, withWorld } from "../session.ts";
import { parseUuidArg } from "./mdev.ts";

/** The bound VFIO device of an mdev: ENOENT for an unknown UUID, ENODEV when none is registered. */
function vfioDeviceOf(world: World, uuid: string): VfioDevice {
  const path = `/sys/bus/mdev/devices/${uuid}`;
  const mdev = mdevCore(world).list.get(uuid);
  if (mdev === undefined) throw new KernelError("ENOENT", { path });
  const vdev = mdev.driverData;
  if (!(vdev instanceof VfioDevice) || vdev.group === undefined) {
    throw new KernelError("ENODEV", { path });
  }
  return vdev;
}

/** Opens the device through `/dev/vfio/<group>`; returns the handle id. */
function openDevice(world: World, uuid: string): number {
  const vdev = vfioDeviceOf(world, uuid);
  return vfioOpen(world, vdev.group!, uuid, `/dev/vfio/${vdev.group}`).id;
}

/** Runs `body` on a handle opened for it and closed afterwards, even when `body` fails. */
function withTemporaryHandle<T>(
  world: World,
  uuid: string,
  body: (handleId: number, vdev: VfioDevice) => T,
): T {
  const handleId = openDevice(world, uuid);
  try {
    return body(handleId, handleDevice(world, handleId).vdev);
  } finally {
    vfioClose(world, handleId);
  }
}

function parseHandleArg(text: string, what: string): number {
  if (!/^[0-9]+$/.test(text) || text.length > 9) {
    throw new UsageError(`invalid value '${text}' for '${what}': not a handle number`);
  }
  return Number(text);
}

/** The result of one ioctl for `vfio info`: its decoded text or the errno it failed with. */
function attempt<T>(call: () => T): T | KernelError {
  try {
    return call();
  } catch (error) {
    if (error instanceof KernelError) return error;
    throw error;
  }
}

/** `mdevsim vfio info DEVICE`: GET_INFO, every GET_REGION_INFO and GET_IRQ_INFO. */
export async function info(options: GlobalOptions, deviceArg: string): Promise<void> {
  const uuid = parseUuidArg(deviceArg, "DEVICE");
  await withWorld(options, ({ world, json }) => {
    withTemporaryHandle(world, uuid, (_handle, vdev) => {
      const device = getInfo(vdev);
      const regions = Array.from(
        { length: device.numRegions },
        (_, i) => attempt(() => getRegionInfo(vdev, i)),
      );
      const irqs = Array.from(
        { length: device.numIrqs },
        (_, i) => attempt(() => getIrqInfo(vdev, i)),
      );
      if (json) {
        return outJson({
          device: uuid,
          info: { flags: device.flags, num_regions: device.numRegions, num_irqs: device.numIrqs },
          regions: regions.map((r, index) =>
            r instanceof KernelError
              ? { index, error: r.errno }
              : { index, flags: r.flags, size: r.size, offset: r.offset }
          ),
          irqs: irqs.map((q, index) =>
            q instanceof KernelError
              ? { index, error: q.errno }
              : { index, flags: q.flags, count: q.count }
          ),
        });
      }
      const lines = [`info ${formatDeviceInfo(device)}`];
      regions.forEach((r, index) =>
        lines.push(
          r instanceof KernelError
            ? `region index=${index} error ${r.errno}`
            : `region ${formatRegionInfo(r)}`,
        )
      );
      irqs.forEach((q, index) =>
        lines.push(
          q instanceof KernelError
            ? `irq index=${index} error ${q.errno}`
            : `irq ${formatIrqInfo(q)}`,
        )
      );
      out(lines.join("\n") + "\n");
    });
  });
}

/** `mdevsim vfio open DEVICE`: prints the handle id. */
export async function open(options: GlobalOptions, deviceArg: string): Promise<void> {
  const uuid = parseUuidArg(deviceArg, "DEVICE");
  await withWorld(options, ({ world, json }) => {
    const handleId = openDevice(world, uuid);
    const { vdev } = handleDevice(world, handleId);
    if (json) outJson({ handle: handleId, device: uuid, group: vdev.group ?? null });
    else out(`${handleId}\n`);
  });
}

/** `mdevsim vfio close HANDLE`: the last close completes a pending removal. */
export async function close(options: GlobalOptions, handleArg: string): Promise<void> {
  const handleId = parseHandleArg(handleArg, "HANDLE");
  await withWorld(options, ({ world, json }) => {
    const { handle } = handleDevice(world, handleId);
    const mdevs = mdevCore(world).list;
    const present = mdevs.has(handle.name);
    vfioClose(world, handleId);
    const removed = present && !mdevs.has(handle.name);
    if (removed) {
      err(`mdevsim: vfio close: the pending removal of ${handle.name} completed`);
    }
    if (json) outJson({ handle: handleId, device: handle.name, removed });
  });
}

/** `mdevsim vfio handles`: one line per open handle. */
export async function handles(options: GlobalOptions): Promise<void> {
  await withWorld(options, ({ world, json }) => {
    const rows = [...vfioCore(world).handles.values()].map((h) => {
      const vdev = world.device(h.device) as VfioDevice;
      return {
        handle: h.id,
        device: h.name,
        vfio: vdev.name,
        group: vdev.group ?? null,
        open_count: vdev.openCount,
      };
    });
    if (json) return outJson({ handles: rows });
    out(
      rows.map((r) =>
        `${r.handle} ${r.device} ${r.vfio} group=${r.group ?? "-"} open_count=${r.open_count}\n`
      ).join(""),
    );
  }, { readOnly: true });
}

async function readScript(file: string | undefined): Promise<string> {
  try {
    return file === undefined
      ? await new Response(Deno.stdin.readable).text()
      : await Deno.readTextFile(file);
  } catch (error) {
    throw new UsageError(
      `cannot read script ${file ?? "from stdin"}: ${(error as Error).message}`,
    );
  }
}

/** `mdevsim vfio run DEVICE [--handle H] [--script FILE] [--strict]`. */
export async function runScript(
  options: GlobalOptions & { handle?: string; script?: string; strict?: boolean },
  deviceArg: string,
): Promise<void> {
  const uuid = parseUuidArg(deviceArg, "DEVICE");
  const given = options.handle === undefined
    ? undefined
    : parseHandleArg(options.handle, "--handle <h>");
  const lines = parseScript(await readScript(options.script));
  const strict = options.strict ?? false;
  await withWorld(options, ({ world, json }) => {
    const execute = (handleId: number) => runScriptLines(world, handleId, lines, { strict });
    let outcomes;
    if (given === undefined) outcomes = withTemporaryHandle(world, uuid, execute);
    else {
      if (handleDevice(world, given).handle.name !== uuid) {
        throw new KernelError("EINVAL", {
          path: `handle ${given}`,
          detail: `handle ${given} does not belong to ${uuid}`,
        });
      }
      outcomes = execute(given);
    }
    const failed = strict ? outcomes.find((o) => o.error !== undefined) : undefined;
    if (json && failed === undefined) {
      return outJson(
        outcomes.map((o) =>
          o.error === undefined
            ? { line: o.line, op: o.op, result: o.result }
            : { line: o.line, op: o.op, error: o.error }
        ),
      );
    }
    if (!json) {
      out(outcomes.filter((o) => o !== failed).map((o) => outcomeText(o) + "\n").join(""));
    }
    if (failed !== undefined) {
      throw new KernelError(failed.error!, { path: `line ${failed.line}` });
    }
  });
}

const CLASS_NAMES: Readonly<Record<number, string>> = {
  0x0300: "VGA compatible controller",
  0x0380: "Display controller",
  0x0700: "Serial controller",
};

/** The 256-byte config space as `lspci -x` prints it (readable back by `lspci -F`). */
export function formatLspci(config: Uint8Array): string {
  const word = (at: number) => config[at]! | (config[at + 1]! << 8);
  const hex4 = (v: number) => v.toString(16).padStart(4, "0");
  const hex2 = (v: number) => v.toString(16).padStart(2, "0");
  const classCode = word(0x0a);
  const className = CLASS_NAMES[classCode] ?? `Class ${hex4(classCode)}`;
  const lines = [
    `00:00.0 ${className}: Device ${hex4(word(0))}:${hex4(word(2))} (rev ${hex2(config[8]!)})`,
  ];
  for (let row = 0; row < 256; row += 16) {
    const bytes = Array.from(config.subarray(row, row + 16), hex2).join(" ");
    lines.push(`${hex2(row)}: ${bytes}`);
  }
  return lines.join("\n") + "\n\n";
}

/** `mdevsim vfio config DEVICE [--lspci]`: the config region as an `lspci -x` dump. */
export async function config(options: GlobalOptions, deviceArg: string): Promise<void> {
  const uuid = parseUuidArg(deviceArg, "DEVICE");
  await withWorld(options, ({ world, json }) => {
    const space = withTemporaryHandle(world, uuid, (_handle, vdev) => {
      const region = getRegionInfo(vdev, PCI_REGION.CONFIG);
      // mtty's region is 0xff bytes, not 256: read what exists and pad with zeros.
      const length = Math.min(Number(region.size), 256);
      const bytes = new Uint8Array(256);
      bytes.set(regionRead(vdev, { name: "config" }, 0n, length));
      return bytes;
    });
    if (json) {
      outJson({
        device: uuid,
        config: Array.from(space, (b) => b.toString(16).padStart(2, "0")).join(""),
      });
    } else out(formatLspci(space));
  });
}
