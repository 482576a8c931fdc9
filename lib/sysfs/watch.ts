/**
 * `mdevsim sysfs export --watch DIR` (cli.md §4, mdevctl.md §1.7 option (c)):
 * an export that stays live while other programs drive it. Writes made by
 * another program (real mdevctl through a bind mount over /sys) to a
 * writable file under `DIR/sys` are read back, the file is restored to its
 * exported content, the bytes go to the world as a `sysfs write` would, and
 * DIR is re-exported so the new device shows. State saved by other mdevsim
 * commands is picked up by polling the state file.
 *
 * Re-exports update DIR **in place**: only the entries that changed are
 * created, rewritten or deleted. The whole-tree rename swap of a plain
 * export (lib/sysfs/export.ts) cannot be used here: `mount --bind DIR/sys /sys`
 * pins the inode of `DIR/sys` at mount time, so after a swap the mounted
 * /sys is the old, deleted directory and lists nothing (checked with
 * `unshare -m`: `ls /sys/bus/mdev/devices` gave ENOENT after one swap).
 *
 * The window cannot be zero without FUSE (mdevctl.md §1.7): the write
 * returns to the writer before the watcher even hears of it. Measured on
 * the 2-core development machine (ext4, load average about 3.5), a UUID
 * written to `create` until `DIR/sys/bus/mdev/devices/<uuid>` resolves,
 * 20 runs each (tests/mdevctl/watch_test.ts): median 116 / 121 / 141 ms,
 * max 143 / 144 / 464 ms over three runs of that test alone, and median
 * 90 ms, max 717 ms with the file's other tests beside it. About 5 ms is
 * the write under the lock; the rest is the fresh export (30-40 ms for
 * about 130 entries) and the in-place comparison. Real mdevctl 1.2.0 does
 * not wait: `start` exits 0 at once and a `list` run right after it shows
 * nothing yet.
 *
 * @module
 */
import { basename, dirname, join, relative, resolve } from "node:path";
import { ExportError } from "./export.ts";

/** What {@linkcode watchExport} needs from the command layer, which owns the state root. */
export interface WatchHooks {
  /**
   * The state file whose changes (saves by other commands) trigger a
   * re-export; polled, never read.
   */
  stateFile: string;
  /**
   * Writes a complete, fresh export of the world into the empty directory
   * `staging` (as lib/sysfs/export.ts does).
   */
  exportTo(staging: string): Promise<void>;
  /** Applies bytes another program wrote to the attribute `path` (absolute, `/sys/…`). */
  applyWrite(path: string, bytes: Uint8Array): Promise<void>;
  /** Told of a write or re-export that failed; the watch goes on. */
  onError(operation: string, error: unknown): void;
}

/** Options of {@linkcode watchExport}. */
export interface WatchOptions {
  /** Ends the watch (SIGINT, SIGTERM); the write or re-export under way finishes first. */
  signal: AbortSignal;
  /**
   * How often the state file is checked for saves by other commands, in milliseconds.
   *
   * @default {100}
   */
  pollIntervalMs?: number;
  /** Called with the absolute export directory once it is exported and watched. */
  onReady?: (dir: string) => void;
}

/** What one in-place update changed. */
export interface SyncSummary {
  /** The export directory, absolute. */
  dir: string;
  created: number;
  updated: number;
  removed: number;
}

/** Options of {@linkcode syncInPlace}. */
export interface SyncOptions {
  /**
   * Called for every file of `to` that was replaced, with its path relative
   * to `to` and the bytes it held at the moment it was replaced.
   */
  onReplaced?: (path: string, previous: Uint8Array) => void;
}

/** One entry of an exported tree, by its path relative to the tree's root. */
interface TreeEntry {
  kind: "dir" | "file" | "link";
  mode: number;
  target?: string;
}

type TreeSnapshot = Map<string, TreeEntry>;

/** The only entries of an export's top level (the rule lib/sysfs/export.ts applies). */
const EXPORT_ENTRIES = new Set(["sys", "dev", "etc"]);
const DEFAULT_POLL_INTERVAL_MS = 100;

