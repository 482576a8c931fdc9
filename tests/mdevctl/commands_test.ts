import assert from "node:assert/strict";
import fc from "fast-check";
import type { World } from "../../lib/core/world.ts";
import { mdevCore } from "../../lib/mdev/core.ts";
import {
  define,
  modify,
  start,
  startParentMdevs,
  stop,
  udevStartParentMdevs,
  undefine,
} from "../../lib/mdevctl/commands.ts";
import { list, listRows } from "../../lib/mdevctl/list.ts";
import {
  configPath,
  type MdevConfig,
  parseConfig,
  readConfig,
  writeConfig,
} from "../../lib/mdevctl/config.ts";
import { MdevctlError } from "../../lib/mdevctl/error.ts";
import { readAttr, readLink } from "../../lib/sysfs/io.ts";
import type { VfioDevice } from "../../lib/vfio/device.ts";
import { vfioOpen } from "../../lib/vfio/core.ts";
import { mttyWorld, tempRoot } from "./_fixture.ts";

const U1 = "11111111-2222-3333-4444-555555555555";
const U2 = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001";
const U3 = "6baca7fc-2396-4bd1-8fc6-11ae363a2e5b";
const TYPES = "/sys/class/mdev_bus/mtty/mdev_supported_types";
const UUID_LINE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}\n$/;

/** A world with mtty loaded and an empty state root. */
function setup(): { world: World; root: string } {
  return { world: mttyWorld(), root: tempRoot() };
}

/** The MdevctlError `fn` throws. */
function failure(fn: () => unknown): MdevctlError {
  try {
    fn();
  } catch (error) {
    if (error instanceof MdevctlError) return error;
    throw error;
  }
  assert.fail("expected an MdevctlError");
}

/** Asserts mdevctl's runtime error (exit 1) and its exact stderr text. */
function assertFails(fn: () => unknown, stderr: string): void {
  const error = failure(fn);
  assert.equal(error.exitCode, 1);
  assert.equal(error.render(), stderr);
}

/** Asserts clap's usage error (exit 2) with its first line. */
function assertUsage(fn: () => unknown, message: string): void {
  const error = failure(fn);
  assert.equal(error.exitCode, 2);
  assert.equal(error.message, message);
  assert.equal(error.render(), `error: ${message}\n\nFor more information try --help`);
}

function isActive(world: World, uuid: string): boolean {
  return mdevCore(world).list.get(uuid)?.active ?? false;
}

function config(type: string, start: "auto" | "manual", attrs: MdevConfig["attrs"] = []) {
  return { mdevType: type, start, attrs };
}

// ---- define / undefine ----------------------------------------------------------------------

Deno.test("define() writes the config and prints the UUID only when it generated one", () => {
  const { world, root } = setup();
  assert.equal(define(world, root, { uuid: U1, parent: "mtty", type: "mtty-1", auto: true }), "");
  assert.deepEqual(readConfig(root, "mtty", U1), config("mtty-1", "auto"));
  const printed = define(world, root, { parent: "mtty", type: "mtty-2" });
  assert.match(printed, UUID_LINE);
  assert.deepEqual(readConfig(root, "mtty", printed.trim()), config("mtty-2", "manual"));
  assert.equal(isActive(world, U1), false, "define leaves the running world alone");
});

Deno.test("define() with only the UUID of an active device takes parent and type from sysfs", () => {
  const { world, root } = setup();
  start(world, root, { uuid: U2, parent: "mtty", type: "mtty-2" });
  define(world, root, { uuid: U2 });
  assert.deepEqual(readConfig(root, "mtty", U2), config("mtty-2", "manual"));
  // A parent given overrides sysfs's; the type still comes from sysfs (mdevctl 1.2.0).
  define(world, root, { uuid: U2, parent: "other" });
  assert.deepEqual(readConfig(root, "other", U2), config("mtty-2", "manual"));
});

Deno.test("define() fails with mdevctl's messages", () => {
  const { world, root } = setup();
  start(world, root, { uuid: U2, parent: "mtty", type: "mtty-2" });
  assertFails(() => define(world, root, { uuid: U1 }), "Error: No parent specified");
  assertFails(
    () => define(world, root, { uuid: U2, type: "mtty-1" }),
    "Error: No parent specified",
  );
  assertFails(() => define(world, root, { parent: "mtty" }), "Error: No type specified");
  define(world, root, { uuid: U1, parent: "mtty", type: "mtty-1" });
  assertFails(
    () => define(world, root, { uuid: U1, parent: "mtty", type: "mtty-2" }),
    `Error: Device ${U1} on mtty already defined`,
  );
});

