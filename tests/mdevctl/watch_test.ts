/**
 * `mdevsim sysfs export --watch DIR` (cli.md §4, mdevctl.md §1.7 (c), §1.10):
 * the in-place update a bind mount needs, the daemon taking other programs'
 * writes to `create`/`remove` and other commands' state changes, its errors
 * and its clean stop, and the real mdevctl 1.2.0 starting and stopping a
 * device through the export in a private mount namespace.
 *
 * Every daemon is stopped in `finally`, so none outlives its test.
 *
 * @module
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { dirname } from "node:path";
import { syncInPlace } from "../../lib/sysfs/watch.ts";
import { mdevsim, tempRoot } from "./_fixture.ts";

const LAUNCHER = new URL("../../mdevsim", import.meta.url).pathname;
const UUID = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001";
const MTTY_2 = "sys/class/mdev_bus/mtty/mdev_supported_types/mtty-2";

/** A running `sysfs export --watch`, with what it printed so far. */
interface Daemon {
  dir: string;
  stdout: () => string;
  stderr: () => string;
  /** SIGTERM (or `signal`), then the exit code (SIGKILL if it has not stopped within 5 s). */
  stop: (signal?: Deno.Signal) => Promise<number>;
}

/** Starts the daemon on a state root and waits for its `watching` line. */
async function startDaemon(root: string, dir: string): Promise<Daemon> {
  const child = new Deno.Command(LAUNCHER, {
    args: ["sysfs", "export", "--watch", dir],
    env: { MDEVSIM_ROOT: root, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const printed = { stdout: "", stderr: "" };
  const collect = async (stream: ReadableStream<Uint8Array>, into: "stdout" | "stderr") => {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) printed[into] += text;
  };
  const collected = Promise.all([collect(child.stdout, "stdout"), collect(child.stderr, "stderr")]);
  let stopped: Promise<number> | undefined;
  const daemon: Daemon = {
    dir,
    stdout: () => printed.stdout,
    stderr: () => printed.stderr,
    stop: (signal = "SIGTERM") =>
      stopped ??= (async () => {
        try {
          child.kill(signal);
        } catch {
          // Already exited; its status is still there to await.
        }
        const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        const { code } = await child.status;
        clearTimeout(killer);
        await collected;
        return code;
      })(),
  };
  try {
    await until(() => printed.stdout.includes("watching"), 20_000, "the daemon to be ready");
  } catch (error) {
    await daemon.stop();
    throw new Error(`${(error as Error).message}; stderr: ${printed.stderr}`);
  }
  return daemon;
}

/** Polls `condition` every millisecond; throws when it is still false after `timeoutMs`. */
async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > timeoutMs) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return performance.now() - started;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** A state root with mtty loaded, and a daemon watching a fresh export of it. */
async function mttyDaemon(): Promise<{ root: string; daemon: Daemon }> {
  const root = tempRoot();
  const run = await mdevsim(root, ["modprobe", "mtty"]);
  assert.equal(run.code, 0, run.stderr);
  return { root, daemon: await startDaemon(root, `${tempRoot()}/export`) };
}

/** The UUIDs of `mdevsim list`. */
async function listed(root: string): Promise<string[]> {
  const run = await mdevsim(root, ["list"]);
  assert.equal(run.code, 0, run.stderr);
  return run.stdout.split("\n").filter((line) => line !== "").map((line) => line.split(" ")[0]!);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

// ---- syncInPlace ----

/** A small random tree: names from a tiny alphabet so that two trees overlap. */
type Tree = Map<
  string,
  { kind: "dir"; tree: Tree } | { kind: "file"; text: string; mode: number } | {
    kind: "link";
    target: string;
  }
>;

const treeArbitrary: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.dictionary(
    fc.constantFrom("a", "b", "c", "d"),
    fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.record({
        kind: fc.constant("file" as const),
        text: fc.constantFrom("", "1\n", "x"),
        mode: fc.constantFrom(0o200, 0o444, 0o644),
      }),
      fc.record({
        kind: fc.constant("link" as const),
        target: fc.constantFrom("../a", "b", "c/d"),
      }),
      fc.record({ kind: fc.constant("dir" as const), tree: tie("tree") }),
    ),
    { maxKeys: 4 },
  ).map((entries) => new Map(Object.entries(entries))),
})).tree;

