/**
 * mdevctl 1.2.0's commands over mdevsim's world (mdevctl.md §1.2–§1.8):
 * `define`, `undefine`, `modify`, `start`, `stop`, `start-parent-mdevs` and
 * `list`. Each takes the world, the state root (configs live under
 * `ROOT/etc/mdevctl.d`) and the parsed arguments, returns what mdevctl
 * prints on stdout, and fails with an {@linkcode MdevctlError} carrying
 * mdevctl's message and exit code. Like mdevctl, the commands reach the
 * kernel only through sysfs: parent and type of an active device come from
 * `realpath`, a start is one write of the UUID to the type's `create` file
 * followed by one write per attribute, a stop one write of `1` to `remove`.
 * Only the active listing enumerates devices from the world (rows.ts),
 * which is what /sys/bus/mdev/devices shows, without listing 10,000 links.
 *
 * @module
 */
import type { World } from "../core/world.ts";
import { KernelError, strerror } from "../errno.ts";
import { randomUuid } from "../mdev/uuid.ts";
import { listDir, readAttr, writeAttrText } from "../sysfs/io.ts";
import { splitPath } from "../sysfs/path.ts";
import { SysfsTree } from "../sysfs/tree.ts";
import {
  configFromJson,
  type DefinedDevice,
  isDefined,
  type MdevAttr,
  type MdevConfig,
  parseConfig,
  parseJson,
  readConfigs,
  removeConfig,
  writeConfig,
} from "./config.ts";
import { MdevctlError } from "./error.ts";

const MDEV_BASE = "/sys/bus/mdev/devices";
const PARENT_BASE = "/sys/class/mdev_bus";

/** Where a command reports what mdevctl would not print on stdout. */
export interface MdevctlHooks {
  /** mdevctl's WARN log lines (skipped config files, failed autostarts). */
  warn?: (message: string) => void;
  /** A `remove` write whose kernel path sleeps on an open VFIO file (the writer would block). */
  pending?: (uuid: string) => void;
}

/** `mdevctl define` (canonical UUIDs; see args.ts for parsing them). */
export interface DefineArgs extends MdevctlHooks {
  uuid?: string;
  parent?: string;
  type?: string;
  auto?: boolean;
  /** A JSON config file (`/dev/stdin` works); conflicts with `type` and `auto`. */
  jsonfile?: string;
}

/** `mdevctl undefine`. */
export interface UndefineArgs extends MdevctlHooks {
  uuid: string;
  parent?: string;
}

/** `mdevctl modify`. */
export interface ModifyArgs extends MdevctlHooks {
  uuid: string;
  parent?: string;
  type?: string;
  /** Attribute to insert at `index`, else to append; needs `value`. */
  addattr?: string;
  value?: string;
  /** Delete the attribute at `index`, else the last one; conflicts with `addattr`. */
  delattr?: boolean;
  index?: number;
  auto?: boolean;
  manual?: boolean;
}

/** `mdevctl start`. */
export interface StartArgs extends MdevctlHooks {
  uuid?: string;
  parent?: string;
  type?: string;
  /** A JSON config for a transient device; conflicts with `type`, needs `parent`. */
  jsonfile?: string;
}

/** `mdevctl stop`. */
export interface StopArgs extends MdevctlHooks {
  uuid: string;
}

/** `mdevctl start-parent-mdevs PARENT`. */
export interface StartParentArgs extends MdevctlHooks {
  parent: string;
}

/** A device as start handles it: parent and type may still be missing. */
interface Device {
  uuid: string;
  parent?: string;
  type?: string;
  attrs: MdevAttr[];
}

/**
 * `mdevctl define`: writes a config. With only a UUID of an active device,
 * parent and type come from sysfs. Prints the UUID when it generated one.
 *
 * @throws {MdevctlError} `No parent specified`, `No type specified`,
 *   `Device U on P already defined`, `Cowardly refusing to overwrite existing config for P/U`,
 *   `Parent device required to define device via "FILE"`, clap's conflicts and
 *   missing arguments (exit 2)
 */
