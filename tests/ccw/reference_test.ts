import assert from "node:assert/strict";
import fc from "fast-check";
import type { TranslationReport } from "../../lib/ccw/engine.ts";
import { parseProgramFile, type ProgramFile } from "../../lib/ccw/program_file.ts";
import { reportToJson, type TranslationReportJson } from "../../lib/ccw/report_json.ts";
import { KernelError, neg } from "../../lib/errno.ts";
import { CcwReference, createCcwReference, GUEST_BASE } from "../../lib/wasm/ccw_reference.ts";
import { data, failure, ORB_D, P, R, segment, success, tic, VECTORS } from "./_vectors.ts";

const MIB = 0x10_0000;
const EINVAL = neg("EINVAL");

// ---- helpers ----------------------------------------------------------------------------------

/** A 12-byte ORB in the notation ORB(b4, b5, lpm, cpa) of §5.1, as a program-file hex string. */
function orbHex(byte4: number, byte5: number, lpm: number, cpa: number): string {
  const hex = (value: number, digits: number) => value.toString(16).padStart(digits, "0");
  return `11223344 ${hex(byte4, 2)} ${hex(byte5, 2)} ${hex(lpm, 2)} 00 ${hex(cpa, 8)}`;
}

/** Memory writes of a program file from `{ address: hex }`. */
function memory(writes: Record<number, string>): { addr: string; hex: string }[] {
  return Object.entries(writes).map(([addr, hex]) => ({
    addr: `0x${Number(addr).toString(16)}`,
    hex,
  }));
}

/** Big-endian IDAL words as a hex string: 8-byte words (`IDAL8`) or 4-byte words (`IDAL4`). */
function idal(wordBytes: 4 | 8, words: (number | bigint)[]): string {
  return words.map((word) => word.toString(16).padStart(wordBytes * 2, "0")).join(" ");
}

/** An engine loaded with a parsed program file. */
function load(program: ProgramFile): CcwReference {
  const engine = createCcwReference(program.ram);
  for (const { addr, bytes } of program.memory) engine.host.set(bytes, GUEST_BASE + addr);
  return engine;
}

interface Run {
  engine: CcwReference;
  report: TranslationReport;
  json: TranslationReportJson;
}

/** Parses a program file (given as an object), loads it and translates it. */
function translateFile(file: Record<string, unknown>): Run {
  const program = parseProgramFile(JSON.stringify(file));
  const engine = load(program);
  const report = engine.translate(program.orb, program.lpm);
  return { engine, report, json: reportToJson(report) };
}

/** Translates `writes` with ORB_D (or `orb`) in 1 MiB of RAM. */
function translate(writes: Record<number, string>, orb = ORB_D, lpm = 0x80): Run {
  return translateFile({ orb, lpm, memory: memory(writes) });
}

/** The host address a host CCW's data address field holds. */
function hostCda(engine: CcwReference, ccwAddress: number): number {
  return new DataView(engine.host.buffer).getUint32(ccwAddress + 4);
}

/** The host address of C0[0], from the host ORB. */
function firstSegmentBase(engine: CcwReference): number {
  return new DataView(engine.hostOrb(0).buffer).getUint32(8);
}

function scswWithCpa(cpa: number): Uint8Array {
  const scsw = Uint8Array.from([0x00, 0x40, 0x40, 0x07, 0, 0, 0, 0, 0x0c, 0x00, 0x12, 0x34]);
  new DataView(scsw.buffer).setUint32(4, cpa);
  return scsw;
}

function cpaOf(scsw: Uint8Array): number {
  return new DataView(scsw.buffer).getUint32(4);
}

// ---- §5.2 vectors -----------------------------------------------------------------------------

for (const vector of VECTORS) {
  Deno.test(`translate() reports vector ${vector.name} as §5.2 expects`, () => {
    const { engine, json } = translate(vector.writes);
    assert.deepEqual(json, vector.expected);
    engine.free();
  });
}

/**
 * The function-control dispatch of fsm_io_request (§2.1 steps 2–3), which decides whether the
 * engine runs at all; V14 is about it. Returns ret_code, or undefined when it is left unchanged.
 */
function ioRequest(engine: CcwReference, program: ProgramFile): number | undefined {
  const fctl = program.scsw[2];
  if (fctl & 0x40) {
    if (program.orb[5] & 0x04) return neg("EOPNOTSUPP");
    return engine.translate(program.orb, program.lpm).rc;
  }
  if (fctl & 0x20 || fctl & 0x10) return neg("EOPNOTSUPP");
  return undefined;
}

