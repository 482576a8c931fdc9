/**
 * mdevsim's `types` and `list` against the real mdevctl 1.2.0 (mdevctl.md
 * §1.5, §1.10): one state with active, defined, and defined-and-active
 * devices on every parent kind whose module loads is exported with
 * `mdevsim sysfs export`, the real mdevctl reads the export through bind
 * mounts over /sys and /etc/mdevctl.d in a private mount namespace, and
 * each command's stdout must equal mdevsim's byte for byte.
 *
 * @module
 */
import assert from "node:assert/strict";
import { mdevsim, type Run, tempRoot } from "./_fixture.ts";

/** Runs a command to completion; undefined when it cannot be started at all. */
function tryRun(command: string, args: string[]): Deno.CommandOutput | undefined {
  try {
    return new Deno.Command(command, { args, stdout: "piped", stderr: "piped" }).outputSync();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** Root may mount in a new mount namespace; anyone else needs a user namespace too. */
const UNSHARE_ARGS = Deno.uid() === 0 ? ["-m", "--propagation", "private"] : ["-Urm"];

/** Mounts the export given as `$0` over /sys and /etc/mdevctl.d, then runs mdevctl with `$@`. */
const MOUNT_AND_RUN =
  'mount --bind "$0/sys" /sys && mount --bind "$0/etc/mdevctl.d" /etc/mdevctl.d && exec mdevctl "$@"';

/** Why the real mdevctl cannot be run here, or undefined when it can. */
function missingTool(): string | undefined {
  if (tryRun("mdevctl", ["--version"])?.success !== true) return "mdevctl is not installed";
  const probeDir = Deno.makeTempDirSync();
  try {
    const probe = tryRun("unshare", [
      ...UNSHARE_ARGS,
      "sh",
      "-c",
      'mount --bind "$0" /sys && mount --bind "$0" /etc/mdevctl.d',
      probeDir,
    ]);
    if (probe === undefined) return "unshare is not installed";
    if (!probe.success) {
      return `unshare ${UNSHARE_ARGS.join(" ")} cannot bind-mount over /sys and /etc/mdevctl.d: ${
        new TextDecoder().decode(probe.stderr).trim()
      }`;
    }
  } finally {
    Deno.removeSync(probeDir);
  }
  return undefined;
}

const skipReason = missingTool();
if (skipReason !== undefined) console.log(`real_mdevctl_test: skipped: ${skipReason}`);

function assertOk(run: Run, what: string): Run {
  assert.equal(run.code, 0, `${what} failed: ${run.stderr}`);
  return run;
}

/** The real mdevctl run against an export; its stdout and exit code. */
async function realMdevctl(exportDir: string, args: string[]): Promise<Run> {
  const { code, stdout, stderr } = await new Deno.Command("unshare", {
    args: [...UNSHARE_ARGS, "sh", "-c", MOUNT_AND_RUN, exportDir, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

const ACTIVE = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001";
const DEFINED = "6baca7fc-2396-4bd1-8fc6-11ae363a2e5b";
const BOTH = "11111111-2222-3333-4444-555555555555";

/** A state root holding devices of every kind, and its export. */
interface Scenario {
  root: string;
  exportDir: string;
}

/** `modprobe MODULE`; when the module is not there (yet), says so and leaves its parents out. */
async function loadOptional(root: string, module: string): Promise<boolean> {
  const run = await mdevsim(root, ["modprobe", module]);
  if (run.code !== 0) {
    console.log(`real_mdevctl_test: no ${module} parents: ${run.stderr.trim()}`);
  }
  return run.code === 0;
}

/** vfio_ccw's parent appears when a subchannel is bound to it (vfio-ccw.md §4.5). */
async function bindSubchannelToVfioCcw(root: string): Promise<void> {
  for (const args of [["unbind", "css", "0.0.0001"], ["bind", "css", "0.0.0001", "vfio_ccw"]]) {
    const run = await mdevsim(root, args);
    if (run.code !== 0) {
      console.log(`real_mdevctl_test: no vfio_ccw parent: ${args.join(" ")}: ${run.stderr.trim()}`);
      return;
    }
  }
}

/** The first type of every parent, from `types --dumpjson`. */
async function firstTypes(root: string): Promise<Map<string, string>> {
  const json = assertOk(await mdevsim(root, ["types", "--dumpjson"]), "types").stdout;
  const doc = JSON.parse(json) as Array<Record<string, Array<Record<string, unknown>>>>;
  return new Map(
    Object.entries(doc[0] ?? {}).map(([parent, types]) => [parent, Object.keys(types[0]!)[0]!]),
  );
}

/**
 * mtty: an active-only device (`create`), a defined-only one with an
 * attribute, a defined-and-active one started with an attribute. Every
 * other parent: one active-only and one defined-only device of its first type.
 */
async function buildScenario(): Promise<Scenario> {
  const root = tempRoot();
  const sim = async (...args: string[]) => assertOk(await mdevsim(root, args), args.join(" "));
  await sim("modprobe", "mtty");
  for (const module of ["mdpy", "mbochs"]) await loadOptional(root, module);
  if (await loadOptional(root, "vfio_ccw")) await bindSubchannelToVfioCcw(root);

  const defineFromJson = async (uuid: string, config: unknown) =>
    assertOk(
      await mdevsim(
        root,
        ["define", "-u", uuid, "-p", "mtty", "--jsonfile", "/dev/stdin"],
        JSON.stringify(config),
      ),
      `define ${uuid}`,
    );

  await sim("create", "-p", "mtty", "-t", "mtty-2", "-u", ACTIVE);
  await defineFromJson(DEFINED, { mdev_type: "mtty-1", start: "auto", attrs: [{ foo: "bar" }] });
  // `uevent` is a writable attribute of every mdev, so the start writes it for real.
  await defineFromJson(BOTH, {
    mdev_type: "mtty-1",
    start: "manual",
    attrs: [{ uevent: "change" }],
  });
  await sim("start", "-u", BOTH);
  for (const [parent, type] of await firstTypes(root)) {
    if (parent === "mtty") continue;
    await sim("create", "-p", parent, "-t", type);
    await sim("define", "-p", parent, "-t", type);
  }

  const exportDir = `${tempRoot()}/export`;
  await sim("sysfs", "export", exportDir);
  return { root, exportDir };
}

let scenario: Promise<Scenario> | undefined;
const outputs = new Map<string, { real: string; sim: string }>();

/** The real mdevctl's stdout and mdevsim's for the same arguments, checked to succeed. */
async function bothOutputs(args: string[]): Promise<{ real: string; sim: string }> {
  const known = outputs.get(args.join(" "));
  if (known !== undefined) return known;
  scenario ??= buildScenario();
  const { root, exportDir } = await scenario;
  const real = await realMdevctl(exportDir, args);
  assert.equal(real.code, 0, `mdevctl ${args.join(" ")} failed: ${real.stderr}`);
  const sim = assertOk(await mdevsim(root, args), `mdevsim ${args.join(" ")}`);
  const both = { real: real.stdout, sim: sim.stdout };
  outputs.set(args.join(" "), both);
  return both;
}

const COMMANDS = [
  ["types"],
  ["types", "--dumpjson"],
  ["list"],
  ["list", "--dumpjson"],
  ["list", "-d"],
  ["list", "-d", "--dumpjson"],
  ["list", "-v"],
  ["list", "-d", "-v"],
  ["list", "-u", BOTH, "--dumpjson"],
  ["list", "-p", "mtty"],
];

for (const args of COMMANDS) {
  Deno.test({
    name: `mdevsim ${args.join(" ")} prints what the real mdevctl 1.2.0 prints for its export`,
    ignore: skipReason !== undefined,
    async fn() {
      const { real, sim } = await bothOutputs(args);
      assert.equal(sim, real);
    },
  });
}

Deno.test({
  name: "the real mdevctl sees the scenario's active, defined and defined-and-active devices",
  ignore: skipReason !== undefined,
  async fn() {
    // Guards the comparisons above against both sides agreeing on an empty tree.
    const { real: active } = await bothOutputs(["list"]);
    assert.match(active, new RegExp(`^${ACTIVE} mtty mtty-2 manual$`, "m"));
    assert.match(active, new RegExp(`^${BOTH} mtty mtty-1 manual \\(defined\\)$`, "m"));
    assert.doesNotMatch(active, new RegExp(DEFINED));
    const { real: defined } = await bothOutputs(["list", "-d"]);
    assert.match(defined, new RegExp(`^${DEFINED} mtty mtty-1 auto$`, "m"));
    assert.match(defined, new RegExp(`^${BOTH} mtty mtty-1 manual \\(active\\)$`, "m"));
  },
});
