import assert from "node:assert/strict";
import { type CliRun, mdevsim, tempRoot } from "./_cli.ts";

const U1 = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001";
const U2 = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1002";
const U3 = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1003";
const TYPES = "/sys/class/mdev_bus/mtty/mdev_supported_types";
const DEVICES = "/sys/bus/mdev/devices";

async function loadedRoot(): Promise<string> {
  const root = await tempRoot();
  const loaded = await mdevsim(root, "modprobe", "mtty");
  assert.equal(loaded.code, 0, loaded.stderr);
  return root;
}

function assertOk(run: CliRun): CliRun {
  assert.equal(run.code, 0, run.stderr);
  return run;
}

function assertErrno(run: CliRun, errno: string): void {
  assert.equal(run.code, 1, run.stdout);
  assert.match(run.stderr, new RegExp(`\\(${errno}\\)`));
}

/** The names `sysfs ls` prints, one per line. */
async function ls(root: string, path: string): Promise<string[]> {
  const out = assertOk(await mdevsim(root, "sysfs", "ls", path)).stdout;
  return out === "" ? [] : out.trimEnd().split("\n");
}

/** `sysfs write --json`'s byte count. */
async function writeCount(root: string, ...args: string[]): Promise<number> {
  return JSON.parse(assertOk(await mdevsim(root, "--json", "sysfs", "write", ...args)).stdout)
    .count;
}

Deno.test("sysfs write to create accepts echo's 37 bytes and --raw's 36 (spec §7 cases 7, 8)", async () => {
  const root = await loadedRoot();
  assert.equal(await writeCount(root, `${TYPES}/mtty-2/create`, U1), 37);
  assert.equal(await writeCount(root, "--raw", `${TYPES}/mtty-1/create`, U2), 36);
  assert.deepEqual(await ls(root, DEVICES), [U1, U2]);
  const [driver, type, devices, files] = await Promise.all([
    mdevsim(root, "sysfs", "readlink", `${DEVICES}/${U1}/driver`),
    mdevsim(root, "sysfs", "readlink", `${DEVICES}/${U1}/mdev_type`),
    ls(root, `${TYPES}/mtty-2/devices`),
    ls(root, `${DEVICES}/${U1}`),
  ]);
  assert.match(assertOk(driver).stdout, /\/bus\/mdev\/drivers\/mtty\n$/);
  assert.match(assertOk(type).stdout, /\/mtty-2\n$/);
  assert.deepEqual(devices, [U1]);
  assert.ok(files.includes("remove"));
});

Deno.test("sysfs write to create rejects 35 and 38 bytes and malformed UUIDs with EINVAL (cases 9, 10)", async () => {
  const root = await loadedRoot();
  const create = `${TYPES}/mtty-2/create`;
  const runs = await Promise.all([
    mdevsim(root, "sysfs", "write", "--raw", create, U1.slice(0, 35)),
    mdevsim(root, "sysfs", "write", "--raw", create, `${U1}\n\n`),
    mdevsim(root, "sysfs", "write", create, `${U1}\n`),
    mdevsim(root, "sysfs", "write", create, "83b8f4f2_509f-382f-3c1e-e6bfe0fa1001"),
    mdevsim(root, "sysfs", "write", create, "g3b8f4f2-509f-382f-3c1e-e6bfe0fa1001"),
  ]);
  for (const run of runs) assertErrno(run, "EINVAL");
  assert.deepEqual(await ls(root, DEVICES), []);
  const available = await mdevsim(root, "sysfs", "cat", `${TYPES}/mtty-2/available_instances`);
  assert.equal(assertOk(available).stdout, "12\n");
});

Deno.test("create names an upper-case UUID's device in lower case and refuses it again (cases 11, 13)", async () => {
  const root = await loadedRoot();
  assert.equal(await writeCount(root, `${TYPES}/mtty-2/create`, U1.toUpperCase()), 37);
  assert.deepEqual(await ls(root, DEVICES), [U1]);
  assertErrno(await mdevsim(root, "sysfs", "write", `${TYPES}/mtty-1/create`, U1), "EEXIST");
  const viaCli = await mdevsim(
    root,
    "create",
    "-p",
    "mtty",
    "-t",
    "mtty-1",
    "-u",
    U2.toUpperCase(),
  );
  assert.equal(assertOk(viaCli).stdout, `${U2}\n`);
  assert.deepEqual(await ls(root, DEVICES), [U1, U2]);
});

