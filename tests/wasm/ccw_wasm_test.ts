import assert from "node:assert/strict";
import fc from "fast-check";
import type { CcwReport, DmaRange, IdawReport, TranslationReport } from "../../lib/ccw/engine.ts";
import { KernelError } from "../../lib/errno.ts";
import { compileCore } from "../../lib/wasm/_load.ts";
import { CCW_ABI_VERSION, CCW_LAYOUT_EXPORTS, CcwWasm, createCcwWasm } from "../../lib/wasm/ccw.ts";

const MIB = 1 << 20;
const PAGE = 4096;
const EINVAL = -22;
const EBUSY = -16;
const EOPNOTSUPP = -95;
/** E_GUEST of the modelled kernel (type1 backend). */
const E_GUEST = EINVAL;

// ---- programs and expected reports (vfio-ccw.md §5.1 notation) --------------------------------

/** The 32-byte ORB copy of `ORB(b4, b5, lpm, cpa)`: intparm 0x11223344, byte 7 = 0. */
function orb(options: { b4?: number; b5?: number; lpm?: number; cpa?: number } = {}): Uint8Array {
  const bytes = new Uint8Array(32);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 0x11223344);
  bytes[4] = options.b4 ?? 0x00;
  bytes[5] = options.b5 ?? 0xc2;
  bytes[6] = options.lpm ?? 0xff;
  view.setUint32(8, options.cpa ?? 0x1000);
  return bytes;
}

/** `ORB_D` = ORB(0x00, 0xC2, 0xFF, 0x1000). */
const ORB_D = orb();
/** The subchannel's lpm of §5.1. */
const SCH_LPM = 0x80;
/** Host ORB bytes 4..7 for ORB_D: fmt and c64 already set, lpm kept. */
const HOST_ORB_D = { byte4: 0x00, byte5: 0xc2, lpm: 0xff, byte7: 0x00 };

/** Bytes of a hex string; spaces are ignored. */
function hexBytes(hex: string): Uint8Array {
  const digits = hex.replace(/\s+/g, "");
  return Uint8Array.from(digits.match(/../g)!, (pair) => parseInt(pair, 16));
}

/** A fresh engine with 1 MiB of RAM holding `memory` (guest address → hex bytes). */
async function engineWith(memory: Record<number, string> = {}, ramSize = MIB): Promise<CcwWasm> {
  const engine = await createCcwWasm(ramSize);
  for (const [addr, hex] of Object.entries(memory)) {
    engine.host.set(hexBytes(hex), engine.guestBase + Number(addr));
  }
  return engine;
}

/** Writes big-endian words of `bytes` bytes each at guest address `addr`. */
function putWords(engine: CcwWasm, addr: number, bytes: 4 | 8, words: readonly bigint[]): void {
  const view = new DataView(engine.host.buffer, engine.guestBase);
  words.forEach((word, k) => {
    if (bytes === 8) view.setBigUint64(addr + 8 * k, word);
    else view.setUint32(addr + 4 * k, Number(word));
  });
}

/** `P:x` — an IDAW pinned at guest address x. */
function P(x: number | bigint): IdawReport {
  return { value: BigInt(x), pinned: true };
}

/** `R:y` — an IDAW kept raw (not pinned). */
function R(y: number | bigint): IdawReport {
  return { value: BigInt(y), pinned: false };
}

/** Splits the `[cc ff nnnn]` head of the §5 notation. */
function head(text: string): { cmd: number; flags: number; count: number } {
  const [cmd, flags, count] = text.split(" ").map((field) => parseInt(field, 16));
  return { cmd, flags, count };
}

/** Expected data CCW `[cc ff nnnn] → {idaws}`. */
function data(text: string, ...idaws: IdawReport[]): CcwReport {
  return { ...head(text), tic: null, idaws };
}

/** Expected TIC `[08 ff nnnn] TIC→Csegment+offset`. */
function tic(text: string, segment: number, offset: number): CcwReport {
  return { ...head(text), tic: { segment, offset }, idaws: [] };
}

/** Expected successful report with segments `[iova, ccws]` in list order. */
function translated(
  segments: [number, CcwReport[]][],
  hostOrb: TranslationReport["hostOrb"] = HOST_ORB_D,
): TranslationReport {
  return { rc: 0, hostOrb, segments: segments.map(([iova, ccws]) => ({ iova, ccws })) };
}

/** Expected report of a failed translation. */
function failed(rc: number): TranslationReport {
  return { rc, hostOrb: null, segments: [] };
}

/** Every engine-level trace of a failed translation: nothing initialized, nothing pinned. */
function assertNothingBuilt(engine: CcwWasm): void {
  assert.equal(engine.initialized, false);
  assert.deepEqual(engine.pinnedPages(), new Map());
}

// ---- layout and ABI ---------------------------------------------------------------------------

Deno.test("CcwWasm.layout equals the constants the module exports", async () => {
  const engine = await createCcwWasm(MIB);
  const instance = await WebAssembly.instantiate(await compileCore("ccw"), {});
  const value = (name: string) => Number((instance.exports[name] as WebAssembly.Global).value);
  const expected: Record<string, number> = { abiVersion: value("CCW_ABI_VERSION") };
  for (const [field, name] of Object.entries(CCW_LAYOUT_EXPORTS)) expected[field] = value(name);
  assert.deepEqual({ ...engine.layout }, expected);
  assert.equal(engine.layout.abiVersion, CCW_ABI_VERSION);
  assert.equal(engine.guestBase, engine.layout.guestBase);
});

Deno.test("CcwWasm.layout keeps the workspace below guest RAM and below 2^31", async () => {
  const { layout } = await createCcwWasm(MIB);
  assert.ok(layout.workspaceBase < layout.workspaceEnd);
  assert.ok(layout.workspaceEnd <= layout.guestBase);
  assert.equal(layout.guestBase % 65536, 0);
  assert.ok(layout.guestBase < 2 ** 31);
  assert.equal(layout.maxSegments, 16);
  assert.equal(layout.maxSegmentCcws, 256);
});

Deno.test("CcwWasm() refuses a module with another ABI version", async () => {
  const instance = await WebAssembly.instantiate(await compileCore("ccw"), {});
  const exports = {
    ...instance.exports,
    CCW_ABI_VERSION: new WebAssembly.Global({ value: "i32" }, CCW_ABI_VERSION + 1),
  };
  assert.throws(
    () => new CcwWasm({ exports } as WebAssembly.Instance, MIB),
    new RegExp(`ABI version ${CCW_ABI_VERSION + 1}, this glue speaks ${CCW_ABI_VERSION}; run`),
  );
});

