/**
 * The durable state store: one JSON world snapshot per state root, guarded by an exclusive lock
 * for the whole command, saved atomically inside a checksummed envelope, plus blob files for
 * large device memory that is loaded only when needed.
 *
 * Layout of a state root:
 *
 * ```text
 * ROOT/lock                    flock(2) target, never removed
 * ROOT/state.json              {"schema":1,"generator":"mdevsim","length":N,"checksum":"fnv1a32:…","world":…}
 * ROOT/state.json.tmp-<pid>    a save in progress (or cut short by a crash); never read
 * ROOT/blobs/<name>            one blob
 * ROOT/blobs/.<name>.tmp-<pid> a blob write in progress; never read
 * ```
 *
 * @example One command's life
 * ```ts
 * import { StateStore } from "./store.ts";
 *
 * const root = await Deno.makeTempDir();
 * const store = await StateStore.open(root);
 * try {
 *   const world = (store.load() ?? { counter: 0 }) as { counter: number };
 *   world.counter++;
 *   store.save(world);
 * } finally {
 *   store.close();
 *   await Deno.remove(root, { recursive: true });
 * }
 * ```
 *
 * @module
 */

import { StateError } from "./state_error.ts";

/** The envelope schema this build writes and the newest it reads. */
export const SCHEMA_VERSION = 1;

/** Options of {@linkcode StateStore.open}. */
export interface StoreOptions {
  /**
   * How long to wait for another command to release the lock, in milliseconds.
   *
   * @default {10_000}
   */
  lockTimeoutMs?: number;
}

const DEFAULT_LOCK_TIMEOUT_MS = 10_000;
/** How long `open` polls for a free lock before it arms a timer (see `lockWithin`). */
const TIMERLESS_WAIT_MS = 5;
const LOCK_FILE = "lock";
const STATE_FILE = "state.json";
const BLOB_DIR = "blobs";

/**
 * A blob name. The first character may not be a dot, so ".", ".." and the store's own
 * `.<name>.tmp-<pid>` files can never be named; 200 characters leave room for the temporary
 * suffix within the 255-byte file name limit.
 */
const BLOB_NAME = /^[a-z0-9][a-z0-9._-]{0,199}$/;