Deno.test("create refuses a UUID in use on any type with EEXIST (case 12)", async () => {
  const root = await loadedRoot();
  assertOk(await mdevsim(root, "create", "-p", "mtty", "-t", "mtty-2", "-u", U1));
  const [again, other] = await Promise.all([
    mdevsim(root, "create", "-p", "mtty", "-t", "mtty-2", "-u", U1),
    mdevsim(root, "create", "-p", "mtty", "-t", "mtty-1", "-u", U1),
  ]);
  assertErrno(again, "EEXIST");
  assert.ok(again.stderr.includes(`${TYPES}/mtty-2/create`), again.stderr);
  assertErrno(other, "EEXIST");
  assert.ok(other.stderr.includes(`${TYPES}/mtty-1/create`), other.stderr);
  assert.equal(assertOk(await mdevsim(root, "list")).stdout, `${U1} mtty mtty-2 manual\n\n`);
});

Deno.test("the remove file ignores 0, removes on 0x1 and rejects other strings with EINVAL", async () => {
  const root = await loadedRoot();
  assertOk(await mdevsim(root, "create", "-p", "mtty", "-t", "mtty-2", "-u", U1));
  const remove = `${DEVICES}/${U1}/remove`;
  // kstrtoul(buf, 0): decimal, 0x hex or octal, one trailing newline; anything else is EINVAL.
  const bad = await Promise.all(
    ["", " 1", "abc", "1 ", "0x", "1x"].map((value) =>
      mdevsim(root, "sysfs", "write", remove, value)
    ).concat(mdevsim(root, "sysfs", "write", "--", remove, "-1")),
  );
  for (const run of bad) assertErrno(run, "EINVAL");
  assert.equal(await writeCount(root, remove, "0"), 2);
  assert.deepEqual(await ls(root, DEVICES), [U1]);
  assert.equal(await writeCount(root, remove, "0x1"), 4);
  assert.deepEqual(await ls(root, DEVICES), []);
  assert.equal(assertOk(await mdevsim(root, "list")).stdout, "\n");
});

Deno.test("list and types print nothing as mdevctl does: a lone newline or []", async () => {
  const root = await tempRoot();
  const [list, listJson, types, typesJson, byParent] = await Promise.all([
    mdevsim(root, "list"),
    mdevsim(root, "list", "--dumpjson"),
    mdevsim(root, "types"),
    mdevsim(root, "types", "--dumpjson"),
    mdevsim(root, "list", "-p", "nope"),
  ]);
  assert.equal(assertOk(list).stdout, "\n");
  assert.equal(assertOk(listJson).stdout, "[]\n");
  assert.equal(assertOk(types).stdout, "\n");
  assert.equal(assertOk(typesJson).stdout, "[]\n");
  assert.equal(assertOk(byParent).stdout, "\n");
});

Deno.test("list, list -u and their --dumpjson match mdevctl 1.2.0 byte for byte", async () => {
  const root = await loadedRoot();
  // Created out of order: mdevctl sorts devices by UUID within a parent.
  assertOk(await mdevsim(root, "create", "-p", "mtty", "-t", "mtty-2", "-u", U2));
  assertOk(await mdevsim(root, "create", "-p", "mtty", "-t", "mtty-1", "-u", U1));
  const [list, dump, one, oneDump, none] = await Promise.all([
    mdevsim(root, "list"),
    mdevsim(root, "list", "--dumpjson"),
    mdevsim(root, "list", "-u", U1),
    mdevsim(root, "list", "-u", U1, "--dumpjson"),
    mdevsim(root, "list", "-u", U3, "--dumpjson"),
  ]);
  assert.equal(assertOk(list).stdout, `${U1} mtty mtty-1 manual\n${U2} mtty mtty-2 manual\n\n`);
  assert.equal(
    assertOk(dump).stdout,
    [
      "[",
      "  {",
      '    "mtty": [',
      "      {",
      `        "${U1}": {`,
      '          "mdev_type": "mtty-1",',
      '          "start": "manual",',
      '          "attrs": []',
      "        }",
      "      },",
      "      {",
      `        "${U2}": {`,
      '          "mdev_type": "mtty-2",',
      '          "start": "manual",',
      '          "attrs": []',
      "        }",
      "      }",
      "    ]",
      "  }",
      "]",
      "",
    ].join("\n"),
  );
  assert.equal(assertOk(one).stdout, `${U1} mtty mtty-1 manual\n\n`);
  assert.equal(
    assertOk(oneDump).stdout,
    '{\n  "mdev_type": "mtty-1",\n  "start": "manual",\n  "attrs": []\n}\n',
  );
  assert.equal(assertOk(none).stdout, "[]\n");
});

