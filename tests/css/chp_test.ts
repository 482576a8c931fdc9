import assert from "node:assert/strict";
import { ssch } from "../../lib/css/cio.ts";
import { setChannelPath } from "../../lib/css/chp.ts";
import { cssCore } from "../../lib/css/core.ts";
import { decodeCrw } from "../../lib/css/crw.ts";
import { readAttr } from "../../lib/sysfs/io.ts";
import { channelWorld, Host, orb, SCHID } from "./_harness.ts";

Deno.test("setChannelPath() off reports CRW rsc 4 erc 6 and calls every affected driver's chpEvent", () => {
  const { world, sch, driver } = channelWorld();
  const crw = setChannelPath(world, 0x50, false);
  assert.equal(crw, 0x04060050);
  assert.deepEqual(decodeCrw(crw!), {
    slct: false,
    oflw: false,
    chn: false,
    rsc: 4,
    anc: false,
    erc: 6,
    rsid: 0x50,
  });
  assert.deepEqual(driver.seen.chpEvents, [{ schid: SCHID, mask: 0x80, event: "offline" }]);
  assert.equal(sch.pmcw.pam, 0);
  assert.equal(readAttr(world, `/sys/bus/css/devices/${SCHID}/pimpampom`), "80 00 ff\n");
  assert.equal(ssch(sch, orb(0x1000), new Host().bytes), 3, "no path left");
  const others = cssCore(world).subchannels().filter((s) => s !== sch);
  assert.deepEqual(others.map((s) => s.pmcw.lpm), [0, 0, 0], "io_subchannel narrowed its lpm");
  assert.ok(
    world.logLines.includes(
      "crw_info : CRW reports slct=0, oflw=0, chn=0, rsc=4, anc=0, erc=6, rsid=50",
    ),
  );
});

Deno.test("setChannelPath() on reports CRW rsc 4 erc 2 and the path is usable again", () => {
  const { world, sch, driver } = channelWorld();
  setChannelPath(world, 0x50, false);
  assert.equal(setChannelPath(world, 0x50, false), null, "already offline: nothing happens");
  assert.equal(setChannelPath(world, 0x50, true), 0x04020050);
  assert.deepEqual(driver.seen.chpEvents.map((e) => e.event), ["offline", "online"]);
  assert.equal(sch.pmcw.pam, 0x80);
  const others = cssCore(world).subchannels().filter((s) => s !== sch);
  assert.deepEqual(others.map((s) => s.pmcw.lpm), [0x80, 0x80, 0x80]);
  assert.equal(ssch(sch, orb(0x1000), new Host().bytes), 0);
});

Deno.test("setChannelPath() of an unknown CHPID is ENOENT", () => {
  const { world } = channelWorld();
  assert.throws(
    () => setChannelPath(world, 0x51, false),
    (error: unknown) => (error as { errno?: string }).errno === "ENOENT",
  );
});