Deno.test("translate() runs only for the start function (vector V14)", () => {
  const outcome = (scsw: string) => {
    const program = parseProgramFile(JSON.stringify({
      orb: ORB_D,
      scsw,
      memory: memory({ 0x1000: "02 00 0010 00010000" }),
    }));
    const engine = load(program);
    const rc = ioRequest(engine, program);
    return { rc, initialized: engine.initialized, pinned: engine.pinnedPages() };
  };
  assert.deepEqual(outcome("00 00 20 00 00000000 00 00 0000"), {
    rc: neg("EOPNOTSUPP"),
    initialized: false,
    pinned: new Map(),
  });
  assert.deepEqual(outcome("00 00 10 00 00000000 00 00 0000"), {
    rc: neg("EOPNOTSUPP"),
    initialized: false,
    pinned: new Map(),
  });
  assert.deepEqual(outcome("00 00 00 00 00000000 00 00 0000"), {
    rc: undefined,
    initialized: false,
    pinned: new Map(),
  });
  assert.deepEqual(outcome("00 00 60 00 00000000 00 00 0000"), {
    rc: 0,
    initialized: true,
    pinned: new Map([[0x10, 1]]),
  });
});

// ---- §1.2 Format-0 ------------------------------------------------------------------------------

Deno.test("translate() converts Format-0 CCWs to Format-1 and drops the reserved byte when fmt=0", () => {
  const { json } = translate({ 0x1000: "02 010000 20 77 0050" }, orbHex(0x00, 0x42, 0xff, 0x1000));
  assert.deepEqual(json, success([segment(0x1000, data(0x02, 0x24, 0x50, P(0x10000)))]));
});

Deno.test("translate() turns any Format-0 command with low nibble 8 into a TIC without flags or count", () => {
  const { json } = translate(
    { 0x1000: "02 010000 40 00 0010", 0x1008: "F8 002000 FF 00 FFFF" },
    orbHex(0x00, 0x42, 0xff, 0x1000),
  );
  // The dropped flags include CC, so the TIC ends the segment.
  assert.deepEqual(
    json,
    success([
      segment(0x1000, data(0x02, 0x44, 0x10, P(0x10000)), tic(1, 0)),
      segment(0x2000, data(0x00, 0x04, 0, R(0))),
    ]),
  );
});

Deno.test("translate() treats only 0x08 as a TIC in Format-1 (0x18 is a data command)", () => {
  const { json } = translate({ 0x1000: "18 00 0010 00010000" });
  assert.deepEqual(json, success([segment(0x1000, data(0x18, 0x04, 0x10, P(0x10000)))]));
});

// ---- §2.4 segment length ------------------------------------------------------------------------

Deno.test("translate() keeps counting after a backward TIC into the same segment", () => {
  const { json } = translate({
    0x1000: "07 40 0006 00020000",
    0x1008: "08 00 0000 00001000",
    0x1010: "02 00 0010 00010000",
  });
  assert.deepEqual(
    json,
    success([segment(
      0x1000,
      data(0x07, 0x44, 6, P(0x20000)),
      tic(0, 0),
      data(0x02, 0x04, 0x10, P(0x10000)),
    )]),
  );
});

Deno.test("translate() treats a TIC to itself as backward and includes the zeros after it", () => {
  const { json } = translate({ 0x1000: "08 00 0000 00001000" });
  assert.deepEqual(json, success([segment(0x1000, tic(0, 0), data(0x00, 0x04, 0, R(0)))]));
});

Deno.test("translate() ends a segment at a forward TIC and starts a new one at its target", () => {
  const { engine, json } = translate({
    0x1000: "02 40 0010 00010000",
    0x1008: "08 00 0000 00001020",
    0x1010: "02 00 0010 00030000",
    0x1020: "03 00 0000 00000000",
  });
  assert.deepEqual(
    json,
    success([
      segment(0x1000, data(0x02, 0x44, 0x10, P(0x10000)), tic(1, 0)),
      segment(0x1020, data(0x03, 0x04, 0, R(0))),
    ]),
  );
  assert.deepEqual(engine.pinnedPages(), new Map([[0x10, 1]]));
});

Deno.test("translate() keeps counting after a forward TIC with CC and keeps the TIC's flags", () => {
  const { json } = translate({
    0x1000: "02 40 0010 00010000",
    0x1008: "08 40 0000 00001020",
    0x1010: "02 00 0010 00030000",
    0x1020: "03 00 0000 00000000",
  });
  assert.deepEqual(
    json,
    success([
      segment(
        0x1000,
        data(0x02, 0x44, 0x10, P(0x10000)),
        tic(1, 0, 0x40),
        data(0x02, 0x04, 0x10, P(0x30000)),
      ),
      segment(0x1020, data(0x03, 0x04, 0, R(0))),
    ]),
  );
});

Deno.test("translate() accepts a 256-CCW segment and rejects 257 CCWs with EINVAL", () => {
  const chain = (chained: number) => {
    const hex = Array.from({ length: 256 }, (_, i) => i < chained ? "03400000 00000000" : "");
    return hex.join("") + (chained < 256 ? "03000000 00000000" : "");
  };
  const ok = translate({ 0x1000: chain(255) });
  assert.equal(ok.report.rc, 0);
  assert.equal(ok.report.segments[0].ccws.length, 256);
  assert.deepEqual(translate({ 0x1000: chain(256) }).json, failure("EINVAL"));
});

// ---- §2.3 segments ------------------------------------------------------------------------------