Deno.test("define() with a JSON file copies it and refuses to overwrite an existing config", () => {
  const { world, root } = setup();
  const file = `${tempRoot()}/dev.json`;
  Deno.writeTextFileSync(
    file,
    '{"mdev_type":"mtty-2","start":"auto","attrs":[{"uevent":"change"}],"extra":1}',
  );
  assert.equal(define(world, root, { uuid: U1, parent: "mtty", jsonfile: file }), "");
  assert.deepEqual(readConfig(root, "mtty", U1), config("mtty-2", "auto", [["uevent", "change"]]));
  assertFails(
    () => define(world, root, { uuid: U1, parent: "mtty", jsonfile: file }),
    `Error: Cowardly refusing to overwrite existing config for mtty/${U1}`,
  );
  assertFails(
    () => define(world, root, { uuid: U1, jsonfile: file }),
    `Error: Parent device required to define device via ${JSON.stringify(file)}`,
  );
  assertFails(
    () => define(world, root, { parent: "mtty", jsonfile: `${file}.missing` }),
    `Error: Unable to read file ${
      JSON.stringify(`${file}.missing`)
    }\n\nCaused by:\n    No such file or directory (os error 2)`,
  );
});

Deno.test("define() rejects what clap rejects, with exit code 2", () => {
  const { world, root } = setup();
  assertUsage(
    () => define(world, root, {}),
    "The following required arguments were not provided:\n    --uuid <UUID>\n    --parent <PARENT>",
  );
  assertUsage(
    () => define(world, root, { parent: "mtty", type: "mtty-1", jsonfile: "/x" }),
    "The argument '--type <type>' cannot be used with '--jsonfile <JSONFILE>'",
  );
  assertUsage(
    () => define(world, root, { parent: "mtty", auto: true, jsonfile: "/x" }),
    "The argument '--auto' cannot be used with '--jsonfile <JSONFILE>'",
  );
});

Deno.test("undefine() removes the config under every parent unless a parent narrows it", () => {
  const { world, root } = setup();
  writeConfig(root, "mtty", U1, config("mtty-1", "auto"));
  writeConfig(root, "other", U1, config("mtty-1", "auto"));
  writeConfig(root, "third", U1, config("mtty-1", "auto"));
  undefine(world, root, { uuid: U1, parent: "other" });
  assert.equal(readConfig(root, "other", U1), undefined);
  assert.notEqual(readConfig(root, "mtty", U1), undefined);
  undefine(world, root, { uuid: U1 });
  assert.equal(readConfig(root, "mtty", U1), undefined);
  assert.equal(readConfig(root, "third", U1), undefined);
  assertFails(
    () => undefine(world, root, { uuid: U1 }),
    "Error: No devices match the specified uuid",
  );
});

Deno.test("undefine() leaves a running device running", () => {
  const { world, root } = setup();
  define(world, root, { uuid: U1, parent: "mtty", type: "mtty-1" });
  start(world, root, { uuid: U1 });
  undefine(world, root, { uuid: U1 });
  assert.equal(isActive(world, U1), true);
});

// ---- modify ---------------------------------------------------------------------------------

Deno.test("modify() appends, inserts at an index, deletes at an index and pops the last attribute", () => {
  const { world, root } = setup();
  define(world, root, { uuid: U1, parent: "mtty", type: "mtty-1" });
  const attrs = () => readConfig(root, "mtty", U1)!.attrs;
  modify(world, root, { uuid: U1, addattr: "a", value: "1" });
  modify(world, root, { uuid: U1, addattr: "b", value: "2" });
  assert.deepEqual(attrs(), [["a", "1"], ["b", "2"]]);
  modify(world, root, { uuid: U1, addattr: "c", value: "3", index: 0 });
  modify(world, root, { uuid: U1, addattr: "d", value: "4", index: 3 });
  assert.deepEqual(attrs(), [["c", "3"], ["a", "1"], ["b", "2"], ["d", "4"]]);
  modify(world, root, { uuid: U1, delattr: true, index: 1 });
  assert.deepEqual(attrs(), [["c", "3"], ["b", "2"], ["d", "4"]]);
  modify(world, root, { uuid: U1, delattr: true });
  assert.deepEqual(attrs(), [["c", "3"], ["b", "2"]]);
});

