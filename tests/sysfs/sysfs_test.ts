import assert from "node:assert/strict";
import fc from "fast-check";
import { Bus } from "../../lib/core/bus.ts";
import { Device } from "../../lib/core/device.ts";
import { Driver } from "../../lib/core/driver.ts";
import { deviceAdd, driverRegister } from "../../lib/core/registration.ts";
import type { World } from "../../lib/core/world.ts";
import { KernelError, neg } from "../../lib/errno.ts";
import { mdevCore } from "../../lib/mdev/core.ts";
import { MdevDriver, mdevRegisterDriver } from "../../lib/mdev/driver.ts";
import { mdevRegisterParent } from "../../lib/mdev/parent.ts";
import type { MdevType } from "../../lib/mdev/type.ts";
import { vfioClose, vfioCore, vfioOpen } from "../../lib/vfio/core.ts";
import {
  listDir,
  type Node,
  normalizePath,
  parentPath,
  readAttr,
  readLink,
  relativeTarget,
  renderList,
  renderTree,
  resolve,
  SysfsTree,
  writeAttr,
  writeAttrText,
} from "../../lib/sysfs/mod.ts";
import { FAKE_MODULE, type FakeMttyDriver, makeWorld } from "../_world.ts";

const U1 = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001";
const U2 = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1002";
const U3 = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1003";
const MT = "/sys/class/mdev_bus/mtty/mdev_supported_types";
const FX = "/sys/class/mdev_bus/fx0/mdev_supported_types";
const P = "/sys/devices/virtual/mtty/mtty";
const TYPE_FILES = ["available_instances", "create", "device_api", "devices", "name"];

// ---- fixtures: the generic bus G and the parent FX of spec §7 ----------------------------------

/** A device with a release callback, so the tests see no "broken device" warnings. */
class TestDevice extends Device {
  protected override release(): void {}
}

/** Fixture G: `gbus` matches every driver (configurable), with driver_override. */
class GBus extends Bus {
  readonly name: string = "gbus";
  override readonly hasDriverOverride = true;
  matchResult = 1;

  protected busMatch(): number {
    return this.matchResult;
  }
}

/** A gbus driver whose probe returns `probeResult`. */
class GDriver extends Driver {
  probeResult = 0;

  override probe(): number {
    return this.probeResult;
  }
}

/** Fixture FX's mdev_driver: `vfio-ap`, two instances per parent, a description. */
class FxmDriver extends MdevDriver {
  readonly deviceApi = "vfio-ap";
  override readonly maxInstances = 2;

  override showDescription(_type: MdevType): string {
    return "desc\n";
  }
}

/** Adds gbus with device `fx0` bound to `fxdrv` and registers it as mdev parent FX. */
function addFx(world: World): { bus: GBus; fxdrv: GDriver } {
  const bus = new GBus();
  world.addBus(bus);
  const fxdrv = new GDriver(world, "fxdrv", bus);
  driverRegister(fxdrv);
  const fx0 = new TestDevice(world, { name: "fx0", bus });
  deviceAdd(fx0);
  const fxm = new FxmDriver(world, "fxm", mdevCore(world).bus);
  mdevRegisterDriver(fxm);
  mdevRegisterParent(fx0, fxm, [{ sysfsName: "a", data: null }, { sysfsName: "b", data: null }]);
  return { bus, fxdrv };
}

/** A world with MT, FX, and on gbus an unbound device `g0` and a driver `gdrv`. */
function makeFullWorld() {
  const world = makeWorld();
  const { bus, fxdrv } = addFx(world);
  const gdrv = new GDriver(world, "gdrv", bus);
  driverRegister(gdrv);
  bus.driversAutoprobe = false;
  const g0 = new TestDevice(world, { name: "g0", bus });
  deviceAdd(g0);
  bus.driversAutoprobe = true;
  return { world, bus, fxdrv, gdrv, g0 };
}

function write(world: World, path: string, text: string) {
  return writeAttrText(world, path, text);
}

function assertErrno(errno: string, path?: string): (error: unknown) => true {
  return (error) => {
    assert.ok(error instanceof KernelError, `expected a KernelError, got ${String(error)}`);
    assert.equal(error.errno, errno);
    if (path !== undefined) assert.equal(error.path, path);
    return true;
  };
}

function exists(world: World, path: string): boolean {
  try {
    resolve(world, path);
    return true;
  } catch (error) {
    if (error instanceof KernelError && error.errno === "ENOENT") return false;
    throw error;
  }
}

function names(world: World, path: string): string[] {
  return listDir(world, path).map((entry) => entry.name);
}

