import assert from "node:assert/strict";
import fc from "fast-check";
import { type ErrnoName, errnoNumber, strerror } from "../../lib/errno.ts";
import { type CliRun, mdevsim, mdevsimWith, tempRoot } from "./_cli.ts";

const U1 = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001";
const U2 = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1002";
const TYPES = "/sys/class/mdev_bus/mtty/mdev_supported_types";

/** Lines a stack trace or an uncaught Deno error would leave on stderr. */
const STACK_TRACE = /^\s+at |at file:|error: Uncaught/m;

function assertNoStackTrace(run: CliRun): void {
  assert.doesNotMatch(run.stderr, STACK_TRACE);
  assert.doesNotMatch(run.stdout, STACK_TRACE);
}

/** A root with mtty loaded and U1 created as mtty-2. */
async function rootWithDevice(): Promise<string> {
  const root = await tempRoot();
  assert.equal((await mdevsim(root, "modprobe", "mtty")).code, 0);
  const created = await mdevsim(root, "create", "-p", "mtty", "-t", "mtty-2", "-u", U1);
  assert.equal(created.code, 0, created.stderr);
  return root;
}

/** Kernel failures reachable from the command line: args, operation, path, errno. */
const KERNEL_FAILURES: Array<[string[], string, string, ErrnoName]> = [
  [["create", "-p", "nope", "-t", "x"], "create", "/sys/class/mdev_bus/nope", "ENOENT"],
  [
    ["create", "-p", "mtty", "-t", "mtty-1", "-u", U1],
    "create",
    `${TYPES}/mtty-1/create`,
    "EEXIST",
  ],
  [["sysfs", "cat", `${TYPES}/mtty-1/create`], "sysfs cat", `${TYPES}/mtty-1/create`, "EACCES"],
  [
    ["sysfs", "write", `${TYPES}/mtty-1/name`, "x"],
    "sysfs write",
    `${TYPES}/mtty-1/name`,
    "EACCES",
  ],
  [
    ["sysfs", "write", "--raw", `${TYPES}/mtty-1/create`, U2.slice(0, 35)],
    "sysfs write",
    `${TYPES}/mtty-1/create`,
    "EINVAL",
  ],
  [["sysfs", "ls", "/sys/nope"], "sysfs ls", "/sys/nope", "ENOENT"],
  [["remove", U2], "remove", `/sys/bus/mdev/devices/${U2}/remove`, "ENOENT"],
  [["bind", "mdev", U1, "mtty"], "bind", "/sys/bus/mdev/drivers/mtty/bind", "ENODEV"],
  [
    ["override", "mdev", U1, "mtty"],
    "override",
    `/sys/bus/mdev/devices/${U1}/driver_override`,
    "ENOENT",
  ],
  [["inject", "nobus", "drv", "--probe", "ENOMEM"], "inject", "/sys/bus/nobus", "ENOENT"],
  [["rmmod", "mdpy"], "rmmod", "mdpy", "ENOENT"],
];

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

Deno.test("mdevsim exits 2 with a hint to --help on usage errors and saves nothing", async () => {
  const root = await tempRoot();
  const cases = [
    ["bogus"],
    ["list", "--bogus"],
    ["create", "-p", "mtty"],
    ["remove"],
    ["sysfs", "cat"],
    ["platform", "add-device"],
    ["create", "-p", "mtty", "-t", "mtty-1", "-u", "not-a-uuid"],
    ["create", "-p", "mtty", "-t", "mtty-1", "-u", U1.slice(0, 35)],
    ["list", "-u", `${U1}0`],
    ["remove", "xyz"],
  ];
  const runs = await Promise.all(cases.map((args) => mdevsim(root, ...args)));
  runs.forEach((run, i) => {
    assert.equal(run.code, 2, `${cases[i]!.join(" ")}: ${run.stderr}`);
    assert.equal(run.stdout, "");
    assert.match(run.stderr, /--help/);
    assertNoStackTrace(run);
  });
  await assert.rejects(Deno.stat(`${root}/state.json`), Deno.errors.NotFound);
});