Deno.test("modify() keeps the attribute list a Vec: insert and remove agree with an array model", () => {
  const op = fc.oneof(
    fc.record({ add: fc.constant(true), index: fc.option(fc.nat(6), { nil: undefined }) }),
    fc.record({ add: fc.constant(false), index: fc.option(fc.nat(6), { nil: undefined }) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 12 }), (ops) => {
      const { world, root } = setup();
      define(world, root, { uuid: U1, parent: "mtty", type: "mtty-1" });
      const model: Array<readonly [string, string]> = [];
      ops.forEach(({ add, index }, n) => {
        const valid = index === undefined || (add ? index <= model.length : index < model.length);
        const run = () =>
          modify(
            world,
            root,
            add
              ? { uuid: U1, addattr: `k${n}`, value: `${n}`, index }
              : { uuid: U1, delattr: true, index },
          );
        if (!valid) {
          assertFails(run, `Error: Attribute index ${index} is invalid`);
          return;
        }
        run();
        if (add) model.splice(index ?? model.length, 0, [`k${n}`, `${n}`]);
        else if (index === undefined) model.pop();
        else model.splice(index, 1);
      });
      assert.deepEqual(readConfig(root, "mtty", U1)!.attrs, model);
    }),
    { numRuns: 30 },
  );
});

Deno.test("modify() sets auto or manual and the type, and with nothing to change rewrites the same config", () => {
  const { world, root } = setup();
  define(world, root, { uuid: U1, parent: "mtty", type: "mtty-1" });
  modify(world, root, { uuid: U1, auto: true });
  assert.equal(readConfig(root, "mtty", U1)!.start, "auto");
  modify(world, root, { uuid: U1, manual: true, type: "mtty-2" });
  assert.deepEqual(readConfig(root, "mtty", U1), config("mtty-2", "manual"));
  const path = configPath(root, "mtty", U1);
  const before = Deno.readTextFileSync(path);
  assert.equal(modify(world, root, { uuid: U1 }), "");
  assert.equal(Deno.readTextFileSync(path), before);
});

Deno.test("modify() fails with mdevctl's messages", () => {
  const { world, root } = setup();
  assertFails(
    () => modify(world, root, { uuid: U1 }),
    `Error: Mediated device ${U1} is not defined`,
  );
  assertFails(
    () => modify(world, root, { uuid: U1, parent: "mtty" }),
    `Error: Mediated device mtty/${U1} is not defined`,
  );
  writeConfig(root, "mtty", U1, config("mtty-1", "manual"));
  writeConfig(root, "other", U1, config("mtty-1", "manual"));
  assertFails(
    () => modify(world, root, { uuid: U1, auto: true }),
    `Error: Multiple definitions found for ${U1}, specify a parent`,
  );
  assertFails(
    () => modify(world, root, { uuid: U1, parent: "mtty", addattr: "a", index: 0 }),
    "Error: No attribute value provided",
  );
  assertFails(
    () => modify(world, root, { uuid: U1, parent: "mtty", addattr: "a", value: "1", index: 1 }),
    "Error: Attribute index 1 is invalid",
  );
  assertFails(
    () => modify(world, root, { uuid: U1, parent: "mtty", delattr: true, index: 0 }),
    "Error: Attribute index 0 is invalid",
  );
  assertUsage(
    () => modify(world, root, { uuid: U1, auto: true, manual: true }),
    "The argument '--auto' cannot be used with '--manual'",
  );
  assertUsage(
    () => modify(world, root, { uuid: U1, delattr: true, addattr: "a", value: "1" }),
    "The argument '--delattr' cannot be used with '--addattr <attr_name>'",
  );
});

// ---- start / stop ---------------------------------------------------------------------------

