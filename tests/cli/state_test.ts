import assert from "node:assert/strict";
import fc from "fast-check";
import { mdevsim, spawnMdevsim, tempRoot } from "./_cli.ts";

const PORTS = 24;
const PORTS_PER_TYPE: Record<string, number> = { "mtty-1": 1, "mtty-2": 2 };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const POOL = Array.from({ length: 6 }, (_, i) => `83b8f4f2-509f-382f-3c1e-e6bfe0fa100${i}`);

/** The device lines of `mdevsim list` (mdevctl format: one per device, then a blank line). */
function listRows(stdout: string): string[][] {
  assert.ok(stdout.endsWith("\n"), "list output ends with a newline");
  return stdout.split("\n").filter((line) => line !== "").map((line) => line.split(" "));
}

/** `Available instances` of `type` in `mdevsim types` output. */
function available(typesOut: string, type: string): number {
  const match = new RegExp(`\\n  ${type}\\n    Available instances: (\\d+)\\n`).exec(typesOut);
  assert.ok(match, `types lists ${type}:\n${typesOut}`);
  return Number(match[1]);
}

async function loadedRoot(): Promise<string> {
  const root = await tempRoot();
  const loaded = await mdevsim(root, "modprobe", "mtty");
  assert.equal(loaded.code, 0, loaded.stderr);
  return root;
}

Deno.test("create run 30 times in parallel on one root gives 24 devices and 6 ENOSPC", async () => {
  const root = await loadedRoot();
  const runs = await Promise.all(
    Array.from({ length: 30 }, () => mdevsim(root, "create", "-p", "mtty", "-t", "mtty-1")),
  );
  const created = runs.filter((r) => r.code === 0);
  const refused = runs.filter((r) => r.code !== 0);
  assert.equal(created.length, 24);
  for (const r of refused) {
    assert.equal(r.code, 1);
    // mtty has get_available, so the core does not count: the driver's init refuses the port.
    assert.match(r.stderr, /\(ENOSPC\)/);
  }
  const printed = created.map((r) => r.stdout.trim()).sort();
  for (const uuid of printed) assert.match(uuid, UUID);
  assert.equal(new Set(printed).size, 24);

  const [list, types, ls] = await Promise.all([
    mdevsim(root, "list"),
    mdevsim(root, "types"),
    mdevsim(root, "sysfs", "ls", "/sys/bus/mdev/devices"),
  ]);
  const rows = listRows(list.stdout);
  assert.equal(rows.length, 24);
  assert.deepEqual(rows.map((row) => row[0]).sort(), printed);
  assert.equal(available(types.stdout, "mtty-1"), 0);
  assert.equal(available(types.stdout, "mtty-2"), 0);
  assert.deepEqual(ls.stdout.trimEnd().split("\n").sort(), printed);
});

Deno.test("commands killed with SIGKILL at random moments leave a consistent, usable state", async () => {
  const root = await loadedRoot();
  // Each round starts one create/remove "loop iteration" per worker and kills it after a
  // random delay, so kills land before the lock, while it is held, and during the save.
  const delays = fc.sample(fc.integer({ min: 0, max: 300 }), { numRuns: 36, seed: 20240 });
  let kills = 0;
  for (let round = 0; round < 12; round++) {
    const children = [
      spawnMdevsim(
        root,
        "create",
        "-p",
        "mtty",
        "-t",
        round % 2 ? "mtty-1" : "mtty-2",
        "-u",
        POOL[round % 6]!,
      ),
      spawnMdevsim(root, "create", "-p", "mtty", "-t", "mtty-1", "-u", POOL[(round + 3) % 6]!),
      spawnMdevsim(root, "remove", POOL[(round + 1) % 6]!),
    ];
    const outcomes = await Promise.all(children.map(async (child, i) => {
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // It exited on its own just before the kill: that is a valid outcome too.
        }
      }, delays[round * 3 + i]!);
      const status = await child.output();
      clearTimeout(timer);
      return status;
    }));
    kills += outcomes.filter((o) => o.signal === "SIGKILL").length;
    for (const o of outcomes) if (o.signal === null) assert.ok([0, 1].includes(o.code));
  }
  assert.ok(kills >= 10, `only ${kills} commands were killed`);

  const [list, types, ls, lsmod, dmesg] = await Promise.all([
    mdevsim(root, "list"),
    mdevsim(root, "types"),
    mdevsim(root, "sysfs", "ls", "/sys/bus/mdev/devices"),
    mdevsim(root, "lsmod"),
    mdevsim(root, "dmesg"),
  ]);
  for (const r of [list, types, ls, lsmod, dmesg]) assert.equal(r.code, 0, r.stderr);
  const rows = listRows(list.stdout);
  const listed = ls.stdout === "" ? [] : ls.stdout.trimEnd().split("\n");
  assert.deepEqual(rows.map((row) => row[0]).sort(), listed.sort());
  const used = rows.reduce((sum, row) => sum + PORTS_PER_TYPE[row[2]!]!, 0);
  assert.equal(available(types.stdout, "mtty-1"), PORTS - used);
  assert.equal(available(types.stdout, "mtty-2"), Math.floor((PORTS - used) / 2));

  // The state still takes writes: every pool device can be removed and created again.
  for (const row of rows) assert.equal((await mdevsim(root, "remove", row[0]!)).code, 0);
  const again = await mdevsim(root, "create", "-p", "mtty", "-t", "mtty-2", "-u", POOL[0]!);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(available((await mdevsim(root, "types")).stdout, "mtty-1"), PORTS - 2);
});