/**
 * Exports the world to `dir`, then keeps `dir` in step with it until
 * `options.signal` aborts. See the module documentation.
 *
 * A foreign write is taken when the writer closes the file (inotify's
 * IN_CLOSE_WRITE, Deno's "access" event), so a value written in several
 * write(2) calls is applied whole, as one store. A write equal to the
 * exported content (nothing for a write-only file, which is also what a
 * zero-length write leaves) cannot be told from no write and is not applied;
 * for the kernel's zero-length write that is what sysfs does too. Two
 * writers hitting the same file before the watcher reads it lose the first
 * value: a plain file holds one.
 *
 * @throws {ExportError} when `dir` holds anything but a previous export, or the first export fails
 *
 * @example Watching until aborted
 * ```ts ignore
 * const stop = new AbortController();
 * Deno.addSignalListener("SIGTERM", () => stop.abort());
 * await watchExport("/tmp/export", hooks, { signal: stop.signal });
 * ```
 */
export async function watchExport(
  dir: string,
  hooks: WatchHooks,
  options: WatchOptions,
): Promise<void> {
  const target = resolve(dir);
  checkWatchable(target);
  const live = new LiveExport(target, hooks);
  await live.reexport();
  const watcher = Deno.watchFs(target, { recursive: true });
  // One thing at a time: a write must be applied and exported before the next is read.
  let queue = Promise.resolve();
  const enqueue = (
    task: () => Promise<void>,
  ) => (queue = queue.then(task).catch((error) => hooks.onError("sysfs export", error)));
  const poll = setInterval(
    () => enqueue(() => live.poll()),
    options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
  );
  const stop = () => watcher.close();
  options.signal.addEventListener("abort", stop, { once: true });
  try {
    if (options.signal.aborted) stop();
    else options.onReady?.(target);
    for await (const event of watcher) {
      if (event.kind !== "access") continue;
      for (const path of event.paths) enqueue(() => live.takeWrite(path));
    }
  } finally {
    clearInterval(poll);
    options.signal.removeEventListener("abort", stop);
    await queue;
  }
}

/** A write another program made: the file, relative to the export, and the bytes. */
type ForeignWrite = [path: string, bytes: Uint8Array];

/** The export directory and what the last re-export left in it. */
class LiveExport {
  readonly #target: string;
  readonly #hooks: WatchHooks;
  /** The writable files under `sys/` and the content each was exported with. */
  #writable = new Map<string, { bytes: Uint8Array; mode: number }>();
  #stateSeen = "";

  constructor(target: string, hooks: WatchHooks) {
    this.#target = target;
    this.#hooks = hooks;
  }

