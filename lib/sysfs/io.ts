/**
 * The file operations on the simulated sysfs, with the errnos kernfs and the
 * VFS give: read and write dispatch to an attribute's show and store,
 * readlink returns the relative target sysfs stores, and listing a
 * directory returns its entries sorted. Every KernelError names the path.
 *
 * @module
 */
import type { World } from "../core/world.ts";
import { KernelError } from "../errno.ts";
import { joinPath, relativeTarget, splitPath } from "./path.ts";
import {
  type AttrNode,
  compareNames,
  type DirNode,
  type Node,
  PAGE_SIZE,
  type StoreResult,
  SysfsTree,
} from "./tree.ts";

/** What a successful write reports: the bytes consumed, and whether its kernel path still sleeps. */
export type WriteResult = StoreResult;

/** One entry of a listed directory. */
export interface DirEntry {
  readonly name: string;
  readonly node: Node;
  /** For a link: the target relative to the link, as sysfs shows it. */
  readonly target?: string;
}

/**
 * Reads an attribute: the exact text its show produces.
 *
 * @throws {KernelError} ENOENT (missing), EISDIR (a directory), EACCES (write-only or no show),
 *   EINVAL (a `/dev/vfio` node, whose file has no read)
 *
 * @example Reading an attribute
 * ```ts
 * import assert from "node:assert/strict";
 * import { World } from "../core/world.ts";
 * import { mdevCore } from "../mdev/core.ts";
 * import { readAttr } from "./io.ts";
 * const world = new World();
 * mdevCore(world);
 * assert.equal(readAttr(world, "/sys/bus/mdev/drivers_autoprobe"), "1\n");
 * ```
 */
export function readAttr(world: World, path: string): string {
  return withPath(path, () => {
    const node = openFile(world, path, 0o444);
    if (node.attribute.show === undefined) throw new KernelError("EACCES");
    return node.attribute.show();
  });
}

/**
 * Reads an attribute as bytes. sysfs text is a byte string: code points up
 * to 0xFF are one byte each, so bytes a store kept come back unchanged; text
 * with wider characters is UTF-8.
 */
export function readAttrBytes(world: World, path: string): Uint8Array {
  const text = readAttr(world, path);
  // deno-lint-ignore no-control-regex
  if (/^[\x00-\xff]*$/.test(text)) return Uint8Array.from(text, (c) => c.charCodeAt(0));
  return new TextEncoder().encode(text);
}

/**
 * Writes raw bytes to an attribute, as write(2) does: a zero-length write
 * returns 0 without reaching the store (sysfs_kf_write), at most PAGE_SIZE
 * bytes reach it, and it receives them as a byte string (one char per byte).
 * After a successful write the deferred-probe worker runs to quiescence.
 *
 * @throws {KernelError} ENOENT, EISDIR, EACCES (read-only or no store), EINVAL for a
 *   `/dev/vfio` node, or the store's own errno
 *
 * @example Turning autoprobe off
 * ```ts
 * import assert from "node:assert/strict";
 * import { World } from "../core/world.ts";
 * import { mdevCore } from "../mdev/core.ts";
 * import { writeAttrText } from "./io.ts";
 * const world = new World();
 * const bus = mdevCore(world).bus;
 * assert.deepEqual(writeAttrText(world, "/sys/bus/mdev/drivers_autoprobe", "0\n"), {
 *   count: 2,
 *   pending: false,
 * });
 * assert.equal(bus.driversAutoprobe, false);
 * ```
 */
export function writeAttr(world: World, path: string, bytes: Uint8Array): WriteResult {
  return withPath(path, () => {
    const node = openFile(world, path, 0o222);
    const store = node.attribute.store;
    if (store === undefined) throw new KernelError("EACCES");
    if (bytes.length === 0) return { count: 0, pending: false };
    const buf = byteString(bytes.subarray(0, PAGE_SIZE));
    const result = node.storeTask?.(buf) ?? { count: store(buf), pending: false };
    world.settle();
    return result;
  });
}

/** Writes text (UTF-8 encoded) to an attribute; see {@linkcode writeAttr}. */
export function writeAttrText(world: World, path: string, text: string): WriteResult {
  return writeAttr(world, path, new TextEncoder().encode(text));
}

/**
 * readlink(2): the link's target relative to the link, as sysfs stores it.
 *
 * @throws {KernelError} ENOENT, ENOTDIR, or EINVAL when the path is not a link
 */
export function readLink(world: World, path: string): string {
  const found = new SysfsTree(world).resolve(path);
  if (found.node.kind !== "link") throw new KernelError("EINVAL", { path });
  return relativeTarget(found.path, found.node.target);
}

/**
 * Lists a directory (following a final symlink, as `ls link/` does),
 * sorted by name in byte order.
 *
 * @throws {KernelError} ENOENT, or ENOTDIR when the path is not a directory
 */
export function listDir(world: World, path: string): DirEntry[] {
  const found = new SysfsTree(world).resolve(path, { follow: true });
  if (found.node.kind !== "dir") throw new KernelError("ENOTDIR", { path });
  return sortedEntries(found.node, found.path);
}

/** The entries of a directory at physical path `dirPath`, sorted, with relative link targets. */
export function sortedEntries(dir: DirNode, dirPath: string): DirEntry[] {
  const parts = splitPath(dirPath);
  return [...dir.entries()].sort(([a], [b]) => compareNames(a, b)).map(([name, node]) =>
    node.kind === "link"
      ? { name, node, target: relativeTarget(joinPath([...parts, name]), node.target) }
      : { name, node }
  );
}

/** Opens a path as a file for reading (0o444) or writing (0o222), as kernfs_fop_open checks it. */
function openFile(world: World, path: string, access: number): AttrNode {
  const { node } = new SysfsTree(world).resolve(path, { follow: true });
  if (node.kind === "dir") throw new KernelError("EISDIR");
  // A followed path is never a link, so this is a /dev/vfio node: the VFIO
  // group and container files have no read or write file operation.
  if (node.kind !== "attr") throw new KernelError("EINVAL");
  if ((node.mode & access) === 0) throw new KernelError("EACCES");
  return node;
}

/** Runs a file operation and names `path` in any KernelError it throws. */
function withPath<T>(path: string, operation: () => T): T {
  try {
    return operation();
  } catch (error) {
    if (error instanceof KernelError) error.path = path;
    throw error;
  }
}

function byteString(bytes: Uint8Array): string {
  // fromCharCode, not TextDecoder("latin1"), which is windows-1252 for 0x80-0x9f.
  return String.fromCharCode(...bytes);
}