Deno.test("createCcwWasm() refuses a RAM size that is not whole pages or too large", async () => {
  for (const size of [0, -4096, 1000, 6144, 4096.5, NaN, 2 ** 32]) {
    await assert.rejects(createCcwWasm(size), RangeError);
  }
});

Deno.test("createCcwWasm() gives each engine its own zeroed memory", async () => {
  const a = await createCcwWasm(MIB);
  const b = await createCcwWasm(MIB);
  assert.notEqual(a.memory, b.memory);
  a.host[a.guestBase] = 0xa5;
  assert.equal(b.host[b.guestBase], 0);
  assert.ok(b.host.subarray(b.guestBase, b.guestBase + MIB).every((byte) => byte === 0));
});

// ---- memory growth ----------------------------------------------------------------------------

Deno.test("createCcwWasm() grows the memory to hold guest RAM", async () => {
  const ramSize = 64 * MIB;
  const engine = await engineWith({}, ramSize);
  assert.ok(engine.host.length >= engine.guestBase + ramSize);
  // The last guest page is usable: a read CCW there pins it.
  engine.host.set(hexBytes("02000010 03FFF000"), engine.guestBase + 0x1000);
  const report = engine.translate(ORB_D, SCH_LPM);
  assert.deepEqual(report, translated([[0x1000, [data("02 04 0010", P(0x3fff000))]]]));
  assert.deepEqual(engine.pinnedPages(), new Map([[0x3fff, 1]]));
});

Deno.test("CcwWasm.host is re-derived after the memory has grown", async () => {
  const engine = await createCcwWasm(MIB);
  const before = engine.host;
  engine.memory.grow(1);
  assert.equal(before.byteLength, 0, "growth detaches the old view");
  const after = engine.host;
  assert.equal(after.buffer, engine.memory.buffer);
  after.set(hexBytes("02200050 00010000"), engine.guestBase + 0x1000);
  assert.deepEqual(
    engine.translate(ORB_D, SCH_LPM),
    translated([[0x1000, [data("02 24 0050", P(0x10000))]]]),
  );
});

// ---- §5.2 vectors -----------------------------------------------------------------------------

Deno.test("translate() V01: one read CCW pins its page", async () => {
  const engine = await engineWith({ 0x1000: "02 20 0050 00010000" });
  assert.deepEqual(
    engine.translate(ORB_D, SCH_LPM),
    translated([[0x1000, [data("02 24 0050", P(0x10000))]]]),
  );
  assert.equal(engine.initialized, true);
  assert.deepEqual(engine.pinnedPages(), new Map([[0x10, 1]]));
});

Deno.test("translate() V02: a write across a page boundary gets two IDAWs", async () => {
  const engine = await engineWith({ 0x1000: "01 00 0100 00010F80" });
  assert.deepEqual(
    engine.translate(ORB_D, SCH_LPM),
    translated([[0x1000, [data("01 04 0100", P(0x10f80), P(0x11000))]]]),
  );
  assert.deepEqual(engine.pinnedPages(), new Map([[0x10, 1], [0x11, 1]]));
});

Deno.test("translate() V03: a command chain is one segment", async () => {
  const engine = await engineWith({
    0x1000: "07 40 0006 00020000  31 40 0005 00020010  06 00 1000 00030000",
  });
  assert.deepEqual(
    engine.translate(ORB_D, SCH_LPM),
    translated([[0x1000, [
      data("07 44 0006", P(0x20000)),
      data("31 44 0005", P(0x20010)),
      data("06 04 1000", P(0x30000)),
    ]]]),
  );
  assert.deepEqual(engine.pinnedPages(), new Map([[0x20, 2], [0x30, 1]]));
});

Deno.test("translate() V04: data chaining continues the segment", async () => {
  const engine = await engineWith({ 0x1000: "02 80 0800 00010000  02 00 0800 00020800" });
  assert.deepEqual(
    engine.translate(ORB_D, SCH_LPM),
    translated([[0x1000, [data("02 84 0800", P(0x10000)), data("02 04 0800", P(0x20800))]]]),
  );
});

Deno.test("translate() V05: a NOP with count 0 ends the chain and pins nothing", async () => {
  const engine = await engineWith({ 0x1000: "03 00 0000 00000000  02 00 0010 00010000" });
  assert.deepEqual(
    engine.translate(ORB_D, SCH_LPM),
    translated([[0x1000, [data("03 04 0000", R(0))]]]),
  );
  assert.deepEqual(engine.pinnedPages(), new Map());
});

Deno.test("translate() V06: a NOP keeps its out-of-RAM address unpinned", async () => {
  const engine = await engineWith({ 0x1000: "03 00 0100 7FFFF000" });
  assert.deepEqual(
    engine.translate(ORB_D, SCH_LPM),
    translated([[0x1000, [data("03 04 0100", R(0x7ffff000))]]]),
  );
});

Deno.test("translate() V07: count 0 transfers nothing, so nothing is pinned", async () => {
  const engine = await engineWith({ 0x1000: "02 00 0000 00F00000" });
  assert.deepEqual(
    engine.translate(ORB_D, SCH_LPM),
    translated([[0x1000, [data("02 04 0000", R(0xf00000))]]]),
  );
});

Deno.test("translate() V08: a read with SKP transfers nothing", async () => {
  const engine = await engineWith({ 0x1000: "02 10 0100 00F00000" });
  assert.deepEqual(
    engine.translate(ORB_D, SCH_LPM),
    translated([[0x1000, [data("02 14 0100", R(0xf00000))]]]),
  );
});

Deno.test("translate() V09: SKP is ignored for a write, which then fails to pin", async () => {
  const engine = await engineWith({ 0x1000: "01 10 0100 00F00000" });
  assert.deepEqual(engine.translate(ORB_D, SCH_LPM), failed(E_GUEST));
  assertNothingBuilt(engine);
});

Deno.test("translate() V10: SKP suppresses sense, sense ID and read backward", async () => {
  for (
    const [ccw, expected] of [
      ["04 10 0020 00F00000", "04 14 0020"],
      ["E4 10 0100 00F00000", "E4 14 0100"],
      ["0C 10 0100 00F00000", "0C 14 0100"],
    ]
  ) {
    const engine = await engineWith({ 0x1000: ccw });
    assert.deepEqual(
      engine.translate(ORB_D, SCH_LPM),
      translated([[0x1000, [data(expected, R(0xf00000))]]]),
    );
  }
});

Deno.test("translate() V11: data starting at the end of RAM cannot be pinned", async () => {
  const engine = await engineWith({ 0x1000: "02 00 0010 00100000" });
  assert.deepEqual(engine.translate(ORB_D, SCH_LPM), failed(E_GUEST));
  assertNothingBuilt(engine);
});