/** Calls `visit` for every node of the physical tree (links are not followed). */
function walkTree(world: World, visit: (path: string, node: Node) => void): void {
  const tree = new SysfsTree(world);
  const descend = (path: string, node: Node) => {
    visit(path, node);
    if (node.kind !== "dir") return;
    for (const [name, child] of node.entries()) {
      descend(path === "/" ? `/${name}` : `${path}/${name}`, child);
    }
  };
  descend("/", tree.root());
}

// ---- spec §7 cases 1-15 ------------------------------------------------------------------------

Deno.test("SysfsTree shows MT's parent link and types mtty-1, mtty-2 without description (§7.1)", () => {
  const world = makeWorld();
  assert.equal(readLink(world, "/sys/class/mdev_bus/mtty"), "../../devices/virtual/mtty/mtty");
  assert.deepEqual(names(world, MT), ["mtty-1", "mtty-2"]);
  assert.deepEqual(names(world, `${MT}/mtty-1`), TYPE_FILES);
  assert.deepEqual(names(world, `${MT}/mtty-2`), TYPE_FILES);
});

Deno.test("SysfsTree names FX's types after the parent's driver and shows description (§7.2)", () => {
  const world = makeWorld();
  addFx(world);
  assert.deepEqual(names(world, FX), ["fxdrv-a", "fxdrv-b"]);
  for (const type of ["fxdrv-a", "fxdrv-b"]) {
    assert.deepEqual(names(world, `${FX}/${type}`), [...TYPE_FILES, "description"].sort());
    assert.equal(readAttr(world, `${FX}/${type}/description`), "desc\n");
  }
});

Deno.test("readAttr() gives a type's pretty name, else its sysfs name (§7.3)", () => {
  const world = makeWorld();
  addFx(world);
  assert.equal(readAttr(world, `${MT}/mtty-2/name`), "Dual port serial\n");
  assert.equal(readAttr(world, `${FX}/fxdrv-a/name`), "a\n");
});

Deno.test("readAttr() gives the driver's device_api (§7.4)", () => {
  const world = makeWorld();
  assert.equal(readAttr(world, `${MT}/mtty-1/device_api`), "vfio-pci\n");
});

Deno.test("readAttr() gives available_instances from the driver's hook (§7.5)", () => {
  const world = makeWorld();
  assert.equal(readAttr(world, `${MT}/mtty-1/available_instances`), "24\n");
  assert.equal(readAttr(world, `${MT}/mtty-2/available_instances`), "12\n");
});

Deno.test("readAttr() shows one per-parent counter for all types without the hook (§7.6)", () => {
  const world = makeWorld();
  addFx(world);
  assert.equal(readAttr(world, `${FX}/fxdrv-a/available_instances`), "2\n");
  assert.equal(readAttr(world, `${FX}/fxdrv-b/available_instances`), "2\n");
  write(world, `${FX}/fxdrv-a/create`, U1);
  assert.equal(readAttr(world, `${FX}/fxdrv-a/available_instances`), "1\n");
  assert.equal(readAttr(world, `${FX}/fxdrv-b/available_instances`), "1\n");
});

Deno.test("writeAttr() to create makes the device, its links and its remove file (§7.7)", () => {
  const world = makeWorld();
  assert.deepEqual(write(world, `${MT}/mtty-2/create`, `${U1}\n`), { count: 37, pending: false });
  assert.equal(
    readLink(world, `/sys/bus/mdev/devices/${U1}`),
    `../../../devices/virtual/mtty/mtty/${U1}`,
  );
  assert.equal(
    readLink(world, `/sys/bus/mdev/devices/${U1}/driver`),
    "../../../../../bus/mdev/drivers/mtty",
  );
  assert.equal(
    readLink(world, `/sys/bus/mdev/devices/${U1}/mdev_type`),
    "../mdev_supported_types/mtty-2",
  );
  assert.equal(readLink(world, `${MT}/mtty-2/devices/${U1}`), `../../../${U1}`);
  assert.ok(names(world, `/sys/bus/mdev/devices/${U1}`).includes("remove"));
  assert.equal(readAttr(world, `${P}/${U1}/vendor/sample_mdev_dev`), `This is MDEV ${U1}\n`);
});

Deno.test("writeAttr() to create accepts the UUID without newline (§7.8)", () => {
  const world = makeWorld();
  assert.deepEqual(write(world, `${MT}/mtty-2/create`, U1), { count: 36, pending: false });
  assert.ok(exists(world, `${P}/${U1}`));
});

