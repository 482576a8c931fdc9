import assert from "node:assert/strict";
import { CCW_CMD, CCW_FLAG } from "../../lib/css/ccw.ts";
import { csch, hsch, IRB_SIZE, msch, ssch, tsch } from "../../lib/css/cio.ts";
import { setChannelPath } from "../../lib/css/chp.ts";
import { ACTL, DSTAT, FCTL, STCTL } from "../../lib/css/scsw.ts";
import { channelWorld, Host, orb, run, scswOf } from "./_harness.ts";

const PROGRAM = 0x1000;
const BUF = 0x10000;

/** A program that would write block 0: SEEK 0 + WRITE 4 KiB from BUF. */
function writeProgram(host: Host): Uint8Array {
  host.u32(0x3000, 0);
  host.ccws(
    PROGRAM,
    { cmd: CCW_CMD.SEEK, flags: CCW_FLAG.CC, count: 4, cda: 0x3000 },
    { cmd: CCW_CMD.WRITE, flags: 0, count: 4096, cda: BUF },
  );
  return orb(PROGRAM);
}

Deno.test("ssch() gives cc 1 while status is pending, cc 2 while a start is pending", () => {
  const { world, sch, driver } = channelWorld();
  const host = new Host();
  const program = writeProgram(host);
  assert.equal(ssch(sch, program, host.bytes), 0);
  assert.equal(ssch(sch, program, host.bytes), 2);
  driver.fetch = false;
  world.settle();
  assert.equal(ssch(sch, program, host.bytes), 1);
  const irb = tsch(sch)!;
  assert.equal(irb.length, IRB_SIZE);
  assert.equal(scswOf(irb).stctl, STCTL.PRIMARY | STCTL.SECONDARY | STCTL.STATUS_PEND);
  assert.equal(tsch(sch), null, "cc 1: nothing pending any more");
  assert.equal(ssch(sch, program, host.bytes), 0);
});

Deno.test("ssch() gives cc 3 on a disabled subchannel or when no path of the ORB's LPM is available", () => {
  const { sch } = channelWorld();
  const host = new Host();
  assert.equal(ssch(sch, orb(PROGRAM, { lpm: 0x40 }), host.bytes), 3);
  assert.equal(ssch(sch, orb(PROGRAM, { lpm: 0 }), host.bytes), 3);
  assert.equal(msch(sch, { enabled: false }), 0);
  assert.equal(ssch(sch, writeProgram(host), host.bytes), 3);
  assert.equal(hsch(sch), 3);
  assert.equal(csch(sch), 3);
});

Deno.test("msch() gives cc 1 while status is pending and cc 2 while a function is in progress", () => {
  const { world, sch, driver } = channelWorld();
  const host = new Host();
  assert.equal(ssch(sch, writeProgram(host), host.bytes), 0);
  assert.equal(msch(sch, { enabled: false }), 2);
  driver.fetch = false;
  world.settle();
  assert.equal(msch(sch, { enabled: false }), 1);
  tsch(sch);
  assert.equal(msch(sch, { isc: 5, intparm: 0x1234, enabled: false }), 0);
  assert.deepEqual([sch.pmcw.isc, sch.pmcw.intparm, sch.pmcw.enabled], [5, 0x1234, false]);
});

Deno.test("hsch() of an idle subchannel presents status pending alone with device end", () => {
  const { world, sch, driver } = channelWorld();
  assert.equal(hsch(sch), 0);
  assert.equal(hsch(sch), 2, "a halt is already in progress");
  const pending = scswOf(sch.stsch()!.subarray(28));
  assert.deepEqual([pending.fctl, pending.actl], [FCTL.HALT, ACTL.HALT_PEND]);
  assert.equal(driver.seen.irqs, 0, "nothing happens inside the instruction");
  world.settle();
  const scsw = scswOf(driver.seen.irbs[0]!);
  assert.deepEqual([scsw.fctl, scsw.actl, scsw.stctl, scsw.dstat], [
    FCTL.HALT,
    0,
    STCTL.STATUS_PEND,
    DSTAT.DEV_END,
  ]);
  assert.equal(scswOf(sch.stsch()!.subarray(28)).fctl, 0, "tsch ended the halt function");
});