Deno.test("translate() V12: the last page pins, a transfer past the end of RAM fails", async () => {
  const last = await engineWith({ 0x1000: "02 00 1000 000FF000" });
  assert.deepEqual(
    last.translate(ORB_D, SCH_LPM),
    translated([[0x1000, [data("02 04 1000", P(0xff000))]]]),
  );
  const across = await engineWith({ 0x1000: "02 00 1000 000FF800" });
  assert.deepEqual(across.translate(ORB_D, SCH_LPM), failed(E_GUEST));
  assertNothingBuilt(across);
});

Deno.test("translate() V13: an invalid command code is translated, not rejected", async () => {
  const engine = await engineWith({ 0x1000: "00 00 0010 00010000" });
  assert.deepEqual(
    engine.translate(ORB_D, SCH_LPM),
    translated([[0x1000, [data("00 04 0010", P(0x10000))]]]),
  );
});

/**
 * The I/O request dispatch of §2.1 steps 2–3 (the FSM's, not the engine's): only a start
 * function (start wins over halt) reaches the translation.
 */
function ioRequest(engine: CcwWasm, scswByte2: number, retCode: number): number {
  if (scswByte2 & 0x40) return engine.translate(ORB_D, SCH_LPM).rc;
  if (scswByte2 & 0x20 || scswByte2 & 0x10) return EOPNOTSUPP;
  return retCode;
}

Deno.test("translate() V14: runs for start and start|halt only", async () => {
  const program = { 0x1000: "02 00 0010 00010000" };
  for (const [byte2, expected] of [[0x20, EOPNOTSUPP], [0x10, EOPNOTSUPP], [0x00, 0]]) {
    const engine = await engineWith(program);
    assert.equal(ioRequest(engine, byte2, 0), expected);
    assertNothingBuilt(engine);
  }
  const engine = await engineWith(program);
  assert.equal(ioRequest(engine, 0x60, 0), 0);
  assert.deepEqual(engine.pinnedPages(), new Map([[0x10, 1]]));
});

// ---- chain build (§2.3–§2.5, §2.7) ------------------------------------------------------------

Deno.test("translate() fails when the 2 KiB pre-read reaches past RAM, even for one CCW", async () => {
  const engine = await engineWith({ 0xff808: "03 00 0000 00000000" });
  assert.deepEqual(engine.translate(orb({ cpa: 0xff808 }), SCH_LPM), failed(E_GUEST));
  const fits = await engineWith({ 0xff800: "03 00 0000 00000000" });
  assert.equal(fits.translate(orb({ cpa: 0xff800 }), SCH_LPM).rc, 0);
});

Deno.test("translate() accepts 256 chained CCWs and rejects 257 with -EINVAL", async () => {
  // `length` NOPs, all but the last command-chained.
  const chain = (length: number) => "03400000 00000000".repeat(length - 1) + "03000000 00000000";
  const full = await engineWith({ 0x1000: chain(256) });
  const report = full.translate(ORB_D, SCH_LPM);
  assert.equal(report.rc, 0);
  assert.equal(report.segments[0].ccws.length, 256);
  const over = await engineWith({ 0x1000: chain(257) });
  assert.deepEqual(over.translate(ORB_D, SCH_LPM), failed(EINVAL));
});

Deno.test("translate() keeps counting after a TIC back into the segment", async () => {
  // Search / TIC-back / read: the backward TIC (to 0x1000) does not end the segment.
  const engine = await engineWith({
    0x1000: "31 40 0005 00020000  08 00 0000 00001000  06 00 0010 00030000",
  });
  assert.deepEqual(
    engine.translate(ORB_D, SCH_LPM),
    translated([[0x1000, [
      data("31 44 0005", P(0x20000)),
      tic("08 00 0000", 0, 0),
      data("06 04 0010", P(0x30000)),
    ]]]),
  );
});

Deno.test("translate() lists segments in DFS discovery order and resolves TICs to the first", async () => {
  // C0 at 0x1000: TIC→0x2000 (with CC, so the chain goes on), TIC→0x3000 (ends C0).
  // 0x2000: TIC→0x4000 (found before 0x3000). 0x4000: TIC→0x1004 (inside C0, unaligned).
  const engine = await engineWith({
    0x1000: "08 40 0000 00002000  08 00 0000 00003000",
    0x2000: "08 00 0000 00004000",
    0x3000: "02 00 0010 00010000",
    0x4000: "08 00 0000 00001004",
  });
  assert.deepEqual(
    engine.translate(ORB_D, SCH_LPM),
    translated([
      [0x1000, [tic("08 40 0000", 1, 0), tic("08 00 0000", 3, 0)]],
      [0x2000, [tic("08 00 0000", 2, 0)]],
      [0x4000, [tic("08 00 0000", 0, 4)]],
      [0x3000, [data("02 04 0010", P(0x10000))]],
    ]),
  );
});

Deno.test("translate() builds a new overlapping segment for a target past a segment's end", async () => {
  // C0 = [0x1000, 0x1008]; the TIC to 0x1010 lies in C0's 2 KiB window but beyond its length.
  const engine = await engineWith({
    0x1000: "02 40 0010 00010000  08 00 0000 00001010  02 00 0010 00020000",
  });
  assert.deepEqual(
    engine.translate(ORB_D, SCH_LPM),
    translated([
      [0x1000, [data("02 44 0010", P(0x10000)), tic("08 00 0000", 1, 0)]],
      [0x1010, [data("02 04 0010", P(0x20000))]],
    ]),
  );
});

/** Writes `count` segments at 0x1000 + 0x100·k, each a TIC to the next; the last one a NOP. */
function segmentChain(count: number): Record<number, string> {
  const memory: Record<number, string> = {};
  for (let k = 0; k < count; k++) {
    const next = (0x1000 + 0x100 * (k + 1)).toString(16).padStart(8, "0");
    memory[0x1000 + 0x100 * k] = k < count - 1 ? `08000000 ${next}` : "03000000 00000000";
  }
  return memory;
}

Deno.test("translate() accepts 16 segments and rejects a 17th with -EINVAL (FIX72)", async () => {
  const sixteen = await engineWith(segmentChain(16));
  const report = sixteen.translate(ORB_D, SCH_LPM);
  assert.equal(report.rc, 0);
  assert.equal(report.segments.length, 16);
  assert.deepEqual(report.segments[15].ccws[0], data("03 04 0000", R(0)));
  const seventeen = await engineWith(segmentChain(17));
  assert.deepEqual(seventeen.translate(ORB_D, SCH_LPM), failed(EINVAL));
  assertNothingBuilt(seventeen);
});

