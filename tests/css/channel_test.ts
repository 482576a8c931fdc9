import assert from "node:assert/strict";
import fc from "fast-check";
import { CCW_BUDGET } from "../../lib/css/channel.ts";
import { CCW_CMD, CCW_FLAG } from "../../lib/css/ccw.ts";
import { ssch } from "../../lib/css/cio.ts";
import { SENSE_COMMAND_REJECT, SENSE_NO_RECORD_FOUND } from "../../lib/css/dasd.ts";
import { ACTL, CSTAT, DSTAT, FCTL, STCTL } from "../../lib/css/scsw.ts";
import { channelWorld, Host, orb, pattern, run, scswOf } from "./_harness.ts";

const { READ, WRITE, NOP, SENSE, SEEK, TIC, READ_BACKWARD, SENSE_ID } = CCW_CMD;
const { CD, CC, SLI, SKIP, PCI, IDA } = CCW_FLAG;

const PROGRAM = 0x1000;
const IDAL = 0x2000;
const SEEK_ARG = 0x3000;
const BUF_A = 0x10000;
const BUF_B = 0x20000;
const END = DSTAT.CHN_END | DSTAT.DEV_END;
const FINAL = STCTL.PRIMARY | STCTL.SECONDARY | STCTL.STATUS_PEND;
const ALERT_FINAL = FINAL | STCTL.ALERT;

/** SEEK to `block` (command-chained), its argument at SEEK_ARG. */
function seek(host: Host, block: number, flags: number = CC) {
  host.u32(SEEK_ARG, block);
  return { cmd: SEEK, flags, count: 4, cda: SEEK_ARG };
}

/** Writes `data` to `block` with SEEK + WRITE through a one-IDAW IDAL; returns the final SCSW. */
function writeBlock(
  ctx: ReturnType<typeof channelWorld>,
  host: Host,
  block: number,
  data: Uint8Array,
) {
  host.bytes.set(data, BUF_A);
  host.idal(IDAL, BUF_A);
  host.ccws(PROGRAM, seek(host, block), { cmd: WRITE, flags: IDA, count: 4096, cda: IDAL });
  const irbs = run(ctx.world, ctx.sch, host, orb(PROGRAM));
  assert.equal(irbs.length, 1);
  return scswOf(irbs[0]!);
}

/** SEEK + READ of `block` into BUF_B; returns the final SCSW. */
function readBlock(ctx: ReturnType<typeof channelWorld>, host: Host, block: number) {
  host.idal(IDAL + 0x100, BUF_B);
  host.ccws(PROGRAM, seek(host, block), { cmd: READ, flags: IDA, count: 4096, cda: IDAL + 0x100 });
  const irbs = run(ctx.world, ctx.sch, host, orb(PROGRAM));
  assert.equal(irbs.length, 1);
  return scswOf(irbs[0]!);
}

Deno.test("ssch() only makes the start pending; the program runs when the world settles", () => {
  const ctx = channelWorld();
  const host = new Host();
  host.idal(IDAL, BUF_A);
  host.ccws(PROGRAM, seek(host, 3), { cmd: WRITE, flags: IDA, count: 4096, cda: IDAL });
  assert.equal(ssch(ctx.sch, orb(PROGRAM), host.bytes), 0);
  const pending = scswOf(ctx.sch.stsch()!.subarray(28));
  assert.equal(pending.fctl, FCTL.START);
  assert.equal(pending.actl, ACTL.START_PEND);
  assert.equal(ctx.sch.device!.position, 0);
  assert.equal(ctx.driver.seen.irqs, 0);
  ctx.world.settle();
  assert.equal(ctx.sch.device!.position, 4);
  assert.equal(ctx.driver.seen.irbs.length, 1);
  assert.equal(ctx.sch.pmcw.intparm, 0xfeed);
});

