/**
 * Text renderings of the simulated sysfs for `mdevsim sysfs ls` and
 * `mdevsim sysfs tree`: sorted names, links as `name -> target` with the
 * relative target sysfs shows.
 *
 * @module
 */
import type { World } from "../core/world.ts";
import { KernelError } from "../errno.ts";
import { type DirEntry, listDir, sortedEntries } from "./io.ts";
import { joinPath, splitPath } from "./path.ts";
import { type DirNode, SysfsTree } from "./tree.ts";

/** Options of {@linkcode renderList}. */
export interface ListOptions {
  /**
   * Show each link as `name -> target` (`ls -l`).
   * @default false
   */
  long?: boolean;
}

/**
 * The lines of `ls PATH`: one name per line, sorted; with `long`, links as
 * `name -> target`.
 *
 * @throws {KernelError} ENOENT, or ENOTDIR when the path is not a directory
 *
 * @example Listing a bus
 * ```ts
 * import assert from "node:assert/strict";
 * import { World } from "../core/world.ts";
 * import { mdevCore } from "../mdev/core.ts";
 * import { renderList } from "./render.ts";
 * const world = new World();
 * mdevCore(world);
 * assert.deepEqual(renderList(world, "/sys/bus/mdev"), [
 *   "devices",
 *   "drivers",
 *   "drivers_autoprobe",
 *   "drivers_probe",
 *   "uevent",
 * ]);
 * ```
 */
export function renderList(world: World, path: string, options: ListOptions = {}): string[] {
  return listDir(world, path).map((entry) => entryLine(entry, options.long === true));
}

/**
 * The lines of `tree PATH`: the path itself, then every entry below it
 * indented two spaces per level, sorted; links are shown as
 * `name -> target` and never descended into.
 *
 * @throws {KernelError} ENOENT, or ENOTDIR when the path is not a directory
 */
export function renderTree(world: World, path: string): string[] {
  const found = new SysfsTree(world).resolve(path, { follow: true });
  if (found.node.kind !== "dir") throw new KernelError("ENOTDIR", { path });
  const lines = [path];
  addTreeLines(lines, found.node, splitPath(found.path), 1);
  return lines;
}

function addTreeLines(lines: string[], dir: DirNode, parts: string[], depth: number): void {
  for (const entry of sortedEntries(dir, joinPath(parts))) {
    lines.push("  ".repeat(depth) + entryLine(entry, true));
    if (entry.node.kind === "dir") {
      addTreeLines(lines, entry.node, [...parts, entry.name], depth + 1);
    }
  }
}

function entryLine(entry: DirEntry, long: boolean): string {
  return long && entry.target !== undefined ? `${entry.name} -> ${entry.target}` : entry.name;
}