Deno.test("translate() converts Format-0 CCWs, any xx8 command becoming a TIC", async () => {
  // Format-0: cmd, 24-bit address, flags, reserved (dropped), count.
  const engine = await engineWith({
    0x1000: "02 010000 60 FF 0050  18 002000 C0 FF 1234",
    0x2000: "01 020000 00 00 0010",
  });
  assert.deepEqual(
    engine.translate(orb({ b5: 0x42 }), SCH_LPM),
    translated(
      [
        [0x1000, [data("02 64 0050", P(0x10000)), tic("08 00 0000", 1, 0)]],
        [0x2000, [data("01 04 0010", P(0x20000))]],
      ],
      { byte4: 0, byte5: 0xc2, lpm: 0xff, byte7: 0 },
    ),
  );
});

Deno.test("translate() treats only 0x08 exactly as a TIC in Format-1", async () => {
  const engine = await engineWith({ 0x1000: "18 00 0010 00010000" });
  assert.deepEqual(
    engine.translate(ORB_D, SCH_LPM),
    translated([[0x1000, [data("18 04 0010", P(0x10000))]]]),
  );
});

// ---- IDALs (§2.8) -----------------------------------------------------------------------------

Deno.test("translate() follows a guest Format-2 IDAL without checking its alignment", async () => {
  const engine = await engineWith({ 0x1000: "02 04 2000 00005004" });
  putWords(engine, 0x5004, 8, [0x10800n, 0x20000n, 0x30000n]);
  // n = ((0x10800 & 0xFFF) + 0x2000 + 0xFFF) >> 12 = 3.
  assert.deepEqual(
    engine.translate(ORB_D, SCH_LPM),
    translated([[0x1000, [data("02 04 2000", P(0x10800), P(0x20000), P(0x30000))]]]),
  );
});

Deno.test("translate() reads a Format-1 IDAL at its real size n·4 (FIX72)", async () => {
  // One 4-byte IDAW in the last 4 bytes of RAM: BASE's n·8 read would fail.
  const engine = await engineWith({ 0x1000: "02 04 0010 000FFFFC" });
  putWords(engine, 0xffffc, 4, [0x10000n]);
  assert.deepEqual(
    engine.translate(orb({ b5: 0xc0 }), SCH_LPM),
    translated([[0x1000, [data("02 04 0010", P(0x10000))]]], {
      byte4: 0,
      byte5: 0xc3,
      lpm: 0xff,
      byte7: 0,
    }),
  );
});

Deno.test("translate() keeps an unpinned Format-1 IDAL as packed words read 8 bytes at a time", async () => {
  // NOP with IDA, 2 KiB blocks: 0x1000 bytes from 0x20400 need 3 IDAWs.
  const engine = await engineWith({ 0x1000: "03 04 1000 00005000" });
  putWords(engine, 0x5000, 4, [0x20400n, 0x20800n, 0x21000n]);
  assert.deepEqual(
    engine.translate(orb({ b5: 0xc0 }), SCH_LPM),
    translated([[0x1000, [data("03 04 1000", R(0x20400_00020800n), R(0x21000_00000000n), R(0))]]], {
      byte4: 0,
      byte5: 0xc3,
      lpm: 0xff,
      byte7: 0,
    }),
  );
});

Deno.test("translate() fabricates 2 KiB Format-2 IDAWs when i2k is set", async () => {
  const engine = await engineWith({ 0x1000: "02 00 1000 00010400" });
  assert.deepEqual(
    engine.translate(orb({ b5: 0xc3 }), SCH_LPM),
    translated([[0x1000, [data("02 04 1000", P(0x10400), P(0x10800), P(0x11000))]]], {
      byte4: 0,
      byte5: 0xc3,
      lpm: 0xff,
      byte7: 0,
    }),
  );
  // Two 2 KiB IDAWs in page 0x10 and one in 0x11: a pin each.
  assert.deepEqual(engine.pinnedPages(), new Map([[0x10, 2], [0x11, 1]]));
});

Deno.test("translate() fabricates Format-1 IDAWs with 32-bit wrap-around", async () => {
  // A NOP (never pinned) at 0xFFFFFC00 with count 0x800: IDAWs 0xFFFFFC00 then 0 (wrapped).
  const engine = await engineWith({ 0x1000: "03 00 0800 FFFFFC00" });
  assert.deepEqual(
    engine.translate(orb({ b5: 0xc0 }), SCH_LPM).segments[0].ccws[0],
    data("03 04 0800", R(0xfffffc00_00000000n), R(0)),
  );
});

Deno.test("translate() fails when a guest IDAL lies outside RAM", async () => {
  const engine = await engineWith({ 0x1000: "03 04 0010 00F00000" });
  assert.deepEqual(engine.translate(ORB_D, SCH_LPM), failed(E_GUEST));
});

Deno.test("translate() fails when an IDAW names a page beyond 32 bits", async () => {
  const engine = await engineWith({ 0x1000: "02 04 0010 00005000" });
  putWords(engine, 0x5000, 8, [0x1_0001_0000n]);
  assert.deepEqual(engine.translate(ORB_D, SCH_LPM), failed(E_GUEST));
  assertNothingBuilt(engine);
});

// ---- host program, ORB and SCSW (§2.10, §2.12) ------------------------------------------------

Deno.test("hostOrb() sets fmt, c64, i2k for Format-1 IDAWs, the subchannel's lpm and intparm", async () => {
  // Format-0 program, no prefetch bit, isic/alcc/ssic set, Format-1 IDAWs, lpm 0.
  const engine = await engineWith({ 0x2000: "02 010000 00 00 0010" });
  const guest = orb({ b4: 0xf8, b5: 0x38, lpm: 0x00, cpa: 0x2000 });
  guest[7] = 0x41;
  const report = engine.translate(guest, SCH_LPM);
  assert.deepEqual(report.hostOrb, { byte4: 0xf8, byte5: 0xbb, lpm: SCH_LPM, byte7: 0x41 });
  const host = engine.hostOrb(0xcafe0001);
  assert.deepEqual([...host.subarray(0, 8)], [0xca, 0xfe, 0x00, 0x01, 0xf8, 0xbb, SCH_LPM, 0x41]);
  assert.ok(new DataView(host.buffer).getUint32(8) < 2 ** 31);
});

Deno.test("hostOrb() throws EIO when no program is initialized", async () => {
  const engine = await createCcwWasm(MIB);
  assert.throws(
    () => engine.hostOrb(0),
    (error) => error instanceof KernelError && error.errno === "EIO",
  );
});