Deno.test("runChannelProgram() writes 4 KiB through an IDAL and reads it back", () => {
  const ctx = channelWorld();
  const host = new Host();
  const data = pattern(1);
  const written = writeBlock(ctx, host, 5, data);
  assert.deepEqual(
    [written.fctl, written.actl, written.stctl, written.dstat, written.cstat, written.count],
    [FCTL.START, 0, FINAL, END, 0, 0],
  );
  assert.equal(written.cpa, PROGRAM + 16);
  assert.equal(written.cc, 0);
  const read = readBlock(ctx, host, 5);
  assert.deepEqual([read.stctl, read.dstat, read.cstat, read.count], [FINAL, END, 0, 0]);
  assert.deepEqual(host.read(BUF_B, 4096), data);
  assert.equal(ctx.sch.device!.position, 6);
});

Deno.test("runChannelProgram() round-trips any block at any IDAW offset", () => {
  const ctx = channelWorld();
  const blocks = ctx.sch.device!.blocks;
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: blocks - 1 }),
      fc.integer({ min: 0, max: 4095 }),
      fc.uint8Array({ minLength: 4096, maxLength: 4096 }),
      (block, offset, data) => {
        const host = new Host();
        host.bytes.set(data, BUF_A + offset);
        host.idal(IDAL, BUF_A + offset, BUF_A + 4096);
        host.ccws(PROGRAM, seek(host, block), { cmd: WRITE, flags: IDA, count: 4096, cda: IDAL });
        assert.equal(scswOf(run(ctx.world, ctx.sch, host, orb(PROGRAM))[0]!).dstat, END);
        assert.equal(readBlock(ctx, host, block).dstat, END);
        assert.deepEqual(host.read(BUF_B, 4096), data);
      },
    ),
    { numRuns: 40 },
  );
});

Deno.test("runChannelProgram() gathers 2 KiB IDAW blocks with i2k and takes direct addresses", () => {
  const ctx = channelWorld();
  const host = new Host();
  const data = pattern(2);
  // i2k: the first IDAW runs to its 2 KiB boundary (1 KiB here), the next ones are 2 KiB each.
  host.bytes.set(data.subarray(0, 1024), 0x40400);
  host.bytes.set(data.subarray(1024, 3072), 0x50000);
  host.bytes.set(data.subarray(3072), 0x60800);
  host.idal(IDAL, 0x40400, 0x50000, 0x60800);
  host.ccws(PROGRAM, seek(host, 9), { cmd: WRITE, flags: IDA, count: 4096, cda: IDAL });
  const irb = run(ctx.world, ctx.sch, host, orb(PROGRAM, { i2k: true }))[0]!;
  assert.equal(scswOf(irb).dstat, END);
  host.ccws(PROGRAM, seek(host, 9), { cmd: READ, flags: 0, count: 4096, cda: BUF_B });
  assert.equal(scswOf(run(ctx.world, ctx.sch, host, orb(PROGRAM))[0]!).dstat, END);
  assert.deepEqual(host.read(BUF_B, 4096), data);
});

Deno.test("runChannelProgram() reads Format-1 IDALs (4-byte IDAWs, 2 KiB blocks) without c64", () => {
  const ctx = channelWorld();
  const host = new Host();
  const data = pattern(3);
  writeBlock(ctx, host, 2, data);
  host.idal1(IDAL, 0x50000, 0x50800);
  host.ccws(PROGRAM, seek(host, 2), { cmd: READ, flags: IDA, count: 4096, cda: IDAL });
  const irb = run(ctx.world, ctx.sch, host, orb(PROGRAM, { c64: false }))[0]!;
  assert.equal(scswOf(irb).dstat, END);
  assert.deepEqual(host.read(0x50000, 4096), data);
});

Deno.test("runChannelProgram() takes Format-0 CCWs when the ORB says so", () => {
  const ctx = channelWorld();
  const host = new Host();
  const data = pattern(4);
  writeBlock(ctx, host, 1, data);
  host.u32(SEEK_ARG, 1);
  // Format-0: cmd, 24-bit address, flags, reserved, count.
  host.bytes.set([SEEK, 0x00, 0x30, 0x00, CC, 0, 0x00, 0x04], PROGRAM);
  host.bytes.set([READ, 0x02, 0x00, 0x00, 0, 0, 0x10, 0x00], PROGRAM + 8);
  const irb = run(ctx.world, ctx.sch, host, orb(PROGRAM, { fmt1: false, c64: false }))[0]!;
  assert.deepEqual([scswOf(irb).dstat, scswOf(irb).cpa], [END, PROGRAM + 16]);
  assert.deepEqual(host.read(BUF_B, 4096), data);
});

