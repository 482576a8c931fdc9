import assert from "node:assert/strict";
import { deviceReleaseDriver } from "../../lib/core/binding.ts";
import { driverRegister } from "../../lib/core/registration.ts";
import { cssCore } from "../../lib/css/core.ts";
import { bootWorld } from "../../lib/machine.ts";
import { listDir, readAttr, readLink, writeAttrText } from "../../lib/sysfs/io.ts";
import { RecordingDriver } from "./_harness.ts";

const SCHIDS = ["0.0.0000", "0.0.0001", "0.0.0002", "0.0.0003"];

Deno.test("bootWorld() has four I/O subchannels with 64 MiB disks, bound to io_subchannel", () => {
  const world = bootWorld();
  const subchannels = cssCore(world).subchannels();
  assert.deepEqual(subchannels.map((s) => s.schid), SCHIDS);
  subchannels.forEach((sch, n) => {
    assert.equal(sch.driver?.name, "io_subchannel");
    assert.equal(sch.device?.devno, 0x1000 + n);
    assert.equal(sch.device?.sizeMiB, 64);
    assert.equal(sch.parent, cssCore(world).root);
    const p = sch.pmcw;
    assert.deepEqual(
      [p.devno, p.dnv, p.enabled, p.isc, p.lpm, p.pim, p.pam, p.pom, p.chpids[0], p.csense],
      [0x1000 + n, true, true, 3, 0x80, 0x80, 0x80, 0xff, 0x50, true],
    );
  });
  assert.deepEqual([...world.buses.keys()].sort(), ["css", "mdev", "platform"]);
});

Deno.test("the css tree shows css0, the subchannels, their attributes and the bus links", () => {
  const world = bootWorld();
  const names = (path: string) => listDir(world, path).map((e) => e.name);
  assert.ok(names("/sys/devices").includes("css0"));
  assert.deepEqual(names("/sys/devices/css0"), [...SCHIDS, "power", "uevent"]);
  assert.deepEqual(names("/sys/bus/css/devices"), SCHIDS);
  assert.deepEqual(
    names("/sys/bus/css/drivers/io_subchannel").filter((n) => n.startsWith("0.")),
    SCHIDS,
  );
  const dir = "/sys/devices/css0/0.0.0001";
  assert.deepEqual(names(dir), [
    "chpids",
    "dev_busid",
    "driver",
    "driver_override",
    "modalias",
    "pimpampom",
    "power",
    "subsystem",
    "type",
    "uevent",
  ]);
  assert.equal(readAttr(world, `${dir}/type`), "0\n");
  assert.equal(readAttr(world, `${dir}/modalias`), "css:t0\n");
  assert.equal(readAttr(world, `${dir}/chpids`), "50 00 00 00 00 00 00 00 \n");
  assert.equal(readAttr(world, `${dir}/pimpampom`), "80 80 ff\n");
  assert.equal(readAttr(world, `${dir}/dev_busid`), "0.0.1001\n");
  assert.equal(readAttr(world, `${dir}/driver_override`), "(null)\n");
  assert.equal(readAttr(world, `${dir}/uevent`), "DRIVER=io_subchannel\nST=0\nMODALIAS=css:t0\n");
  assert.equal(readLink(world, `${dir}/driver`), "../../../bus/css/drivers/io_subchannel");
  assert.equal(readLink(world, "/sys/bus/css/devices/0.0.0001"), "../../../devices/css0/0.0.0001");
  assert.equal(readLink(world, `${dir}/subsystem`), "../../../bus/css");
});

Deno.test("driver_override and drivers_probe hand a subchannel to another css driver", () => {
  const world = bootWorld();
  const driver = new RecordingDriver(world, "test_ccw");
  assert.equal(driverRegister(driver), 0);
  assert.deepEqual(driver.probed, [], "every subchannel is already bound");
  const sch = cssCore(world).subchannel("0.0.0002")!;
  const dir = "/sys/bus/css/devices/0.0.0002";
  writeAttrText(world, `${dir}/driver_override`, "test_ccw\n");
  assert.equal(sch.driver?.name, "io_subchannel", "the override never unbinds by itself");
  writeAttrText(world, "/sys/bus/css/drivers_probe", "0.0.0002\n");
  assert.equal(sch.driver?.name, "io_subchannel", "drivers_probe leaves a bound device alone");
  writeAttrText(world, "/sys/bus/css/drivers/io_subchannel/unbind", "0.0.0002\n");
  assert.equal(sch.pmcw.enabled, false, "io_subchannel's remove disabled the subchannel");
  writeAttrText(world, "/sys/bus/css/drivers_probe", "0.0.0002\n");
  assert.equal(sch.driver, driver);
  assert.deepEqual(driver.probed, ["0.0.0002"]);
  assert.equal(readAttr(world, `${dir}/driver_override`), "test_ccw\n");
  assert.equal(readLink(world, `${dir}/driver`), "../../../bus/css/drivers/test_ccw");
  // With the override cleared, io_subchannel takes it back on the next probe.
  world.tasks.run("unbind", deviceReleaseDriver(sch));
  writeAttrText(world, `${dir}/driver_override`, "\n");
  writeAttrText(world, "/sys/bus/css/drivers_probe", "0.0.0002\n");
  assert.equal(sch.driver?.name, "io_subchannel");
  assert.equal(sch.pmcw.enabled, true);
});

Deno.test("a css driver registered without a type table matches I/O subchannels", () => {
  const world = bootWorld();
  const sch = cssCore(world).subchannel("0.0.0003")!;
  const driver = new RecordingDriver(world, "plain");
  assert.equal(cssCore(world).bus.match(sch, driver), 1);
  sch.driverOverride = "other";
  assert.equal(cssCore(world).bus.match(sch, driver), 0);
});
