/**
 * `mdevsim sysfs export DIR` (cli.md §4): the simulated sysfs written out as
 * a real tree that tools reading `/sys` can be pointed at (mdevctl.md §1.10:
 * bind-mount `DIR/sys` over `/sys` and `DIR/etc/mdevctl.d` over
 * `/etc/mdevctl.d`). Directories are directories, attributes are regular
 * files holding what a read returns now (write-only ones are empty) with the
 * kernel's permission bits, and links are relative symlinks exactly as sysfs
 * stores them, so `realpath` finds an mdev's parent the way mdevctl does.
 *
 * The tree is built in a sibling directory and renamed into place, so a
 * reader of DIR sees the previous export or the new one, never a half tree.
 *
 * @module
 */
import { basename, dirname, resolve } from "node:path";
import type { World } from "../core/world.ts";
import { KernelError } from "../errno.ts";
import { sortedEntries } from "./io.ts";
import { joinPath } from "./path.ts";
import { type AttrNode, type DirNode, SysfsTree } from "./tree.ts";

/** Options of {@linkcode exportSysfs}. */
export interface ExportOptions {
  /**
   * The state root whose `etc/mdevctl.d` (the defined devices' configs) is
   * copied to `DIR/etc/mdevctl.d`; without it only the call-out directories
   * mdevctl 1.2.0 requires are created there.
   */
  stateRoot?: string;
}

/** What an export wrote. */
export interface ExportSummary {
  /** The export directory, absolute. */
  dir: string;
  dirs: number;
  files: number;
  links: number;
}

/** An export that cannot be done: DIR holds something that is not a previous export, or I/O failed. */
export class ExportError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ExportError";
  }
}

/** The only entries of a previous export's top level: anything else is not ours to delete. */
const EXPORT_ENTRIES = new Set(["sys", "dev", "etc"]);

/** The call-out directories mdevctl 1.2.0 checks for before any command (mdevctl.md §1.3). */
const MDEVCTL_SCRIPT_DIRS = ["scripts.d/callouts", "scripts.d/notifiers"];

/**
 * Materialises the world's `/sys` and `/dev/vfio` under `dir`, plus
 * `dir/etc/mdevctl.d`, replacing a previous export of `dir`. `/dev/vfio`
 * nodes become empty regular files with the nodes' modes (a tree of plain
 * files cannot hold character devices).
 *
 * @throws {ExportError} when `dir` exists and is not a directory, an empty
 *   directory or a previous export, or when the host file system fails
 *
 * @example Exporting a fresh world
 * ```ts
 * import assert from "node:assert/strict";
 * import { World } from "../core/world.ts";
 * import { mdevCore } from "../mdev/core.ts";
 * import { exportSysfs } from "./export.ts";
 * const world = new World();
 * mdevCore(world);
 * const dir = `${Deno.makeTempDirSync()}/export`;
 * exportSysfs(world, dir);
 * assert.equal(Deno.readTextFileSync(`${dir}/sys/bus/mdev/drivers_autoprobe`), "1\n");
 * assert.ok(Deno.statSync(`${dir}/etc/mdevctl.d/scripts.d/callouts`).isDirectory);
 * ```
 */
export function exportSysfs(
  world: World,
  dir: string,
  options: ExportOptions = {},
): ExportSummary {
  const target = resolve(dir);
  try {
    checkReplaceable(target);
    const staging = Deno.makeTempDirSync({
      dir: dirname(target),
      prefix: `.${basename(target)}.export-`,
    });
    try {
      Deno.chmodSync(staging, 0o755);
      const summary = writeTree(world, staging);
      writeMdevctlConfigs(options.stateRoot, `${staging}/etc/mdevctl.d`);
      swapInto(staging, target);
      return { dir: target, ...summary };
    } catch (error) {
      Deno.removeSync(staging, { recursive: true });
      throw error;
    }
  } catch (error) {
    if (error instanceof ExportError || !(error instanceof Error)) throw error;
    throw new ExportError(`Cannot export to "${target}": ${error.message}`, { cause: error });
  }
}