Deno.test("READ BACKWARD stores the block before the position at descending addresses", () => {
  const ctx = channelWorld();
  const host = new Host();
  const data = pattern(5);
  writeBlock(ctx, host, 7, data);
  assert.equal(ctx.sch.device!.position, 8);
  // Direct: the data address names the rightmost byte.
  host.ccws(PROGRAM, { cmd: READ_BACKWARD, flags: 0, count: 4096, cda: BUF_B + 4095 });
  const direct = scswOf(run(ctx.world, ctx.sch, host, orb(PROGRAM))[0]!);
  assert.deepEqual([direct.dstat, direct.cstat, direct.count], [END, 0, 0]);
  assert.deepEqual(host.read(BUF_B, 4096), data);
  assert.equal(ctx.sch.device!.position, 7);
  // Through an IDAL: the first IDAW names the rightmost byte of its block, the next one ends a block.
  host.idal(IDAL, 0x40000 + 2047, 0x50000 + 4095);
  host.ccws(PROGRAM, seek(host, 8), { cmd: READ_BACKWARD, flags: IDA, count: 4096, cda: IDAL });
  const viaIdal = scswOf(run(ctx.world, ctx.sch, host, orb(PROGRAM))[0]!);
  assert.equal(viaIdal.dstat, END);
  assert.deepEqual(host.read(0x40000, 2048), data.subarray(2048));
  assert.deepEqual(host.read(0x50000 + 2048, 2048), data.subarray(0, 2048));
});

Deno.test("READ BACKWARD at block 0 is a unit check with no record found", () => {
  const ctx = channelWorld();
  const host = new Host();
  host.ccws(PROGRAM, { cmd: READ_BACKWARD, flags: CC, count: 4096, cda: BUF_B + 4095 }, {
    cmd: SENSE,
    flags: 0,
    count: 32,
    cda: BUF_A,
  });
  const scsw = scswOf(run(ctx.world, ctx.sch, host, orb(PROGRAM))[0]!);
  assert.deepEqual([scsw.stctl, scsw.dstat, scsw.cpa], [
    ALERT_FINAL,
    END | DSTAT.UNIT_CHECK,
    PROGRAM + 8,
  ]);
  host.ccws(PROGRAM, { cmd: SENSE, flags: 0, count: 32, cda: BUF_A });
  run(ctx.world, ctx.sch, host, orb(PROGRAM));
  assert.equal(host.bytes[BUF_A + 1], SENSE_NO_RECORD_FOUND);
});

Deno.test("SENSE ID returns FF, CU 3990 model E9 and device 3390 model 0C", () => {
  const ctx = channelWorld();
  const host = new Host();
  host.ccws(PROGRAM, { cmd: SENSE_ID, flags: 0, count: 7, cda: BUF_A });
  const exact = scswOf(run(ctx.world, ctx.sch, host, orb(PROGRAM))[0]!);
  assert.deepEqual([exact.dstat, exact.cstat, exact.count], [END, 0, 0]);
  assert.deepEqual([...host.read(BUF_A, 7)], [0xff, 0x39, 0x90, 0xe9, 0x33, 0x90, 0x0c]);
  // Linux asks for the whole struct senseid with SLI: the residual tells it 7 bytes came.
  host.ccws(PROGRAM, { cmd: SENSE_ID, flags: SLI, count: 40, cda: BUF_B });
  const long = scswOf(run(ctx.world, ctx.sch, host, orb(PROGRAM))[0]!);
  assert.deepEqual([long.dstat, long.cstat, long.count], [END, 0, 33]);
});