Deno.test("translate() needs the whole 2 KiB window of a segment inside RAM", () => {
  const nop = "03 00 0000 00000000";
  const last = translate({ 0xff800: nop }, orbHex(0x00, 0xc2, 0xff, 0xff800));
  assert.deepEqual(last.json, success([segment(0xff800, data(0x03, 0x04, 0, R(0)))]));
  const tooLate = translate({ 0xff808: nop }, orbHex(0x00, 0xc2, 0xff, 0xff808));
  assert.deepEqual(tooLate.json, failure("EINVAL"));
  const ticTooLate = translate({ 0x1000: "08 00 0000 000FFFF8", 0xffff8: nop });
  assert.deepEqual(ticTooLate.json, failure("EINVAL"));
});

Deno.test("translate() builds 16 segments and rejects a 17th with EINVAL", () => {
  const ticChain = (segments: number) => {
    const writes: Record<number, string> = {};
    for (let i = 0; i < segments; i++) {
      const base = 0x1000 * (i + 1);
      const next = (base + 0x1000).toString(16).padStart(8, "0");
      writes[base] = i < segments - 1
        ? `02 40 0010 00010000 08 00 0000 ${next}`
        : "01 00 0010 00020000";
    }
    return writes;
  };
  const sixteen = translate(ticChain(16));
  assert.equal(sixteen.report.rc, 0);
  assert.deepEqual(
    sixteen.report.segments.map((s) => s.iova),
    Array.from({ length: 16 }, (_, i) => 0x1000 * (i + 1)),
  );
  assert.deepEqual(sixteen.engine.pinnedPages(), new Map([[0x10, 15], [0x20, 1]]));
  const seventeen = translate(ticChain(17));
  assert.deepEqual(seventeen.json, failure("EINVAL"));
  assert.deepEqual(seventeen.engine.pinnedPages(), new Map());
  assert.equal(seventeen.engine.initialized, false);
});

Deno.test("translate() lists segments in depth-first discovery order", () => {
  const { json } = translate({
    0x1000: "08 40 0000 00002000 08 00 0000 00003000",
    0x2000: "08 00 0000 00004000",
    0x3000: "03 00 0000 00000000",
    0x4000: "03 00 0000 00000000",
  });
  assert.deepEqual(
    json,
    success([
      segment(0x1000, tic(1, 0, 0x40), tic(3, 0)),
      segment(0x2000, tic(2, 0)),
      segment(0x4000, data(0x03, 0x04, 0, R(0))),
      segment(0x3000, data(0x03, 0x04, 0, R(0))),
    ]),
  );
});

Deno.test("translate() translates overlapping segments twice and resolves TICs to the first match", () => {
  const { engine, json } = translate({
    0x1000: "08 40 0000 00002008 08 40 0000 00002000 08 00 0000 00002010",
    0x2000: "01 40 0008 00020000 02 40 0010 00010000 03 00 0000 00000000",
  });
  assert.deepEqual(
    json,
    success([
      segment(0x1000, tic(1, 0, 0x40), tic(2, 0, 0x40), tic(1, 8)),
      segment(0x2008, data(0x02, 0x44, 0x10, P(0x10000)), data(0x03, 0x04, 0, R(0))),
      segment(
        0x2000,
        data(0x01, 0x44, 8, P(0x20000)),
        data(0x02, 0x44, 0x10, P(0x10000)),
        data(0x03, 0x04, 0, R(0)),
      ),
    ]),
  );
  assert.deepEqual(engine.pinnedPages(), new Map([[0x10, 2], [0x20, 1]]));
  engine.free();
  assert.deepEqual(engine.pinnedPages(), new Map());
});

Deno.test("translate() resolves a TIC into the middle (+4) of a segment without a new segment", () => {
  const { engine, json } = translate({
    0x1000: "02 40 0010 00010000 08 00 0000 00002000",
    0x2000: "08 00 0000 00001004",
  });
  assert.deepEqual(
    json,
    success([
      segment(0x1000, data(0x02, 0x44, 0x10, P(0x10000)), tic(1, 0)),
      segment(0x2000, tic(0, 4)),
    ]),
  );
  const base0 = firstSegmentBase(engine);
  const base1 = hostCda(engine, base0 + 8);
  assert.equal(hostCda(engine, base1), base0 + 4);
});

Deno.test("translate() starts a new segment for a TIC just past the last CCW of a segment", () => {
  const { json } = translate({
    0x1000: "02 40 0010 00010000 08 00 0000 00002000",
    0x2000: "08 00 0000 0000100C",
  });
  // 0x100c..0x1013 holds "00 00 20 00 00 00 00 00": command 0x00, count 0x2000, address 0.
  assert.deepEqual(
    json,
    success([
      segment(0x1000, data(0x02, 0x44, 0x10, P(0x10000)), tic(1, 0)),
      segment(0x2000, tic(2, 0)),
      segment(0x100c, data(0x00, 0x04, 0x2000, P(0), P(0x1000))),
    ]),
  );
});

// ---- §2.8 IDAWs and IDALs -----------------------------------------------------------------------