/** Writes `bytes` as the root's state file, runs two commands and checks both refuse it. */
async function assertStateRefused(root: string, bytes: Uint8Array, reason: RegExp): Promise<void> {
  const file = `${root}/state.json`;
  await Deno.writeFile(file, bytes);
  const [list, create, json] = await Promise.all([
    mdevsim(root, "list"),
    mdevsim(root, "create", "-p", "mtty", "-t", "mtty-1"),
    mdevsim(root, "--json", "types"),
  ]);
  for (const r of [list, create]) {
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, "");
    assert.ok(r.stderr.includes(file), `names ${file}: ${r.stderr}`);
    assert.match(r.stderr, reason);
    assert.match(r.stderr, /mdevsim reset/);
  }
  assert.equal(json.code, 3);
  assert.equal(JSON.parse(json.stdout).error.path, file);
  assert.deepEqual(await Deno.readFile(file), bytes, "the state file is never rewritten");
}

Deno.test("a state file of garbage makes every command exit 3 and stays untouched", async () => {
  const root = await loadedRoot();
  await assertStateRefused(
    root,
    new TextEncoder().encode("\u0000garbage{not json at all\n"),
    /not valid JSON/,
  );
  // The remedy the message names works: reset discards it and the machine boots afresh.
  assert.equal((await mdevsim(root, "reset", "--yes")).code, 0);
  const list = await mdevsim(root, "list");
  assert.equal(list.code, 0, list.stderr);
  assert.equal(list.stdout, "\n");
});

Deno.test("a truncated state file makes every command exit 3 and stays untouched", async () => {
  const root = await loadedRoot();
  const whole = await Deno.readFile(`${root}/state.json`);
  await assertStateRefused(root, whole.slice(0, Math.floor(whole.length / 2)), /truncated/);
});

Deno.test("a state file of schema 99 makes every command exit 3 and stays untouched", async () => {
  const root = await loadedRoot();
  const text = await Deno.readTextFile(`${root}/state.json`);
  assert.ok(text.startsWith('{"schema":1,'));
  const newer = text.replace('{"schema":1,', '{"schema":99,');
  await assertStateRefused(root, new TextEncoder().encode(newer), /schema 99/);
});

Deno.test("a command waits for a held lock and exits 3 naming the lock file after 10 s", async () => {
  const root = await loadedRoot();
  const state = await Deno.readFile(`${root}/state.json`);
  // The store locks ROOT/lock with flock(2); holding it here makes the child wait for its
  // 10 s timeout (cli.md §1). This is the suite's slowest test by design.
  const lock = await Deno.open(`${root}/lock`, { read: true, write: true });
  await lock.lock(true);
  let waited: number;
  let run;
  try {
    const started = performance.now();
    run = await mdevsim(root, "create", "-p", "mtty", "-t", "mtty-1");
    waited = performance.now() - started;
  } finally {
    lock.close();
  }
  assert.equal(run.code, 3, run.stderr);
  assert.ok(waited >= 9_500 && waited < 20_000, `waited ${waited} ms`);
  assert.ok(run.stderr.includes(`${root}/lock`), run.stderr);
  assert.deepEqual(await Deno.readFile(`${root}/state.json`), state);
  const after = await mdevsim(root, "create", "-p", "mtty", "-t", "mtty-1");
  assert.equal(after.code, 0, after.stderr);
});