Deno.test("mdevsim --help and --version exit 0 on the root and on subcommands", async () => {
  const root = await tempRoot();
  const helps = [
    [],
    ["create"],
    ["list"],
    ["sysfs", "write"],
    ["platform", "add-driver"],
    [
      "vfio",
      "open",
    ],
    ["rmmod"],
    ["inject"],
  ];
  const runs = await Promise.all(helps.flatMap((command) => [
    mdevsim(root, ...command, "--help"),
    mdevsim(root, ...command, "--version"),
  ]));
  helps.forEach((command, i) => {
    const help = runs[2 * i]!;
    const version = runs[2 * i + 1]!;
    assert.equal(help.code, 0, help.stderr);
    assert.ok(
      help.stdout.startsWith(`Usage: ${["mdevsim", ...command].join(" ")} `),
      help.stdout,
    );
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
  });
});

Deno.test("mdevsim prints each kernel error as one stderr line in the contract format", async () => {
  const root = await rootWithDevice();
  const runs = await Promise.all(KERNEL_FAILURES.map(([args]) => mdevsim(root, ...args)));
  runs.forEach((run, i) => {
    const [args, operation, path, errno] = KERNEL_FAILURES[i]!;
    assert.equal(run.code, 1, `${args.join(" ")}: ${run.stderr}`);
    assert.equal(run.stdout, "");
    // A detail (the module name, bind's hint that mdevs are bound by create) may follow.
    const line = new RegExp(
      `^mdevsim: ${escape(operation)}: ${escape(path)}: ${escape(strerror(errno))} ` +
        `\\(${errno}\\)(: [^\\n]+)?\\n$`,
    );
    assert.match(run.stderr, line);
  });
});

Deno.test("mdevsim --json prints kernel errors as the error document and nothing on stderr", async () => {
  const root = await rootWithDevice();
  const runs = await Promise.all(
    KERNEL_FAILURES.map(([args]) => mdevsim(root, "--json", ...args)),
  );
  runs.forEach((run, i) => {
    const [args, , path, errno] = KERNEL_FAILURES[i]!;
    assert.equal(run.code, 1, `${args.join(" ")}: ${run.stdout}`);
    assert.equal(run.stderr, "");
    const document = JSON.parse(run.stdout);
    assert.deepEqual(Object.keys(document), ["error"]);
    assert.deepEqual(Object.keys(document.error).sort(), ["code", "errno", "message", "path"]);
    assert.equal(document.error.errno, errno);
    assert.equal(document.error.code, errnoNumber(errno));
    assert.equal(document.error.path, path);
    assert.ok(document.error.message.startsWith(strerror(errno)), document.error.message);
  });
});

Deno.test("mdevsim exits 0-3 without a stack trace for any argument vector", async () => {
  const root = await rootWithDevice();
  // Relative --root values and files land here, not in the repository.
  const cwd = await tempRoot();
  // bench and demo are left out: they run for seconds by design, not because of the input.
  const commands = fc.constantFrom(
    "modprobe",
    "rmmod",
    "lsmod",
    "platform",
    "add-device",
    "del-driver",
    "inject",
    "reset",
    "dmesg",
    "types",
    "create",
    "remove",
    "list",
    "bind",
    "unbind",
    "override",
    "probe",
    "sysfs",
    "ls",
    "cat",
    "write",
    "readlink",
    "tree",
    "vfio",
    "open",
    "close",
    "run",
    "help",
  );
  const flags = fc.constantFrom(
    "--json",
    "--help",
    "-p",
    "-t",
    "-u",
    "--dumpjson",
    "--raw",
    "-f",
    "--clear",
    "--probe",
    "--times",
    "--match",
    "--yes",
    "-l",
    "--strict",
    "--",
    "-V",
  );
  const values = fc.constantFrom("mtty", "mtty-1", "platform", "mdev", U1, "/sys", "0", "-1");
  const garbage = fc.string({ maxLength: 12 }).filter((s) =>
    !s.includes("\0") && !s.includes("--root") && !["bench", "demo"].includes(s)
  );
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.oneof(commands, flags, values, garbage), { maxLength: 6 }),
      async (args) => {
        const run = await mdevsimWith(root, args, { cwd });
        assert.ok([0, 1, 2, 3].includes(run.code), `exit ${run.code}: ${run.stderr}`);
        assertNoStackTrace(run);
      },
    ),
    { numRuns: 40 },
  );
});