Deno.test("an invalid command is a unit check and the next SENSE shows command reject", () => {
  const ctx = channelWorld();
  const host = new Host();
  host.ccws(PROGRAM, { cmd: NOP, flags: CC, count: 0, cda: 0 }, {
    cmd: 0x05,
    flags: CC,
    count: 16,
    cda: BUF_A,
  }, { cmd: NOP, flags: 0, count: 0, cda: 0 });
  const scsw = scswOf(run(ctx.world, ctx.sch, host, orb(PROGRAM))[0]!);
  assert.deepEqual([scsw.stctl, scsw.dstat, scsw.cstat], [
    ALERT_FINAL,
    END | DSTAT.UNIT_CHECK,
    0,
  ]);
  assert.deepEqual([scsw.cpa, scsw.count], [PROGRAM + 16, 16]);
  host.ccws(PROGRAM, { cmd: SENSE, flags: 0, count: 32, cda: BUF_B });
  const sense = scswOf(run(ctx.world, ctx.sch, host, orb(PROGRAM))[0]!);
  assert.deepEqual([sense.dstat, sense.count], [END, 0]);
  assert.equal(host.bytes[BUF_B], SENSE_COMMAND_REJECT);
  // SENSE hands the sense bytes over once.
  run(ctx.world, ctx.sch, host, orb(PROGRAM));
  assert.equal(host.bytes[BUF_B], 0);
});

Deno.test("a unit check with concurrent sense carries the sense bytes in the IRB", () => {
  const ctx = channelWorld();
  ctx.sch.pmcw.csense = true;
  const host = new Host();
  host.ccws(PROGRAM, { cmd: 0x05, flags: 0, count: 16, cda: BUF_A });
  const irb = run(ctx.world, ctx.sch, host, orb(PROGRAM))[0]!;
  assert.equal(scswOf(irb).eswf, true);
  assert.deepEqual([irb[16], irb[17], irb[32]], [0x01, 32, SENSE_COMMAND_REJECT]);
  assert.equal(irb[13], 0x80, "the ESW names the last path used");
  assert.equal(ctx.sch.device!.sense[0], 0, "the device's sense was handed over");
});

Deno.test("incorrect length is indicated unless SLI, with the residual count", () => {
  const ctx = channelWorld();
  const host = new Host();
  const cases = [
    { count: 100, flags: 0, cstat: CSTAT.INCORR_LEN, residual: 0 },
    { count: 100, flags: SLI, cstat: 0, residual: 0 },
    { count: 5000, flags: 0, cstat: CSTAT.INCORR_LEN, residual: 904 },
    { count: 5000, flags: SLI, cstat: 0, residual: 904 },
  ];
  for (const c of cases) {
    host.ccws(PROGRAM, seek(host, 0), { cmd: READ, flags: c.flags, count: c.count, cda: BUF_A });
    const scsw = scswOf(run(ctx.world, ctx.sch, host, orb(PROGRAM))[0]!);
    assert.deepEqual([scsw.dstat, scsw.cstat, scsw.count, scsw.cpa], [
      END,
      c.cstat,
      c.residual,
      PROGRAM + 16,
    ]);
    assert.equal(scsw.stctl, c.cstat === 0 ? FINAL : ALERT_FINAL);
  }
});

Deno.test("incorrect length suppresses command chaining; SLI lets the chain go on", () => {
  const ctx = channelWorld();
  const host = new Host();
  host.ccws(PROGRAM, seek(host, 0), { cmd: READ, flags: CC, count: 100, cda: BUF_A }, {
    cmd: READ,
    flags: 0,
    count: 4096,
    cda: BUF_B,
  });
  const stopped = scswOf(run(ctx.world, ctx.sch, host, orb(PROGRAM))[0]!);
  assert.deepEqual([stopped.cstat, stopped.cpa], [CSTAT.INCORR_LEN, PROGRAM + 16]);
  assert.equal(ctx.sch.device!.position, 1);
  host.ccws(PROGRAM, seek(host, 0), { cmd: READ, flags: CC | SLI, count: 100, cda: BUF_A });
  const chained = scswOf(run(ctx.world, ctx.sch, host, orb(PROGRAM))[0]!);
  assert.deepEqual([chained.cstat, chained.cpa], [0, PROGRAM + 24]);
  assert.equal(ctx.sch.device!.position, 2);
});

Deno.test("a NOP with a non-zero count is incorrect length unless SLI", () => {
  const ctx = channelWorld();
  const host = new Host();
  host.ccws(PROGRAM, { cmd: NOP, flags: 0, count: 8, cda: 0 });
  const il = scswOf(run(ctx.world, ctx.sch, host, orb(PROGRAM))[0]!);
  assert.deepEqual([il.cstat, il.count], [CSTAT.INCORR_LEN, 8]);
  host.ccws(PROGRAM, { cmd: NOP, flags: SLI, count: 8, cda: 0 });
  assert.equal(scswOf(run(ctx.world, ctx.sch, host, orb(PROGRAM))[0]!).cstat, 0);
});