function writeTree(base: string, tree: Tree): void {
  for (const [name, node] of tree) {
    const path = `${base}/${name}`;
    if (node.kind === "dir") {
      Deno.mkdirSync(path);
      writeTree(path, node.tree);
    } else if (node.kind === "file") {
      Deno.writeTextFileSync(path, node.text);
      Deno.chmodSync(path, node.mode);
    } else Deno.symlinkSync(node.target, path);
  }
}

/** Every entry under `base` as `path kind mode content-or-target`, sorted. */
function describeTree(base: string, prefix = ""): string[] {
  return [...Deno.readDirSync(`${base}/${prefix}`)].flatMap((entry) => {
    const path = `${prefix}${entry.name}`;
    const info = Deno.lstatSync(`${base}/${path}`);
    const mode = ((info.mode ?? 0) & 0o7777).toString(8);
    if (info.isSymlink) return [`${path} link ${Deno.readLinkSync(`${base}/${path}`)}`];
    if (info.isDirectory) return [`${path} dir ${mode}`, ...describeTree(base, `${path}/`)];
    return [`${path} file ${mode} ${JSON.stringify(Deno.readTextFileSync(`${base}/${path}`))}`];
  }).sort();
}

Deno.test("syncInPlace() makes the target equal the source and keeps the target directory", () => {
  fc.assert(
    fc.property(treeArbitrary, treeArbitrary, (before, after) => {
      const scratch = Deno.makeTempDirSync({ prefix: "mdevsim-sync-" });
      try {
        Deno.mkdirSync(`${scratch}/from/sys`, { recursive: true });
        Deno.mkdirSync(`${scratch}/to/sys`, { recursive: true });
        writeTree(`${scratch}/from/sys`, after);
        writeTree(`${scratch}/to/sys`, before);
        const pinned = Deno.statSync(`${scratch}/to/sys`).ino;
        syncInPlace(`${scratch}/from`, `${scratch}/to`);
        assert.deepEqual(describeTree(`${scratch}/to`), describeTree(`${scratch}/from`));
        // A bind mount of to/sys holds this inode: it must be the one updated.
        assert.equal(Deno.statSync(`${scratch}/to/sys`).ino, pinned);
      } finally {
        Deno.removeSync(scratch, { recursive: true });
      }
    }),
    { numRuns: 150 },
  );
});

Deno.test("syncInPlace() counts only what differs", () => {
  const scratch = Deno.makeTempDirSync({ prefix: "mdevsim-sync-" });
  try {
    writeTree(
      `${scratch}`,
      new Map([["from", {
        kind: "dir",
        tree: new Map([["a", { kind: "file", text: "1\n", mode: 0o644 }], ["b", {
          kind: "link",
          target: "a",
        }]]),
      }], ["to", {
        kind: "dir",
        tree: new Map([["a", { kind: "file", text: "0\n", mode: 0o644 }], ["c", {
          kind: "file",
          text: "",
          mode: 0o200,
        }]]),
      }]]) as Tree,
    );
    assert.deepEqual(syncInPlace(`${scratch}/from`, `${scratch}/to`), {
      dir: `${scratch}/to`,
      created: 1,
      updated: 1,
      removed: 1,
    });
    assert.deepEqual(syncInPlace(`${scratch}/from`, `${scratch}/to`), {
      dir: `${scratch}/to`,
      created: 0,
      updated: 0,
      removed: 0,
    });
  } finally {
    Deno.removeSync(scratch, { recursive: true });
  }
});

// ---- the daemon ----