Deno.test("start() of a defined device creates it through sysfs and writes its attributes", () => {
  const { world, root } = setup();
  writeConfig(root, "mtty", U1, config("mtty-2", "manual", [["uevent", "change"]]));
  assert.equal(readAttr(world, `${TYPES}/mtty-2/available_instances`), "12\n");
  assert.equal(start(world, root, { uuid: U1 }), "");
  assert.equal(isActive(world, U1), true);
  assert.equal(readAttr(world, `${TYPES}/mtty-2/available_instances`), "11\n");
  assert.equal(
    readLink(world, `/sys/bus/mdev/devices/${U1}/mdev_type`),
    "../mdev_supported_types/mtty-2",
  );
});

Deno.test("start() of a transient device needs parent and type and prints a generated UUID", () => {
  const { world, root } = setup();
  const printed = start(world, root, { parent: "mtty", type: "mtty-1" });
  assert.match(printed, UUID_LINE);
  assert.equal(isActive(world, printed.trim()), true);
  assert.equal(start(world, root, { uuid: U1, parent: "mtty", type: "mtty-1" }), "");
  assert.equal(isActive(world, U1), true);
  assert.equal(readConfig(root, "mtty", U1), undefined, "a transient start defines nothing");
});

Deno.test("start() with a JSON file starts a transient device with its attributes", () => {
  const { world, root } = setup();
  const file = `${tempRoot()}/dev.json`;
  Deno.writeTextFileSync(file, '{"mdev_type":"mtty-1","start":"auto","attrs":[{"remove":"0"}]}');
  assert.equal(start(world, root, { uuid: U1, parent: "mtty", jsonfile: file }), "");
  assert.equal(isActive(world, U1), true, "writing 0 to remove keeps the device");
  assert.match(start(world, root, { parent: "mtty", jsonfile: file }), UUID_LINE);
  assertFails(
    () => start(world, root, { uuid: U2, jsonfile: file }),
    "Error: Parent device required to start device via json file",
  );
  Deno.writeTextFileSync(file, '{"mdev_type":"mtty-1"}');
  assertFails(() => start(world, root, { parent: "mtty", jsonfile: file }), "Error: invalid json");
  assertFails(
    () => start(world, root, { parent: "mtty", jsonfile: `${file}.missing` }),
    `Error: Unable to read jsonfile ${
      JSON.stringify(`${file}.missing`)
    }\n\nCaused by:\n    No such file or directory (os error 2)`,
  );
});

Deno.test("start() writes attributes in order and stops the device at the first that fails", () => {
  const { world, root } = setup();
  writeConfig(
    root,
    "mtty",
    U1,
    config("mtty-1", "manual", [["uevent", "change"], ["nosuch", "1"]]),
  );
  assertFails(() => start(world, root, { uuid: U1 }), "Error: Invalid attribute 'nosuch'");
  assert.equal(mdevCore(world).list.has(U1), false, "the device was stopped again");
  writeConfig(root, "mtty", U2, config("mtty-1", "manual", [["nosuch", "1"], ["uevent", "bad"]]));
  assertFails(() => start(world, root, { uuid: U2 }), "Error: Invalid attribute 'nosuch'");
  writeConfig(root, "mtty", U3, config("mtty-1", "manual", [["uevent", "bad"], ["nosuch", "1"]]));
  assertFails(
    () => start(world, root, { uuid: U3 }),
    "Error: Failed to write bad to attribute uevent\n\nCaused by:\n    Invalid argument (os error 22)",
  );
  assert.equal(readAttr(world, `${TYPES}/mtty-1/available_instances`), "24\n");
});

Deno.test("start() reports a read-only attribute's write error, not the stop's", () => {
  const { world, root } = setup();
  writeConfig(root, "mtty", U1, config("mtty-1", "manual", [["vendor/sample_mdev_dev", "x"]]));
  assertFails(
    () => start(world, root, { uuid: U1 }),
    "Error: Failed to write x to attribute vendor/sample_mdev_dev\n\nCaused by:\n" +
      "    Permission denied (os error 13)",
  );
  assert.equal(mdevCore(world).list.has(U1), false);
});

Deno.test("start() reports the failed attribute, not the failed stop that mdevctl 1.2.0 shows", () => {
  const { world, root } = setup();
  // Writing 1 to remove takes the device away, so the stop after "nosuch" fails with ENOENT.
  writeConfig(root, "mtty", U1, config("mtty-1", "manual", [["remove", "1"], ["nosuch", "1"]]));
  assertFails(() => start(world, root, { uuid: U1 }), "Error: Invalid attribute 'nosuch'");
  assert.equal(mdevCore(world).list.has(U1), false);
});