Deno.test("hostOrb() points at a big-endian host program whose addresses lead into host", async () => {
  const engine = await engineWith({
    0x1000: "02 40 0010 00010008  08 00 0000 00003000",
    0x3000: "01 04 0100 00006000",
    0x10008: "C0FFEE",
  });
  putWords(engine, 0x6000, 8, [0x20000n]);
  assert.equal(engine.translate(ORB_D, SCH_LPM).rc, 0);
  const host = engine.host;
  const view = new DataView(host.buffer);
  const cpa = new DataView(engine.hostOrb(0).buffer).getUint32(8);
  // C0[0]: read with IDA; its IDAL's only IDAW is the host address of guest 0x10008.
  assert.deepEqual([...host.subarray(cpa, cpa + 4)], [0x02, 0x44, 0x00, 0x10]);
  const idal = view.getUint32(cpa + 4);
  assert.ok(idal < 2 ** 31 && idal < engine.guestBase);
  const data0 = Number(view.getBigUint64(idal));
  assert.equal(data0, engine.guestBase + 0x10008);
  assert.deepEqual([...host.subarray(data0, data0 + 3)], [0xc0, 0xff, 0xee]);
  // C0[1]: the TIC's cda is the host address of C1[0].
  const target = view.getUint32(cpa + 12);
  assert.deepEqual([...host.subarray(target, target + 4)], [0x01, 0x04, 0x01, 0x00]);
  assert.equal(Number(view.getBigUint64(view.getUint32(target + 4))), engine.guestBase + 0x20000);
});

Deno.test("updateScsw() maps a host CPA, one past the end included, to the guest", async () => {
  const engine = await engineWith({
    0x1000: "02 40 0010 00010000  08 00 0000 00003000",
    0x3000: "01 00 0010 00020000",
  });
  engine.translate(ORB_D, SCH_LPM);
  const view = new DataView(engine.host.buffer);
  const c0 = new DataView(engine.hostOrb(0).buffer).getUint32(8);
  const c1 = view.getUint32(c0 + 12);
  const mapped = (cpa: number) => {
    const scsw = hexBytes("00 00 44 00 00000000 0C 00 0000");
    new DataView(scsw.buffer).setUint32(4, cpa);
    engine.updateScsw(scsw);
    return new DataView(scsw.buffer).getUint32(4);
  };
  assert.equal(mapped(c0), 0x1000);
  assert.equal(mapped(c0 + 8), 0x1008);
  assert.equal(mapped(c0 + 16), 0x1010, "one past the end of C0");
  assert.equal(mapped(c1 + 8), 0x3008, "one past the end of C1");
  assert.equal(mapped(c0 + 17), c0 + 17, "beyond: left as is");
  assert.equal(mapped(0x1234), 0x1234);
  engine.free();
  assert.equal(mapped(c0), c0, "no program: left as is");
});

Deno.test("updateScsw() rewrites only bytes 4–7", async () => {
  const engine = await engineWith({ 0x1000: "02 00 0010 00010000" });
  engine.translate(ORB_D, SCH_LPM);
  const cpa = new DataView(engine.hostOrb(0).buffer).getUint32(8);
  const scsw = hexBytes("F7 FF 7F FF 00000000 FF FF FFFF");
  new DataView(scsw.buffer).setUint32(4, cpa + 8);
  engine.updateScsw(scsw);
  assert.deepEqual(scsw, hexBytes("F7 FF 7F FF 00001008 FF FF FFFF"));
});

// ---- pins (§2.13, §2.14) ----------------------------------------------------------------------

Deno.test("free() releases every pin and the program", async () => {
  const engine = await engineWith({
    0x1000: "02 40 2000 00010800  01 40 0010 00010000  03 00 0100 00030000",
  });
  assert.equal(engine.translate(ORB_D, SCH_LPM).rc, 0);
  assert.deepEqual(engine.pinnedPages(), new Map([[0x10, 2], [0x11, 1], [0x12, 1]]));
  engine.free();
  assertNothingBuilt(engine);
  engine.free();
  assertNothingBuilt(engine);
  assert.equal(engine.translate(ORB_D, SCH_LPM).rc, 0, "a new program can be translated");
});

Deno.test("translate() releases the pins of earlier CCWs when a later one fails", async () => {
  const engine = await engineWith({
    0x1000: "02 40 0010 00010000  08 00 0000 00002000",
    0x2000: "02 40 0010 00020000  01 00 0010 00F00000",
  });
  assert.deepEqual(engine.translate(ORB_D, SCH_LPM), failed(E_GUEST));
  assertNothingBuilt(engine);
});

Deno.test("translate() returns -EBUSY while a program is initialized and keeps it", async () => {
  const engine = await engineWith({ 0x1000: "02 00 0010 00010000" });
  const first = engine.translate(ORB_D, SCH_LPM);
  assert.deepEqual(engine.translate(ORB_D, SCH_LPM), failed(EBUSY));
  assert.equal(engine.initialized, true);
  assert.deepEqual(engine.pinnedPages(), new Map([[0x10, 1]]));
  engine.free();
  assert.deepEqual(engine.translate(ORB_D, SCH_LPM), first);
});

Deno.test("iovaPinned() reports pages pinned by transferring CCWs only", async () => {
  const engine = await engineWith({
    0x1000: "02 40 0010 00010000  03 40 0100 00030000  02 00 0000 00040000",
  });
  assert.equal(engine.iovaPinned(0x10000, 1), false, "no program yet");
  engine.translate(ORB_D, SCH_LPM);
  assert.equal(engine.iovaPinned(0x10000, 1), true);
  assert.equal(engine.iovaPinned(0x10fff, 1), true);
  assert.equal(engine.iovaPinned(0xf000, 0x1000), false);
  assert.equal(engine.iovaPinned(0xf000, 0x1001), true);
  assert.equal(engine.iovaPinned(0x30000, 0x1000), false, "NOP");
  assert.equal(engine.iovaPinned(0x40000, 0x1000), false, "count 0");
  assert.equal(engine.iovaPinned(0, 0), true, "length 0 at 0 wraps to every page");
  assert.equal(engine.iovaPinned(0x200000, 0x1000), false, "beyond RAM");
  engine.free();
  assert.equal(engine.iovaPinned(0, MIB), false);
});

Deno.test("setMappings() limits dma_rw and pinning to the mapped ranges", async () => {
  const engine = await engineWith({ 0x1000: "02 00 0010 00010000" });
  engine.setMappings([{ iova: 0, size: 0x10000 }]);
  assert.deepEqual(engine.translate(ORB_D, SCH_LPM), failed(E_GUEST), "data page unmapped");
  engine.setMappings([{ iova: 0x11000, size: 0x1000 }, { iova: 0, size: 0x11000 }]);
  assert.equal(engine.translate(ORB_D, SCH_LPM).rc, 0, "adjacent ranges merge");
  engine.free();
  engine.setMappings([{ iova: 0x10000, size: 0x1000 }, { iova: 0x1400, size: 0x10 }]);
  assert.deepEqual(engine.translate(ORB_D, SCH_LPM), failed(E_GUEST), "pre-read unmapped");
  engine.setMappings([{ iova: 0, size: 0x10fff }, { iova: 0x10000, size: MIB - 0x10000 }]);
  assert.equal(engine.translate(ORB_D, SCH_LPM).rc, 0, "overlapping ranges merge");
});