Deno.test("translate() uses 4 KiB blocks for c64=1 i2k=0 and 2 KiB blocks for i2k=1 or c64=0", () => {
  const write = { 0x1000: "01 00 1000 00010400" };
  const fourK = translate(write, orbHex(0x00, 0xc2, 0xff, 0x1000));
  assert.deepEqual(
    fourK.json,
    success([segment(0x1000, data(0x01, 0x04, 0x1000, P(0x10400), P(0x11000)))], 0xc2),
  );
  assert.deepEqual(fourK.engine.pinnedPages(), new Map([[0x10, 1], [0x11, 1]]));
  for (const byte5 of [0xc3, 0xc0]) {
    const twoK = translate(write, orbHex(0x00, byte5, 0xff, 0x1000));
    assert.deepEqual(
      twoK.json,
      success(
        [segment(0x1000, data(0x01, 0x04, 0x1000, P(0x10400), P(0x10800), P(0x11000)))],
        0xc3,
      ),
    );
    assert.deepEqual(twoK.engine.pinnedPages(), new Map([[0x10, 2], [0x11, 1]]));
  }
});

Deno.test("translate() writes host IDAWs H(page) + offset, keeping the 2 KiB offset", () => {
  const { engine } = translate({ 0x1000: "01 00 1000 00010400" }, orbHex(0x00, 0xc3, 0xff, 0x1000));
  const view = new DataView(engine.host.buffer);
  const base = firstSegmentBase(engine);
  assert.deepEqual([...engine.host.subarray(base, base + 4)], [0x01, 0x04, 0x10, 0x00]);
  const idalAddress = hostCda(engine, base);
  const words = [0, 1, 2].map((k) => view.getBigUint64(idalAddress + 8 * k));
  const host = (guest: number) => BigInt(GUEST_BASE + guest);
  assert.deepEqual(words, [host(0x10400), host(0x10800), host(0x11000)]);
});

Deno.test("translate() fabricates packed u32 IDAWs for c64=0 that read back as u64 when not pinned", () => {
  const c64Off = orbHex(0x00, 0xc0, 0xff, 0x1000);
  assert.deepEqual(
    translate({ 0x1000: "03 00 0100 7FFFF000" }, c64Off).json,
    success([segment(0x1000, data(0x03, 0x04, 0x100, R(0x7ffff000n << 32n)))], 0xc3),
  );
  assert.deepEqual(
    translate({ 0x1000: "03 00 1000 00010400" }, c64Off).json,
    success(
      [segment(
        0x1000,
        data(0x03, 0x04, 0x1000, R(0x00010400_00010800n), R(0x00011000_00000000n), R(0)),
      )],
      0xc3,
    ),
  );
  // u32 wrap-around: 0xfffff800 + 2 KiB is 0.
  assert.deepEqual(
    translate({ 0x1000: "03 00 2000 FFFFF000" }, c64Off).json,
    success(
      [segment(0x1000, data(0x03, 0x04, 0x2000, R(0xfffff000_fffff800n), R(0x800), R(0), R(0)))],
      0xc3,
    ),
  );
});

Deno.test("translate() fabricates u64 IDAWs for c64=1 without u32 wrap-around", () => {
  const { json } = translate({ 0x1000: "03 00 2000 FFFFF000" });
  assert.deepEqual(
    json,
    success([segment(0x1000, data(0x03, 0x04, 0x2000, R(0xfffff000), R(0x1_0000_0000n)))]),
  );
});

Deno.test("translate() reads a Format-2 IDAL and pins its IDAWs", () => {
  const { json } = translate({
    0x1000: "02 04 0100 00003000",
    0x3000: idal(8, [0x10f80, 0x11000]),
  });
  assert.deepEqual(
    json,
    success([segment(0x1000, data(0x02, 0x04, 0x100, P(0x10f80), P(0x11000)))]),
  );
});

Deno.test("translate() counts IDAWs from the first address only", () => {
  const { engine, json } = translate({
    0x1000: "02 04 0100 00003000",
    0x3000: idal(8, [0x10000, 0xf00000]),
  });
  assert.deepEqual(json, success([segment(0x1000, data(0x02, 0x04, 0x100, P(0x10000)))]));
  assert.deepEqual(engine.pinnedPages(), new Map([[0x10, 1]]));
});

Deno.test("translate() reads a Format-1 IDAL at its real size n·4 (FIX72)", () => {
  const c64Off = orbHex(0x00, 0xc0, 0xff, 0x1000);
  // Two 4-byte IDAWs end exactly at the end of RAM; n·8 bytes would not fit.
  const atEnd = translate(
    { 0x1000: "02 04 0200 000FFFF8", 0xffff8: idal(4, [0x10700, 0x10800]) },
    c64Off,
  );
  assert.deepEqual(
    atEnd.json,
    success([segment(0x1000, data(0x02, 0x04, 0x200, P(0x10700), P(0x10800)))], 0xc3),
  );
  // Unpinned, the host IDAL keeps the raw guest bytes: only n·4 of them were read.
  const raw = translate(
    { 0x1000: "03 04 0100 00003000", 0x3000: idal(4, [0x12345678, 0x9abcdef0]) },
    c64Off,
  );
  assert.deepEqual(
    raw.json,
    success([segment(0x1000, data(0x03, 0x04, 0x100, R(0x12345678_00000000n)))], 0xc3),
  );
});