Deno.test("start() fails with mdevctl's messages about the device it is asked for", () => {
  const { world, root } = setup();
  assertFails(() => start(world, root, { uuid: U1 }), "Error: Device is insufficiently specified");
  assertFails(
    () => start(world, root, { uuid: U1, type: "mtty-1" }),
    "Error: can't provide type without parent",
  );
  writeConfig(root, "mtty", U1, config("mtty-2", "manual"));
  assertFails(
    () => start(world, root, { uuid: U1, type: "mtty-1" }),
    `Error: Device ${U1} already exists on parent mtty with type mtty-2`,
  );
  writeConfig(root, "other", U1, config("mtty-2", "manual"));
  assertFails(
    () => start(world, root, { uuid: U1 }),
    `Error: Multiple definitions found for device ${U1}. Please specify a parent.`,
  );
  start(world, root, { uuid: U1, parent: "mtty" });
  assertFails(
    () => start(world, root, { uuid: U1, parent: "mtty" }),
    "Error: Device already exists",
  );
  assertFails(
    () => start(world, root, { uuid: U1, parent: "other" }),
    "Error: Device exists under different parent",
  );
  start(world, root, { uuid: U2, parent: "mtty", type: "mtty-2" });
  assertFails(
    () => start(world, root, { uuid: U2, parent: "mtty", type: "mtty-1" }),
    "Error: Device exists with different type",
  );
});

Deno.test("start() fails with mdevctl's messages about the parent and type", () => {
  const { world, root } = setup();
  assertFails(
    () => start(world, root, { parent: "nope", type: "mtty-1" }),
    "Error: Unable to find parent device 'nope'",
  );
  assertFails(
    () => start(world, root, { parent: "MTTY", type: "mtty-1" }),
    "Error: Unable to find parent device 'MTTY'. Did you mean 'mtty'?",
  );
  assertFails(
    () => start(world, root, { parent: "mtty", type: "mtty-9" }),
    "Error: Parent mtty does not support mdev type mtty-9",
  );
  for (let i = 0; i < 12; i++) start(world, root, { parent: "mtty", type: "mtty-2" });
  assertFails(
    () => start(world, root, { parent: "mtty", type: "mtty-2" }),
    "Error: No available instances of mtty-2 on mtty",
  );
});

Deno.test("start() reports a failed create write with the errno underneath (issue #115)", () => {
  const { world, root } = setup();
  world.faults.injectProbe({ bus: "mdev", driver: "mtty", errno: "EINVAL", times: 1 });
  const error = failure(() => start(world, root, { uuid: U1, parent: "mtty", type: "mtty-1" }));
  assert.equal(
    error.render(),
    `Error: Failed to create mdev ${U1}, type mtty-1 on mtty\n\nCaused by:\n` +
      "    Invalid argument (os error 22)",
  );
  assert.equal(error.kernelError?.path, `${TYPES}/mtty-1/create`);
  assert.equal(mdevCore(world).list.has(U1), false);
});

Deno.test("start() rejects what clap rejects, with exit code 2", () => {
  const { world, root } = setup();
  assertUsage(
    () => start(world, root, {}),
    "The following required arguments were not provided:\n    --uuid <UUID>\n    --parent <PARENT>",
  );
  assertUsage(
    () => start(world, root, { parent: "mtty", type: "mtty-1", jsonfile: "/x" }),
    "The argument '--type <type>' cannot be used with '--jsonfile <JSONFILE>'",
  );
});

Deno.test("stop() writes 1 to remove; an inactive UUID fails as in 1.2.0", () => {
  const { world, root } = setup();
  start(world, root, { uuid: U1, parent: "mtty", type: "mtty-1" });
  assert.equal(stop(world, root, { uuid: U1 }), "");
  assert.equal(mdevCore(world).list.has(U1), false);
  assertFails(
    () => stop(world, root, { uuid: U1 }),
    `Error: Error removing device ${U1}\n\nCaused by:\n    No such file or directory (os error 2)`,
  );
});

