/**
 * `types`, `create`, `remove`, `list` (cli.md §3): writes to the kernel's
 * `create` / `remove` files and mdevctl's listings.
 *
 * @module
 */
import { KernelError } from "../../lib/errno.ts";
import { mdevCore } from "../../lib/mdev/core.ts";
import { mdevCreate, mdevRemoveStore } from "../../lib/mdev/device.ts";
import { randomUuid, uuidIsValid } from "../../lib/mdev/uuid.ts";
import { parseUuidArg as parseMdevctlUuid } from "../../lib/mdevctl/args.ts";
import { list as mdevctlList, listRows } from "../../lib/mdevctl/list.ts";
import { formatTypes, formatTypesJson } from "../../lib/mdevctl/format.ts";
import { typeRows } from "../../lib/mdevctl/rows.ts";
import { UsageError } from "../errors.ts";
import { out, outJson } from "../output.ts";
import { type GlobalOptions, withWorld } from "../session.ts";
import { runTask } from "./_task.ts";
import { mdevctlWarn } from "./_mdevctl_log.ts";

/** A UUID given on the command line: 36 characters in the kernel's format, else a usage error. */
export function parseUuidArg(text: string, what = "--uuid"): string {
  if (text.length !== 36 || !uuidIsValid(text)) {
    throw new UsageError(`invalid value '${text}' for '${what} <UUID>': not a UUID`);
  }
  return text.toLowerCase();
}

/** `mdevsim types [-p PARENT] [--dumpjson]`. */
export async function types(
  options: GlobalOptions & { parent?: string; dumpjson?: boolean },
): Promise<void> {
  await withWorld(options, ({ world, json }) => {
    const rows = typeRows(world, options.parent);
    if (json) outJson({ types: rows });
    else out(options.dumpjson ? formatTypesJson(rows) : formatTypes(rows));
  }, { readOnly: true });
}

/** `mdevsim create -p PARENT -t TYPE [-u UUID]`. */
export async function create(
  options: GlobalOptions & { parent: string; type: string; uuid?: string },
): Promise<void> {
  const uuid = options.uuid === undefined ? randomUuid() : parseUuidArg(options.uuid);
  await withWorld(options, ({ world, json }) => {
    const parent = mdevCore(world).parentNamed(options.parent);
    const base = `/sys/class/mdev_bus/${options.parent}`;
    if (parent === undefined || !parent.classLink) throw new KernelError("ENOENT", { path: base });
    const type = parent.type(options.type) ??
      parent.type(`${parent.dev.driverString()}-${options.type}`);
    const path = `${base}/mdev_supported_types/${type?.id ?? options.type}/create`;
    if (type === undefined) throw new KernelError("ENOENT", { path });
    const ret = mdevCreate(type, uuid);
    if (ret < 0) throw KernelError.fromReturn(ret, { path });
    if (json) outJson({ uuid, parent: parent.dev.name, type: type.id });
    else out(`${uuid}\n`);
  });
}

/** `mdevsim remove UUID`: writes `1` to the device's `remove` file. */
export async function remove(options: GlobalOptions, uuidArg: string): Promise<void> {
  const uuid = parseUuidArg(uuidArg, "UUID");
  await withWorld(options, ({ world, json }) => {
    const mdev = mdevCore(world).list.get(uuid);
    const path = `/sys/bus/mdev/devices/${uuid}/remove`;
    if (mdev === undefined || !mdev.onBusList || !mdev.removeFile) {
      throw new KernelError("ENOENT", { path });
    }
    const ret = mdevRemoveStore(mdev, "1\n");
    if (typeof ret === "number") {
      if (ret < 0) throw KernelError.fromReturn(ret, { path });
      return;
    }
    const pending = runTask(world, `remove ${uuid}`, ret, "remove");
    if (json) outJson({ uuid, removed: !pending, pending });
  });
}

/**
 * `mdevsim list [-p P] [-u U] [-d] [-v] [--dumpjson]`: active devices, with
 * their config's start mode, attributes and ` (defined)`, or (`-d`) the
 * defined ones with ` (active)`; mdevctl's WARN lines go to stderr.
 */
export async function list(
  options: GlobalOptions & {
    parent?: string;
    uuid?: string;
    defined?: boolean;
    verbose?: boolean;
    dumpjson?: boolean;
  },
): Promise<void> {
  // mdevctl's UUID forms and clap's message (exit 2) for a bad one.
  const uuid = options.uuid === undefined ? undefined : parseMdevctlUuid(options.uuid);
  await withWorld(options, ({ world, store, json }) => {
    const args = {
      parent: options.parent,
      uuid,
      defined: options.defined,
      verbose: options.verbose,
      dumpjson: options.dumpjson,
      warn: mdevctlWarn,
    };
    if (!json) return out(mdevctlList(world, store.root, args));
    const rows = listRows(world, store.root, args);
    if (options.defined) {
      return outJson({
        devices: rows.map((r) => ({
          uuid: r.uuid,
          parent: r.parent,
          type: r.type,
          start: r.start,
          attrs: r.attrs,
          active: r.suffix !== "",
        })),
      });
    }
    outJson({
      devices: rows.map((r) => {
        const mdev = mdevCore(world).list.get(r.uuid)!;
        const vdev = mdev.driverData as
          | { name?: string; group?: number; openCount?: number }
          | undefined;
        return {
          uuid: r.uuid,
          parent: r.parent,
          type: mdev.type.id,
          start: r.start,
          attrs: r.attrs,
          defined: r.suffix !== "",
          driver: mdev.driver?.name ?? null,
          active: mdev.active,
          vfio: vdev?.name ?? null,
          iommu_group: vdev?.group ?? null,
          open_count: vdev?.openCount ?? 0,
        };
      }),
    });
  }, { readOnly: true });
}