/** Everything in front of the world text, exactly as `save()` writes it. */
const ENVELOPE_HEAD =
  /^\{"schema":(\d{1,9}),"generator":"mdevsim","length":(\d{1,15}),"checksum":"fnv1a32:([0-9a-f]{8})","world":/;
/** More than the longest head `ENVELOPE_HEAD` can match. */
const ENVELOPE_HEAD_MAX_BYTES = 160;
const ENVELOPE_TAIL = new TextEncoder().encode("}\n");

const CORRUPT_HINT =
  "restore it from a backup, or run `mdevsim reset` to discard it and start over";
const FILE_SYSTEM_HINT =
  "check that the state root is a writable directory, or choose another with --root or MDEVSIM_ROOT";

/**
 * The state root of one command: holds the root's exclusive lock from {@linkcode StateStore.open}
 * until {@linkcode StateStore.close}, so any number of concurrent commands behave as some serial
 * order. Every method except `open` is synchronous.
 */
export class StateStore {
  /** The state root directory, as given to `open`. */
  readonly root: string;
  #lockFile: Deno.FsFile | undefined;

  private constructor(root: string, lockFile: Deno.FsFile) {
    this.root = root;
    this.#lockFile = lockFile;
  }

  /**
   * Creates the root (mode 0700) if needed and takes an exclusive lock on `ROOT/lock`, waiting at
   * most `options.lockTimeoutMs`. Does nothing else: no directory scan, no state read.
   *
   * Deno has no non-blocking try-lock, so the wait races `FsFile.lock(true)` against a timer
   * (armed only after a few milliseconds without the lock). On timeout the lock call stays pending
   * in Deno's blocking thread pool; closing our handle does not cancel it, so once the lock is
   * free that call takes it and releases it at once (it holds the file's last reference). A
   * command that times out exits, which ends the pending call with it.
   *
   * @param root The state root directory.
   * @param options How long to wait for the lock.
   * @returns The open store; call {@linkcode StateStore.close} when done.
   * @throws {StateError} When the lock is not obtained in time, or the root cannot be created.
   */
  static async open(root: string, options: StoreOptions = {}): Promise<StateStore> {
    const lockPath = join(root, LOCK_FILE);
    let lockFile: Deno.FsFile;
    try {
      Deno.mkdirSync(root, { recursive: true, mode: 0o700 });
      lockFile = Deno.openSync(lockPath, { read: true, write: true, create: true, mode: 0o600 });
    } catch (error) {
      throw fileSystemError("open state root", root, error);
    }
    try {
      await lockWithin(lockFile, options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS, lockPath);
    } catch (error) {
      lockFile.close();
      throw error;
    }
    return new StateStore(root, lockFile);
  }

  /**
   * Reads the world snapshot from `ROOT/state.json`. Never repairs, resets or rewrites the file.
   *
   * @returns The world as saved, or undefined when the root has no state yet.
   * @throws {StateError} When the file is not valid JSON, is truncated, fails its integrity
   * check, lacks the envelope, or was written by a newer schema.
   */
  load(): unknown | undefined {
    const path = this.#path(STATE_FILE);
    let bytes: Uint8Array;
    try {
      bytes = Deno.readFileSync(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return undefined;
      throw fileSystemError("read state file", path, error);
    }
    return decodeEnvelope(bytes, path);
  }

  /**
   * Saves the world snapshot atomically: writes `ROOT/state.json.tmp-<pid>`, fsyncs it, renames
   * it over `state.json` and fsyncs the root, so a crash leaves either the old or the new state.
   *
   * @param world Any JSON-serializable value.
   * @throws {TypeError} When `world` is not JSON-serializable.
   * @throws {StateError} When the file system refuses the write.
   */
  save(world: unknown): void {
    const path = this.#path(STATE_FILE);
    const bytes = encodeEnvelope(world);
    try {
      writeAtomically(path, `${path}.tmp-${Deno.pid}`, this.root, bytes);
    } catch (error) {
      throw fileSystemError("save state file", path, error);
    }
  }

  /**
   * Reads `ROOT/blobs/<name>`.
   *
   * @param name Lower-case letters, digits, `.`, `_` and `-`, not starting with a dot.
   * @returns The blob's bytes, or undefined when there is no such blob.
   * @throws {TypeError} When `name` is not a valid blob name.
   * @throws {StateError} When the file system refuses the read.
   */
  readBlob(name: string): Uint8Array | undefined {
    const path = this.#blobPath(name);
    try {
      return Deno.readFileSync(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return undefined;
      throw fileSystemError("read blob", path, error);
    }
  }

  /**
   * Writes `ROOT/blobs/<name>` atomically (temporary file, fsync, rename, fsync), replacing any
   * previous content.
   *
   * @param name Lower-case letters, digits, `.`, `_` and `-`, not starting with a dot.
   * @param bytes The blob's new content.
   * @throws {TypeError} When `name` is not a valid blob name.
   * @throws {StateError} When the file system refuses the write.
   */
  writeBlob(name: string, bytes: Uint8Array): void {
    const path = this.#blobPath(name);
    const dir = this.#path(BLOB_DIR);
    try {
      ensureDirectory(dir, this.root);
      writeAtomically(path, `${dir}/.${name}.tmp-${Deno.pid}`, dir, bytes);
    } catch (error) {
      throw fileSystemError("write blob", path, error);
    }
  }

  /**
   * Deletes `ROOT/blobs/<name>`; an absent blob is fine.
   *
   * @param name Lower-case letters, digits, `.`, `_` and `-`, not starting with a dot.
   * @throws {TypeError} When `name` is not a valid blob name.
   * @throws {StateError} When the file system refuses the removal.
   */
  deleteBlob(name: string): void {
    const path = this.#blobPath(name);
    try {
      Deno.removeSync(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw fileSystemError("delete blob", path, error);
    }
  }

  /**
   * Removes everything in the root except the lock file (for `mdevsim reset`), including corrupt
   * state and temporary files left by crashed commands. Reads nothing, so it works on any state.
   *
   * @throws {StateError} When the file system refuses a removal.
   */
  clear(): void {
    this.#assertOpen();
    const root = this.root;
    try {
      for (const entry of Deno.readDirSync(root)) {
        if (entry.name !== LOCK_FILE) Deno.removeSync(join(root, entry.name), { recursive: true });
      }
      syncDirectory(root);
    } catch (error) {
      throw fileSystemError("clear state root", root, error);
    }
  }

  /** Releases the lock; later calls do nothing. The store cannot be used afterwards. */
  close(): void {
    this.#lockFile?.close();
    this.#lockFile = undefined;
  }

  /** Refuses to touch the root once the lock is released: another command may own it. */
  #assertOpen(): void {
    if (this.#lockFile === undefined) {
      throw new TypeError(`Cannot use state store "${this.root}": it is closed`);
    }
  }

  /** `ROOT/name`, for a store that still holds the lock. */
  #path(name: string): string {
    this.#assertOpen();
    return join(this.root, name);
  }

  #blobPath(name: string): string {
    if (typeof name !== "string" || !BLOB_NAME.test(name)) {
      throw new TypeError(
        `Cannot use blob name "${name}": expected 1 to 200 of a-z 0-9 . _ - not starting with "."`,
      );
    }
    return join(this.#path(BLOB_DIR), name);
  }
}

/** Takes an exclusive lock on `file` within `timeoutMs` (see {@linkcode StateStore.open}). */
async function lockWithin(file: Deno.FsFile, timeoutMs: number, lockPath: string): Promise<void> {
  const started = performance.now();
  const locked = file.lock(true).then(() => true);
  try {
    // A free lock is granted within an event-loop turn or two: wait for those turns with a cheap
    // op rather than a timer, because Deno's first setTimeout loads ~10 ms of Node-compatibility
    // code (a quarter of the CLI's start-up) that only a command which must wait should pay.
    while (performance.now() - started < Math.min(TIMERLESS_WAIT_MS, timeoutMs)) {
      const nextTurn = Deno.stat(lockPath).then(() => false, () => false);
      if (await Promise.race([locked, nextTurn])) return;
    }
    if (await raceTimer(locked, timeoutMs - (performance.now() - started))) return;
  } catch (error) {
    throw fileSystemError("lock", lockPath, error);
  }
  // The abandoned call's outcome no longer matters; keep a late failure from going unhandled.
  locked.catch(() => {});
  throw new StateError(
    `Cannot lock "${lockPath}" within ${timeoutMs} ms: another mdevsim command holds it`,
    { file: lockPath, hint: "retry when the other command has finished" },
  );
}

/** `promise`'s value, or false once `ms` have passed. */
async function raceTimer(promise: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<false>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, ms), false);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

function encodeEnvelope(world: unknown): Uint8Array {
  const text = JSON.stringify(world);
  if (text === undefined) {
    throw new TypeError(`Cannot save world of type "${typeof world}": it is not JSON-serializable`);
  }
  const worldBytes = new TextEncoder().encode(text);
  const head = new TextEncoder().encode(
    `{"schema":${SCHEMA_VERSION},"generator":"mdevsim","length":${worldBytes.length},` +
      `"checksum":"fnv1a32:${fnv1a32(worldBytes)}","world":`,
  );
  const bytes = new Uint8Array(head.length + worldBytes.length + ENVELOPE_TAIL.length);
  bytes.set(head);
  bytes.set(worldBytes, head.length);
  bytes.set(ENVELOPE_TAIL, head.length + worldBytes.length);
  return bytes;
}

/**
 * Checks the envelope byte for byte (the head's layout, the announced length, the tail, the
 * checksum) before parsing only the world text, so any truncation or edit is caught and a
 * megabyte-sized world costs one checksum pass and one `JSON.parse`.
 */
function decodeEnvelope(bytes: Uint8Array, path: string): unknown {
  const head = ENVELOPE_HEAD.exec(
    String.fromCharCode(...bytes.subarray(0, ENVELOPE_HEAD_MAX_BYTES)),
  );
  if (head === null) throw diagnoseUnknownLayout(bytes, path);
  const schema = Number(head[1]);
  if (schema > SCHEMA_VERSION) throw newerSchemaError(schema, path);
  if (schema < 1) throw corruptError(path, `it claims schema ${schema}, which no mdevsim writes`);
  const worldStart = head[0].length;
  const worldEnd = worldStart + Number(head[2]);
  const expectedSize = worldEnd + ENVELOPE_TAIL.length;
  if (bytes.length < expectedSize) {
    throw corruptError(
      path,
      `it is truncated (${bytes.length} bytes, its envelope announces ${expectedSize})`,
    );
  }
  if (bytes.length > expectedSize || !ENVELOPE_TAIL.every((b, i) => bytes[worldEnd + i] === b)) {
    throw corruptError(path, "its world text does not end where its envelope says (edited?)");
  }
  const worldBytes = bytes.subarray(worldStart, worldEnd);
  const actual = fnv1a32(worldBytes);
  const checksum = head[3];
  if (actual !== checksum) {
    throw corruptError(
      path,
      `it fails its integrity check (checksum fnv1a32:${actual}, envelope says fnv1a32:${checksum})`,
    );
  }
  try {
    return JSON.parse(new TextDecoder().decode(worldBytes));
  } catch (error) {
    throw corruptError(path, "its world text is not valid JSON", error);
  }
}

/** Says why a file that does not start like an mdevsim envelope cannot be loaded. */
function diagnoseUnknownLayout(bytes: Uint8Array, path: string): StateError {
  if (bytes.length === 0) return corruptError(path, "it is empty");
  let document: unknown;
  try {
    document = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    return corruptError(path, "it is not valid JSON (corrupt or truncated)", error);
  }
  const envelope = typeof document === "object" && document !== null
    ? document as Record<string, unknown>
    : {};
  // A newer mdevsim may lay its envelope out differently; its schema number still says so.
  if (typeof envelope.schema === "number" && envelope.schema > SCHEMA_VERSION) {
    return newerSchemaError(envelope.schema, path);
  }
  if (envelope.generator === "mdevsim" && "world" in envelope) {
    return corruptError(path, "its envelope is not laid out as mdevsim writes it (edited?)");
  }
  return corruptError(path, "it lacks the mdevsim envelope (not an mdevsim state file)");
}

function corruptError(path: string, reason: string, cause?: unknown): StateError {
  return new StateError(`Cannot load state file "${path}": ${reason}`, {
    file: path,
    hint: CORRUPT_HINT,
    cause,
  });
}

function newerSchemaError(schema: number, path: string): StateError {
  return new StateError(
    `Cannot load state file "${path}": it was written with schema ${schema}, ` +
      `and this mdevsim reads schema ${SCHEMA_VERSION} at most`,
    {
      file: path,
      hint: "use the newer mdevsim that wrote it, or run `mdevsim reset` to discard it",
    },
  );
}

function fileSystemError(action: string, path: string, cause: unknown): StateError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new StateError(`Cannot ${action} "${path}": ${detail}`, {
    file: path,
    hint: FILE_SYSTEM_HINT,
    cause,
  });
}

