import assert from "node:assert/strict";
import { CCW_CMD } from "../../lib/css/ccw.ts";
import { msch, ssch, tsch } from "../../lib/css/cio.ts";
import { cssCore } from "../../lib/css/core.ts";
import { decodePmcw } from "../../lib/css/schib.ts";
import { cssAttachDevice, cssDetachDevice } from "../../lib/css/hotplug.ts";
import { bootWorld } from "../../lib/machine.ts";
import { readAttr } from "../../lib/sysfs/io.ts";
import { channelWorld, Host, orb, pattern, run, SCHID } from "./_harness.ts";

function assertErrno(errno: string) {
  return (error: unknown) => (error as { errno?: string }).errno === errno;
}

Deno.test("cssDetachDevice() leaves the subchannel not operational and runs the driver's schEvent", () => {
  const { world, sch, driver } = channelWorld();
  const host = new Host();
  host.ccws(0x1000, { cmd: CCW_CMD.NOP, flags: 0, count: 0, cda: 0 });
  cssDetachDevice(world, SCHID);
  assert.deepEqual(driver.seen.schEvents, [SCHID]);
  assert.equal(sch.device, null);
  const schib = sch.stsch();
  assert.ok(schib !== null, "STSCH still answers");
  const pmcw = decodePmcw(schib);
  assert.deepEqual([pmcw.dnv, pmcw.enabled], [false, false]);
  assert.equal(ssch(sch, orb(0x1000), host.bytes), 3);
  assert.equal(msch(sch, { enabled: true }), 3);
  assert.equal(tsch(sch), null);
  assert.equal(readAttr(world, `/sys/bus/css/devices/${SCHID}/dev_busid`), "none\n");
  assert.ok(
    world.logLines.includes(
      "crw_info : CRW reports slct=0, oflw=0, chn=0, rsc=3, anc=0, erc=4, rsid=1",
    ),
  );
  assert.throws(() => cssDetachDevice(world, SCHID), assertErrno("ENODEV"));
  assert.throws(() => cssDetachDevice(world, "0.0.0009"), assertErrno("ENODEV"));
});

Deno.test("cssDetachDevice() drops a started program and deletes the disk's blobs", () => {
  const { world, sch, driver } = channelWorld();
  const host = new Host();
  host.bytes.set(pattern(1), 0x10000);
  host.ccws(0x1000, { cmd: CCW_CMD.WRITE, flags: 0, count: 4096, cda: 0x10000 });
  run(world, sch, host, orb(0x1000));
  assert.ok(world.blobs.get("dasd-0.0.1001-0") !== undefined);
  assert.equal(ssch(sch, orb(0x1000), host.bytes), 0);
  cssDetachDevice(world, SCHID);
  world.settle();
  assert.equal(driver.seen.irbs.length, 1, "the dropped program never presents status");
  assert.equal(world.blobs.get("dasd-0.0.1001-0"), undefined);
});

Deno.test("cssAttachDevice() brings a device back to its subchannel with a fresh disk", () => {
  const { world, sch, driver } = channelWorld();
  cssDetachDevice(world, SCHID);
  const back = cssAttachDevice(world, SCHID, { devno: 0x2001, sizeMiB: 8 });
  assert.equal(back, sch);
  assert.deepEqual(driver.seen.schEvents, [SCHID, SCHID]);
  assert.deepEqual([sch.pmcw.dnv, sch.pmcw.devno, sch.device?.blocks], [true, 0x2001, 2048]);
  assert.equal(readAttr(world, `/sys/bus/css/devices/${SCHID}/dev_busid`), "0.0.2001\n");
  assert.throws(() => cssAttachDevice(world, SCHID), assertErrno("EEXIST"));
});

Deno.test("io_subchannel re-enables a subchannel whose device came back", () => {
  const world = bootWorld();
  const sch = cssCore(world).subchannel("0.0.0002")!;
  cssDetachDevice(world, "0.0.0002");
  assert.equal(sch.pmcw.enabled, false);
  assert.ok(world.logLines.includes("io_subchannel 0.0.0002: device not operational"));
  cssAttachDevice(world, "0.0.0002");
  assert.deepEqual([sch.pmcw.enabled, sch.pmcw.devno], [true, 0x1002]);
});

Deno.test("cssAttachDevice() of a new id registers a subchannel that autoprobe binds", () => {
  const world = bootWorld();
  const sch = cssAttachDevice(world, "0.0.000A");
  assert.equal(sch.schid, "0.0.000a");
  assert.equal(sch.driver?.name, "io_subchannel");
  assert.equal(sch.device?.devno, 0x100a);
  assert.equal(sch.device?.sizeMiB, 64);
  assert.equal(readAttr(world, "/sys/devices/css0/0.0.000a/pimpampom"), "80 80 ff\n");
  assert.deepEqual(cssCore(world).subchannels().map((s) => s.schid).at(-1), "0.0.000a");
  cssAttachDevice(world, "0.0.0004", { devno: 0x1005 });
  const fallback = cssAttachDevice(world, "0.0.0005");
  assert.equal(fallback.device?.devno, 0x1004, "0x1005 is taken: the first free one from 0x1000");
  assert.throws(() => cssAttachDevice(world, "0.0.0020", { devno: 0x1001 }), assertErrno("EEXIST"));
  assert.throws(() => cssAttachDevice(world, "0.0.0021", { sizeMiB: 0 }), assertErrno("EINVAL"));
  assert.throws(() => cssAttachDevice(world, "0.0.21"), assertErrno("EINVAL"));
});