Deno.test("writeAttr() to create rejects 35 and 38 bytes with EINVAL, creating nothing (§7.9)", () => {
  const world = makeWorld();
  const path = `${MT}/mtty-2/create`;
  assert.throws(() => write(world, path, U1.slice(0, 35)), assertErrno("EINVAL", path));
  assert.throws(() => write(world, path, `${U1}\n\n`), assertErrno("EINVAL", path));
  assert.deepEqual(names(world, "/sys/bus/mdev/devices"), []);
  assert.deepEqual(names(world, `${MT}/mtty-2/devices`), []);
});

Deno.test("writeAttr() to create rejects a misplaced dash or a non-hex digit (§7.10)", () => {
  const world = makeWorld();
  const path = `${MT}/mtty-2/create`;
  assert.throws(
    () => write(world, path, "83b8f4f2_509f-382f-3c1e-e6bfe0fa1001"),
    assertErrno("EINVAL"),
  );
  assert.throws(
    () => write(world, path, "g3b8f4f2-509f-382f-3c1e-e6bfe0fa1001"),
    assertErrno("EINVAL"),
  );
  assert.deepEqual(names(world, "/sys/bus/mdev/devices"), []);
});

Deno.test("writeAttr() to create names the device in lower case (§7.11, §7.13)", () => {
  const world = makeWorld();
  assert.equal(write(world, `${MT}/mtty-2/create`, `${U1.toUpperCase()}\n`).count, 37);
  assert.deepEqual(names(world, "/sys/bus/mdev/devices"), [U1]);
  assert.throws(() => write(world, `${MT}/mtty-1/create`, U1), assertErrno("EEXIST"));
});

Deno.test("writeAttr() to create gives EEXIST for a UUID in use on any type or parent (§7.12)", () => {
  const world = makeWorld();
  addFx(world);
  write(world, `${MT}/mtty-2/create`, `${U1}\n`);
  for (const path of [`${MT}/mtty-2/create`, `${MT}/mtty-1/create`, `${FX}/fxdrv-a/create`]) {
    assert.throws(() => write(world, path, `${U1}\n`), assertErrno("EEXIST", path));
  }
});

Deno.test("writeAttr() to create gives EUSERS once the parent's counter is spent (§7.14)", () => {
  const world = makeWorld();
  addFx(world);
  write(world, `${FX}/fxdrv-a/create`, U1);
  write(world, `${FX}/fxdrv-a/create`, U2);
  assert.throws(() => write(world, `${FX}/fxdrv-b/create`, U3), assertErrno("EUSERS"));
  assert.equal(exists(world, `/sys/bus/mdev/devices/${U3}`), false);
});

Deno.test("writeAttr() to remove returns the instance to the parent's counter (§7.15)", () => {
  const world = makeWorld();
  addFx(world);
  write(world, `${FX}/fxdrv-a/create`, U1);
  write(world, `${FX}/fxdrv-a/create`, U2);
  assert.deepEqual(write(world, `/sys/bus/mdev/devices/${U1}/remove`, "1\n"), {
    count: 2,
    pending: false,
  });
  assert.equal(exists(world, `/sys/devices/fx0/${U1}`), false);
  assert.equal(readAttr(world, `${FX}/fxdrv-b/available_instances`), "1\n");
  assert.equal(write(world, `${FX}/fxdrv-b/create`, U3).count, 36);
});

// ---- remove ------------------------------------------------------------------------------------

Deno.test("writeAttr() to remove does nothing for 0 and rejects what kstrtoul rejects", () => {
  const world = makeWorld();
  write(world, `${MT}/mtty-1/create`, U1);
  const path = `${P}/${U1}/remove`;
  assert.equal(write(world, path, "0\n").count, 2);
  for (const bad of ["abc", "-1", "1 ", " 1"]) {
    assert.throws(() => write(world, path, bad), assertErrno("EINVAL", path));
  }
  assert.ok(exists(world, path));
  // kstrtoul reads a C string: what follows a NUL byte is never parsed.
  assert.equal(writeAttr(world, path, new Uint8Array([0x31, 0, 0x78])).count, 3);
  assert.equal(exists(world, `${P}/${U1}`), false);
});