Deno.test("sysfs export --watch creates and removes an mdev written to create and remove", async () => {
  const { root, daemon } = await mttyDaemon();
  try {
    const create = `${daemon.dir}/${MTTY_2}/create`;
    const device = `${daemon.dir}/sys/bus/mdev/devices/${UUID}`;
    const appear: number[] = [];
    const vanish: number[] = [];
    for (let run = 0; run < 20; run++) {
      // As mdevctl writes: the UUID without a newline, then `1`.
      Deno.writeTextFileSync(create, UUID);
      appear.push(await until(() => exists(device), 10_000, `${UUID} to appear`));
      assert.equal(Deno.readTextFileSync(create), "", "create is restored to its exported content");
      Deno.writeTextFileSync(`${device}/remove`, "1");
      vanish.push(await until(() => !exists(device), 10_000, `${UUID} to vanish`));
    }
    const ms = (values: number[]) =>
      `median ${median(values).toFixed(1)} ms, max ${Math.max(...values).toFixed(1)} ms`;
    console.log(
      `watch window over 20 runs: create→visible ${ms(appear)}; remove→gone ${ms(vanish)}`,
    );
    Deno.writeTextFileSync(create, UUID);
    await until(() => exists(device), 10_000, `${UUID} to appear`);
    assert.deepEqual(await listed(root), [UUID]);
    assert.equal(Deno.readTextFileSync(`${daemon.dir}/${MTTY_2}/available_instances`), "11\n");
    assert.equal(daemon.stderr(), "");
  } finally {
    assert.equal(await daemon.stop(), 0);
  }
});

Deno.test("sysfs export --watch follows devices created by other mdevsim commands", async () => {
  const { root, daemon } = await mttyDaemon();
  try {
    const run = await mdevsim(root, ["create", "-p", "mtty", "-t", "mtty-2", "-u", UUID]);
    assert.equal(run.code, 0, run.stderr);
    const device = `${daemon.dir}/sys/bus/mdev/devices/${UUID}`;
    await until(() => exists(device), 10_000, `${UUID} to appear`);
    assert.equal(Deno.readLinkSync(`${device}/mdev_type`), "../mdev_supported_types/mtty-2");
    assert.equal((await mdevsim(root, ["remove", UUID])).code, 0);
    await until(() => !exists(device), 10_000, `${UUID} to vanish`);
  } finally {
    assert.equal(await daemon.stop(), 0);
  }
});

Deno.test("sysfs export --watch reports a failed write as sysfs write does and keeps going", async () => {
  const { root, daemon } = await mttyDaemon();
  try {
    const create = `${daemon.dir}/${MTTY_2}/create`;
    Deno.writeTextFileSync(create, "not-a-uuid");
    const expected = "mdevsim: sysfs write: /sys/devices/virtual/mtty/mtty/mdev_supported_types/" +
      "mtty-2/create: Invalid argument (EINVAL)\n";
    await until(() => daemon.stderr() === expected, 10_000, "the EINVAL report");
    assert.equal(Deno.readTextFileSync(create), "");
    assert.deepEqual(await listed(root), []);
    Deno.writeTextFileSync(create, `${UUID}\n`);
    await until(() => exists(`${daemon.dir}/sys/bus/mdev/devices/${UUID}`), 10_000, "the device");
  } finally {
    assert.equal(await daemon.stop(), 0);
  }
});

Deno.test("sysfs export --watch exits 0 on SIGINT and leaves the export in place", async () => {
  const { daemon } = await mttyDaemon();
  try {
    assert.equal(await daemon.stop("SIGINT"), 0);
    assert.equal(daemon.stdout(), `watching ${daemon.dir}\n`);
    assert.ok(exists(`${daemon.dir}/${MTTY_2}/create`));
    assert.deepEqual(
      [...Deno.readDirSync(dirname(daemon.dir))].map((entry) => entry.name),
      ["export"],
      "no staging directory is left behind",
    );
  } finally {
    await daemon.stop();
  }
});

Deno.test("sysfs export --watch refuses a directory that is not an export (exit 2)", async () => {
  const root = tempRoot();
  const dir = tempRoot();
  Deno.writeTextFileSync(`${dir}/notes.txt`, "mine");
  const run = await mdevsim(root, ["sysfs", "export", "--watch", dir]);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /it holds "notes\.txt", so it is not a previous export/);
  assert.equal(Deno.readTextFileSync(`${dir}/notes.txt`), "mine");
});

// ---- the real mdevctl ----

/** Root may mount in a new mount namespace; anyone else needs a user namespace too. */
const UNSHARE_ARGS = Deno.uid() === 0 ? ["-m", "--propagation", "private"] : ["-Urm"];
const MOUNT_AND_RUN =
  'mount --bind "$0/sys" /sys && mount --bind "$0/etc/mdevctl.d" /etc/mdevctl.d && eval "$1"';