export function define(world: World, root: string, args: DefineArgs): string {
  requireOneOf(args, ["uuid", "parent"]);
  if (args.jsonfile !== undefined) {
    if (args.type !== undefined) conflict("--type <type>", "--jsonfile <JSONFILE>");
    if (args.auto) conflict("--auto", "--jsonfile <JSONFILE>");
  }
  const uuid = args.uuid ?? randomUuid();
  const printed = args.uuid === undefined ? `${uuid}\n` : "";
  if (args.jsonfile !== undefined) {
    const file = args.jsonfile;
    openCheck(file, `Unable to read file ${rustPath(file)}`);
    if (args.parent === undefined) {
      throw new MdevctlError(`Parent device required to define device via ${rustPath(file)}`);
    }
    if (readConfigs(root, { uuid, parent: args.parent, warn: args.warn }).length > 0) {
      throw new MdevctlError(
        `Cowardly refusing to overwrite existing config for ${args.parent}/${uuid}`,
      );
    }
    writeConfig(root, args.parent, uuid, parseConfig(readJsonfile(file)));
    return printed;
  }
  const active = args.uuid === undefined ? undefined : activeDevice(world, uuid);
  if (args.uuid !== undefined && args.parent === undefined) {
    if (active === undefined || args.type !== undefined) {
      throw new MdevctlError("No parent specified");
    }
  }
  const parent = args.parent ?? active?.parent;
  const type = args.type ?? active?.type;
  if (parent === undefined) throw new MdevctlError("No parent specified");
  if (type === undefined) throw new MdevctlError("No type specified");
  if (isDefined(root, parent, uuid)) {
    throw new MdevctlError(`Device ${uuid} on ${parent} already defined`);
  }
  writeConfig(root, parent, uuid, {
    mdevType: type,
    start: args.auto ? "auto" : "manual",
    attrs: [],
  });
  return printed;
}

/**
 * `mdevctl undefine`: deletes the config, under every parent that has one
 * unless `parent` narrows it. Running devices are untouched.
 *
 * @throws {MdevctlError} `No devices match the specified uuid`
 */
export function undefine(_world: World, root: string, args: UndefineArgs): string {
  const devices = readConfigs(root, { uuid: args.uuid, parent: args.parent, warn: args.warn });
  if (devices.length === 0) throw new MdevctlError("No devices match the specified uuid");
  for (const device of devices) removeConfig(root, device.parent, device.uuid);
  return "";
}

/**
 * `mdevctl modify`: rewrites a config. An added attribute is inserted at
 * `index` (at most the count) or appended; a delete removes the one at
 * `index` or pops the last. With nothing to change it rewrites the same
 * config and succeeds (1.2.0).
 *
 * @throws {MdevctlError} `Mediated device [P/]U is not defined`,
 *   `Multiple definitions found for U, specify a parent`, `Attribute index N is invalid`,
 *   `No attribute value provided`, clap's conflicts (exit 2)
 */
export function modify(_world: World, root: string, args: ModifyArgs): string {
  if (args.auto && args.manual) conflict("--auto", "--manual");
  if (args.addattr !== undefined && args.delattr) {
    conflict("--delattr", "--addattr <attr_name>");
  }
  const found = definedDevice(root, args);
  const device = { ...found.config, attrs: [...found.config.attrs] };
  if (args.type !== undefined) device.mdevType = args.type;
  if (args.auto) device.start = "auto";
  else if (args.manual) device.start = "manual";
  if (args.addattr !== undefined) {
    if (args.value === undefined) throw new MdevctlError("No attribute value provided");
    if (args.index === undefined) device.attrs.push([args.addattr, args.value]);
    else {
      if (args.index > device.attrs.length) invalidIndex(args.index);
      device.attrs.splice(args.index, 0, [args.addattr, args.value]);
    }
  } else if (args.delattr) {
    if (args.index === undefined) device.attrs.pop();
    else {
      if (args.index >= device.attrs.length) invalidIndex(args.index);
      device.attrs.splice(args.index, 1);
    }
  }
  writeConfig(root, found.parent, found.uuid, device);
  return "";
}

/**
 * `mdevctl start`: a defined device by UUID (plus parent when the UUID is
 * defined under several), or a transient one from parent and type or from
 * a JSON file. Prints the UUID when it generated one.
 *
 * @throws {MdevctlError} every start message of mdevctl.md §1.6, and clap's
 *   conflicts and missing arguments (exit 2)
 */