/** The 32-bit FNV-1a hash as 8 lower-case hex digits; it catches every single-byte change. */
function fnv1a32(bytes: Uint8Array): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, "0");
}

/** Temporary file, fsync, rename, fsync of the directory: readers see the old or new content. */
function writeAtomically(path: string, tmpPath: string, dir: string, bytes: Uint8Array): void {
  try {
    const file = Deno.openSync(tmpPath, { write: true, create: true, truncate: true, mode: 0o600 });
    try {
      for (let written = 0; written < bytes.length;) {
        written += file.writeSync(bytes.subarray(written));
      }
      file.syncSync();
    } finally {
      file.close();
    }
    Deno.renameSync(tmpPath, path);
  } catch (error) {
    try {
      Deno.removeSync(tmpPath);
    } catch {
      // Nothing was created, or it is gone already: the original error is what matters.
    }
    throw error;
  }
  syncDirectory(dir);
}

/** Creates `dir` when absent, making its entry in `parent` durable. */
function ensureDirectory(dir: string, parent: string): void {
  try {
    Deno.mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return;
    throw error;
  }
  syncDirectory(parent);
}

function syncDirectory(dir: string): void {
  const handle = Deno.openSync(dir, { read: true });
  try {
    handle.syncSync();
  } finally {
    handle.close();
  }
}

function join(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}