/** Runs shell code in a private mount namespace with the export bind-mounted over /sys. */
function inNamespace(exportDir: string, script: string): Deno.CommandOutput | undefined {
  try {
    return new Deno.Command("unshare", {
      args: [...UNSHARE_ARGS, "sh", "-c", MOUNT_AND_RUN, exportDir, script],
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** Why the real mdevctl cannot be run in a namespace here, or undefined when it can. */
function missingTool(): string | undefined {
  const probe = Deno.makeTempDirSync();
  try {
    Deno.mkdirSync(`${probe}/sys`);
    Deno.mkdirSync(`${probe}/etc/mdevctl.d/scripts.d/callouts`, { recursive: true });
    Deno.mkdirSync(`${probe}/etc/mdevctl.d/scripts.d/notifiers`);
    const run = inNamespace(probe, "mdevctl --version");
    if (run === undefined) return "unshare is not installed";
    if (!run.success) {
      return `mdevctl cannot run under unshare ${UNSHARE_ARGS.join(" ")}: ${
        new TextDecoder().decode(run.stderr).trim()
      }`;
    }
  } finally {
    Deno.removeSync(probe, { recursive: true });
  }
  return undefined;
}

const skipReason = missingTool();
if (skipReason !== undefined) console.log(`watch_test: real mdevctl tests skipped: ${skipReason}`);

Deno.test({
  name: "sysfs export --watch lets the real mdevctl start and stop a device through a bind mount",
  ignore: skipReason !== undefined,
  async fn() {
    const { root, daemon } = await mttyDaemon();
    try {
      const text = new TextDecoder();
      const start = inNamespace(daemon.dir, `mdevctl start -p mtty -t mtty-2 -u ${UUID}`)!;
      assert.equal(start.code, 0, text.decode(start.stderr));
      await until(
        () => exists(`${daemon.dir}/sys/bus/mdev/devices/${UUID}`),
        10_000,
        "the started device",
      );
      assert.deepEqual(await listed(root), [UUID]);
      // A namespace mounted before the device existed still sees it: the update is in place.
      const seen = inNamespace(daemon.dir, "mdevctl list")!;
      assert.equal(text.decode(seen.stdout), `${UUID} mtty mtty-2 manual\n\n`);

      const stop = inNamespace(daemon.dir, `mdevctl stop -u ${UUID}`)!;
      assert.equal(stop.code, 0, text.decode(stop.stderr));
      await until(
        () => !exists(`${daemon.dir}/sys/bus/mdev/devices/${UUID}`),
        10_000,
        "the stopped device to vanish",
      );
      assert.deepEqual(await listed(root), []);
      assert.equal(daemon.stderr(), "");
    } finally {
      assert.equal(await daemon.stop(), 0);
    }
  },
});

Deno.test({
  name: "sysfs export --watch keeps a namespace's bind mount of DIR/sys current across updates",
  ignore: skipReason !== undefined,
  async fn() {
    const { root, daemon } = await mttyDaemon();
    try {
      // One namespace, mounted once, sees a device created after its mount and then its removal.
      const script = [
        `printf ${UUID} > /sys/class/mdev_bus/mtty/mdev_supported_types/mtty-2/create`,
        `i=0; until [ -e /sys/bus/mdev/devices/${UUID} ] || [ $i -ge 1000 ]; do sleep 0.01; i=$((i+1)); done`,
        "mdevctl list",
        `printf 1 > /sys/bus/mdev/devices/${UUID}/remove`,
        `i=0; while [ -e /sys/bus/mdev/devices/${UUID} ] && [ $i -lt 1000 ]; do sleep 0.01; i=$((i+1)); done`,
        "echo after; mdevctl list",
      ].join("\n");
      const run = inNamespace(daemon.dir, script)!;
      const text = new TextDecoder();
      assert.equal(run.code, 0, text.decode(run.stderr));
      assert.equal(text.decode(run.stdout), `${UUID} mtty mtty-2 manual\n\nafter\n\n`);
      assert.deepEqual(await listed(root), []);
    } finally {
      assert.equal(await daemon.stop(), 0);
    }
  },
});