Deno.test("stop() of a device with an open VFIO file reports the removal as pending", () => {
  const { world, root } = setup();
  start(world, root, { uuid: U1, parent: "mtty", type: "mtty-1" });
  const vdev = mdevCore(world).list.get(U1)!.driverData as VfioDevice;
  vfioOpen(world, vdev.group!, U1, `/dev/vfio/${vdev.group}`);
  const pending: string[] = [];
  stop(world, root, { uuid: U1, pending: (uuid) => pending.push(uuid) });
  assert.deepEqual(pending, [U1]);
});

// ---- start-parent-mdevs ---------------------------------------------------------------------

Deno.test("startParentMdevs() starts the parent's auto devices, warns about failures and goes on", () => {
  const { world, root } = setup();
  writeConfig(root, "mtty", U1, config("mtty-1", "auto", [["nosuch", "1"]]));
  writeConfig(root, "mtty", U2, config("mtty-2", "auto"));
  writeConfig(root, "mtty", U3, config("mtty-2", "manual"));
  writeConfig(root, "other", "22222222-2222-3333-4444-555555555555", config("mtty-2", "auto"));
  const warnings: string[] = [];
  assert.equal(
    startParentMdevs(world, root, { parent: "mtty", warn: (w) => warnings.push(w) }),
    "",
  );
  assert.deepEqual(warnings, ["Invalid attribute 'nosuch'"]);
  assert.deepEqual([...mdevCore(world).list.keys()], [U2]);
  warnings.length = 0;
  startParentMdevs(world, root, { parent: "mtty", warn: (w) => warnings.push(w) });
  assert.deepEqual(warnings, ["Invalid attribute 'nosuch'", "Device already exists"]);
  assert.equal(startParentMdevs(world, root, { parent: "nope" }), "");
});

Deno.test("udevStartParentMdevs() runs start-parent-mdevs per parent and logs failures", () => {
  const { world, root } = setup();
  writeConfig(root, "mtty", U1, config("mtty-1", "auto", [["uevent", "bad"]]));
  writeConfig(root, "mtty", U2, config("mtty-1", "auto"));
  udevStartParentMdevs(world, root, ["mtty"]);
  assert.equal(isActive(world, U2), true);
  assert.deepEqual(world.logLines.filter((l) => l.startsWith("udev:")), [
    "udev: mdevctl start-parent-mdevs mtty: Failed to write bad to attribute uevent",
    "udev: mdevctl start-parent-mdevs mtty: Invalid argument (os error 22)",
  ]);
});

Deno.test("mdevRegisterParent() calls the parent-registered hooks (the udev rule's trigger)", () => {
  const world = mttyWorld();
  world.tasks.run("rmmod mtty", world.modules.unloadSteps("mtty", false));
  const seen: string[] = [];
  mdevCore(world).parentRegisteredHooks.push((parent) => seen.push(parent.dev.name));
  world.modules.load("mtty", {});
  assert.deepEqual(seen, ["mtty"]);
});

// ---- list -----------------------------------------------------------------------------------

/** U1 defined only, U2 defined and active, U3 active only; U2's config carries an attribute. */
function listingWorld(): { world: World; root: string } {
  const { world, root } = setup();
  writeConfig(root, "mtty", U1, config("mtty-1", "auto", [["foo", "bar"]]));
  writeConfig(root, "mtty", U2, config("mtty-2", "auto", [["uevent", "change"]]));
  start(world, root, { uuid: U2 });
  start(world, root, { uuid: U3, parent: "mtty", type: "mtty-2" });
  return { world, root };
}

Deno.test("list() of active devices adds the config's start, attrs and ` (defined)`", () => {
  const { world, root } = listingWorld();
  assert.equal(
    list(world, root),
    `${U3} mtty mtty-2 manual\n${U2} mtty mtty-2 auto (defined)\n\n`,
  );
  assert.equal(
    list(world, root, { verbose: true }),
    `${U3} mtty mtty-2 manual\n${U2} mtty mtty-2 auto (defined)\n  Attrs:\n` +
      `    @{0}: {"uevent":"change"}\n\n`,
  );
});

Deno.test("list() with defined lists configs with ` (active)` and verbose attributes", () => {
  const { world, root } = listingWorld();
  assert.equal(
    list(world, root, { defined: true }),
    `${U1} mtty mtty-1 auto\n${U2} mtty mtty-2 auto (active)\n\n`,
  );
  assert.equal(
    list(world, root, { defined: true, verbose: true, uuid: U1 }),
    `${U1} mtty mtty-1 auto\n  Attrs:\n    @{0}: {"foo":"bar"}\n\n`,
  );
});