Deno.test("setMappings() rejects ranges that are not non-negative integers inside RAM", async () => {
  const engine = await createCcwWasm(MIB);
  for (
    const range of [
      { iova: -1, size: 1 },
      { iova: 0, size: 0.5 },
      { iova: NaN, size: 1 },
      { iova: MIB - 0x1000, size: 0x1001 },
    ]
  ) {
    assert.throws(() => engine.setMappings([range]), RangeError);
  }
});

Deno.test("translate() rejects an ORB copy that is not 32 bytes or an lpm that is not a byte", async () => {
  const engine = await createCcwWasm(MIB);
  assert.throws(() => engine.translate(new Uint8Array(12), SCH_LPM), RangeError);
  assert.throws(() => engine.translate(ORB_D, 256), RangeError);
  assert.throws(() => engine.translate([...ORB_D] as unknown as Uint8Array, 0), TypeError);
});

// ---- random programs --------------------------------------------------------------------------

const FUZZ_RAM = 0x10000;
const FUZZ_RUNS = 1500;
/** A program translates in microseconds; one that takes this long (generous: CI machines are loaded) is a hang. */
const FUZZ_TIMEOUT_MS = 20_000;
/**
 * Bound on the whole property, shrinking included: every shrink step of a hanging program costs
 * a timeout, so shrinking stops here and the smallest program found so far is reported.
 */
const FUZZ_TIME_LIMIT_MS = 120_000;

/** One random program for the fuzz worker. */
interface FuzzProgram {
  orb: Uint8Array;
  lpm: number;
  writes: { addr: number; bytes: Uint8Array }[];
  mappings: readonly DmaRange[];
}

/** What the fuzz worker saw for one program. */
interface FuzzOutcome {
  /** The message of anything thrown (a trap of the core included); null when nothing was. */
  thrown: string | null;
  report: TranslationReport | null;
  pinned: Map<number, number>;
  initialized: boolean;
  anyPinned: boolean;
  pinnedAfterFree: Map<number, number>;
  initializedAfterFree: boolean;
}

/**
 * The fuzz worker's body, serialised with toString() into a worker of its own, so that a core
 * that hangs is detected by a timeout instead of blocking the test run. It may only use its
 * parameters and globals.
 */
async function fuzzWorkerMain(glueUrl: string, ramSize: number): Promise<void> {
  const port = globalThis as unknown as {
    onmessage: (event: MessageEvent<FuzzProgram>) => void;
    postMessage(message: unknown): void;
  };
  const glue: typeof import("../../lib/wasm/ccw.ts") = await import(glueUrl);
  const engine = await glue.createCcwWasm(ramSize);
  port.onmessage = ({ data }) => {
    try {
      const ram = engine.host.subarray(engine.guestBase, engine.guestBase + ramSize);
      ram.fill(0);
      for (const { addr, bytes } of data.writes) ram.set(bytes.subarray(0, ramSize - addr), addr);
      engine.setMappings(data.mappings);
      const report = engine.translate(data.orb, data.lpm);
      const outcome = {
        thrown: null,
        report,
        pinned: engine.pinnedPages(),
        initialized: engine.initialized,
        anyPinned: engine.iovaPinned(0, ramSize),
      };
      engine.free();
      port.postMessage({
        ...outcome,
        pinnedAfterFree: engine.pinnedPages(),
        initializedAfterFree: engine.initialized,
      });
    } catch (error) {
      port.postMessage({ thrown: String(error) });
    }
  };
  port.postMessage("ready");
}

/** A worker running fuzzWorkerMain; run() rejects when the core does not answer in time. */
class FuzzWorker {
  #worker: Worker | undefined;
  #pending: ((outcome: FuzzOutcome | "ready") => void) | undefined;

  async run(program: FuzzProgram): Promise<FuzzOutcome> {
    if (this.#worker === undefined) {
      this.#worker = this.#start();
      await this.#next();
    }
    const answer = this.#next();
    this.#worker.postMessage(program);
    return await answer as FuzzOutcome;
  }

  stop(): void {
    this.#worker?.terminate();
    this.#worker = undefined;
  }

  #start(): Worker {
    const glueUrl = new URL("../../lib/wasm/ccw.ts", import.meta.url).href;
    const source = `(${fuzzWorkerMain.toString()})(${JSON.stringify(glueUrl)}, ${FUZZ_RAM});`;
    const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    const worker = new Worker(url, { type: "module" });
    worker.onmessage = ({ data }) => this.#pending?.(data);
    return worker;
  }

  #next(): Promise<FuzzOutcome | "ready"> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    return Promise.race([
      new Promise<FuzzOutcome | "ready">((resolve) => this.#pending = resolve),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          this.stop();
          reject(new Error(`the core did not answer within ${FUZZ_TIMEOUT_MS} ms (hang)`));
        }, FUZZ_TIMEOUT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
  }
}

/** Guest addresses: anywhere in RAM, CCW-aligned, at the end of RAM, or far outside it. */
const fuzzAddrArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: FUZZ_RAM - 1 }) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: FUZZ_RAM / 8 - 1 }).map((x) => x * 8) },
  { weight: 1, arbitrary: fc.integer({ min: FUZZ_RAM - 0x900, max: FUZZ_RAM + 0x100 }) },
  { weight: 1, arbitrary: fc.constantFrom(0xf00000, 0x7ffff000, 0xfffff800, 0xffffffff) },
  { weight: 1, arbitrary: fc.nat({ max: 0xffffffff }) },
);

/** IDAW values: pages and bytes in RAM, past its end, beyond 32 bits, anything. */
const fuzzIdawArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: FUZZ_RAM - 1 }).map(BigInt) },
  {
    weight: 2,
    arbitrary: fc.integer({ min: 0, max: FUZZ_RAM / PAGE - 1 }).map((p) => BigInt(p * PAGE)),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: FUZZ_RAM - 0x800, max: FUZZ_RAM + 0x800 }).map(BigInt),
  },
  { weight: 1, arbitrary: fc.constantFrom(0xffffffffn, 0x1_0000_0000n, (1n << 64n) - 1n) },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) },
);

/** A random CCW before encoding. */
interface FuzzCcw {
  cmd: number;
  flags: number;
  count: number;
  cda: number;
}