Deno.test("writeAttr() to remove reports a teardown pending on an open VFIO file", () => {
  const world = makeWorld();
  write(world, `${MT}/mtty-2/create`, U1);
  const group = Number(readLink(world, `${P}/${U1}/iommu_group`).split("/").at(-1));
  assert.equal(
    readLink(world, `/sys/kernel/iommu_groups/${group}/devices/${U1}`),
    `../../../../devices/virtual/mtty/mtty/${U1}`,
  );
  const handle = vfioOpen(world, group, U1, `/dev/vfio/${group}`);
  assert.equal(readAttr(world, `/sys/module/${FAKE_MODULE}/refcnt`), "1\n");

  assert.deepEqual(write(world, `${P}/${U1}/remove`, "1"), { count: 1, pending: true });
  assert.deepEqual(names(world, `${P}/${U1}`), ["iommu_group", "power", "uevent"]);
  assert.equal(exists(world, `/sys/bus/mdev/devices/${U1}`), false);
  assert.equal(exists(world, `/sys/class/vfio-dev/vfio0`), false);
  assert.equal(exists(world, `/dev/vfio/${group}`), true);

  vfioClose(world, handle.id);
  assert.equal(exists(world, `${P}/${U1}`), false);
  assert.equal(exists(world, `/dev/vfio/${group}`), false);
  assert.deepEqual(names(world, "/sys/kernel/iommu_groups"), []);
  assert.equal(readAttr(world, `${MT}/mtty-1/available_instances`), "24\n");
});

// ---- layout ------------------------------------------------------------------------------------

Deno.test("SysfsTree nests vfio-dev/vfioN inside the mdev and links it from its class", () => {
  const world = makeWorld();
  write(world, `${MT}/mtty-1/create`, U1);
  assert.deepEqual(names(world, "/sys/class/vfio-dev"), ["vfio0"]);
  assert.equal(
    readLink(world, "/sys/class/vfio-dev/vfio0"),
    `../../devices/virtual/mtty/mtty/${U1}/vfio-dev/vfio0`,
  );
  assert.equal(readLink(world, `${P}/${U1}/vfio-dev/vfio0/device`), "../..");
  assert.equal(
    readLink(world, `${P}/${U1}/vfio-dev/vfio0/subsystem`),
    "../../../../../../../class/vfio-dev",
  );
  assert.deepEqual(names(world, "/dev/vfio"), ["0", "vfio"]);
  assert.equal(readAttr(world, "/sys/kernel/iommu_groups/0/name"), "vfio-noiommu\n");
  assert.equal(readLink(world, "/sys/class/vfio/0"), "../../devices/virtual/vfio/0");
});

Deno.test("SysfsTree puts platform devices under /sys/devices/platform with driver_override", () => {
  const world = makeWorld();
  class PlatformBus extends GBus {
    override readonly name = "platform";
  }
  const bus = new PlatformBus();
  world.addBus(bus);
  deviceAdd(new TestDevice(world, { name: "pdev0", bus }));
  assert.deepEqual(names(world, "/sys/devices/platform"), ["pdev0"]);
  assert.equal(
    readLink(world, "/sys/bus/platform/devices/pdev0"),
    "../../../devices/platform/pdev0",
  );
  assert.equal(readAttr(world, "/sys/devices/platform/pdev0/uevent"), "MODALIAS=platform:pdev0\n");
  assert.equal(readAttr(world, "/sys/devices/platform/pdev0/driver_override"), "(null)\n");
});

Deno.test("readAttr() of uevent prints DRIVER and MDEV_TYPE of a bound mdev", () => {
  const world = makeWorld();
  write(world, `${MT}/mtty-2/create`, U1);
  assert.equal(readAttr(world, `${P}/${U1}/uevent`), "DRIVER=mtty\nMDEV_TYPE=2\n");
  assert.equal(readAttr(world, `${P}/uevent`), "");
});

Deno.test("SysfsTree shows a loaded module with its drivers, refcnt and initstate", () => {
  const world = makeWorld();
  const module = `/sys/module/${FAKE_MODULE}`;
  assert.equal(readAttr(world, `${module}/refcnt`), "0\n");
  assert.equal(readAttr(world, `${module}/initstate`), "live\n");
  assert.equal(readLink(world, `${module}/drivers/mdev:mtty`), "../../../bus/mdev/drivers/mtty");
  assert.equal(
    readLink(world, "/sys/bus/mdev/drivers/mtty/module"),
    `../../../../module/${FAKE_MODULE}`,
  );
});