Deno.test("translate() fails with EINVAL when a guest IDAL runs past the end of RAM", () => {
  const across = translate({ 0x1000: "02 04 0200 000FFFF8", 0xffff8: idal(8, [0x10f00]) });
  assert.deepEqual(across.json, failure("EINVAL"));
  const fits = translate({ 0x1000: "02 04 0100 000FFFF8", 0xffff8: idal(8, [0x10f00]) });
  assert.deepEqual(fits.json, success([segment(0x1000, data(0x02, 0x04, 0x100, P(0x10f00)))]));
  const firstUnreadable = translate({ 0x1000: "02 04 0010 000FFFFC" });
  assert.deepEqual(firstUnreadable.json, failure("EINVAL"));
  const format1Fits = translate(
    { 0x1000: "02 04 0010 000FFFFC", 0xffffc: idal(4, [0x10000]) },
    orbHex(0x00, 0xc0, 0xff, 0x1000),
  );
  assert.deepEqual(
    format1Fits.json,
    success([segment(0x1000, data(0x02, 0x04, 0x10, P(0x10000)))], 0xc3),
  );
});

// ---- §2.9 data-transfer predicate ---------------------------------------------------------------

Deno.test("translate() pins exactly the CCWs the data-transfer predicate selects", () => {
  const cases: [string, boolean][] = [
    ["02 00 0010", true], // read
    ["02 00 0000", false], // count 0
    ["03 00 0010", false], // NOP
    ["13 00 0010", true], // 0x13 is no NOP
    ["02 10 0010", false], // read + SKP
    ["0A 10 0010", false], // (cmd & 3) == 2 is a read
    ["0C 10 0010", false], // read backward + SKP
    ["14 10 0010", false], // low nibble 4 is a sense
    ["01 10 0010", true], // write: SKP ignored
    ["07 10 0010", true], // control: SKP ignored
  ];
  for (const [head, pins] of cases) {
    const { engine, report } = translate({ 0x1000: `${head} 00010000` });
    assert.equal(report.rc, 0, head);
    assert.equal(report.segments[0].ccws[0].idaws[0].pinned, pins, head);
    assert.deepEqual(engine.pinnedPages(), new Map(pins ? [[0x10, 1]] : []), head);
  }
});

Deno.test("translate() releases every pin when a later CCW fails to pin", () => {
  const { engine, json } = translate({
    0x1000: "02 40 0010 00010000",
    0x1008: "02 00 1000 000FF800",
  });
  assert.deepEqual(json, failure("EINVAL"));
  assert.deepEqual(engine.pinnedPages(), new Map());
  assert.equal(engine.initialized, false);
});

// ---- DMA mappings -------------------------------------------------------------------------------

Deno.test("setMappings() limits guest reads and pins to the mapped ranges", () => {
  const program = parseProgramFile(JSON.stringify({
    orb: ORB_D,
    memory: memory({ 0x1000: "02 20 0050 00010000" }),
  }));
  const engine = load(program);
  engine.setMappings([{ iova: 0, size: 0x10000 }]);
  assert.equal(engine.translate(program.orb, program.lpm).rc, EINVAL);
  engine.setMappings([{ iova: 0x2000, size: 0xfe000 }]);
  assert.equal(engine.translate(program.orb, program.lpm).rc, EINVAL);
  engine.setMappings([{ iova: 0, size: 0x10000 }, { iova: 0x10000, size: 0xf0000 }]);
  assert.equal(engine.translate(program.orb, program.lpm).rc, 0);
  engine.free();
  assert.throws(() => engine.setMappings([{ iova: 0xff000, size: 0x2000 }]), RangeError);
});

// ---- §2.2 / §2.10 cp_init and the host ORB ------------------------------------------------------

Deno.test("translate() fails with EBUSY while a program is initialized and keeps that program", () => {
  const { engine } = translate({ 0x1000: "02 20 0050 00010000" });
  const orb = parseProgramFile(JSON.stringify({ orb: ORB_D })).orb;
  assert.deepEqual(reportToJson(engine.translate(orb, 0x80)), failure("EBUSY"));
  assert.equal(engine.initialized, true);
  assert.deepEqual(engine.pinnedPages(), new Map([[0x10, 1]]));
  engine.free();
  assert.equal(engine.initialized, false);
  assert.equal(engine.translate(orb, 0x80).rc, 0);
});

