import assert from "node:assert/strict";
import fc from "fast-check";
import type { World } from "../../lib/core/world.ts";
import { formatConfig, writeConfig } from "../../lib/mdevctl/config.ts";
import { ExportError, exportSysfs } from "../../lib/sysfs/export.ts";
import { readAttr, renderTree, writeAttrText } from "../../lib/sysfs/mod.ts";
import { mttyWorld, tempRoot } from "../mdevctl/_fixture.ts";

const U1 = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001";
const U2 = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1002";
const TYPES = "/sys/class/mdev_bus/mtty/mdev_supported_types";
const PARENT = "sys/devices/virtual/mtty/mtty";

function create(world: World, type: "mtty-1" | "mtty-2", uuid: string): void {
  writeAttrText(world, `${TYPES}/${type}/create`, uuid);
}

/** mtty loaded and one mtty-2 device U1. */
function worldWithDevice(): World {
  const world = mttyWorld();
  create(world, "mtty-2", U1);
  return world;
}

function mode(path: string): number {
  return Deno.lstatSync(path).mode! & 0o7777;
}

/** The lines `mdevsim sysfs tree` prints, rebuilt from the exported files. */
function treeOfExport(dir: string, path: string, depth = 1): string[] {
  const names = [...Deno.readDirSync(`${dir}${path}`)].map((e) => e.name).sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0
  );
  return names.flatMap((name) => {
    const child = `${path}/${name}`;
    const info = Deno.lstatSync(`${dir}${child}`);
    const indent = "  ".repeat(depth);
    if (info.isSymlink) return [`${indent}${name} -> ${Deno.readLinkSync(`${dir}${child}`)}`];
    if (info.isDirectory) return [`${indent}${name}`, ...treeOfExport(dir, child, depth + 1)];
    return [`${indent}${name}`];
  });
}

Deno.test("exportSysfs() writes every directory, file and link of /sys as sysfs tree shows it", () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.uuid({ version: 4 }), { maxLength: 4 }),
      fc.array(fc.constantFrom("mtty-1" as const, "mtty-2" as const), {
        minLength: 4,
        maxLength: 4,
      }),
      (uuids, types) => {
        const world = mttyWorld();
        uuids.forEach((uuid, i) => create(world, types[i]!, uuid));
        const dir = `${tempRoot()}/export`;
        exportSysfs(world, dir);
        assert.deepEqual(["/sys", ...treeOfExport(dir, "/sys")], renderTree(world, "/sys"));
      },
    ),
    { numRuns: 8 },
  );
});

Deno.test("exportSysfs() gives files the attribute's value and the kernel's mode, write-only ones empty", () => {
  const world = worldWithDevice();
  const dir = `${tempRoot()}/export`;
  exportSysfs(world, dir);
  const type = `${dir}/${PARENT}/mdev_supported_types/mtty-2`;
  assert.equal(Deno.readTextFileSync(`${type}/available_instances`), "11\n");
  assert.equal(Deno.readTextFileSync(`${type}/name`), "Dual port serial\n");
  assert.equal(mode(`${type}/available_instances`), 0o444);
  assert.equal(Deno.readTextFileSync(`${type}/create`), "");
  assert.equal(mode(`${type}/create`), 0o200);
  const device = `${dir}/${PARENT}/${U1}`;
  assert.equal(Deno.readTextFileSync(`${device}/remove`), "");
  assert.equal(mode(`${device}/remove`), 0o200);
  assert.equal(
    Deno.readTextFileSync(`${device}/vendor/sample_mdev_dev`),
    readAttr(world, `/sys/bus/mdev/devices/${U1}/vendor/sample_mdev_dev`),
  );
  assert.equal(mode(`${device}/uevent`), 0o644);
  assert.equal(mode(`${dir}/${PARENT}`), 0o755);
});