Deno.test("renderTree() indents two spaces per level and shows links without descending", () => {
  const world = makeWorld();
  write(world, `${MT}/mtty-2/create`, U1);
  assert.deepEqual(renderTree(world, "/sys/bus/mdev"), [
    "/sys/bus/mdev",
    "  devices",
    `    ${U1} -> ../../../devices/virtual/mtty/mtty/${U1}`,
    "  drivers",
    "    mtty",
    `      ${U1} -> ../../../../devices/virtual/mtty/mtty/${U1}`,
    "      bind",
    `      module -> ../../../../module/${FAKE_MODULE}`,
    "      uevent",
    "      unbind",
    "  drivers_autoprobe",
    "  drivers_probe",
    "  uevent",
  ]);
});

Deno.test("renderList() sorts names and shows link targets only when long", () => {
  const world = makeWorld();
  write(world, `${MT}/mtty-2/create`, U1);
  const path = `/sys/bus/mdev/devices/${U1}`;
  const short = renderList(world, path);
  assert.deepEqual(short, [...short].sort());
  assert.ok(short.includes("driver"));
  const long = renderList(world, path, { long: true });
  assert.ok(long.includes("driver -> ../../../../../bus/mdev/drivers/mtty"));
  assert.ok(long.includes("subsystem -> ../../../../../bus/mdev"));
  assert.ok(long.includes("remove"));
});

Deno.test("SysfsTree stores every link relative, resolving to its absolute target", () => {
  const { world } = makeFullWorld();
  write(world, `${MT}/mtty-2/create`, U1);
  write(world, `${FX}/fxdrv-a/create`, U2);
  let links = 0;
  walkTree(world, (path, node) => {
    if (node.kind !== "link") return;
    links++;
    const rel = readLink(world, path);
    assert.ok(!rel.startsWith("/"), `${path} -> ${rel}`);
    assert.equal(normalizePath(`${parentPath(path)}/${rel}`), node.target, path);
    resolve(world, path, { follow: true });
  });
  assert.ok(links > 20);
});

Deno.test("relativeTarget() leads from the link's directory to the target", () => {
  const segment = fc.constantFrom("sys", "bus", "mdev", "devices", "a", "b");
  const path = fc.array(segment, { maxLength: 6 }).map((parts) => "/" + parts.join("/"));
  fc.assert(fc.property(path, segment, path, (dir, name, target) => {
    const link = normalizePath(`${dir}/${name}`);
    const rel = relativeTarget(link, target);
    assert.equal(normalizePath(`${parentPath(link)}/${rel}`), normalizePath(target));
  }));
});

Deno.test("resolve() follows links in the middle of a path and applies .. physically", () => {
  const world = makeWorld();
  write(world, `${MT}/mtty-2/create`, U1);
  assert.deepEqual(
    names(world, `/sys/bus/mdev/devices/${U1}/..`),
    names(world, P),
  );
  assert.ok(names(world, `/sys/bus/mdev/devices/${U1}/../`).includes("mdev_supported_types"));
  assert.equal(resolve(world, `/sys/bus/mdev/devices/${U1}`).kind, "link");
  assert.equal(resolve(world, `/sys/bus/mdev/devices/${U1}`, { follow: true }).kind, "dir");
});

// ---- access rules ------------------------------------------------------------------------------

Deno.test("readAttr() gives EACCES for write-only, EISDIR for directories, ENOENT when missing", () => {
  const world = makeWorld();
  assert.throws(
    () => readAttr(world, `${MT}/mtty-1/create`),
    assertErrno("EACCES", `${MT}/mtty-1/create`),
  );
  assert.throws(() => readAttr(world, "/sys/bus/mdev/drivers_probe"), assertErrno("EACCES"));
  assert.throws(() => readAttr(world, MT), assertErrno("EISDIR", MT));
  assert.throws(
    () => readAttr(world, `${MT}/mtty-3/name`),
    assertErrno("ENOENT", `${MT}/mtty-3/name`),
  );
  assert.throws(() => readAttr(world, `${MT}/mtty-1/name/x`), assertErrno("ENOTDIR"));
  assert.throws(() => readAttr(world, `${MT}/mtty-1/name/`), assertErrno("ENOTDIR"));
  assert.throws(() => readAttr(world, "/dev/vfio/vfio"), assertErrno("EINVAL"));
});

Deno.test("writeAttr() gives EACCES for read-only, EISDIR for directories, ENOENT when missing", () => {
  const world = makeWorld();
  assert.throws(
    () => write(world, `${MT}/mtty-1/name`, "x"),
    assertErrno("EACCES", `${MT}/mtty-1/name`),
  );
  assert.throws(() => write(world, `${MT}/mtty-1/available_instances`, "1"), assertErrno("EACCES"));
  assert.throws(() => write(world, `${MT}/mtty-1`, "x"), assertErrno("EISDIR"));
  assert.throws(() => write(world, "/sys/class/mdev_bus/mtty", "x"), assertErrno("EISDIR"));
  assert.throws(
    () => write(world, `/sys/bus/mdev/devices/${U1}/remove`, "1"),
    assertErrno("ENOENT"),
  );
  assert.throws(() => readLink(world, `${MT}/mtty-1/name`), assertErrno("EINVAL"));
});