Deno.test("hostOrb() sets fmt, c64, i2k for c64=0, the subchannel lpm for lpm 0, and the CPA", () => {
  const file = {
    orb: "11223344 58 A0 00 81 00001000",
    lpm: "0x80",
    memory: memory({ 0x1000: "02 20 0050 00010000" }),
  };
  const { engine, json } = translateFile(file);
  assert.deepEqual(json.hostOrb, { byte4: "0x58", byte5: "0xa3", lpm: "0x80", byte7: "0x81" });
  const orb = engine.hostOrb(0xdeadbeef);
  assert.deepEqual(
    [...orb.subarray(0, 8)],
    [0xde, 0xad, 0xbe, 0xef, 0x58, 0xa3, 0x80, 0x81],
  );
  const view = new DataView(engine.host.buffer);
  const cpa = new DataView(orb.buffer).getUint32(8);
  assert.ok(cpa < GUEST_BASE);
  assert.deepEqual([...engine.host.subarray(cpa, cpa + 4)], [0x02, 0x24, 0x00, 0x50]);
  assert.equal(view.getBigUint64(hostCda(engine, cpa)), BigInt(GUEST_BASE + 0x10000));
});

Deno.test("hostOrb() keeps a non-zero lpm and fails with EIO without a program", () => {
  const { engine, json } = translate({ 0x1000: "02 20 0050 00010000" }, ORB_D, 0x40);
  assert.equal(json.hostOrb?.lpm, "0xff");
  engine.free();
  assert.throws(
    () => engine.hostOrb(0),
    (error: unknown) => error instanceof KernelError && error.errno === "EIO",
  );
});

// ---- §2.12 cp_update_scsw -----------------------------------------------------------------------

Deno.test("updateScsw() maps host CPAs up to one CCW past a segment's end back to guest addresses", () => {
  const { engine } = translate({
    0x1000: "07 40 0006 00020000",
    0x1008: "31 40 0005 00020010",
    0x1010: "06 00 1000 00030000",
  });
  const base = firstSegmentBase(engine);
  const mapped = (cpa: number) => {
    const scsw = scswWithCpa(cpa);
    engine.updateScsw(scsw);
    return cpaOf(scsw);
  };
  assert.equal(mapped(base), 0x1000);
  assert.equal(mapped(base + 8), 0x1008);
  assert.equal(mapped(base + 24), 0x1018);
  assert.equal(mapped(base + 32), base + 32);
  assert.equal(mapped(base - 8), base - 8);
  const scsw = scswWithCpa(base + 8);
  engine.updateScsw(scsw);
  assert.deepEqual([...scsw], [0x00, 0x40, 0x40, 0x07, 0, 0, 0x10, 0x08, 0x0c, 0x00, 0x12, 0x34]);
  engine.free();
  assert.equal(mapped(base), base);
});

Deno.test("updateScsw() maps one past the end of a segment to that segment, not the next", () => {
  const { engine } = translate({
    0x1000: "02 40 0010 00010000 08 00 0000 00003000",
    0x3000: "03 00 0000 00000000",
  });
  const base0 = firstSegmentBase(engine);
  const base1 = hostCda(engine, base0 + 8);
  const mapped = (cpa: number) => {
    const scsw = scswWithCpa(cpa);
    engine.updateScsw(scsw);
    return cpaOf(scsw);
  };
  assert.equal(mapped(base0 + 16), 0x1010);
  assert.equal(mapped(base1), 0x3000);
  assert.equal(mapped(base1 + 8), 0x3008);
});

// ---- §2.13 cp_iova_pinned -----------------------------------------------------------------------

Deno.test("iovaPinned() reports ranges that touch a page pinned by a transferring CCW", () => {
  const { engine } = translate({ 0x1000: "02 40 0050 00010000 02 10 0100 00020000" });
  assert.equal(engine.iovaPinned(0x10000, 1), true);
  assert.equal(engine.iovaPinned(0x10fff, 1), true);
  assert.equal(engine.iovaPinned(0xf000, 0x1001), true);
  assert.equal(engine.iovaPinned(0xf000, 0x1000), false);
  assert.equal(engine.iovaPinned(0x11000, 0x1000), false);
  // The read with SKP did not pin 0x20000, so its page does not count.
  assert.equal(engine.iovaPinned(0x20000, 0x1000), false);
  engine.free();
  assert.equal(engine.iovaPinned(0, MIB), false);
});

Deno.test("iovaPinned() is false for a program that pinned nothing", () => {
  const { engine } = translate({ 0x1000: "03 00 0100 00010000" });
  assert.equal(engine.initialized, true);
  assert.equal(engine.iovaPinned(0, MIB), false);
});

// ---- program files and report documents ---------------------------------------------------------

