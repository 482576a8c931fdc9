import assert from "node:assert/strict";
import fc from "fast-check";
import { fileURLToPath } from "node:url";
import { SCHEMA_VERSION, StateStore } from "../../lib/state/store.ts";
import { StateError } from "../../lib/state/state_error.ts";
import { resolveStateRoot } from "../../lib/state/root.ts";
import { type ChurnState, churnState } from "./_store_worker.ts";

const WORKER = fileURLToPath(new URL("./_store_worker.ts", import.meta.url));

/** Runs `body` with a fresh temporary state root and removes it afterwards. */
async function withRoot(body: (root: string) => Promise<void> | void): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "mdevsim_store_test_" });
  try {
    await body(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/** Runs `body` with a store open on a fresh root, closing it afterwards. */
function withStore(body: (store: StateStore) => Promise<void> | void): Promise<void> {
  return withRoot(async (root) => {
    const store = await StateStore.open(root);
    try {
      await body(store);
    } finally {
      store.close();
    }
  });
}

/** The bytes `save(world)` writes, taken from a scratch root. */
async function envelopeBytes(world: unknown): Promise<Uint8Array> {
  let bytes = new Uint8Array();
  await withStore((store) => {
    store.save(world);
    bytes = Deno.readFileSync(`${store.root}/state.json`);
  });
  return bytes;
}

/** Puts `bytes` in place as the state file, checks load() rejects it, and that it is untouched. */
function assertRejectedUnchanged(store: StateStore, bytes: Uint8Array, reason?: RegExp): void {
  const path = `${store.root}/state.json`;
  Deno.writeFileSync(path, bytes);
  assert.throws(() => store.load(), (error: unknown) => {
    assert.ok(error instanceof StateError, `expected a StateError, got ${error}`);
    assert.equal(error.file, path);
    assert.ok(error.message.includes(path), error.message);
    assert.match(error.hint, /mdevsim reset/);
    if (reason !== undefined) assert.match(error.message, reason);
    return true;
  });
  assert.deepEqual(Deno.readFileSync(path), bytes);
}

/** Wraps a world in an envelope with a correct length and checksum, for any schema number. */
function envelopeWithSchema(schema: number, worldText: string): Uint8Array {
  const worldBytes = new TextEncoder().encode(worldText);
  let hash = 0x811c9dc5;
  for (const byte of worldBytes) hash = Math.imul(hash ^ byte, 0x01000193);
  const checksum = (hash >>> 0).toString(16).padStart(8, "0");
  return new TextEncoder().encode(
    `{"schema":${schema},"generator":"mdevsim","length":${worldBytes.length},` +
      `"checksum":"fnv1a32:${checksum}","world":${worldText}}\n`,
  );
}

/** Lines of a child's output as they arrive. */
async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let pending = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    const parts = (pending + text).split("\n");
    pending = parts.pop() ?? "";
    yield* parts;
  }
}

function spawnWorker(stdin: "piped" | "null", ...args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-check", "--allow-read", "--allow-write", WORKER, ...args],
    stdin,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Spawns a worker that holds the root's lock, resolving once it has it. */
async function holdLockInWorker(root: string): Promise<{ release(): Promise<void> }> {
  const child = spawnWorker("piped", "hold", root);
  const stderr = new Response(child.stderr).text();
  const output = lines(child.stdout);
  if ((await output.next()).value !== "locked") assert.fail(await stderr);
  return {
    async release() {
      await child.stdin.close();
      for await (const line of output) assert.fail(`unexpected output "${line}"`);
      const status = await child.status;
      assert.equal(status.code, 0, await stderr);
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

Deno.test("StateStore.save() then load() returns the same world", () =>
  withStore((store) => {
    const world = { counter: 3, devices: [{ uuid: "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001" }] };
    store.save(world);
    assert.deepEqual(store.load(), world);
  }));

Deno.test("StateStore.save() then load() round-trips any JSON value, Unicode included", () =>
  withStore((store) => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: "binary" }), (world) => {
        store.save(world);
        // -0 is the one value JSON does not keep; the store promises JSON's round trip.
        assert.deepStrictEqual(store.load(), JSON.parse(JSON.stringify(world)));
      }),
      { numRuns: 100 },
    );
  }));