/** Refuses to replace anything but nothing, an empty directory or a previous export. */
function checkReplaceable(target: string): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(target);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  if (!info.isDirectory) {
    throw new ExportError(`Cannot export to "${target}": it exists and is not a directory`);
  }
  const foreign = [...Deno.readDirSync(target)].find((entry) => !EXPORT_ENTRIES.has(entry.name));
  if (foreign !== undefined) {
    throw new ExportError(
      `Cannot export to "${target}": it holds "${foreign.name}", so it is not a previous export`,
    );
  }
}

/**
 * Puts the staged tree at `target`: the old export is renamed away, the new
 * one renamed in, then the old one deleted. Both renames are atomic, so a
 * reader never sees a partly written or partly deleted tree.
 */
function swapInto(staging: string, target: string): void {
  let old: string | undefined;
  try {
    if (Deno.lstatSync(target).isDirectory) {
      old = Deno.makeTempDirSync({ dir: dirname(target), prefix: `.${basename(target)}.old-` });
      // rename(2) replaces an empty directory, which makeTempDir just made.
      Deno.renameSync(target, old);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  Deno.renameSync(staging, target);
  if (old !== undefined) Deno.removeSync(old, { recursive: true });
}

/** Writes `/sys` and `/dev` of the world under `base`. */
function writeTree(world: World, base: string): Omit<ExportSummary, "dir"> {
  const counts = { dirs: 0, files: 0, links: 0 };
  const walk = (node: DirNode, parts: string[]) => {
    for (const entry of sortedEntries(node, joinPath(parts))) {
      const childParts = [...parts, entry.name];
      const path = base + joinPath(childParts);
      switch (entry.node.kind) {
        case "dir":
          Deno.mkdirSync(path);
          Deno.chmodSync(path, 0o755);
          counts.dirs++;
          walk(entry.node, childParts);
          break;
        case "attr":
          writeFile(path, attrBytes(entry.node), entry.node.mode);
          counts.files++;
          break;
        case "chrdev":
          writeFile(path, new Uint8Array(), entry.node.mode);
          counts.files++;
          break;
        case "link":
          Deno.symlinkSync(entry.target!, path);
          counts.links++;
          break;
      }
    }
  };
  walk(new SysfsTree(world).root(), []);
  return counts;
}

function writeFile(path: string, bytes: Uint8Array, mode: number): void {
  Deno.writeFileSync(path, bytes);
  // Set after writing: the umask would clear bits of a mode given at creation.
  Deno.chmodSync(path, mode);
}

/**
 * What a read of the attribute returns now, as bytes: nothing for a
 * write-only attribute or one whose read fails (the file must still exist,
 * mdevctl tests attributes by existence). sysfs text is a byte string, so
 * code points up to 0xFF are one byte each; wider text is UTF-8.
 */
function attrBytes(node: AttrNode): Uint8Array {
  const show = node.attribute.show;
  if (show === undefined || (node.mode & 0o444) === 0) return new Uint8Array();
  let text: string;
  try {
    text = show();
  } catch (error) {
    if (error instanceof KernelError) return new Uint8Array();
    throw error;
  }
  // deno-lint-ignore no-control-regex
  if (/^[\x00-\xff]*$/.test(text)) return Uint8Array.from(text, (c) => c.charCodeAt(0));
  return new TextEncoder().encode(text);
}

/** `etc/mdevctl.d`: a copy of the state root's, plus the call-out directories mdevctl requires. */
function writeMdevctlConfigs(stateRoot: string | undefined, into: string): void {
  Deno.mkdirSync(into, { recursive: true });
  if (stateRoot !== undefined) copyTree(`${stateRoot}/etc/mdevctl.d`, into);
  for (const scripts of MDEVCTL_SCRIPT_DIRS) {
    Deno.mkdirSync(`${into}/${scripts}`, { recursive: true });
  }
}

/** Copies the directories, files (with their modes) and symlinks under `from` into `to`. */
function copyTree(from: string, to: string): void {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(from)];
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  for (const entry of entries) {
    const source = `${from}/${entry.name}`;
    const copy = `${to}/${entry.name}`;
    if (entry.isSymlink) Deno.symlinkSync(Deno.readLinkSync(source), copy);
    else if (entry.isDirectory) {
      Deno.mkdirSync(copy);
      copyTree(source, copy);
    } else if (entry.isFile) Deno.copyFileSync(source, copy);
  }
}