Deno.test("parseProgramFile() fills in the defaults of cli.md §6", () => {
  const program = parseProgramFile(JSON.stringify({ orb: ORB_D }));
  assert.equal(program.ram, MIB);
  assert.equal(program.lpm, 0x80);
  assert.deepEqual(program.memory, []);
  assert.deepEqual([...program.scsw], [0, 0, 0x44, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(
    [...program.orb],
    [0x11, 0x22, 0x33, 0x44, 0x00, 0xc2, 0xff, 0x00, 0, 0, 0x10, 0, ...new Array(20).fill(0)],
  );
});

Deno.test("parseProgramFile() accepts numbers, 0x strings and hex with whitespace", () => {
  const program = parseProgramFile(JSON.stringify({
    ram: "0x20000",
    orb: "1122 3344\n00c2ff00 0000\t1000",
    lpm: 64,
    memory: [{ addr: 4096, hex: "02 20 0050" }, { addr: "0x1ffff", hex: "ff" }],
  }));
  assert.equal(program.ram, 0x20000);
  assert.equal(program.lpm, 0x40);
  assert.deepEqual(program.memory, [
    { addr: 0x1000, bytes: Uint8Array.from([0x02, 0x20, 0x00, 0x50]) },
    { addr: 0x1ffff, bytes: Uint8Array.from([0xff]) },
  ]);
});

Deno.test("parseProgramFile() rejects malformed files with EINVAL naming the field", () => {
  const cases: [string, RegExp][] = [
    ["{", /not JSON/],
    ["[]", /document must be an object/],
    [JSON.stringify({}), /"orb" is missing/],
    [JSON.stringify({ orb: "11223344 00C2FF00 000010" }), /"orb" must hold 12 bytes, got 11/],
    [JSON.stringify({ orb: ORB_D + "0" }), /"orb" must be an even number of hex digits/],
    [JSON.stringify({ orb: ORB_D, scsw: "00" }), /"scsw" must hold 12 bytes, got 1/],
    [JSON.stringify({ orb: ORB_D, ram: 5000 }), /"ram" must be a multiple of 4096/],
    [JSON.stringify({ orb: ORB_D, ram: "1M" }), /"ram" must be a non-negative integer/],
    [JSON.stringify({ orb: ORB_D, lpm: "0x100" }), /"lpm" must be a byte/],
    [JSON.stringify({ orb: ORB_D, lpm: -1 }), /"lpm" must be a non-negative integer/],
    [JSON.stringify({ orb: ORB_D, memory: {} }), /"memory" must be an array/],
    [JSON.stringify({ orb: ORB_D, memory: [{ addr: 0 }] }), /"memory\[0\]" needs "addr" and "hex"/],
    [
      JSON.stringify({ orb: ORB_D, memory: [{ addr: "0xfffff", hex: "0000" }] }),
      /"memory\[0\]" writes 2 bytes at 0xfffff, past the end of RAM/,
    ],
    [JSON.stringify({ orb: ORB_D, lmp: 1 }), /unknown key "lmp"/],
  ];
  for (const [text, detail] of cases) {
    assert.throws(
      () => parseProgramFile(text, "prog.json"),
      (error: unknown) =>
        error instanceof KernelError && error.errno === "EINVAL" && error.path === "prog.json" &&
        detail.test(error.message),
      text,
    );
  }
});

Deno.test("parseProgramFile() fails only with EINVAL on arbitrary JSON", () => {
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      try {
        parseProgramFile(JSON.stringify(value));
      } catch (error) {
        assert.ok(error instanceof KernelError && error.errno === "EINVAL");
      }
    }),
    { numRuns: 300 },
  );
});

Deno.test("reportToJson() renders the cli.md §6 example document", () => {
  const report: TranslationReport = {
    rc: 0,
    hostOrb: { byte4: 0, byte5: 0xc2, lpm: 0x80, byte7: 0 },
    segments: [{
      iova: 0x1000,
      ccws: [
        {
          cmd: 0x02,
          flags: 0x24,
          count: 80,
          tic: null,
          idaws: [{ value: 0x10000n, pinned: true }],
        },
        { cmd: 0x08, flags: 0, count: 0, tic: { segment: 1, offset: 0 }, idaws: [] },
      ],
    }],
  };
  assert.equal(
    JSON.stringify(reportToJson(report)),
    JSON.stringify({
      rc: 0,
      errno: null,
      hostOrb: { byte4: "0x00", byte5: "0xc2", lpm: "0x80", byte7: "0x00" },
      segments: [{
        iova: "0x1000",
        ccws: [
          {
            cmd: "0x02",
            flags: "0x24",
            count: 80,
            tic: null,
            idaws: [{ value: "0x10000", pinned: true }],
          },
          {
            cmd: "0x08",
            flags: "0x00",
            count: 0,
            tic: { segment: 1, offset: 0 },
            idaws: [],
          },
        ],
      }],
    }),
  );
});

Deno.test("reportToJson() names the errno of a failed translation", () => {
  assert.deepEqual(reportToJson({ rc: -16, hostOrb: null, segments: [] }), failure("EBUSY"));
  assert.throws(() => reportToJson({ rc: -4095, hostOrb: null, segments: [] }), RangeError);
});

// ---- random programs ----------------------------------------------------------------------------

const RANDOM_RAM = 0x10000;
const PROGRAM_AREAS = [0x1000, 0x2000, 0x4000, 0x5000];
const IDAL_AREA = 0x3000;