export function start(world: World, root: string, args: StartArgs): string {
  requireOneOf(args, ["uuid", "parent"]);
  if (args.jsonfile !== undefined && args.type !== undefined) {
    conflict("--type <type>", "--jsonfile <JSONFILE>");
  }
  const device = startDevice(root, args);
  startOnSysfs(world, device);
  return args.uuid === undefined ? `${device.uuid}\n` : "";
}

/** The device `start` means, as mdevctl's start_command_helper works it out. */
function startDevice(root: string, args: StartArgs): Device & { parent: string; type: string } {
  if (args.jsonfile !== undefined) {
    // Read and parsed before the parent is checked, validated after: mdevctl's order.
    const json = parseJson(readJsonfile(args.jsonfile));
    if (args.parent === undefined) {
      throw new MdevctlError("Parent device required to start device via json file");
    }
    return { ...deviceOf(args.uuid ?? randomUuid(), configFromJson(json)), parent: args.parent };
  }
  let device: Device | undefined;
  if (args.uuid !== undefined) {
    const defined = readConfigs(root, { uuid: args.uuid, parent: args.parent, warn: args.warn });
    if (defined.length > 1) {
      throw new MdevctlError(
        `Multiple definitions found for device ${args.uuid}. Please specify a parent.`,
      );
    }
    const only = defined[0];
    if (only !== undefined) {
      if (args.type !== undefined && args.type !== only.config.mdevType) {
        throw new MdevctlError(
          `Device ${only.uuid} already exists on parent ${only.parent} with type ${only.config.mdevType}`,
        );
      }
      device = { ...deviceOf(only.uuid, only.config), parent: only.parent };
    }
  }
  device ??= {
    uuid: args.uuid ?? randomUuid(),
    parent: args.parent,
    type: args.type,
    attrs: [],
  };
  if (device.type !== undefined && device.parent === undefined) {
    throw new MdevctlError("can't provide type without parent");
  }
  if (device.type === undefined || device.parent === undefined) {
    throw new MdevctlError("Device is insufficiently specified");
  }
  return { ...device, parent: device.parent, type: device.type };
}

/**
 * `mdevctl stop`: one write of `1` to the device's `remove` file, without
 * checking first that it is active (1.2.0).
 *
 * @throws {MdevctlError} `Error removing device U`, caused by the write's errno
 */
export function stop(world: World, _root: string, args: StopArgs): string {
  removeOnSysfs(world, args.uuid, args);
  return "";
}

/**
 * `mdevctl start-parent-mdevs PARENT` (what udev runs when a parent
 * registers): starts every device defined under PARENT with start `auto`,
 * in UUID order. A failed start is reported through `warn` (each error of
 * its chain on its own line) and does not stop the loop.
 *
 * @throws {MdevctlError} only when a config under PARENT is not valid
 */
export function startParentMdevs(world: World, root: string, args: StartParentArgs): string {
  for (const defined of readConfigs(root, { parent: args.parent, warn: args.warn })) {
    if (defined.config.start !== "auto") continue;
    try {
      startOnSysfs(world, {
        ...deviceOf(defined.uuid, defined.config),
        parent: defined.parent,
      });
    } catch (error) {
      if (!(error instanceof MdevctlError)) throw error;
      args.warn?.(error.message);
      if (error.causeText !== undefined) args.warn?.(error.causeText);
    }
  }
  return "";
}

/**
 * What udev's 60-mdevctl.rules does when parents register: `mdevctl
 * start-parent-mdevs` for each. udev logs the tool's WARN lines and
 * failures to its journal; mdevsim's one log is the kernel log.
 */
export function udevStartParentMdevs(world: World, root: string, parents: readonly string[]): void {
  for (const parent of parents) {
    const log = (message: string) =>
      world.log(`udev: mdevctl start-parent-mdevs ${parent}: ${message}`);
    try {
      startParentMdevs(world, root, { parent, warn: log });
    } catch (error) {
      if (!(error instanceof MdevctlError)) throw error;
      log(error.render().replaceAll("\n", " "));
    }
  }
}

// ---- configs --------------------------------------------------------------------------------