const COMMON_CMDS = [0x02, 0x01, 0x03, 0x04, 0x0c, 0xe4, 0x18, 0x00];
const COMMON_FLAGS = [0x00, 0x04, 0x10, 0x14, 0x20];
const EDGE_COUNTS = [0, 1, 0x800, 0x1000, 0xffff];
const EDGE_ADDRS = [0xf00000, 0x7ffff000, 0xfffff800, 0xffffffff];
const ANCHOR_BYTE_OFFSETS = [0, 0, 0, 1, 4];
/** Random words per CCW, drawn from a seeded generator (one fast-check value per block). */
const WORDS_PER_CCW = 4;

/** mulberry32: a tiny seeded generator of uint32 words, so a block costs fast-check one value. */
function randomWords(seed: number, count: number): Uint32Array {
  const words = new Uint32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    words[i] = (t ^ (t >>> 14)) >>> 0;
  }
  return words;
}

/** CD/CC from 5 random bits: mostly CC, some CD, a few both, 3 in 32 none. */
function chainingOf(bits: number): number {
  if (bits < 22) return 0x40;
  if (bits < 27) return 0x80;
  return bits < 29 ? 0xc0 : 0x00;
}

/**
 * Decodes four random words into a CCW and its CD/CC, biased the way the fuzzing needs: word 0
 * the command (a TIC in `ticShare` of 256, else mostly common ones), other flags and CD/CC;
 * word 1 the count (mostly small); word 2 an address near an anchor (2 in 3: a segment head or
 * IDAL, a few CCWs off, sometimes unaligned) or of word 3's kind (in RAM, CCW-aligned, at the end
 * of RAM, far out, any).
 */
function decodeFuzzCcw(
  words: Uint32Array,
  at: number,
  anchors: readonly number[],
  ticShare: number,
): FuzzCcw & { chaining: number } {
  const [a, b, c, d] = words.subarray(at, at + WORDS_PER_CCW);
  const cmdKind = (a >>> 8) & 15;
  const cmd = (a & 0xff) < ticShare
    ? 0x08
    : cmdKind < 13
    ? COMMON_CMDS[cmdKind & 7]
    : (a >>> 8) & 0xff;
  const flagsKind = (a >>> 16) & 15;
  const flags = flagsKind < 12 ? COMMON_FLAGS[flagsKind % 5] : (a >>> 20) & 0x3f;
  const countKind = b & 3;
  const count = countKind < 2
    ? (b >>> 2) % 0x101
    : countKind === 2
    ? (b >>> 2) % 0x2101
    : (b >>> 2) & 1
    ? EDGE_COUNTS[(b >>> 3) % EDGE_COUNTS.length]
    : (b >>> 4) & 0xffff;
  let cda: number;
  if (c % 3 < 2) {
    const anchor = anchors[(c >>> 2) % anchors.length];
    const ccws = (c >>> 10) & 1 ? 0 : ((c >>> 11) % 45) - 4;
    cda = (anchor + 8 * ccws + ANCHOR_BYTE_OFFSETS[(c >>> 20) % 5]) >>> 0;
  } else {
    const kind = (c >>> 2) % 11;
    cda = kind < 4
      ? d % FUZZ_RAM
      : kind < 8
      ? (d % (FUZZ_RAM / 8)) * 8
      : kind === 8
      ? FUZZ_RAM - 0x900 + (d % 0xa01)
      : kind === 9
      ? EDGE_ADDRS[d % EDGE_ADDRS.length]
      : d;
  }
  return { cmd, flags, count, cda, chaining: chainingOf((a >>> 26) & 31) };
}

/**
 * A block of CCWs that chain up to the last one, which mostly does not; sometimes 240–260 long
 * (around the 256-CCW limit, with few TICs so that the segment limit does not end it first). In a
 * tame block every CCW but the last chains.
 */
function fuzzBlockArb(anchors: readonly number[], tame: boolean): fc.Arbitrary<FuzzCcw[]> {
  const length = fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 1, max: 40 }) },
    { weight: 1, arbitrary: fc.integer({ min: 240, max: 260 }) },
  );
  return fc.tuple(length, fc.nat()).map(([size, seed]) => {
    const words = randomWords(seed, size * WORDS_PER_CCW + 1);
    const ticShare = size > 40 ? 2 : 40;
    const last = words[size * WORDS_PER_CCW];
    const lastChaining = last % 7 === 0 ? chainingOf(last >>> 27) : 0;
    return Array.from({ length: size }, (_, i) => {
      const { chaining, flags, ...ccw } = decodeFuzzCcw(
        words,
        i * WORDS_PER_CCW,
        anchors,
        ticShare,
      );
      const goesOn = tame && chaining === 0 ? 0x40 : chaining;
      return { ...ccw, flags: flags | (i < size - 1 ? goesOn : lastChaining) };
    });
  });
}

/** Encodes CCWs in the format the ORB selects (Format-0 keeps a 24-bit address). */
function encodeCcws(ccws: readonly FuzzCcw[], format1: boolean): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(ccws.length * 8);
  const view = new DataView(bytes.buffer);
  ccws.forEach(({ cmd, flags, count, cda }, i) => {
    if (format1) {
      view.setUint16(i * 8, (cmd << 8) | flags);
      view.setUint16(i * 8 + 2, count);
      view.setUint32(i * 8 + 4, cda);
    } else {
      view.setUint32(i * 8, ((cmd << 24) | (cda & 0xffffff)) >>> 0);
      view.setUint8(i * 8 + 4, flags);
      view.setUint16(i * 8 + 6, count);
    }
  });
  return bytes;
}

/** Largest address a tame program's data starts at: a few KiB below the end of RAM. */
const TAME_DATA_LIMIT = FUZZ_RAM - 0x1000;
/** Largest address a tame program's segment or IDAL starts at: its 2 KiB stay in RAM. */
const TAME_HEAD_LIMIT = FUZZ_RAM - 0x800;

/**
 * Keeps a CCW of a tame program inside RAM: a small count, a TIC target whose 2 KiB fit, data
 * that fits, and an IDA flag only when it can point at one of the program's IDALs.
 */
function tameCcw(ccw: FuzzCcw, idals: readonly number[]): FuzzCcw {
  const count = ccw.count & 0xfff;
  if (ccw.cmd === 0x08) return { ...ccw, count, cda: ccw.cda % TAME_HEAD_LIMIT };
  if ((ccw.flags & 0x04) === 0) return { ...ccw, count, cda: ccw.cda % TAME_DATA_LIMIT };
  if (idals.length === 0) {
    return { ...ccw, flags: ccw.flags & ~0x04, count, cda: ccw.cda % TAME_DATA_LIMIT };
  }
  return { ...ccw, count, cda: idals[ccw.cda % idals.length] };
}

/**
 * Random programs: blocks of CCWs at random heads (heads[0] is the CPA), IDALs, noise. Three in
 * four are *tame* (addresses and counts kept inside RAM, all of it mapped) so that long chains
 * and many segments translate; the rest are wild and mostly end in an errno.
 */