Deno.test("exportSysfs() lays links out so realpath finds an mdev's parent and type as mdevctl does", () => {
  const dir = `${tempRoot()}/export`;
  exportSysfs(worldWithDevice(), dir);
  const device = Deno.realPathSync(`${dir}/sys/bus/mdev/devices/${U1}`);
  assert.equal(device, Deno.realPathSync(`${dir}/${PARENT}/${U1}`));
  assert.equal(
    Deno.readLinkSync(`${dir}/sys/class/mdev_bus/mtty`),
    "../../devices/virtual/mtty/mtty",
  );
  assert.equal(
    Deno.realPathSync(`${device}/mdev_type`),
    Deno.realPathSync(`${dir}/${PARENT}/mdev_supported_types/mtty-2`),
  );
  assert.ok(
    Deno.realPathSync(`${device}/iommu_group`).startsWith(`${dir}/sys/kernel/iommu_groups/`),
  );
});

Deno.test("exportSysfs() writes /dev/vfio nodes as empty files with the nodes' modes", () => {
  const dir = `${tempRoot()}/export`;
  exportSysfs(worldWithDevice(), dir);
  const group = Deno.readLinkSync(`${dir}/${PARENT}/${U1}/iommu_group`).split("/").at(-1)!;
  assert.equal(Deno.readTextFileSync(`${dir}/dev/vfio/${group}`), "");
  assert.equal(mode(`${dir}/dev/vfio/${group}`), 0o600);
  assert.equal(mode(`${dir}/dev/vfio/vfio`), 0o666);
});

Deno.test("exportSysfs() copies the state root's mdevctl configs next to the call-out directories", () => {
  const stateRoot = tempRoot();
  const config = { mdevType: "mtty-1", start: "auto", attrs: [["foo", "bar"]] } as const;
  writeConfig(stateRoot, "mtty", U2, config);
  const dir = `${tempRoot()}/export`;
  exportSysfs(worldWithDevice(), dir, { stateRoot });
  assert.equal(Deno.readTextFileSync(`${dir}/etc/mdevctl.d/mtty/${U2}`), formatConfig(config));
  for (const scripts of ["callouts", "notifiers"]) {
    assert.ok(Deno.statSync(`${dir}/etc/mdevctl.d/scripts.d/${scripts}`).isDirectory);
  }
});

Deno.test("exportSysfs() without a state root still creates the directories mdevctl requires", () => {
  const dir = `${tempRoot()}/export`;
  exportSysfs(mttyWorld(), dir);
  assert.deepEqual(
    [...Deno.readDirSync(`${dir}/etc/mdevctl.d`)].map((e) => e.name),
    ["scripts.d"],
  );
  assert.ok(Deno.statSync(`${dir}/etc/mdevctl.d/scripts.d/notifiers`).isDirectory);
});

Deno.test("exportSysfs() into a previous export replaces it whole and leaves no staging directory", () => {
  const parent = tempRoot();
  const dir = `${parent}/export`;
  const world = worldWithDevice();
  exportSysfs(world, dir);
  Deno.writeTextFileSync(`${dir}/sys/stale`, "x");
  writeAttrText(world, `/sys/bus/mdev/devices/${U1}/remove`, "1");
  create(world, "mtty-1", U2);
  exportSysfs(world, dir);
  assert.throws(() => Deno.lstatSync(`${dir}/sys/stale`), Deno.errors.NotFound);
  assert.deepEqual([...Deno.readDirSync(`${dir}/sys/bus/mdev/devices`)].map((e) => e.name), [U2]);
  assert.deepEqual([...Deno.readDirSync(parent)].map((e) => e.name), ["export"]);
});

Deno.test("exportSysfs() accepts an existing empty directory", () => {
  const dir = tempRoot();
  exportSysfs(mttyWorld(), dir);
  assert.ok(Deno.statSync(`${dir}/sys/class/mdev_bus/mtty`).isDirectory);
});

Deno.test("exportSysfs() refuses a directory that holds anything but a previous export, and keeps it", () => {
  const dir = tempRoot();
  Deno.writeTextFileSync(`${dir}/notes.txt`, "mine");
  assert.throws(() => exportSysfs(mttyWorld(), dir), ExportError);
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["notes.txt"]);
  const file = `${tempRoot()}/file`;
  Deno.writeTextFileSync(file, "mine");
  assert.throws(() => exportSysfs(mttyWorld(), file), /not a directory/);
  assert.equal(Deno.readTextFileSync(file), "mine");
});
