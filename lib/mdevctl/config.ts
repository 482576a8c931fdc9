/**
 * mdevctl's persistent device configs (mdevctl.md §1.3), stored where and
 * as mdevctl 1.2.0 stores them: `ROOT/etc/mdevctl.d/<parent>/<uuid>`, one
 * JSON file per device with the keys `mdev_type`, `start` and `attrs`,
 * pretty-printed with a 2-space indent and no trailing newline. Reading
 * applies mdevctl's checks with its messages and skips what it skips.
 *
 * @module
 */
import { MdevctlError } from "./error.ts";

/** How a defined device starts: with its parent (`auto`) or only on request. */
export type StartMode = "auto" | "manual";

/** One attribute: the sysfs file name under the device and the value written to it. */
export type MdevAttr = readonly [name: string, value: string];

/** A device definition, as a config file holds it. */
export interface MdevConfig {
  /** The type directory name, e.g. `mtty-2`. */
  readonly mdevType: string;
  readonly start: StartMode;
  /** Written in this order when the device starts. */
  readonly attrs: readonly MdevAttr[];
}

/** A config found on disk. */
export interface DefinedDevice {
  readonly uuid: string;
  readonly parent: string;
  readonly config: MdevConfig;
}

/** Which configs {@linkcode readConfigs} returns. */
export interface ConfigFilter {
  uuid?: string;
  parent?: string;
  /** Receives mdevctl's WARN lines for skipped files. */
  warn?: (message: string) => void;
}

/** The JSON object of a config (and of `list --dumpjson` for one device). */
export interface ConfigJson {
  mdev_type: string;
  start: StartMode;
  attrs: Array<Record<string, string>>;
}

/** The directory of callout scripts inside the config base, never a parent. */
const SCRIPTS_DIR = "scripts.d";
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `ROOT/etc/mdevctl.d`. */
export function configBase(root: string): string {
  return `${root}/etc/mdevctl.d`;
}

/** `ROOT/etc/mdevctl.d/<parent>/<uuid>`. */
export function configPath(root: string, parent: string, uuid: string): string {
  return `${configBase(root)}/${parent}/${uuid}`;
}

/**
 * A config from parsed JSON, with mdevctl's `load_from_json` checks:
 * `mdev_type` and `start` must be present, anything but `"auto"` starts
 * manually, `attrs` may be missing or null, else an array of single-key
 * objects with string values.
 *
 * @throws {MdevctlError} `invalid json`, `attributes field is not an array`,
 *   `invalid JSON format for attribute: not an object`, `… too many fields`
 */
export function configFromJson(json: unknown): MdevConfig {
  const object = isObject(json) ? json : {};
  // mdevctl 1.2.0 panics on a non-string mdev_type (unwrap); a missing key's message fits.
  if (typeof object.mdev_type !== "string" || object.start === undefined || object.start === null) {
    throw new MdevctlError("invalid json");
  }
  return {
    mdevType: object.mdev_type,
    start: object.start === "auto" ? "auto" : "manual",
    attrs: attrsFromJson(object.attrs),
  };
}

function attrsFromJson(attrs: unknown): MdevAttr[] {
  if (attrs === undefined || attrs === null) return [];
  if (!Array.isArray(attrs)) throw new MdevctlError("attributes field is not an array");
  return attrs.map((attr) => {
    if (!isObject(attr)) {
      throw new MdevctlError("invalid JSON format for attribute: not an object");
    }
    const entries = Object.entries(attr);
    if (entries.length !== 1) {
      throw new MdevctlError("invalid JSON format for attribute: too many fields");
    }
    const [name, value] = entries[0]!;
    // 1.2.0 panics here too; this is the message of the fix (master e6be50e).
    if (typeof value !== "string") {
      throw new MdevctlError(
        `invalid JSON format for attribute {${JSON.stringify(name)}, ${
          JSON.stringify(value)
        }}: value must be of type str`,
      );
    }
    return [name, value] as const;
  });
}

/**
 * A config from JSON text (a config file, a `--jsonfile`).
 *
 * @throws {MdevctlError} for text that is not JSON (serde_json's message for
 *   empty input, JavaScript's otherwise), or any error of {@linkcode configFromJson}
 */
export function parseConfig(text: string): MdevConfig {
  return configFromJson(parseJson(text));
}