/** mdevctl's get_defined_device: exactly one config for the UUID (and parent). */
function definedDevice(root: string, args: ModifyArgs): DefinedDevice {
  const devices = readConfigs(root, { uuid: args.uuid, parent: args.parent, warn: args.warn });
  if (devices.length === 0) {
    const which = args.parent === undefined ? args.uuid : `${args.parent}/${args.uuid}`;
    throw new MdevctlError(`Mediated device ${which} is not defined`);
  }
  if (devices.length > 1) {
    throw new MdevctlError(`Multiple definitions found for ${args.uuid}, specify a parent`);
  }
  return devices[0]!;
}

function deviceOf(uuid: string, config: MdevConfig): Device & { type: string } {
  return { uuid, type: config.mdevType, attrs: [...config.attrs] };
}

// ---- files ----------------------------------------------------------------------------------

/** A path as Rust's `{:?}` shows it. */
function rustPath(path: string): string {
  return JSON.stringify(path);
}

/**
 * Names of the standard input: read through Deno.stdin, because Deno
 * grants /dev paths only to fully privileged processes (libvirt passes
 * `--jsonfile /dev/stdin`).
 */
const STDIN_PATHS = new Set(["/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"]);

/** mdevctl's `File::open` check before it looks at anything else. */
function openCheck(path: string, context: string): void {
  if (STDIN_PATHS.has(path)) return;
  try {
    Deno.openSync(path).close();
  } catch (error) {
    throw new MdevctlError(context, { cause: error as Error });
  }
}

function readStdin(): string {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(65536);
  for (let n = Deno.stdin.readSync(buffer); n !== null; n = Deno.stdin.readSync(buffer)) {
    chunks.push(buffer.slice(0, n));
  }
  const bytes = new Uint8Array(chunks.reduce((total, chunk) => total + chunk.length, 0));
  chunks.reduce((offset, chunk) => (bytes.set(chunk, offset), offset + chunk.length), 0);
  return new TextDecoder().decode(bytes);
}

function readJsonfile(path: string): string {
  try {
    return STDIN_PATHS.has(path) ? readStdin() : Deno.readTextFileSync(path);
  } catch (error) {
    throw new MdevctlError(`Unable to read jsonfile ${rustPath(path)}`, { cause: error as Error });
  }
}

// ---- sysfs ----------------------------------------------------------------------------------

/** What mdevctl's load_from_sysfs learns about an active device. */
interface ActiveDevice {
  parent: string;
  type: string;
}

/**
 * Parent and type of an active device: the directory holding
 * `realpath(/sys/bus/mdev/devices/U)`, and the basename of
 * `realpath(U/mdev_type)`. Undefined when the device is not there.
 */
function activeDevice(world: World, uuid: string): ActiveDevice | undefined {
  const tree = new SysfsTree(world);
  const path = `${MDEV_BASE}/${uuid}`;
  try {
    const device = splitPath(tree.resolve(path, { follow: true }).path);
    const type = splitPath(tree.resolve(`${path}/mdev_type`, { follow: true }).path);
    return { parent: device.at(-2)!, type: type.at(-1)! };
  } catch (error) {
    if (error instanceof KernelError) return undefined;
    throw error;
  }
}

/** stat(2) through sysfs: whether the path exists and, followed, is a directory. */
function statSysfs(world: World, path: string): "dir" | "file" | undefined {
  try {
    return new SysfsTree(world).resolve(path, { follow: true }).node.kind === "dir"
      ? "dir"
      : "file";
  } catch (error) {
    if (error instanceof KernelError) return undefined;
    throw error;
  }
}

/** mdevctl's start(): create with its checks, then the attributes in order. */
function startOnSysfs(world: World, device: Device & { parent: string; type: string }): void {
  createOnSysfs(world, device);
  const base = `${MDEV_BASE}/${device.uuid}`;
  for (const [name, value] of device.attrs) {
    try {
      writeAttribute(world, base, name, value);
    } catch (error) {
      // mdevctl 1.2.0 stops the device and, when that fails too, reports the
      // stop's error instead; mdevsim stops it and reports the original one.
      try {
        removeOnSysfs(world, device.uuid, {});
      } catch (stopError) {
        if (!(stopError instanceof MdevctlError)) throw stopError;
      }
      throw error;
    }
  }
}