Deno.test("StateStore.save() writes the documented envelope", () =>
  withStore((store) => {
    store.save({ a: "é" });
    const text = Deno.readTextFileSync(`${store.root}/state.json`);
    // The length counts UTF-8 bytes of the world text: 9 characters, 10 bytes.
    assert.match(text, /^\{"schema":1,"generator":"mdevsim","length":10,"checksum":"fnv1a32:/);
    assert.equal(text, new TextDecoder().decode(envelopeWithSchema(SCHEMA_VERSION, '{"a":"é"}')));
  }));

Deno.test("StateStore.save() rejects a world JSON cannot represent and keeps the old state", () =>
  withStore((store) => {
    store.save({ kept: true });
    assert.throws(() => store.save(undefined), TypeError);
    assert.throws(() => store.save(() => 1), TypeError);
    assert.throws(() => store.save({ big: 1n }), TypeError);
    assert.deepEqual(store.load(), { kept: true });
  }));

Deno.test("StateStore.load() returns undefined on a root without state", () =>
  withStore((store) => {
    assert.equal(store.load(), undefined);
  }));

Deno.test("StateStore.open() creates a missing root with mode 0700 and its lock file", () =>
  withRoot(async (parent) => {
    const root = `${parent}/nested/mdevsim`;
    const store = await StateStore.open(root);
    try {
      assert.equal(Deno.statSync(root).mode! & 0o777, 0o700);
      assert.ok(Deno.statSync(`${root}/lock`).isFile);
      assert.equal(store.root, root);
      assert.equal(store.load(), undefined);
    } finally {
      store.close();
    }
  }));

Deno.test("StateStore.load() rejects corrupt JSON with a StateError and leaves the file as it was", () =>
  withStore((store) => {
    const text = new TextEncoder();
    assertRejectedUnchanged(store, text.encode("{not json"), /not valid JSON/);
    assertRejectedUnchanged(store, text.encode(""), /empty/);
    assertRejectedUnchanged(store, new Uint8Array([0xff, 0xfe, 0x00, 0x7b]), /not valid JSON/);
  }));

Deno.test("StateStore.load() rejects a state file truncated anywhere and leaves it as it was", async () => {
  const bytes = await envelopeBytes(churnState(7, 1));
  const head = new TextDecoder().decode(bytes.subarray(0, 200)).indexOf('"world":') + 8;
  await withStore((store) => {
    const cuts = [0, 1, 12, head - 1, head, head + 1, bytes.length - 2, bytes.length - 1];
    for (const cut of cuts) assertRejectedUnchanged(store, bytes.subarray(0, cut));
    assertRejectedUnchanged(store, bytes.subarray(0, bytes.length >> 1), /truncated/);
  });
});

Deno.test("StateStore.load() rejects every truncation and every single-byte edit of a saved state", () =>
  withStore((store) => {
    fc.assert(
      fc.property(
        fc.jsonValue({ stringUnit: "binary" }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (world, where, delta) => {
          store.save(world);
          const saved = Deno.readFileSync(`${store.root}/state.json`);
          const at = where % saved.length;
          assertRejectedUnchanged(store, saved.slice(0, at));
          const edited = saved.slice();
          edited[at] = (edited[at]! + delta) & 0xff;
          assertRejectedUnchanged(store, edited);
        },
      ),
      { numRuns: 150 },
    );
  }));

Deno.test("StateStore.load() rejects an edited world whose checksum no longer matches", async () => {
  const bytes = await envelopeBytes({ counter: 1234, name: "mtty-1" });
  const edited = new TextEncoder().encode(
    new TextDecoder().decode(bytes).replace('"counter":1234', '"counter":9234'),
  );
  assert.equal(edited.length, bytes.length);
  await withStore((store) => {
    assertRejectedUnchanged(store, edited, /integrity check/);
    const reformatted = JSON.stringify(JSON.parse(new TextDecoder().decode(bytes)), null, 2);
    assertRejectedUnchanged(store, new TextEncoder().encode(reformatted), /edited/);
    const grown = new TextDecoder().decode(bytes).replace('"counter":1234', '"counter":12345');
    assertRejectedUnchanged(store, new TextEncoder().encode(grown), /edited/);
  });
});

Deno.test("StateStore.load() rejects JSON without the mdevsim envelope", () =>
  withStore((store) => {
    const text = new TextEncoder();
    assertRejectedUnchanged(store, text.encode('{"counter":1}\n'), /lacks the mdevsim envelope/);
    assertRejectedUnchanged(store, text.encode("[1,2,3]"), /lacks the mdevsim envelope/);
    assertRejectedUnchanged(store, text.encode("null"), /lacks the mdevsim envelope/);
    assertRejectedUnchanged(store, envelopeWithSchema(0, "{}"), /schema 0/);
  }));

Deno.test("StateStore.load() rejects a state written by a newer schema", () =>
  withStore((store) => {
    const newer = SCHEMA_VERSION + 1;
    assertRejectedUnchanged(store, envelopeWithSchema(newer, "{}"), new RegExp(`schema ${newer}`));
    // A newer mdevsim may lay the envelope out differently; its schema number still counts.
    const relaidOut = new TextEncoder().encode(`{"world":{},"schema":${newer + 1}}`);
    assertRejectedUnchanged(store, relaidOut, new RegExp(`schema ${newer + 1}`));
    assert.throws(() => store.load(), (error: unknown) => {
      assert.ok(error instanceof StateError);
      assert.match(error.hint, /newer mdevsim/);
      return true;
    });
  }));

Deno.test("StateStore.load() ignores a temporary file left by a crashed save", async () => {
  const other = await envelopeBytes({ from: "crashed save" });
  await withStore((store) => {
    store.save({ from: "last completed save" });
    Deno.writeFileSync(`${store.root}/state.json.tmp-99999`, other);
    Deno.writeFileSync(`${store.root}/state.json.tmp-99998`, other.subarray(0, 20));
    assert.deepEqual(store.load(), { from: "last completed save" });
  });
});

Deno.test("StateStore.save() leaves no temporary file behind", () =>
  withStore((store) => {
    store.save({ n: 1 });
    store.save({ n: 2 });
    const names = [...Deno.readDirSync(store.root)].map((entry) => entry.name).sort();
    assert.deepEqual(names, ["lock", "state.json"]);
  }));

Deno.test("StateStore.open() waits while another store holds the lock", () =>
  withRoot(async (root) => {
    const first = await StateStore.open(root);
    let secondOpened = false;
    const second = StateStore.open(root, { lockTimeoutMs: 5_000 }).then((store) => {
      secondOpened = true;
      return store;
    });
    await sleep(150);
    assert.equal(secondOpened, false);
    first.close();
    (await second).close();
    assert.equal(secondOpened, true);
  }));

// A timed-out open leaves its lock call pending until the lock is free (see StateStore.open),
// which may outlive the test by a moment.
Deno.test({
  name: "StateStore.open() fails with a StateError naming the lock file after lockTimeoutMs",
  sanitizeOps: false,
  fn: () =>
    withRoot(async (root) => {
      const first = await StateStore.open(root);
      const started = performance.now();
      await assert.rejects(StateStore.open(root, { lockTimeoutMs: 100 }), (error: unknown) => {
        assert.ok(error instanceof StateError);
        assert.equal(error.file, `${root}/lock`);
        assert.match(error.message, /another mdevsim command holds it/);
        assert.match(error.hint, /retry/);
        return true;
      });
      assert.ok(performance.now() - started >= 90);
      first.close();
      const third = await StateStore.open(root, { lockTimeoutMs: 2_000 });
      third.save({ ok: true });
      third.close();
    }),
});

Deno.test({
  name: "StateStore.open() waits for a lock held by another process",
  sanitizeOps: false,
  fn: () =>
    withRoot(async (root) => {
      const holder = await holdLockInWorker(root);
      await assert.rejects(StateStore.open(root, { lockTimeoutMs: 200 }), StateError);
      const waiting = StateStore.open(root, { lockTimeoutMs: 10_000 });
      await holder.release();
      (await waiting).close();
    }),
});

Deno.test("StateStore.close() releases the lock and is idempotent", () =>
  withRoot(async (root) => {
    const first = await StateStore.open(root);
    first.close();
    first.close();
    const second = await StateStore.open(root, { lockTimeoutMs: 1_000 });
    second.close();
  }));

Deno.test("StateStore methods refuse to run after close()", () =>
  withRoot(async (root) => {
    const store = await StateStore.open(root);
    store.close();
    assert.throws(() => store.load(), TypeError);
    assert.throws(() => store.save({}), TypeError);
    assert.throws(() => store.readBlob("x"), TypeError);
    assert.throws(() => store.writeBlob("x", new Uint8Array(1)), TypeError);
    assert.throws(() => store.deleteBlob("x"), TypeError);
    assert.throws(() => store.clear(), TypeError);
  }));

Deno.test("StateStore serializes 20 concurrent processes that each add 1 to a counter", () =>
  withRoot(async (root) => {
    const workers = Array.from({ length: 20 }, () => spawnWorker("null", "increment", root));
    for (const worker of workers) {
      const { code, stderr } = await worker.output();
      assert.equal(code, 0, new TextDecoder().decode(stderr));
    }
    const store = await StateStore.open(root);
    try {
      assert.deepEqual(store.load(), { counter: 20 });
    } finally {
      store.close();
    }
  }));

Deno.test("StateStore keeps a complete state when a saving process is killed at any moment", () =>
  withRoot(async (root) => {
    const kills = 16;
    for (let round = 1; round <= kills; round++) {
      const seed = 1000 + round;
      const worker = spawnWorker("null", "churn", root, String(seed));
      const stderr = new Response(worker.stderr).text();
      let lastReported = 0;
      for await (const line of lines(worker.stdout)) {
        if (lastReported === 0) {
          const delay = Math.random() * 100;
          setTimeout(() => worker.kill("SIGKILL"), delay);
        }
        lastReported = Number(line);
      }
      const status = await worker.status;
      assert.equal(status.signal, "SIGKILL", await stderr);
      assert.ok(lastReported >= 1, "the worker completed no save before the kill");

      const store = await StateStore.open(root, { lockTimeoutMs: 2_000 });
      try {
        const world = store.load() as ChurnState;
        // The last reported save is durable; the next one may have been renamed in just before
        // the kill; a half-written temporary file is never what load() returns.
        assert.equal(world.seed, seed);
        assert.ok(
          world.iteration === lastReported || world.iteration === lastReported + 1,
          `round ${round}: loaded iteration ${world.iteration}, last reported ${lastReported}`,
        );
        assert.deepStrictEqual(world, churnState(seed, world.iteration));
      } finally {
        store.close();
      }
    }
    const stateSize = Deno.statSync(`${root}/state.json`).size;
    assert.ok(stateSize > 1_900_000, `state is ${stateSize} bytes`);
  }));

Deno.test("StateStore.writeBlob() then readBlob() returns the same bytes; absent blobs are undefined", () =>
  withStore((store) => {
    const bytes = crypto.getRandomValues(new Uint8Array(65_536));
    assert.equal(store.readBlob("mbochs-0.vram"), undefined);
    store.writeBlob("mbochs-0.vram", bytes);
    assert.deepEqual(store.readBlob("mbochs-0.vram"), bytes);
    store.deleteBlob("mbochs-0.vram");
    assert.equal(store.readBlob("mbochs-0.vram"), undefined);
    store.deleteBlob("mbochs-0.vram");
    store.deleteBlob("never-written");
  }));

Deno.test("StateStore.writeBlob() replaces a blob whole and leaves no temporary file", () =>
  withStore((store) => {
    const large = new Uint8Array(1 << 20).fill(0xaa);
    const small = new Uint8Array([1, 2, 3]);
    store.writeBlob("dasd-0.0.1000", large);
    store.writeBlob("dasd-0.0.1000", small);
    assert.deepEqual(store.readBlob("dasd-0.0.1000"), small);
    const names = [...Deno.readDirSync(`${store.root}/blobs`)].map((entry) => entry.name);
    assert.deepEqual(names, ["dasd-0.0.1000"]);
    assert.equal(store.load(), undefined);
  }));

Deno.test("StateStore blob methods accept every valid name and reject every other", () =>
  withStore((store) => {
    const valid = /^[a-z0-9][a-z0-9._-]{0,199}$/;
    fc.assert(
      fc.property(fc.stringMatching(valid), (name) => {
        store.writeBlob(name, new TextEncoder().encode(name));
        assert.equal(new TextDecoder().decode(store.readBlob(name)), name);
        store.deleteBlob(name);
      }),
      { numRuns: 100 },
    );
    const invalid = [
      "",
      ".",
      "..",
      "../state.json",
      "a/b",
      "A",
      "x y",
      ".hidden",
      "é",
      "a".repeat(201),
    ];
    fc.assert(
      fc.property(
        fc.oneof(fc.constantFrom(...invalid), fc.string().filter((name) => !valid.test(name))),
        (name) => {
          assert.throws(() => store.readBlob(name), TypeError);
          assert.throws(() => store.writeBlob(name, new Uint8Array(1)), TypeError);
          assert.throws(() => store.deleteBlob(name), TypeError);
        },
      ),
    );
    assert.deepEqual([...Deno.readDirSync(`${store.root}/blobs`)], []);
  }));

Deno.test("StateStore.clear() removes state, blobs and leftovers but keeps the lock", () =>
  withStore((store) => {
    store.save({ n: 1 });
    store.writeBlob("mtty-0", new Uint8Array(8));
    Deno.mkdirSync(`${store.root}/etc/mdevctl.d/mtty`, { recursive: true });
    Deno.writeTextFileSync(`${store.root}/state.json.tmp-12345`, "half");
    Deno.writeTextFileSync(`${store.root}/state.json`, "{corrupt");
    store.clear();
    assert.deepEqual([...Deno.readDirSync(store.root)].map((entry) => entry.name), ["lock"]);
    assert.equal(store.load(), undefined);
    store.save({ n: 2 });
    assert.deepEqual(store.load(), { n: 2 });
  }));

/** Runs `body` with the given environment variables set (undefined = unset), then restores them. */
function withEnv(vars: Record<string, string | undefined>, body: () => void): void {
  const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, Deno.env.get(name)]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) Deno.env.delete(name);
      else Deno.env.set(name, value);
    }
  };
  apply(vars);
  try {
    body();
  } finally {
    apply(saved);
  }
}

