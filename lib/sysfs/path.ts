/**
 * Path helpers for the simulated sysfs: splitting and lexical normalisation
 * of absolute paths, and the relative symlink targets sysfs stores
 * (`../../../bus/mdev/drivers/mtty`), which are always computed from the
 * link's physical location.
 *
 * @module
 */

/**
 * The components of a path, with empty and `.` components dropped and `..`
 * kept (only the walk can resolve `..`, because after a symlink it means the
 * target's parent). A relative path counts from the root.
 *
 * @example Splitting a path
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitPath } from "./path.ts";
 * assert.deepEqual(splitPath("/sys//bus/./mdev/"), ["sys", "bus", "mdev"]);
 * ```
 */
export function splitPath(path: string): string[] {
  return path.split("/").filter((part) => part !== "" && part !== ".");
}

/**
 * The lexical normal form of a path: absolute, single slashes, no `.`, and
 * `..` applied to the text (never above the root).
 *
 * @example Normalising
 * ```ts
 * import assert from "node:assert/strict";
 * import { normalizePath } from "./path.ts";
 * assert.equal(normalizePath("sys/bus/../class//mdev_bus/"), "/sys/class/mdev_bus");
 * ```
 */
export function normalizePath(path: string): string {
  return joinPath(normalParts(path));
}

/** The absolute path of a list of components (`[]` is the root, `/`). */
export function joinPath(parts: readonly string[]): string {
  return "/" + parts.join("/");
}

/** The directory holding `path` (the root's parent is the root). */
export function parentPath(path: string): string {
  return joinPath(normalParts(path).slice(0, -1));
}

/**
 * The relative target sysfs stores for a link at `linkPath` pointing to the
 * absolute `target`: up from the link's directory to the common ancestor,
 * then down to the target.
 *
 * @example The `driver` link of an mdev
 * ```ts
 * import assert from "node:assert/strict";
 * import { relativeTarget } from "./path.ts";
 * assert.equal(
 *   relativeTarget("/sys/devices/virtual/mtty/mtty/U/driver", "/sys/bus/mdev/drivers/mtty"),
 *   "../../../../../bus/mdev/drivers/mtty",
 * );
 * ```
 */
export function relativeTarget(linkPath: string, target: string): string {
  const from = normalParts(linkPath).slice(0, -1);
  const to = normalParts(target);
  let common = 0;
  while (common < from.length && common < to.length && from[common] === to[common]) common++;
  const up = from.slice(common).map(() => "..");
  const rel = [...up, ...to.slice(common)];
  return rel.length === 0 ? "." : rel.join("/");
}

/** The components of the lexical normal form, in one pass (listing 10,000 links calls it often). */
function normalParts(path: string): string[] {
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return parts;
}