Deno.test("writeAttr() of zero bytes returns 0 without reaching the store", () => {
  const world = makeWorld();
  assert.deepEqual(writeAttr(world, `${MT}/mtty-1/create`, new Uint8Array()), {
    count: 0,
    pending: false,
  });
  assert.throws(
    () => writeAttr(world, `${MT}/mtty-1/name`, new Uint8Array()),
    assertErrno("EACCES"),
  );
});

// ---- driver_override ---------------------------------------------------------------------------

Deno.test("writeAttr() to driver_override keeps text up to a newline and clears on empty", () => {
  const { world } = makeFullWorld();
  const path = "/sys/bus/gbus/devices/g0/driver_override";
  assert.equal(readAttr(world, path), "(null)\n");
  const cases: [string, string][] = [
    ["gdrv\n", "gdrv\n"],
    ["\n", "(null)\n"],
    ["a\nb", "a\n"],
    ["\nfoo", "(null)\n"],
    ["foo\0bar", "foo\n"],
    ["\0abc", "(null)\n"],
  ];
  for (const [input, shown] of cases) {
    assert.equal(write(world, path, input).count, input.length);
    assert.equal(readAttr(world, path), shown, JSON.stringify(input));
  }
});

Deno.test("writeAttr() to driver_override gives EINVAL from PAGE_SIZE - 1 bytes on", () => {
  const { world } = makeFullWorld();
  const path = "/sys/bus/gbus/devices/g0/driver_override";
  assert.equal(write(world, path, "x".repeat(4094)).count, 4094);
  assert.throws(() => write(world, path, "y".repeat(4095)), assertErrno("EINVAL", path));
  assert.throws(() => write(world, path, "y".repeat(5000)), assertErrno("EINVAL"));
  assert.equal(readAttr(world, path), `${"x".repeat(4094)}\n`);
});

Deno.test("SysfsTree has no driver_override on the mdev bus", () => {
  const world = makeWorld();
  write(world, `${MT}/mtty-1/create`, U1);
  assert.throws(
    () => write(world, `/sys/bus/mdev/devices/${U1}/driver_override`, "mtty"),
    assertErrno("ENOENT"),
  );
});

Deno.test("writeAttr() to bind gives ENODEV when driver_override names another driver", () => {
  const { world } = makeFullWorld();
  write(world, "/sys/bus/gbus/devices/g0/driver_override", "fxdrv");
  assert.throws(() => write(world, "/sys/bus/gbus/drivers/gdrv/bind", "g0"), assertErrno("ENODEV"));
  assert.equal(write(world, "/sys/bus/gbus/drivers/fxdrv/bind", "g0").count, 2);
});

// ---- bind / unbind / drivers_probe / drivers_autoprobe ---------------------------------------

Deno.test("writeAttr() to bind binds, then gives EBUSY; unknown names give ENODEV", () => {
  const { world, gdrv, g0 } = makeFullWorld();
  const bind = "/sys/bus/gbus/drivers/gdrv/bind";
  assert.throws(() => write(world, bind, "nope"), assertErrno("ENODEV", bind));
  assert.throws(() => write(world, bind, "g0\n\n"), assertErrno("ENODEV"));
  assert.deepEqual(write(world, bind, "g0\n"), { count: 3, pending: false });
  assert.equal(g0.driver, gdrv);
  assert.equal(readLink(world, "/sys/bus/gbus/devices/g0/driver"), "../../bus/gbus/drivers/gdrv");
  assert.equal(readLink(world, "/sys/bus/gbus/drivers/gdrv/g0"), "../../../../devices/g0");
  assert.throws(() => write(world, bind, "g0"), assertErrno("EBUSY"));
  assert.throws(() => write(world, "/sys/bus/gbus/drivers/fxdrv/bind", "g0"), assertErrno("EBUSY"));
});

