import assert from "node:assert/strict";
import { mdevsim, type Run, tempRoot } from "./_fixture.ts";

const U1 = "11111111-2222-3333-4444-555555555555";
const U2 = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001";
const U3 = "6baca7fc-2396-4bd1-8fc6-11ae363a2e5b";
const WARN_LINE = /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ WARN {2}mdevctl\] /;

function assertOk(run: Run): Run {
  assert.equal(run.code, 0, run.stderr);
  return run;
}

/** A state root with mtty loaded. */
async function mttyRoot(): Promise<string> {
  const root = tempRoot();
  assertOk(await mdevsim(root, ["modprobe", "mtty"]));
  return root;
}

Deno.test("mdevsim define/start/list/stop/undefine behave as mdevctl on the command line", async () => {
  const root = await mttyRoot();
  assert.deepEqual(
    await mdevsim(root, ["define", "-u", U1, "-p", "mtty", "-t", "mtty-2", "--auto"]),
    { code: 0, stdout: "", stderr: "" },
  );
  assertOk(await mdevsim(root, ["modify", "-u", U1, "--addattr", "uevent", "--value", "change"]));
  assert.equal(
    assertOk(await mdevsim(root, ["list", "-d", "-v"])).stdout,
    `${U1} mtty mtty-2 auto\n  Attrs:\n    @{0}: {"uevent":"change"}\n\n`,
  );
  assert.equal(assertOk(await mdevsim(root, ["start", "-u", U1])).stdout, "");
  assert.equal(
    assertOk(await mdevsim(root, ["list"])).stdout,
    `${U1} mtty mtty-2 auto (defined)\n\n`,
  );
  assertOk(await mdevsim(root, ["stop", "-u", U1]));
  assert.equal(assertOk(await mdevsim(root, ["list"])).stdout, "\n");
  assertOk(await mdevsim(root, ["undefine", "--uuid", U1]));
  assert.equal(assertOk(await mdevsim(root, ["list", "-d", "--dumpjson"])).stdout, "[]\n");
});

Deno.test("mdevsim start -p -t prints the generated UUID, which list then shows", async () => {
  const root = await mttyRoot();
  const started = assertOk(await mdevsim(root, ["start", "-p", "mtty", "-t", "mtty-1"]));
  assert.match(started.stdout, /^[0-9a-f-]{36}\n$/);
  assert.equal(
    assertOk(await mdevsim(root, ["list"])).stdout,
    `${started.stdout.trim()} mtty mtty-1 manual\n\n`,
  );
});

Deno.test("mdevsim start and define read --jsonfile /dev/stdin", async () => {
  const root = await mttyRoot();
  const json = '{"mdev_type":"mtty-1","start":"auto","attrs":[{"uevent":"change"}]}';
  assertOk(
    await mdevsim(root, ["start", "-p", "mtty", "-u", U1, "--jsonfile", "/dev/stdin"], json),
  );
  assertOk(
    await mdevsim(root, ["define", "-p", "mtty", "-u", U2, "--jsonfile", "/dev/stdin"], json),
  );
  assert.equal(
    assertOk(await mdevsim(root, ["list", "-v"])).stdout,
    `${U1} mtty mtty-1 manual\n\n`,
  );
  assert.equal(
    Deno.readTextFileSync(`${root}/etc/mdevctl.d/mtty/${U2}`),
    '{\n  "mdev_type": "mtty-1",\n  "start": "auto",\n  "attrs": [\n    {\n      "uevent": "change"\n' +
      "    }\n  ]\n}",
  );
  const empty = await mdevsim(root, ["start", "-p", "mtty", "--jsonfile", "/dev/stdin"], "");
  assert.deepEqual(empty, {
    code: 1,
    stdout: "",
    stderr: "Error: EOF while parsing a value at line 1 column 0\n",
  });
});

Deno.test("mdevsim prints mdevctl's runtime errors on stderr with exit code 1", async () => {
  const root = await mttyRoot();
  assert.deepEqual(await mdevsim(root, ["stop", "-u", U1]), {
    code: 1,
    stdout: "",
    stderr:
      `Error: Error removing device ${U1}\n\nCaused by:\n    No such file or directory (os error 2)\n`,
  });
  assert.deepEqual(await mdevsim(root, ["start", "-p", "MTTY", "-t", "mtty-1"]), {
    code: 1,
    stdout: "",
    stderr: "Error: Unable to find parent device 'MTTY'. Did you mean 'mtty'?\n",
  });
  assert.deepEqual(await mdevsim(root, ["modify", "-u", U1, "-p", "mtty", "-a"]), {
    code: 1,
    stdout: "",
    stderr: `Error: Mediated device mtty/${U1} is not defined\n`,
  });
});

Deno.test("mdevsim prints clap-style usage errors with exit code 2", async () => {
  const root = tempRoot();
  const usage = (message: string) => ({
    code: 2,
    stdout: "",
    stderr: `error: ${message}\n\nFor more information try --help\n`,
  });
  assert.deepEqual(
    await mdevsim(root, ["start"]),
    usage(
      "The following required arguments were not provided:\n    --uuid <UUID>\n    --parent <PARENT>",
    ),
  );
  assert.deepEqual(
    await mdevsim(root, ["stop", "-u", "bogus"]),
    usage(
      "Invalid value \"bogus\" for '--uuid <UUID>': invalid character: expected an optional prefix " +
        "of `urn:uuid:` followed by [0-9a-zA-Z], found `o` at 2",
    ),
  );
  assert.deepEqual(
    await mdevsim(root, ["start", "-p", "mtty", "-t", "x", "--jsonfile", "f"]),
    usage("The argument '--type <type>' cannot be used with '--jsonfile <JSONFILE>'"),
  );
  assert.deepEqual(
    await mdevsim(root, ["modify", "-u", U1, "--addattr", "a"]),
    usage("The following required arguments were not provided:\n    --value <attr_value>"),
  );
  assert.deepEqual(
    await mdevsim(root, ["modify", "-u", U1, "-i", "x", "--delattr"]),
    usage("Invalid value \"x\" for '--index <INDEX>': invalid digit found in string"),
  );
  assert.deepEqual(
    await mdevsim(root, ["modify", "-u", U1, "-a", "-m"]),
    usage("The argument '--auto' cannot be used with '--manual'"),
  );
  assert.equal((await mdevsim(root, ["define", "-p", "mtty", "--bogus"])).code, 2);
  await assert.rejects(Deno.stat(`${root}/state.json`), Deno.errors.NotFound, "nothing saved");
});