Deno.test("hsch() of a start-pending subchannel withdraws the program before it runs", () => {
  const { world, sch, driver } = channelWorld();
  const host = new Host();
  host.bytes.fill(0xaa, BUF, BUF + 4096);
  assert.equal(ssch(sch, writeProgram(host), host.bytes), 0);
  assert.equal(hsch(sch), 0);
  world.settle();
  assert.equal(driver.seen.irbs.length, 1);
  const scsw = scswOf(driver.seen.irbs[0]!);
  assert.deepEqual([scsw.fctl, scsw.actl, scsw.stctl, scsw.dstat, scsw.cstat], [
    FCTL.START | FCTL.HALT,
    0,
    STCTL.STATUS_PEND,
    0,
    0,
  ]);
  assert.equal(sch.device!.writtenBlocks().length, 0, "the WRITE never ran");
  assert.equal(sch.device!.position, 0);
});

Deno.test("hsch() gives cc 1 while final status is pending", () => {
  const { world, sch, driver } = channelWorld();
  const host = new Host();
  driver.fetch = false;
  assert.equal(ssch(sch, writeProgram(host), host.bytes), 0);
  world.settle();
  assert.equal(hsch(sch), 1);
});

Deno.test("hsch() during an intermediate interruption stops the program at the CCW boundary", () => {
  const { world, sch, driver } = channelWorld();
  const host = new Host();
  host.ccws(
    PROGRAM,
    { cmd: CCW_CMD.NOP, flags: CCW_FLAG.CC | CCW_FLAG.PCI, count: 0, cda: 0 },
    { cmd: CCW_CMD.NOP, flags: 0, count: 0, cda: 0 },
  );
  const hscc: number[] = [];
  const irq = driver.irq.bind(driver);
  driver.irq = (s) => {
    irq(s);
    if (hscc.length === 0) hscc.push(hsch(s));
  };
  const irbs = run(world, sch, host, orb(PROGRAM));
  assert.deepEqual(hscc, [0]);
  assert.equal(irbs.length, 2);
  const halted = scswOf(irbs[1]!);
  assert.deepEqual([halted.fctl & FCTL.HALT, halted.stctl, halted.dstat, halted.cpa], [
    FCTL.HALT,
    STCTL.STATUS_PEND,
    DSTAT.DEV_END,
    PROGRAM + 8,
  ]);
});

Deno.test("csch() withdraws a start-pending program and any pending status", () => {
  const { world, sch, driver } = channelWorld();
  const host = new Host();
  assert.equal(ssch(sch, writeProgram(host), host.bytes), 0);
  assert.equal(csch(sch), 0);
  assert.deepEqual(
    [scswOf(sch.stsch()!.subarray(28)).fctl, scswOf(sch.stsch()!.subarray(28)).actl],
    [FCTL.CLEAR, ACTL.CLEAR_PEND],
  );
  world.settle();
  const scsw = scswOf(driver.seen.irbs[0]!);
  assert.deepEqual([scsw.fctl, scsw.stctl, scsw.dstat, scsw.cstat], [
    FCTL.CLEAR,
    STCTL.STATUS_PEND,
    0,
    0,
  ]);
  assert.equal(sch.device!.position, 0);
  driver.fetch = false;
  assert.equal(hsch(sch), 0);
  world.settle();
  assert.equal(csch(sch), 0, "clear is accepted with status pending");
  world.settle();
  assert.equal(scswOf(tsch(sch)!).fctl, FCTL.CLEAR);
});

Deno.test("a path lost between ssch() and the start gives deferred cc 3", () => {
  const { world, sch, driver } = channelWorld();
  const host = new Host();
  assert.equal(ssch(sch, writeProgram(host), host.bytes), 0);
  setChannelPath(world, 0x50, false);
  world.settle();
  const scsw = scswOf(driver.seen.irbs[0]!);
  assert.deepEqual([scsw.cc, scsw.stctl, scsw.fctl], [
    3,
    STCTL.ALERT | STCTL.STATUS_PEND,
    FCTL.START,
  ]);
  assert.equal(sch.device!.position, 0);
});