Deno.test("writeAttr() to bind passes the probe's errno back, EPROBE_DEFER as EAGAIN", () => {
  const { world, gdrv, g0 } = makeFullWorld();
  const bind = "/sys/bus/gbus/drivers/gdrv/bind";
  gdrv.probeResult = neg("ENOSPC");
  assert.throws(() => write(world, bind, "g0"), assertErrno("ENOSPC"));
  gdrv.probeResult = neg("EPROBE_DEFER");
  assert.throws(() => write(world, bind, "g0"), assertErrno("EAGAIN"));
  assert.equal(g0.driver, undefined);
  assert.equal(exists(world, "/sys/bus/gbus/devices/g0/driver"), false);
  assert.deepEqual(world.deferred.pending, []);
});

Deno.test("writeAttr() to bind treats a negative match as a match, as C's truth test does", () => {
  const { world, bus, gdrv, g0 } = makeFullWorld();
  bus.matchResult = neg("EPROBE_DEFER");
  assert.equal(write(world, "/sys/bus/gbus/drivers/gdrv/bind", "g0").count, 2);
  assert.equal(g0.driver, gdrv);
});

Deno.test("writeAttr() to bind on the mdev bus always gives ENODEV with a hint", () => {
  const world = makeWorld();
  write(world, `${MT}/mtty-1/create`, U1);
  const bind = "/sys/bus/mdev/drivers/mtty/bind";
  const hinted = (error: unknown) => {
    assertErrno("ENODEV", bind)(error);
    assert.match((error as KernelError).message, /bound by create/);
    return true;
  };
  assert.throws(() => write(world, bind, U1), hinted);
  assert.throws(() => write(world, bind, U2), hinted);
  write(world, "/sys/bus/mdev/drivers/mtty/unbind", U1);
  assert.throws(() => write(world, bind, U1), hinted);
});

Deno.test("writeAttr() to unbind releases the driver and leaves the device registered", () => {
  const world = makeWorld();
  write(world, `${MT}/mtty-2/create`, U1);
  const unbind = "/sys/bus/mdev/drivers/mtty/unbind";
  assert.deepEqual(write(world, unbind, `${U1}\n`), { count: 37, pending: false });
  assert.deepEqual(names(world, `${P}/${U1}`), [
    "mdev_type",
    "power",
    "remove",
    "subsystem",
    "uevent",
  ]);
  assert.deepEqual(names(world, "/sys/bus/mdev/drivers/mtty"), [
    "bind",
    "module",
    "uevent",
    "unbind",
  ]);
  assert.throws(() => write(world, unbind, U1), assertErrno("ENODEV", unbind));
  assert.equal(readAttr(world, `${MT}/mtty-2/available_instances`), "12\n");
  assert.equal(write(world, "/sys/bus/mdev/drivers_probe", U1).count, 36);
  assert.equal(exists(world, `${P}/${U1}/driver`), false);
});

Deno.test("writeAttr() to unbind gives ENODEV for a device bound to another driver", () => {
  const { world } = makeFullWorld();
  write(world, "/sys/bus/gbus/drivers/gdrv/bind", "g0");
  assert.throws(
    () => write(world, "/sys/bus/gbus/drivers/fxdrv/unbind", "g0"),
    assertErrno("ENODEV"),
  );
  assert.throws(
    () => write(world, "/sys/bus/gbus/drivers/gdrv/unbind", "g1"),
    assertErrno("ENODEV"),
  );
  assert.equal(write(world, "/sys/bus/gbus/drivers/gdrv/unbind", "g0").count, 2);
});

Deno.test("writeAttr() to drivers_probe attaches an unbound device; ENODEV or EINVAL otherwise", () => {
  const { world, bus, gdrv, g0 } = makeFullWorld();
  const probe = "/sys/bus/gbus/drivers_probe";
  assert.throws(() => write(world, probe, "nope"), assertErrno("ENODEV", probe));
  bus.matchResult = neg("EIO");
  assert.throws(() => write(world, probe, "g0"), assertErrno("EINVAL", probe));
  bus.matchResult = 1;
  assert.equal(write(world, probe, "g0\n").count, 3);
  assert.equal(g0.driver?.name, "fxdrv");
  bus.matchResult = neg("EIO");
  assert.equal(write(world, probe, "g0").count, 2, "a bound device is left alone");
  assert.notEqual(g0.driver, gdrv);
});

Deno.test("writeAttr() to drivers_autoprobe turns it off only for a leading 0", () => {
  const { world, bus } = makeFullWorld();
  const path = "/sys/bus/gbus/drivers_autoprobe";
  const cases: [Uint8Array, boolean][] = [
    [new TextEncoder().encode("0\n"), false],
    [new TextEncoder().encode("x"), true],
    [new TextEncoder().encode("0abc"), false],
    [new Uint8Array([0]), true],
  ];
  for (const [bytes, on] of cases) {
    assert.equal(writeAttr(world, path, bytes).count, bytes.length);
    assert.equal(bus.driversAutoprobe, on);
    assert.equal(readAttr(world, path), on ? "1\n" : "0\n");
  }
});