Deno.test("mdevsim --json reports an mdevctl failure as the contract's error document", async () => {
  const root = await mttyRoot();
  const run = await mdevsim(root, ["--json", "stop", "-u", U1]);
  assert.equal(run.code, 1);
  assert.deepEqual(JSON.parse(run.stdout), {
    error: {
      errno: "ENOENT",
      code: 2,
      message: `Error removing device ${U1}: No such file or directory (os error 2)`,
      path: `/sys/bus/mdev/devices/${U1}/remove`,
    },
  });
  const started = await mdevsim(root, ["--json", "start", "-p", "mtty", "-t", "mtty-1", "-u", U2]);
  assert.deepEqual(JSON.parse(assertOk(started).stdout), { uuid: U2 });
});

Deno.test("modprobe runs start-parent-mdevs for the new parent: auto devices start, manual ones not", async () => {
  const root = tempRoot();
  assertOk(await mdevsim(root, ["define", "-u", U1, "-p", "mtty", "-t", "mtty-1", "-a"]));
  assertOk(await mdevsim(root, ["define", "-u", U2, "-p", "mtty", "-t", "mtty-2"]));
  assertOk(await mdevsim(root, ["define", "-u", U3, "-p", "other", "-t", "mtty-2", "-a"]));
  assertOk(await mdevsim(root, ["modprobe", "mtty"]));
  assert.equal(
    assertOk(await mdevsim(root, ["list"])).stdout,
    `${U1} mtty mtty-1 auto (defined)\n\n`,
  );
  assertOk(await mdevsim(root, ["rmmod", "mtty"]));
  assertOk(await mdevsim(root, ["modify", "-u", U2, "-a"]));
  assertOk(await mdevsim(root, ["modprobe", "mtty"]));
  assert.equal(
    assertOk(await mdevsim(root, ["list"])).stdout,
    `${U1} mtty mtty-1 auto (defined)\n${U2} mtty mtty-2 auto (defined)\n\n`,
  );
});

Deno.test("mdevsim start-parent-mdevs logs a failed start as a WARN and exits 0", async () => {
  const root = await mttyRoot();
  assertOk(await mdevsim(root, ["define", "-u", U1, "-p", "mtty", "-t", "mtty-1", "-a"]));
  assertOk(await mdevsim(root, ["start", "-u", U1]));
  const run = assertOk(await mdevsim(root, ["start-parent-mdevs", "mtty"]));
  assert.equal(run.stdout, "");
  const lines = run.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, WARN_LINE);
  assert.ok(lines[0]!.endsWith("] Device already exists"));
  assert.doesNotMatch(assertOk(await mdevsim(root, ["--help"])).stdout, /start-parent-mdevs/);
});

Deno.test("mdevsim list -d warns about a file that is not a config and fails on a corrupt one", async () => {
  const root = await mttyRoot();
  assertOk(await mdevsim(root, ["define", "-u", U1, "-p", "mtty", "-t", "mtty-1"]));
  Deno.writeTextFileSync(`${root}/etc/mdevctl.d/mtty/README`, "");
  const listed = assertOk(await mdevsim(root, ["list", "-d"]));
  assert.equal(listed.stdout, `${U1} mtty mtty-1 manual\n\n`);
  assert.match(listed.stderr, WARN_LINE);
  assert.ok(listed.stderr.endsWith("] Can't determine uuid for file 'README'\n"));
  Deno.writeTextFileSync(`${root}/etc/mdevctl.d/mtty/${U2}`, '{"mdev_type":"mtty-1"}');
  const corrupt = await mdevsim(root, ["list", "-d"]);
  assert.equal(corrupt.code, 1);
  assert.ok(corrupt.stderr.endsWith("Error: invalid json\n"));
});

Deno.test("mdevsim start after an injected probe failure persists the consumed fault", async () => {
  const root = await mttyRoot();
  assertOk(await mdevsim(root, ["inject", "mdev", "mtty", "--probe", "EINVAL"]));
  assert.deepEqual(await mdevsim(root, ["start", "-p", "mtty", "-t", "mtty-1", "-u", U1]), {
    code: 1,
    stdout: "",
    stderr: `Error: Failed to create mdev ${U1}, type mtty-1 on mtty\n\nCaused by:\n` +
      "    Invalid argument (os error 22)\n",
  });
  assertOk(await mdevsim(root, ["start", "-p", "mtty", "-t", "mtty-1", "-u", U1]));
});

Deno.test("mdevsim stop of a device held open by a VFIO handle says the removal is pending", async () => {
  const root = await mttyRoot();
  assertOk(await mdevsim(root, ["start", "-p", "mtty", "-t", "mtty-1", "-u", U1]));
  assertOk(await mdevsim(root, ["vfio", "open", U1]));
  const stopped = assertOk(await mdevsim(root, ["stop", "-u", U1]));
  assert.match(stopped.stderr, /^mdevsim: stop: pending: /);
});
