/**
 * The node model of the sysfs view: directories computed lazily, attribute
 * files, symlinks and character devices, and the small constructors the
 * tree and the stores share.
 *
 * @module
 */
import { type Attribute, woAttr } from "../core/attribute.ts";
import { KernelError } from "../errno.ts";

/** The page size: sysfs hands a store at most this many bytes. */
export const PAGE_SIZE = 4096;

/** A directory; its entries are computed from the world each time they are asked for. */
export interface DirNode {
  readonly kind: "dir";
  /** Every entry, by name. */
  entries(): Map<string, Node>;
  /** One entry, computed without listing the whole directory where the world allows. */
  lookup(name: string): Node | undefined;
}

/** An attribute file. */
export interface AttrNode {
  readonly kind: "attr";
  /** Permission bits, e.g. 0o644. */
  readonly mode: number;
  readonly attribute: Attribute;
  /**
   * For stores that start a kernel path that may sleep (`remove`, `unbind`):
   * the store itself, reporting whether the path went to sleep. The
   * attribute's plain `store` returns the same count.
   */
  readonly storeTask?: (buf: string) => StoreResult;
}

/** A symbolic link; `target` is absolute (sysfs shows it relative, see path.ts). */
export interface LinkNode {
  readonly kind: "link";
  readonly target: string;
}

/** A character device node under `/dev` (`/dev/vfio/N`, `/dev/vfio/vfio`). */
export interface CharDevNode {
  readonly kind: "chrdev";
  readonly mode: number;
}

/** Anything the tree holds. */
export type Node = DirNode | AttrNode | LinkNode | CharDevNode;

/** What a store that may start a sleeping kernel path reports. */
export interface StoreResult {
  /** Bytes consumed (what write(2) returns). */
  count: number;
  /** The kernel path sleeps (e.g. on an open VFIO file) and completes later. */
  pending: boolean;
}

/** A node found by {@linkcode SysfsTree.resolve}, with its physical path (symlinks resolved). */
export interface Resolved {
  node: Node;
  path: string;
}

/** Options of {@linkcode SysfsTree.resolve}. */
export interface ResolveOptions {
  /**
   * Follow a symlink in the last component too (stat/open); without it the
   * link itself is returned (lstat/readlink).
   * @default false
   */
  follow?: boolean;
}

export function dir(
  list: () => Iterable<readonly [string, Node]>,
  lookup?: (name: string) => Node | undefined,
): DirNode {
  const entries = () => new Map(list());
  return { kind: "dir", entries, lookup: lookup ?? ((name) => entries().get(name)) };
}

export const EMPTY_DIR: DirNode = dir(() => []);

export function attrNode(attribute: Attribute): AttrNode {
  return { kind: "attr", mode: attribute.mode, attribute };
}

/** A write-only attribute whose store may start a sleeping kernel path. */
export function taskAttrNode(name: string, storeTask: (buf: string) => StoreResult): AttrNode {
  return {
    kind: "attr",
    mode: 0o200,
    attribute: woAttr(name, (buf) => storeTask(buf).count),
    storeTask,
  };
}

export function chrdev(mode: number): CharDevNode {
  return { kind: "chrdev", mode };
}

export function link(target: string): LinkNode {
  return { kind: "link", target };
}

/**
 * The part of a write a C string sees: kernfs NUL-terminates the buffer, so
 * stores that parse it as a string stop at the first NUL byte.
 */
export function cString(buf: string): string {
  const nul = buf.indexOf("\0");
  return nul < 0 ? buf : buf.slice(0, nul);
}

export function fail(ret: number): never {
  throw KernelError.fromReturn(ret);
}