Deno.test("types and types --dumpjson match mdevctl 1.2.0 and count the ports in use", async () => {
  const root = await loadedRoot();
  assertOk(await mdevsim(root, "create", "-p", "mtty", "-t", "mtty-2", "-u", U2));
  assertOk(await mdevsim(root, "create", "-p", "mtty", "-t", "mtty-1", "-u", U1));
  const [types, dump] = await Promise.all([
    mdevsim(root, "types"),
    mdevsim(root, "types", "-p", "mtty", "--dumpjson"),
  ]);
  assert.equal(
    assertOk(types).stdout,
    "mtty\n" +
      "  mtty-1\n    Available instances: 21\n    Device API: vfio-pci\n" +
      "    Name: Single port serial\n" +
      "  mtty-2\n    Available instances: 10\n    Device API: vfio-pci\n" +
      "    Name: Dual port serial\n\n",
  );
  assert.deepEqual(JSON.parse(assertOk(dump).stdout), [{
    mtty: [
      {
        "mtty-1": { available_instances: 21, device_api: "vfio-pci", name: "Single port serial" },
      },
      { "mtty-2": { available_instances: 10, device_api: "vfio-pci", name: "Dual port serial" } },
    ],
  }]);
  assert.ok(dump.stdout.startsWith('[\n  {\n    "mtty": [\n'), "serde_json's 2-space pretty print");
});

Deno.test("rmmod mtty removes its devices and parent and lsmod no longer lists it", async () => {
  const root = await loadedRoot();
  assertOk(await mdevsim(root, "create", "-p", "mtty", "-t", "mtty-2", "-u", U1));
  assertOk(await mdevsim(root, "create", "-p", "mtty", "-t", "mtty-1", "-u", U2));
  assertOk(await mdevsim(root, "rmmod", "mtty"));
  const [list, lsmod] = await Promise.all([mdevsim(root, "list"), mdevsim(root, "lsmod")]);
  assert.equal(assertOk(list).stdout, "\n");
  assert.doesNotMatch(assertOk(lsmod).stdout, /^mtty /m);
  assert.deepEqual(await ls(root, "/sys/class/mdev_bus"), []);
  assert.deepEqual(await ls(root, DEVICES), []);
  // The type's create file left with the parent (driver-core-mdev-vfio.md §4.2).
  assertErrno(await mdevsim(root, "sysfs", "write", `${TYPES}/mtty-1/create`, U3), "ENOENT");
});

Deno.test("modprobe of a loaded module exits 0 and lsmod lists it once", async () => {
  const root = await loadedRoot();
  assertOk(await mdevsim(root, "modprobe", "mtty"));
  const lsmod = assertOk(await mdevsim(root, "lsmod")).stdout;
  assert.equal(lsmod.match(/^mtty /gm)?.length, 1);
});

Deno.test("rmmod mtty with an open VFIO handle fails with EAGAIN and changes nothing", async () => {
  const root = await loadedRoot();
  assertOk(await mdevsim(root, "create", "-p", "mtty", "-t", "mtty-2", "-u", U1));
  assertOk(await mdevsim(root, "vfio", "open", U1));
  const rmmod = await mdevsim(root, "rmmod", "mtty");
  assertErrno(rmmod, "EAGAIN");
  assert.match(rmmod.stderr, /in use/);
  const [list, lsmod] = await Promise.all([mdevsim(root, "list"), mdevsim(root, "lsmod")]);
  assert.equal(assertOk(list).stdout, `${U1} mtty mtty-2 manual\n\n`);
  assert.match(assertOk(lsmod).stdout, /^mtty +1 +live$/m);
});

Deno.test("rmmod -f with an open VFIO handle is pending until vfio close completes it", async () => {
  const root = await loadedRoot();
  assertOk(await mdevsim(root, "create", "-p", "mtty", "-t", "mtty-2", "-u", U1));
  const handle = assertOk(await mdevsim(root, "vfio", "open", U1)).stdout.trim();
  const rmmod = assertOk(await mdevsim(root, "rmmod", "-f", "mtty"));
  assert.match(rmmod.stderr, /pending/);
  assert.match(assertOk(await mdevsim(root, "lsmod")).stdout, /^mtty /m);
  assertOk(await mdevsim(root, "vfio", "close", handle));
  const [list, lsmod] = await Promise.all([mdevsim(root, "list"), mdevsim(root, "lsmod")]);
  assert.equal(assertOk(list).stdout, "\n");
  assert.doesNotMatch(assertOk(lsmod).stdout, /^mtty /m);
  assert.deepEqual(await ls(root, "/sys/class/mdev_bus"), []);
});