/** mdevctl's create(): the checks of mdevctl.md §1.4, then one write of the UUID. */
function createOnSysfs(world: World, device: Device & { parent: string; type: string }): void {
  const { uuid, parent, type } = device;
  const existing = activeDevice(world, uuid);
  if (existing !== undefined) {
    if (existing.parent !== parent) throw new MdevctlError("Device exists under different parent");
    if (existing.type !== type) throw new MdevctlError("Device exists with different type");
    throw new MdevctlError("Device already exists");
  }
  const parentPath = findParentDir(world, parent);
  const types = `${parentPath}/mdev_supported_types`;
  if (statSysfs(world, types) !== "dir") {
    throw new MdevctlError(`Parent ${parent} is not currently registered for mdev support`);
  }
  const typePath = `${types}/${type}`;
  if (statSysfs(world, typePath) !== "dir") {
    throw new MdevctlError(`Parent ${parent} does not support mdev type ${type}`);
  }
  if (availableInstances(world, `${typePath}/available_instances`) === 0) {
    throw new MdevctlError(`No available instances of ${type} on ${parent}`);
  }
  try {
    writeAttrText(world, `${typePath}/create`, uuid);
  } catch (error) {
    if (!(error instanceof KernelError)) throw error;
    throw new MdevctlError(`Failed to create mdev ${uuid}, type ${type} on ${parent}`, {
      cause: error,
    });
  }
}

/** `/sys/class/mdev_bus/<parent>`, or mdevctl's error (suggesting a name differing only in case). */
function findParentDir(world: World, parent: string): string {
  const path = `${PARENT_BASE}/${parent}`;
  if (statSysfs(world, path) === "dir") return path;
  const names = statSysfs(world, PARENT_BASE) === "dir"
    ? listDir(world, PARENT_BASE).map((entry) => entry.name)
    : [];
  const similar = names.find((name) => name.toLowerCase() === parent.toLowerCase());
  throw new MdevctlError(
    `Unable to find parent device '${parent}'` +
      (similar === undefined ? "" : `. Did you mean '${similar}'?`),
  );
}

/** `available_instances` parsed as mdevctl does (trimmed i32). */
function availableInstances(world: World, path: string): number {
  let text: string;
  try {
    text = readAttr(world, path).trim();
  } catch (error) {
    if (!(error instanceof KernelError)) throw error;
    throw new MdevctlError(`${strerror(error.errno)} (os error ${error.code})`);
  }
  if (!/^[+-]?[0-9]+$/.test(text)) throw new MdevctlError("invalid digit found in string");
  return Number(text);
}

/** mdevctl's write_attr: the file must exist, then one write of the value (no newline). */
function writeAttribute(world: World, base: string, name: string, value: string): void {
  // Rust's Path::join: an absolute name replaces the base.
  const path = name.startsWith("/") ? name : `${base}/${name}`;
  if (statSysfs(world, path) === undefined) {
    throw new MdevctlError(`Invalid attribute '${name}'`);
  }
  try {
    writeAttrText(world, path, value);
  } catch (error) {
    if (!(error instanceof KernelError)) throw error;
    throw new MdevctlError(`Failed to write ${value} to attribute ${name}`, { cause: error });
  }
}

/** mdevctl's stop(): one write of `1` to `remove`. */
function removeOnSysfs(world: World, uuid: string, hooks: MdevctlHooks): void {
  try {
    const result = writeAttrText(world, `${MDEV_BASE}/${uuid}/remove`, "1");
    if (result.pending) hooks.pending?.(uuid);
  } catch (error) {
    if (!(error instanceof KernelError)) throw error;
    throw new MdevctlError(`Error removing device ${uuid}`, { cause: error });
  }
}

// ---- clap's checks --------------------------------------------------------------------------

const FLAG_NAMES = { uuid: "--uuid <UUID>", parent: "--parent <PARENT>" } as const;

/** clap's `required_unless`: at least one of the arguments. */
function requireOneOf(args: { uuid?: string; parent?: string }, names: Array<"uuid" | "parent">) {
  if (names.some((name) => args[name] !== undefined)) return;
  throw new MdevctlError(
    "The following required arguments were not provided:\n" +
      names.map((name) => `    ${FLAG_NAMES[name]}`).join("\n"),
    { exitCode: 2 },
  );
}

function conflict(first: string, second: string): never {
  throw new MdevctlError(`The argument '${first}' cannot be used with '${second}'`, {
    exitCode: 2,
  });
}

function invalidIndex(index: number): never {
  throw new MdevctlError(`Attribute index ${index} is invalid`);
}