Deno.test("data chaining continues one READ across two CCWs and through a TIC", () => {
  const ctx = channelWorld();
  const host = new Host();
  const data = pattern(6);
  writeBlock(ctx, host, 4, data);
  host.idal(IDAL, BUF_A);
  host.idal(IDAL + 8, BUF_B);
  // The second CCW's command code is ignored: it only continues the data area.
  host.ccws(PROGRAM, seek(host, 4), { cmd: READ, flags: CD | IDA, count: 2048, cda: IDAL }, {
    cmd: 0xff,
    flags: IDA,
    count: 2048,
    cda: IDAL + 8,
  });
  const scsw = scswOf(run(ctx.world, ctx.sch, host, orb(PROGRAM))[0]!);
  assert.deepEqual([scsw.dstat, scsw.cstat, scsw.count, scsw.cpa], [END, 0, 0, PROGRAM + 24]);
  assert.deepEqual(host.read(BUF_A, 2048), data.subarray(0, 2048));
  assert.deepEqual(host.read(BUF_B, 2048), data.subarray(2048));
  host.ccws(PROGRAM, seek(host, 4), { cmd: READ, flags: CD, count: 1000, cda: 0x40000 }, {
    cmd: TIC,
    flags: 0,
    count: 0,
    cda: 0x1800,
  });
  host.ccws(0x1800, { cmd: 0, flags: 0, count: 3096, cda: 0x50000 });
  const viaTic = scswOf(run(ctx.world, ctx.sch, host, orb(PROGRAM))[0]!);
  assert.deepEqual([viaTic.cstat, viaTic.count, viaTic.cpa], [0, 0, 0x1808]);
  assert.deepEqual(host.read(0x40000, 1000), data.subarray(0, 1000));
  assert.deepEqual(host.read(0x50000, 3096), data.subarray(1000));
});

Deno.test("a data chain shorter than the block is incorrect length with the rest discarded", () => {
  const ctx = channelWorld();
  const host = new Host();
  host.ccws(PROGRAM, seek(host, 0), { cmd: READ, flags: CD, count: 1000, cda: BUF_A }, {
    cmd: 0,
    flags: SLI,
    count: 1000,
    cda: BUF_B,
  });
  const scsw = scswOf(run(ctx.world, ctx.sch, host, orb(PROGRAM))[0]!);
  // SLI on the last CCW (which does not chain data) suppresses the indication.
  assert.deepEqual([scsw.cstat, scsw.count, scsw.cpa], [0, 0, PROGRAM + 24]);
  host.ccws(PROGRAM, seek(host, 0), { cmd: READ, flags: CD | SLI, count: 5000, cda: BUF_A });
  // SLI with CD is ignored: the device ended inside a data chain.
  const chained = scswOf(run(ctx.world, ctx.sch, host, orb(PROGRAM))[0]!);
  assert.deepEqual([chained.cstat, chained.count], [CSTAT.INCORR_LEN, 904]);
});

Deno.test("SKP on a READ counts the block without storing it", () => {
  const ctx = channelWorld();
  const host = new Host();
  writeBlock(ctx, host, 0, pattern(7));
  host.ccws(PROGRAM, seek(host, 0), { cmd: READ, flags: SKIP, count: 4096, cda: BUF_B });
  const scsw = scswOf(run(ctx.world, ctx.sch, host, orb(PROGRAM))[0]!);
  assert.deepEqual([scsw.dstat, scsw.cstat, scsw.count], [END, 0, 0]);
  assert.deepEqual(host.read(BUF_B, 4096), new Uint8Array(4096));
  assert.equal(ctx.sch.device!.position, 1);
});