  /**
   * Exports afresh into a sibling directory and carries the differences into
   * the target, then applies the writes the update found in files it replaced.
   */
  async reexport(): Promise<void> {
    for (const [path, bytes] of await this.#update()) await this.#apply(path, bytes);
  }

  /**
   * Re-exports when another command saved the state since the last export,
   * then looks for writes inotify did not report: a file written in a new
   * directory before the watcher had added that directory's watch.
   */
  async poll(): Promise<void> {
    if (fingerprint(this.#hooks.stateFile) !== this.#stateSeen) {
      await this.#guarded("sysfs export", () => this.reexport());
    }
    for (const path of [...this.#writable.keys()]) await this.takeWrite(`${this.#target}/${path}`);
  }

  /** Handles a closed-after-write file: restore it, apply what was written, re-export. */
  async takeWrite(path: string): Promise<void> {
    const relativePath = relative(this.#target, path);
    const exported = this.#writable.get(relativePath);
    if (exported === undefined) return;
    const written = readOwned(path);
    // Our own restores and rewrites carry the exported bytes, so they end here.
    if (written === undefined || equalBytes(written, exported.bytes)) return;
    // Restore first, so a writer that comes next is seen as a change again;
    // what the replaced file held last is the write (a later one included).
    const replaced = replaceFile(path, exported.bytes, exported.mode) ?? written;
    await this.#apply(relativePath, replaced);
  }

  async #apply(path: string, bytes: Uint8Array): Promise<void> {
    await this.#guarded("sysfs write", () => this.#hooks.applyWrite(`/${path}`, bytes));
    await this.#guarded("sysfs export", () => this.reexport());
  }

  /** The in-place update; returns the foreign writes found in the files it replaced. */
  async #update(): Promise<ForeignWrite[]> {
    this.#stateSeen = fingerprint(this.#hooks.stateFile);
    const staging = Deno.makeTempDirSync({
      dir: dirname(this.#target),
      prefix: `.${basename(this.#target)}.watch-`,
    });
    try {
      await this.#hooks.exportTo(staging);
      // A sysfs value that changed replaces its file; if a writer got there
      // first, the file held neither the old value nor the new one.
      const found: ForeignWrite[] = [];
      syncInPlace(staging, this.#target, {
        onReplaced: (path, previous) => {
          const exported = this.#writable.get(path);
          if (exported !== undefined && !equalBytes(previous, exported.bytes)) {
            found.push([path, previous]);
          }
        },
      });
      this.#writable = new Map();
      for (const [path, entry] of snapshot(staging)) {
        if (entry.kind === "file" && path.startsWith("sys/") && (entry.mode & 0o222) !== 0) {
          this.#writable.set(path, { bytes: readOwned(`${staging}/${path}`)!, mode: entry.mode });
        }
      }
      return found;
    } finally {
      Deno.removeSync(staging, { recursive: true });
    }
  }

  async #guarded(operation: string, task: () => Promise<unknown>): Promise<void> {
    try {
      await task();
    } catch (error) {
      this.#hooks.onError(operation, error);
    }
  }
}

/**
 * Makes the tree at `to` equal the tree at `from` by changing only what
 * differs, in an order that never shows a dangling link to a new entry or a
 * link to a deleted one: stale links go first, then directories and files
 * are created or rewritten (a file through a sibling temporary file and
 * rename(2), so a reader sees old or new content, never a partial one), then
 * new links are made, and only then stale directories and files are deleted.
 *
 * @returns what was created, updated and removed
 */
export function syncInPlace(from: string, to: string, options: SyncOptions = {}): SyncSummary {
  const wanted = snapshot(from);
  const present = snapshot(to);
  const summary: SyncSummary = { dir: to, created: 0, updated: 0, removed: 0 };
  const stale = [...present].filter(([path, entry]) => {
    const next = wanted.get(path);
    return next === undefined || next.kind !== entry.kind || next.target !== entry.target;
  });
  const remove = (path: string) => {
    Deno.removeSync(`${to}/${path}`, { recursive: true });
    for (const inside of present.keys()) {
      if (inside === path || inside.startsWith(`${path}/`)) present.delete(inside);
    }
    summary.removed++;
  };
  for (const [path, entry] of stale) {
    if ((entry.kind === "link" || wanted.has(path)) && present.has(path)) remove(path);
  }
  const links: string[] = [];
  for (const [path, entry] of wanted) {
    const have = present.get(path);
    if (entry.kind === "link") {
      if (have === undefined) links.push(path);
    } else if (entry.kind === "dir") {
      if (have === undefined) {
        Deno.mkdirSync(`${to}/${path}`);
        summary.created++;
      }
      if (have?.mode !== entry.mode) Deno.chmodSync(`${to}/${path}`, entry.mode);
    } else {
      const bytes = readOwned(`${from}/${path}`)!;
      if (have === undefined) summary.created++;
      else if (have.mode === entry.mode && equalBytes(bytes, readOwned(`${to}/${path}`)!)) {
        continue;
      } else summary.updated++;
      const previous = replaceFile(`${to}/${path}`, bytes, entry.mode);
      if (previous !== undefined) options.onReplaced?.(path, previous);
    }
  }
  // A new link is made after the new links inside what it points to, so the
  // moment /sys/bus/mdev/devices/<uuid> resolves, <uuid>/mdev_type does too.
  const made = new Set<string>();
  const makeLink = (path: string) => {
    if (made.has(path)) return;
    made.add(path);
    const target = wanted.get(path)!.target!;
    const pointsTo = join(dirname(path), target);
    for (const inside of links) if (inside.startsWith(`${pointsTo}/`)) makeLink(inside);
    Deno.symlinkSync(target, `${to}/${path}`);
    summary.created++;
  };
  for (const path of links) makeLink(path);
  // Children sort after their parent, and removing a directory forgets what was inside it.
  for (const [path] of stale) if (present.has(path)) remove(path);
  return summary;
}

/** Every entry under `root` by relative path, parents before children (an absent root is empty). */
function snapshot(root: string): TreeSnapshot {
  const entries: TreeSnapshot = new Map();
  const walk = (relativeDir: string) => {
    const names = [...Deno.readDirSync(`${root}/${relativeDir}`)].map((entry) => entry.name);
    for (const name of names.sort()) {
      const path = relativeDir === "" ? name : `${relativeDir}/${name}`;
      const info = Deno.lstatSync(`${root}/${path}`);
      const mode = (info.mode ?? 0) & 0o7777;
      if (info.isSymlink) {
        entries.set(path, { kind: "link", mode, target: Deno.readLinkSync(`${root}/${path}`) });
      } else if (info.isDirectory) {
        entries.set(path, { kind: "dir", mode });
        walk(path);
      } else entries.set(path, { kind: "file", mode });
    }
  };
  try {
    walk("");
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound) || entries.size > 0) throw error;
  }
  return entries;
}