Deno.test("resolveStateRoot() prefers --root, then MDEVSIM_ROOT, then XDG_STATE_HOME, then HOME", () => {
  const all = { MDEVSIM_ROOT: "/m", XDG_STATE_HOME: "/x", HOME: "/h" };
  withEnv(all, () => {
    assert.equal(resolveStateRoot("/flag"), "/flag");
    assert.equal(resolveStateRoot(), "/m");
  });
  withEnv({ ...all, MDEVSIM_ROOT: undefined }, () => {
    assert.equal(resolveStateRoot(), "/x/mdevsim");
  });
  withEnv({ ...all, MDEVSIM_ROOT: undefined, XDG_STATE_HOME: undefined }, () => {
    assert.equal(resolveStateRoot(), "/h/.local/state/mdevsim");
  });
});

Deno.test("resolveStateRoot() treats empty variables as unset and ignores a relative XDG_STATE_HOME", () => {
  withEnv({ MDEVSIM_ROOT: "", XDG_STATE_HOME: "", HOME: "/h" }, () => {
    assert.equal(resolveStateRoot(""), "/h/.local/state/mdevsim");
  });
  withEnv({ MDEVSIM_ROOT: undefined, XDG_STATE_HOME: "relative/state", HOME: "/h" }, () => {
    assert.equal(resolveStateRoot(), "/h/.local/state/mdevsim");
  });
});

Deno.test("resolveStateRoot() throws a StateError when no root can be found", () => {
  withEnv({ MDEVSIM_ROOT: undefined, XDG_STATE_HOME: undefined, HOME: undefined }, () => {
    assert.throws(() => resolveStateRoot(), (error: unknown) => {
      assert.ok(error instanceof StateError);
      assert.match(error.hint, /--root/);
      return true;
    });
  });
});