const fuzzProgramArb: fc.Arbitrary<FuzzProgram> = fc.record({
  tame: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, fc.constant(false)),
  heads: fc.array(fuzzAddrArb, { minLength: 1, maxLength: 24 }),
  idals: fc.array(fuzzAddrArb, { maxLength: 6 }),
  byte5: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(0xc2, 0xc3, 0xc0, 0xc1, 0x42, 0x40, 0x82, 0x80) },
    { weight: 1, arbitrary: fc.nat({ max: 0xff }) },
  ),
}).map(({ tame, heads, idals, byte5 }) => ({
  tame,
  heads: tame ? heads.map((addr) => addr % TAME_HEAD_LIMIT) : heads,
  idals: tame ? idals.map((addr) => addr % TAME_HEAD_LIMIT) : idals,
  byte5,
})).chain(({ tame, heads, idals, byte5 }) =>
  fc.record({
    blocks: fc.tuple(...heads.map(() => fuzzBlockArb([...heads, ...idals], tame))),
    idalWords: fc.tuple(...idals.map(() => fc.array(fuzzIdawArb, { minLength: 1, maxLength: 34 }))),
    noise: fc.array(
      fc.record({ addr: fc.nat({ max: FUZZ_RAM - 1 }), bytes: fc.uint8Array({ maxLength: 64 }) }),
      { maxLength: 3 },
    ),
    orbRest: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    lpm: fc.oneof(fc.constant(0), fc.nat({ max: 0xff })),
    schLpm: fc.nat({ max: 0xff }),
    mappings: fc.oneof(
      { weight: 4, arbitrary: fc.constant([{ iova: 0, size: FUZZ_RAM }]) },
      {
        weight: 1,
        arbitrary: fc.array(
          fc.tuple(fc.nat({ max: FUZZ_RAM }), fc.nat({ max: FUZZ_RAM }))
            .map(([iova, size]) => ({ iova, size: Math.min(size, FUZZ_RAM - iova) })),
          { maxLength: 5 },
        ),
      },
    ),
  }).map(({ blocks, idalWords, noise, orbRest, lpm, schLpm, mappings }) => {
    const format1 = (byte5 & 0x80) !== 0;
    const wide = (byte5 & 0x02) !== 0;
    const writes = noise.filter(({ addr }) => addr < FUZZ_RAM);
    idals.forEach((addr, i) => {
      const bytes = new Uint8Array(idalWords[i].length * 8);
      const view = new DataView(bytes.buffer);
      idalWords[i].forEach((word, k) => {
        const idaw = tame ? word % BigInt(TAME_DATA_LIMIT) : word;
        if (wide) view.setBigUint64(k * 8, idaw);
        else view.setUint32(k * 4, Number(idaw & 0xffffffffn));
      });
      if (addr < FUZZ_RAM) writes.push({ addr, bytes });
    });
    heads.forEach((addr, i) => {
      const ccws = tame ? blocks[i].map((ccw) => tameCcw(ccw, idals)) : blocks[i];
      const bytes = encodeCcws(ccws, format1);
      if (addr < FUZZ_RAM) writes.push({ addr, bytes });
    });
    const guestOrb = orbRest.slice();
    guestOrb[5] = byte5;
    guestOrb[6] = lpm;
    new DataView(guestOrb.buffer).setUint32(8, heads[0]);
    return {
      orb: guestOrb,
      lpm: schLpm,
      writes,
      mappings: tame ? [{ iova: 0, size: FUZZ_RAM }] : mappings,
    };
  })
);

/** The pins a successful report accounts for: one per IDAW of every pinning CCW. */
function pinsOf(report: TranslationReport): Map<number, number> {
  const pins = new Map<number, number>();
  for (const { ccws } of report.segments) {
    for (const { idaws } of ccws) {
      for (const { value, pinned } of idaws) {
        if (!pinned) continue;
        const page = Number(value >> 12n);
        pins.set(page, (pins.get(page) ?? 0) + 1);
      }
    }
  }
  return new Map([...pins].sort((a, b) => a[0] - b[0]));
}

/** The invariants §2 guarantees for any program: an errno or a well-formed, fully pinned program. */
function checkOutcome(program: FuzzProgram, outcome: FuzzOutcome): void {
  assert.equal(outcome.thrown, null, `the core threw: ${outcome.thrown}`);
  const report = outcome.report!;
  assert.ok(report.rc === 0 || report.rc === EINVAL, `rc ${report.rc} is not 0 or -EINVAL`);
  assert.deepEqual(outcome.pinnedAfterFree, new Map());
  assert.equal(outcome.initializedAfterFree, false);
  if (report.rc !== 0) {
    assert.deepEqual(report, failed(report.rc));
    assert.equal(outcome.initialized, false);
    assert.deepEqual(outcome.pinned, new Map());
    return;
  }
  assert.equal(outcome.initialized, true);
  const segments = report.segments;
  assert.ok(segments.length >= 1 && segments.length <= 16);
  assert.equal(segments[0].iova, new DataView(program.orb.buffer).getUint32(8));
  for (const { ccws } of segments) {
    assert.ok(ccws.length >= 1 && ccws.length <= 256);
    for (const ccw of ccws) {
      if (ccw.tic !== null) {
        assert.equal(ccw.cmd, 0x08);
        assert.ok(ccw.tic.segment < segments.length);
        assert.ok(ccw.tic.offset <= 8 * (segments[ccw.tic.segment].ccws.length - 1));
        assert.deepEqual(ccw.idaws, []);
      } else {
        assert.equal(ccw.flags & 0x04, 0x04, "data CCWs get IDA");
        assert.ok(ccw.idaws.length >= 1 && ccw.idaws.length <= 33);
        assert.ok(ccw.idaws.every(({ pinned }) => pinned === ccw.idaws[0].pinned));
      }
    }
  }
  const hostOrb = report.hostOrb!;
  assert.equal(hostOrb.byte5 & 0x82, 0x82, "host ORB has fmt and c64");
  assert.equal(hostOrb.lpm, program.orb[6] === 0 ? program.lpm : program.orb[6]);
  assert.deepEqual(outcome.pinned, pinsOf(report));
  assert.equal(outcome.anyPinned, outcome.pinned.size > 0);
}

Deno.test("translate() never traps or hangs on random programs: an errno or a sound program", async () => {
  const worker = new FuzzWorker();
  try {
    await fc.assert(
      fc.asyncProperty(fuzzProgramArb, async (program) => {
        checkOutcome(program, await worker.run(program));
      }),
      {
        numRuns: FUZZ_RUNS,
        interruptAfterTimeLimit: FUZZ_TIME_LIMIT_MS,
        markInterruptAsFailure: true,
      },
    );
  } finally {
    worker.stop();
  }
});