/**
 * Replaces a file's content atomically (a temporary sibling renamed over
 * it). Returns what the replaced file held, read after the rename through a
 * descriptor opened before it, so no write to it is lost in between; or
 * undefined when there was no file.
 */
function replaceFile(path: string, bytes: Uint8Array, mode: number): Uint8Array | undefined {
  const temporary = `${dirname(path)}/.${basename(path)}.mdevsim-sync`;
  Deno.writeFileSync(temporary, bytes);
  // Set after writing: the umask would clear bits of a mode given at creation.
  Deno.chmodSync(temporary, mode);
  let replaced: Deno.FsFile | undefined;
  try {
    replaced = openOwned(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  try {
    Deno.renameSync(temporary, path);
    if (replaced === undefined) return undefined;
    return readAll(replaced);
  } finally {
    replaced?.close();
  }
}

/**
 * A file's bytes, or undefined when it is gone. A write-only attribute
 * (mode 0200) cannot be read by its owner unless root: its read bit is set
 * for the read and cleared again.
 */
function readOwned(path: string): Uint8Array | undefined {
  try {
    return Deno.readFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    if (!(error instanceof Deno.errors.PermissionDenied)) throw error;
  }
  const mode = Deno.statSync(path).mode! & 0o7777;
  Deno.chmodSync(path, mode | 0o400);
  try {
    return Deno.readFileSync(path);
  } finally {
    Deno.chmodSync(path, mode);
  }
}

/** Opens a file of ours for reading; a write-only one (about to be replaced) gains its read bit. */
function openOwned(path: string): Deno.FsFile {
  try {
    return Deno.openSync(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.PermissionDenied)) throw error;
  }
  Deno.chmodSync(path, (Deno.statSync(path).mode! & 0o7777) | 0o400);
  return Deno.openSync(path);
}

function readAll(file: Deno.FsFile): Uint8Array {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(4096);
  for (let n = file.readSync(buffer); n !== null && n > 0; n = file.readSync(buffer)) {
    chunks.push(buffer.slice(0, n));
  }
  const bytes = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

/** Refuses a `dir` that is not a directory, or holds anything but what an export writes. */
function checkWatchable(target: string): void {
  let names: string[];
  try {
    if (!Deno.lstatSync(target).isDirectory) {
      throw new ExportError(`Cannot export to "${target}": it exists and is not a directory`);
    }
    names = [...Deno.readDirSync(target)].map((entry) => entry.name);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    Deno.mkdirSync(target, { recursive: true });
    return;
  }
  const foreign = names.find((name) => !EXPORT_ENTRIES.has(name));
  if (foreign !== undefined) {
    throw new ExportError(
      `Cannot export to "${target}": it holds "${foreign}", so it is not a previous export`,
    );
  }
}

/** What identifies one save of the state file: rename(2)-based saves change the inode. */
function fingerprint(path: string): string {
  try {
    const info = Deno.statSync(path);
    return `${info.ino}:${info.size}:${info.mtime?.getTime()}`;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "absent";
    throw error;
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