Deno.test("a TIC loop of READs ends at the last block with no record found", () => {
  const ctx = channelWorld();
  const host = new Host();
  const blocks = ctx.sch.device!.blocks;
  host.ccws(PROGRAM, seek(host, blocks - 2), { cmd: READ, flags: CC, count: 4096, cda: BUF_A }, {
    cmd: TIC,
    flags: 0,
    count: 0,
    cda: PROGRAM + 8,
  });
  const scsw = scswOf(run(ctx.world, ctx.sch, host, orb(PROGRAM))[0]!);
  assert.deepEqual([scsw.dstat, scsw.cpa, scsw.count], [
    END | DSTAT.UNIT_CHECK,
    PROGRAM + 16,
    4096,
  ]);
  assert.equal(ctx.sch.device!.position, blocks);
  assert.equal(ctx.sch.device!.sense[1], SENSE_NO_RECORD_FOUND);
});

Deno.test("a TIC loop without data stops after CCW_BUDGET fetches with a channel-control check", () => {
  const ctx = channelWorld();
  const host = new Host();
  host.ccws(PROGRAM, { cmd: NOP, flags: CC, count: 0, cda: 0 }, {
    cmd: TIC,
    flags: 0,
    count: 0,
    cda: PROGRAM,
  });
  const scsw = scswOf(run(ctx.world, ctx.sch, host, orb(PROGRAM))[0]!);
  assert.equal(CCW_BUDGET % 2, 0);
  // Fetches alternate NOP, TIC: the last one within the budget is the TIC.
  assert.deepEqual([scsw.stctl, scsw.dstat, scsw.cstat, scsw.cpa], [
    ALERT_FINAL,
    0,
    CSTAT.CHN_CTRL_CHK,
    PROGRAM + 16,
  ]);
});

Deno.test("a TIC to a TIC is a program check", () => {
  const ctx = channelWorld();
  const host = new Host();
  host.ccws(PROGRAM, { cmd: TIC, flags: 0, count: 0, cda: PROGRAM + 8 }, {
    cmd: TIC,
    flags: 0,
    count: 0,
    cda: PROGRAM,
  });
  const scsw = scswOf(run(ctx.world, ctx.sch, host, orb(PROGRAM))[0]!);
  assert.deepEqual([scsw.stctl, scsw.cstat, scsw.cpa], [
    ALERT_FINAL,
    CSTAT.PROG_CHECK,
    PROGRAM + 16,
  ]);
});

Deno.test("program checks: bad addresses, invalid command codes, Format-0 count 0, S without suspend", () => {
  const ctx = channelWorld();
  const host = new Host();
  const cases = [
    { orb: orb(PROGRAM + 4), ccws: [], cpa: PROGRAM + 12 },
    { orb: orb(PROGRAM), ccws: [{ cmd: 0x10, flags: 0, count: 1, cda: 0 }], cpa: PROGRAM + 8 },
    { orb: orb(PROGRAM), ccws: [{ cmd: 0x18, flags: 0, count: 1, cda: 0 }], cpa: PROGRAM + 8 },
    { orb: orb(PROGRAM), ccws: [{ cmd: NOP, flags: 0x02, count: 0, cda: 0 }], cpa: PROGRAM + 8 },
    { orb: orb(PROGRAM), ccws: [{ cmd: NOP, flags: 0x01, count: 0, cda: 0 }], cpa: PROGRAM + 8 },
    {
      orb: orb(PROGRAM),
      ccws: [{ cmd: READ, flags: IDA, count: 4096, cda: IDAL + 4 }],
      cpa: PROGRAM + 8,
    },
    {
      orb: orb(PROGRAM),
      ccws: [{ cmd: READ, flags: 0, count: 4096, cda: host.bytes.length - 100 }],
      cpa: PROGRAM + 8,
    },
    { orb: orb(PROGRAM, { transport: true }), ccws: [], cpa: PROGRAM + 8 },
  ];
  for (const c of cases) {
    host.ccws(PROGRAM, ...c.ccws);
    const scsw = scswOf(run(ctx.world, ctx.sch, host, c.orb)[0]!);
    assert.deepEqual([scsw.cstat, scsw.cpa], [CSTAT.PROG_CHECK, c.cpa], JSON.stringify(c.ccws));
  }
  // Format-0 count 0.
  host.bytes.set([NOP, 0, 0, 0, 0, 0, 0, 0], PROGRAM);
  const f0 = scswOf(run(ctx.world, ctx.sch, host, orb(PROGRAM, { fmt1: false }))[0]!);
  assert.equal(f0.cstat, CSTAT.PROG_CHECK);
  // A later IDAW that does not start a block.
  host.idal(IDAL, BUF_A + 2048, BUF_B + 8);
  host.ccws(PROGRAM, seek(host, 0), { cmd: READ, flags: IDA, count: 4096, cda: IDAL });
  const idaw = scswOf(run(ctx.world, ctx.sch, host, orb(PROGRAM))[0]!);
  assert.deepEqual([idaw.cstat, idaw.count, idaw.cpa], [CSTAT.PROG_CHECK, 2048, PROGRAM + 16]);
});