Deno.test("writeAttr() runs the deferred-probe worker after a successful write", () => {
  const { world, bus, gdrv } = makeFullWorld();
  // fxdrv, registered first, defers g1's autoprobe, which then stops searching (series 1 patch 1).
  world.faults.injectProbe({ bus: "gbus", driver: "fxdrv", errno: "EPROBE_DEFER", times: 1 });
  const g1 = new TestDevice(world, { name: "g1", bus });
  deviceAdd(g1);
  assert.deepEqual(world.deferred.pending, [g1]);
  write(world, "/sys/bus/gbus/drivers/gdrv/bind", "g0");
  assert.deepEqual(gdrv.bound.map((dev) => dev.name), ["g0"]);
  assert.equal(g1.driver?.name, "fxdrv", "the bind triggered the retry of g1");
  assert.equal(readLink(world, "/sys/bus/gbus/drivers/fxdrv/g1"), "../../../../devices/g1");
});

Deno.test("writeAttr() to uevent accepts kobject actions with optional UUID and variables", () => {
  const world = makeWorld();
  for (const ok of ["add", "change\n", `change ${U1}`, `add ${U1} A=1 B_2=x\n`]) {
    assert.equal(write(world, `${P}/uevent`, ok).count, ok.length);
  }
  for (const path of [`${P}/uevent`, "/sys/bus/mdev/uevent", "/sys/bus/mdev/drivers/mtty/uevent"]) {
    for (const bad of ["bogus", "add ", `add ${U1.slice(1)}`, `add ${U1}x`, "add\n\n"]) {
      assert.throws(() => write(world, path, bad), assertErrno("EINVAL", path), bad);
    }
  }
});

// ---- property: random writes either succeed or fail cleanly ----------------------------------

/** A structural summary of everything a sysfs write may change. */
function summary(world: World): string {
  const core = mdevCore(world);
  const driver = core.bus.drivers.get("mtty") as FakeMttyDriver | undefined;
  return JSON.stringify({
    devices: world.liveDevices().map((dev) => dev.toSnapshot()),
    parents: [...core.parents.values()].map((p) => [p.dev.name, p.availableInstances, p.readers]),
    mdevs: [...core.list.keys()],
    buses: [...world.buses.values()].map((bus) => ({
      name: bus.name,
      autoprobe: bus.driversAutoprobe,
      devices: [...bus.devices.keys()],
      drivers: [...bus.drivers.values()].map((drv) => [drv.name, drv.bound.map((d) => d.name)]),
    })),
    deferred: [world.deferred.pending.map((d) => d.id), world.deferred.active.map((d) => d.id)],
    tasks: world.tasks.sleeping,
    ports: driver?.availablePorts,
    groups: [...vfioCore(world).groups.values()].map((g) => g.id),
    modules: [...world.modules.loaded.values()],
  });
}

function smallWorld(): World {
  const { world } = makeFullWorld();
  write(world, `${MT}/mtty-2/create`, U1);
  write(world, `${FX}/fxdrv-a/create`, U2);
  return world;
}

Deno.test("writeAttr() of random bytes to any writable attribute succeeds or fails cleanly", () => {
  const writable: string[] = [];
  walkTree(smallWorld(), (path, node) => {
    if (node.kind === "attr" && (node.mode & 0o222) !== 0) writable.push(path);
  });
  assert.ok(writable.some((p) => p.endsWith("/remove")));
  assert.ok(writable.some((p) => p.endsWith("/driver_override")));
  const encode = (text: string) => new TextEncoder().encode(text);
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 80 }),
    fc.constantFrom("1\n", "0", `${U3}\n`, U1, "g0\n", "fx0", U2, "add", "\n", "gdrv").map(encode),
    fc.uint8Array({ minLength: 4090, maxLength: 4100 }),
  );
  fc.assert(
    fc.property(fc.constantFrom(...writable), bytes, (path, data) => {
      const world = smallWorld();
      const before = summary(world);
      try {
        const result = writeAttr(world, path, data);
        assert.equal(typeof result.pending, "boolean");
        assert.ok(result.count >= 0 && result.count <= Math.min(data.length, 4096));
      } catch (error) {
        assertErrno((error as KernelError).errno, path)(error);
        assert.equal(summary(world), before, `${path} failed but changed the world`);
      }
    }),
    { numRuns: 300 },
  );
});