/** A CCW address in or just around the program areas, 4-byte granular, mostly near their start. */
const ticTargetArb = fc.constantFrom(...PROGRAM_AREAS).chain((area) =>
  fc.oneof(fc.integer({ min: -2, max: 8 }), fc.integer({ min: -2, max: 80 }))
    .map((slot) => area + slot * 4)
);

/** Biased towards TICs, chaining and data inside RAM, so that programs get several segments. */
const ccwArb = fc.record({
  cmd: fc.oneof(
    { arbitrary: fc.constant(0x08), weight: 3 },
    { arbitrary: fc.constantFrom(0x01, 0x02, 0x03, 0x04, 0x0c, 0xe4), weight: 4 },
    { arbitrary: fc.nat(0xff), weight: 1 },
  ),
  flags: fc.oneof(
    { arbitrary: fc.constantFrom(0x40, 0x80, 0x44, 0x50), weight: 4 },
    { arbitrary: fc.constantFrom(0x00, 0x04, 0x10, 0x14), weight: 2 },
    { arbitrary: fc.nat(0xff), weight: 1 },
  ),
  count: fc.oneof(fc.constant(0), fc.nat(0x100), fc.nat(0x2000), fc.nat(0xffff)),
  cda: fc.oneof(
    { arbitrary: ticTargetArb, weight: 4 },
    { arbitrary: fc.integer({ min: IDAL_AREA, max: IDAL_AREA + 0x100 }), weight: 2 },
    { arbitrary: fc.nat(RANDOM_RAM - 0x2000), weight: 2 },
    { arbitrary: fc.nat(RANDOM_RAM + 0x1000), weight: 1 },
    { arbitrary: fc.nat(0xffff_ffff), weight: 1 },
  ),
});

const idawArb = fc.oneof(
  fc.nat(RANDOM_RAM + 0x800).map(BigInt),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
);

const programArb = fc.record({
  byte5: fc.nat(0xff),
  orbLpm: fc.oneof(fc.constant(0), fc.nat(0xff)),
  subchannelLpm: fc.nat(0xff),
  cpa: fc.oneof(fc.constantFrom(...PROGRAM_AREAS), ticTargetArb, fc.nat(0xffff_ffff)),
  areas: fc.tuple(...PROGRAM_AREAS.map(() => fc.array(ccwArb, { maxLength: 40 }))),
  idal: fc.array(idawArb, { maxLength: 40 }),
});

type RandomProgram = typeof programArb extends fc.Arbitrary<infer T> ? T : never;

function loadRandom(engine: CcwReference, program: RandomProgram): Uint8Array {
  const ram = engine.host.subarray(GUEST_BASE);
  ram.fill(0);
  const view = new DataView(ram.buffer, ram.byteOffset);
  program.areas.forEach((ccws, area) => {
    ccws.forEach((ccw, i) => {
      const at = PROGRAM_AREAS[area] + 8 * i;
      ram[at] = ccw.cmd;
      ram[at + 1] = ccw.flags;
      view.setUint16(at + 2, ccw.count);
      view.setUint32(at + 4, ccw.cda);
    });
  });
  program.idal.forEach((idaw, k) => view.setBigUint64(IDAL_AREA + 8 * k, idaw));
  const orb = new Uint8Array(32);
  const orbView = new DataView(orb.buffer);
  orbView.setUint32(0, 0x11223344);
  orb[5] = program.byte5;
  orb[6] = program.orbLpm;
  orbView.setUint32(8, program.cpa);
  return orb;
}

Deno.test("translate() returns only rc errors on random programs and free() releases every pin", () => {
  const engine = createCcwReference(RANDOM_RAM);
  fc.assert(
    fc.property(programArb, (program) => {
      const orb = loadRandom(engine, program);
      const report = engine.translate(orb, program.subchannelLpm);
      assert.ok(report.rc === 0 || report.rc === EINVAL, `rc ${report.rc}`);
      if (report.rc !== 0) {
        assert.deepEqual(report.segments, []);
        assert.equal(report.hostOrb, null);
        assert.equal(engine.initialized, false);
        assert.deepEqual(engine.pinnedPages(), new Map());
        return;
      }
      assert.ok(report.segments.length >= 1 && report.segments.length <= 16);
      const expectedPins = new Map<number, number>();
      for (const { ccws } of report.segments) {
        assert.ok(ccws.length >= 1 && ccws.length <= 256);
        for (const idaw of ccws.flatMap((ccw) => ccw.idaws).filter((idaw) => idaw.pinned)) {
          const page = Number(idaw.value >> 12n);
          expectedPins.set(page, (expectedPins.get(page) ?? 0) + 1);
        }
      }
      assert.deepEqual(engine.pinnedPages(), expectedPins);
      assert.equal(engine.iovaPinned(0, RANDOM_RAM), expectedPins.size > 0);
      const scsw = scswWithCpa(firstSegmentBase(engine));
      engine.updateScsw(scsw);
      assert.equal(cpaOf(scsw), program.cpa);
      engine.free();
      assert.equal(engine.initialized, false);
      assert.deepEqual(engine.pinnedPages(), new Map());
    }),
    { numRuns: 500 },
  );
});
