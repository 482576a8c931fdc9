/**
 * `mdevctl list` (mdevctl.md §1.5), apart from the commands that write: the
 * listing is what scripts poll, so it imports only the config store and the
 * formats, not the sysfs write path.
 *
 * @module
 */
import type { World } from "../core/world.ts";
import {
  configToJson,
  type DefinedDevice,
  definedUuids,
  type MdevConfig,
  readConfig,
  readConfigs,
} from "./config.ts";
import { MdevctlError } from "./error.ts";
import { type DeviceRow, formatList, formatListJson } from "./format.ts";
import { activeRows } from "./rows.ts";

/** `mdevctl list`. */
export interface ListArgs {
  defined?: boolean;
  uuid?: string;
  parent?: string;
  verbose?: boolean;
  dumpjson?: boolean;
  /** mdevctl's WARN log lines (skipped config files). */
  warn?: (message: string) => void;
}

/**
 * The devices `mdevctl list` shows. Active devices (the default) carry their
 * config's start mode and attributes and ` (defined)` when a config exists
 * under their parent; defined devices (`defined`) carry ` (active)` when
 * running with the same parent and type.
 *
 * @throws {MdevctlError} with `defined`, when a config is not valid (mdevctl fails the listing)
 */
export function listRows(world: World, root: string, args: ListArgs = {}): DeviceRow[] {
  if (args.defined) {
    return readConfigs(root, { uuid: args.uuid, parent: args.parent, warn: args.warn }).map(
      (defined) => definedRow(world, defined),
    );
  }
  const definedBy = new Map<string, Set<string>>();
  return activeRows(world, { parent: args.parent, uuid: args.uuid }).map((row) => {
    let uuids = definedBy.get(row.parent);
    if (uuids === undefined) definedBy.set(row.parent, uuids = definedUuids(root, row.parent));
    if (!uuids.has(row.uuid)) return row;
    let config: MdevConfig | undefined;
    try {
      config = readConfig(root, row.parent, row.uuid);
    } catch (error) {
      // mdevctl ignores a definition it cannot load here; the device still counts as defined.
      if (!(error instanceof MdevctlError)) throw error;
    }
    if (config === undefined) return { ...row, suffix: " (defined)" };
    // Quirk (1.2.0): loading the definition overwrites the type read from sysfs.
    return {
      ...row,
      type: config.mdevType,
      start: config.start,
      attrs: configToJson(config).attrs,
      suffix: " (defined)",
    };
  });
}

/**
 * `mdevctl list` as text: one line per device (with `verbose`, its
 * attributes), or `--dumpjson` in its three shapes.
 */
export function list(world: World, root: string, args: ListArgs = {}): string {
  const rows = listRows(world, root, args);
  return args.dumpjson
    ? formatListJson(rows, args.uuid !== undefined)
    : formatList(rows, args.verbose ?? false);
}

function definedRow(world: World, defined: DefinedDevice): DeviceRow {
  // Parent and type of the running device as mdevctl reads them from sysfs (rows.ts).
  const [active] = activeRows(world, { uuid: defined.uuid });
  const running = active?.parent === defined.parent && active.type === defined.config.mdevType;
  return {
    uuid: defined.uuid,
    parent: defined.parent,
    type: defined.config.mdevType,
    start: defined.config.start,
    attrs: configToJson(defined.config).attrs,
    suffix: running ? " (active)" : "",
  };
}