Deno.test("list() marks a definition active only when it runs with the same parent and type", () => {
  const { world, root } = listingWorld();
  writeConfig(root, "other", U3, config("mtty-2", "manual"));
  writeConfig(root, "mtty", "22222222-2222-3333-4444-555555555555", config("mtty-1", "manual"));
  start(world, root, { uuid: "22222222-2222-3333-4444-555555555555" });
  writeConfig(root, "mtty", "22222222-2222-3333-4444-555555555555", config("mtty-2", "manual"));
  const lines = list(world, root, { defined: true }).split("\n");
  assert.ok(lines.includes(`${U3} other mtty-2 manual`));
  assert.ok(lines.includes("22222222-2222-3333-4444-555555555555 mtty mtty-2 manual"));
});

Deno.test("list() shows the config's type for an active device defined with another (1.2.0 quirk)", () => {
  const { world, root } = listingWorld();
  writeConfig(root, "mtty", U3, config("mtty-1", "auto"));
  assert.deepEqual(
    listRows(world, root, { uuid: U3 }).map((r) => `${r.type} ${r.start}${r.suffix}`),
    ["mtty-1 auto (defined)"],
  );
});

Deno.test("list() counts an unreadable config as defined and keeps the device's own values", () => {
  const { world, root } = listingWorld();
  Deno.writeTextFileSync(configPath(root, "mtty", U3), "garbage");
  assert.equal(list(world, root, { uuid: U3 }), `${U3} mtty mtty-2 manual (defined)\n\n`);
  const parseError = failure(() => parseConfig("garbage")).message;
  assertFails(() => list(world, root, { defined: true }), `Error: ${parseError}`);
});

Deno.test("list() --dumpjson prints the parent map, or the bare config for one UUID", () => {
  const { world, root } = listingWorld();
  const entry = (uuid: string, type: string, start: string, attrs: object[]) => ({
    [uuid]: { mdev_type: type, start, attrs },
  });
  assert.deepEqual(JSON.parse(list(world, root, { dumpjson: true })), [{
    mtty: [entry(U3, "mtty-2", "manual", []), entry(U2, "mtty-2", "auto", [{ uevent: "change" }])],
  }]);
  assert.deepEqual(JSON.parse(list(world, root, { dumpjson: true, defined: true })), [{
    mtty: [
      entry(U1, "mtty-1", "auto", [{ foo: "bar" }]),
      entry(U2, "mtty-2", "auto", [{ uevent: "change" }]),
    ],
  }]);
  assert.equal(
    list(world, root, { dumpjson: true, defined: true, uuid: U1 }),
    '{\n  "mdev_type": "mtty-1",\n  "start": "auto",\n  "attrs": [\n    {\n      "foo": "bar"\n' +
      "    }\n  ]\n}\n",
  );
  assert.equal(
    list(world, root, { dumpjson: true, uuid: U3 }),
    '{\n  "mdev_type": "mtty-2",\n  "start": "manual",\n  "attrs": []\n}\n',
  );
});

Deno.test("list() --dumpjson -u of a UUID defined under two parents prints the parent map", () => {
  const { world, root } = listingWorld();
  writeConfig(root, "other", U1, config("mtty-1", "manual"));
  assert.deepEqual(
    Object.keys(JSON.parse(list(world, root, { dumpjson: true, defined: true, uuid: U1 }))[0]),
    ["mtty", "other"],
  );
});

Deno.test("list() with no devices prints one newline, or [] with --dumpjson", () => {
  const { world, root } = setup();
  assert.equal(list(world, root), "\n");
  assert.equal(list(world, root, { defined: true }), "\n");
  assert.equal(list(world, root, { dumpjson: true }), "[]\n");
  assert.equal(list(world, root, { dumpjson: true, defined: true, uuid: U1 }), "[]\n");
  const { world: full, root: fullRoot } = listingWorld();
  assert.equal(list(full, fullRoot, { parent: "unknown-parent" }), "\n");
  assert.equal(list(full, fullRoot, { parent: "unknown-parent", defined: true }), "\n");
});