Deno.test("PCI presents intermediate status and the program goes on", () => {
  const ctx = channelWorld();
  const host = new Host();
  host.ccws(PROGRAM, { cmd: NOP, flags: CC | PCI, count: 0, cda: 0 }, {
    cmd: NOP,
    flags: 0,
    count: 0,
    cda: 0,
  });
  const irbs = run(ctx.world, ctx.sch, host, orb(PROGRAM));
  assert.equal(irbs.length, 2);
  const first = scswOf(irbs[0]!);
  assert.deepEqual(
    [first.fctl, first.actl, first.stctl, first.dstat, first.cstat, first.cpa],
    [
      FCTL.START,
      ACTL.SCHACT | ACTL.DEVACT,
      STCTL.INTERMEDIATE | STCTL.STATUS_PEND,
      0,
      CSTAT.PCI,
      PROGRAM + 8,
    ],
  );
  const last = scswOf(irbs[1]!);
  assert.deepEqual([last.fctl, last.stctl, last.dstat, last.cstat, last.cpa], [
    FCTL.START,
    FINAL,
    END,
    0,
    PROGRAM + 16,
  ]);
});

Deno.test("PCI on the last command, or not yet fetched, joins the final status", () => {
  const ctx = channelWorld();
  const host = new Host();
  host.ccws(PROGRAM, { cmd: NOP, flags: PCI, count: 0, cda: 0 });
  const irbs = run(ctx.world, ctx.sch, host, orb(PROGRAM));
  assert.equal(irbs.length, 1);
  assert.deepEqual([scswOf(irbs[0]!).stctl, scswOf(irbs[0]!).cstat], [FINAL, CSTAT.PCI]);
  ctx.driver.fetch = false;
  const irqs = ctx.driver.seen.irqs;
  host.ccws(PROGRAM, { cmd: NOP, flags: CC | PCI, count: 0, cda: 0 }, {
    cmd: NOP,
    flags: 0,
    count: 0,
    cda: 0,
  });
  run(ctx.world, ctx.sch, host, orb(PROGRAM));
  assert.equal(ctx.driver.seen.irqs, irqs + 1, "one interruption");
  const merged = scswOf(ctx.sch.stsch()!.subarray(28));
  assert.deepEqual([merged.stctl, merged.dstat, merged.cstat], [
    FINAL | STCTL.INTERMEDIATE,
    END,
    CSTAT.PCI,
  ]);
});

Deno.test("a READ past the device's end is no record found and leaves the position", () => {
  const ctx = channelWorld();
  const host = new Host();
  const blocks = ctx.sch.device!.blocks;
  host.ccws(PROGRAM, seek(host, blocks), { cmd: NOP, flags: 0, count: 0, cda: 0 });
  const seekPast = scswOf(run(ctx.world, ctx.sch, host, orb(PROGRAM))[0]!);
  assert.deepEqual([seekPast.dstat, seekPast.cpa], [END | DSTAT.UNIT_CHECK, PROGRAM + 8]);
  assert.equal(ctx.sch.device!.sense[0], SENSE_COMMAND_REJECT);
  assert.equal(ctx.sch.device!.position, 0);
  host.ccws(PROGRAM, { cmd: SEEK, flags: CC | SLI, count: 2, cda: SEEK_ARG });
  const short = scswOf(run(ctx.world, ctx.sch, host, orb(PROGRAM))[0]!);
  assert.equal(short.dstat, END | DSTAT.UNIT_CHECK);
});