/** Parses JSON text, failing as an mdevctl command does. */
export function parseJson(text: string): unknown {
  if (text.trim() === "") {
    // serde_json reports where the input ended.
    const lines = text.split("\n");
    throw new MdevctlError(
      `EOF while parsing a value at line ${lines.length} column ${lines.at(-1)!.length}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new MdevctlError((error as Error).message);
  }
}

/** The JSON object of a config, keys in mdevctl's order. */
export function configToJson(config: MdevConfig): ConfigJson {
  return {
    mdev_type: config.mdevType,
    start: config.start,
    attrs: config.attrs.map(([name, value]) => ({ [name]: value })),
  };
}

/**
 * The bytes of a config file: serde_json's pretty form (2-space indent)
 * without a trailing newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatConfig } from "./config.ts";
 * assert.equal(
 *   formatConfig({ mdevType: "mtty-1", start: "auto", attrs: [["foo", "1"]] }),
 *   '{\n  "mdev_type": "mtty-1",\n  "start": "auto",\n  "attrs": [\n    {\n      "foo": "1"\n    }\n  ]\n}',
 * );
 * ```
 */
export function formatConfig(config: MdevConfig): string {
  return JSON.stringify(configToJson(config), null, 2);
}

/** Whether a config file exists for the device (mdevctl's `is_defined`: any file type). */
export function isDefined(root: string, parent: string, uuid: string): boolean {
  try {
    Deno.statSync(configPath(root, parent, uuid));
    return true;
  } catch {
    return false;
  }
}

/**
 * The config of one device, or undefined when there is none.
 *
 * @throws {MdevctlError} when the file exists but is not a valid config
 */
export function readConfig(root: string, parent: string, uuid: string): MdevConfig | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(configPath(root, parent, uuid));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  return parseConfig(text);
}

/**
 * The UUIDs defined under one parent, from a single directory listing
 * (listing 10,000 active devices asks once per parent, not once per device).
 */
export function definedUuids(root: string, parent: string): Set<string> {
  const uuids = new Set<string>();
  for (const entry of readDirOrEmpty(`${configBase(root)}/${parent}`)) {
    if (entry.isFile && CANONICAL_UUID.test(entry.name)) uuids.add(entry.name);
  }
  return uuids;
}

/**
 * Every config matching the filter, sorted by parent and UUID. Like
 * mdevctl: `scripts.d` and plain files in the base are not parents, a
 * parent's entries that are not regular files are ignored, and a file
 * whose name is not a UUID is skipped with a WARN. A missing base is empty.
 *
 * @throws {MdevctlError} when a matching file is not a valid config (mdevctl fails the whole listing)
 */
export function readConfigs(root: string, filter: ConfigFilter = {}): DefinedDevice[] {
  const devices: DefinedDevice[] = [];
  const base = configBase(root);
  for (const parentEntry of sortedEntries(readDirOrEmpty(base))) {
    const parent = parentEntry.name;
    if (parent === SCRIPTS_DIR || (filter.parent !== undefined && filter.parent !== parent)) {
      continue;
    }
    if (!isDirectory(`${base}/${parent}`)) continue;
    for (const entry of sortedEntries(readDirOrEmpty(`${base}/${parent}`))) {
      if (!entry.isFile) continue;
      // Only the canonical spelling names a config mdevctl can find again by path.
      if (!CANONICAL_UUID.test(entry.name)) {
        filter.warn?.(`Can't determine uuid for file '${entry.name}'`);
        continue;
      }
      if (filter.uuid !== undefined && filter.uuid !== entry.name) continue;
      const text = Deno.readTextFileSync(`${base}/${parent}/${entry.name}`);
      devices.push({ uuid: entry.name, parent, config: parseConfig(text) });
    }
  }
  return devices;
}

/**
 * Writes a config, creating the parent directory on demand, and the
 * `scripts.d/callouts` and `scripts.d/notifiers` directories mdevctl 1.2.0
 * checks for, so the tree is one real mdevctl accepts.
 */
export function writeConfig(root: string, parent: string, uuid: string, config: MdevConfig): void {
  const base = configBase(root);
  for (const dir of ["callouts", "notifiers"]) {
    Deno.mkdirSync(`${base}/${SCRIPTS_DIR}/${dir}`, { recursive: true });
  }
  Deno.mkdirSync(`${base}/${parent}`, { recursive: true });
  Deno.writeTextFileSync(configPath(root, parent, uuid), formatConfig(config));
}

/** Deletes a config file (the parent directory stays, as with mdevctl). */
export function removeConfig(root: string, parent: string, uuid: string): void {
  Deno.removeSync(configPath(root, parent, uuid));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

function readDirOrEmpty(path: string): Deno.DirEntry[] {
  try {
    return [...Deno.readDirSync(path)];
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return [];
    }
    throw error;
  }
}

function sortedEntries(entries: Deno.DirEntry[]): Deno.DirEntry[] {
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
