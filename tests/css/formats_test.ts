import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeCcw, encodeCcw1 } from "../../lib/css/ccw.ts";
import { crwLogLine, decodeCrw, encodeCrw } from "../../lib/css/crw.ts";
import { compareBusIds, formatBusId, parseBusId } from "../../lib/css/ids.ts";
import { decodeOrb, encodeOrb } from "../../lib/css/orb.ts";
import { decodePmcw, encodeSchib, SCHIB_SIZE } from "../../lib/css/schib.ts";
import { decodeScsw, emptyScsw, encodeScsw } from "../../lib/css/scsw.ts";

const scswArb = fc.record({
  key: fc.integer({ min: 0, max: 15 }),
  sctl: fc.boolean(),
  eswf: fc.boolean(),
  cc: fc.integer({ min: 0, max: 3 }),
  flags: fc.integer({ min: 0, max: 0xff }),
  fctl: fc.integer({ min: 0, max: 7 }),
  actl: fc.integer({ min: 0, max: 0x7f }),
  stctl: fc.integer({ min: 0, max: 0x1f }),
  cpa: fc.integer({ min: 0, max: 0xffffffff }),
  dstat: fc.integer({ min: 0, max: 0xff }),
  cstat: fc.integer({ min: 0, max: 0xff }),
  count: fc.integer({ min: 0, max: 0xffff }),
});

// fast-check builds records without a prototype; the decoders return plain objects.
Deno.test("encodeScsw() and decodeScsw() round-trip every field", () => {
  fc.assert(
    fc.property(scswArb, (scsw) => assert.deepEqual(decodeScsw(encodeScsw(scsw)), { ...scsw })),
  );
});

Deno.test("encodeScsw() places the controls where vfio-ccw.md §1.6 says", () => {
  const bytes = encodeScsw({ ...emptyScsw(), cc: 3, fctl: 0x4, actl: 0x20 | 0x04, stctl: 0x01 });
  // byte 0 cc, byte 2 start function + start pending, byte 3 subchannel active + status pending.
  assert.deepEqual([bytes[0], bytes[2], bytes[3]], [0x03, 0x44, 0x81]);
});

Deno.test("encodeCrw() and decodeCrw() round-trip every field", () => {
  const crwArb = fc.record({
    slct: fc.boolean(),
    oflw: fc.boolean(),
    chn: fc.boolean(),
    rsc: fc.integer({ min: 0, max: 15 }),
    anc: fc.boolean(),
    erc: fc.integer({ min: 0, max: 63 }),
    rsid: fc.integer({ min: 0, max: 0xffff }),
  });
  fc.assert(fc.property(crwArb, (crw) => assert.deepEqual(decodeCrw(encodeCrw(crw)), { ...crw })));
});

Deno.test("crwLogLine() prints what crw_collect_info() logs", () => {
  assert.equal(
    crwLogLine(decodeCrw(0x04020050)),
    "crw_info : CRW reports slct=0, oflw=0, chn=0, rsc=4, anc=0, erc=2, rsid=50",
  );
});

Deno.test("encodeOrb() and decodeOrb() round-trip every field", () => {
  const orbArb = fc.record({
    intparm: fc.integer({ min: 0, max: 0xffffffff }),
    key: fc.integer({ min: 0, max: 15 }),
    suspend: fc.boolean(),
    fmt1: fc.boolean(),
    prefetch: fc.boolean(),
    isic: fc.boolean(),
    alcc: fc.boolean(),
    ssi: fc.boolean(),
    transport: fc.boolean(),
    c64: fc.boolean(),
    i2k: fc.boolean(),
    lpm: fc.integer({ min: 0, max: 0xff }),
    ils: fc.boolean(),
    midaw: fc.boolean(),
    cpa: fc.integer({ min: 0, max: 0xffffffff }),
  });
  fc.assert(fc.property(orbArb, (orb) => assert.deepEqual(decodeOrb(encodeOrb(orb)), { ...orb })));
});

Deno.test("decodeCcw() reads Format-1 as stored and converts Format-0 (X8 is a TIC)", () => {
  const view = (bytes: number[]) => new DataView(Uint8Array.from(bytes).buffer);
  fc.assert(fc.property(
    fc.record({
      cmd: fc.integer({ min: 0, max: 0xff }),
      flags: fc.integer({ min: 0, max: 0xff }),
      count: fc.integer({ min: 0, max: 0xffff }),
      cda: fc.integer({ min: 0, max: 0xffffffff }),
    }),
    (ccw) => assert.deepEqual(decodeCcw(new DataView(encodeCcw1(ccw).buffer), 0, true), { ...ccw }),
  ));
  assert.deepEqual(decodeCcw(view([0x02, 0x12, 0x34, 0x56, 0x24, 0x00, 0x00, 0x50]), 0, false), {
    cmd: 0x02,
    flags: 0x24,
    count: 0x50,
    cda: 0x123456,
  });
  assert.deepEqual(decodeCcw(view([0x18, 0x00, 0x20, 0x00, 0x40, 0x00, 0x00, 0x08]), 0, false), {
    cmd: 0x08,
    flags: 0,
    count: 0,
    cda: 0x2000,
  });
});

Deno.test("encodeSchib() lays out the PMCW and the SCSW in 52 bytes", () => {
  const pmcw = {
    devno: 0x1003,
    lpm: 0xc0,
    pim: 0xc0,
    pam: 0x40,
    pom: 0xff,
    lpum: 0x40,
    chpids: [0x50, 0x51, 0, 0, 0, 0, 0, 0],
    enabled: true,
    isc: 3,
    intparm: 0xdeadbeef,
    dnv: true,
    csense: true,
  };
  const scsw = { ...emptyScsw(), fctl: 4, cpa: 0x1008 };
  const schib = encodeSchib(pmcw, scsw);
  assert.equal(schib.length, SCHIB_SIZE);
  assert.deepEqual(decodePmcw(schib), pmcw);
  assert.deepEqual([schib[4], schib[5], schib[6], schib[7]], [0x18, 0x81, 0x10, 0x03]);
  assert.deepEqual(decodeScsw(schib, 28), scsw);
  assert.deepEqual([...schib.subarray(40)], new Array(12).fill(0));
});

Deno.test("parseBusId() accepts exactly 0.S.XXXX and formatBusId() inverts it", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 0, max: 0xffff }),
      (ssid, number) => {
        const text = formatBusId({ ssid, number });
        assert.match(text, /^0\.[0-3]\.[0-9a-f]{4}$/);
        assert.deepEqual(parseBusId(text), { ssid, number });
        assert.deepEqual(parseBusId(text.toUpperCase()), { ssid, number });
      },
    ),
  );
  fc.assert(fc.property(fc.string(), (text) => {
    const id = parseBusId(text);
    if (id !== undefined) assert.equal(formatBusId(id), text.toLowerCase());
  }));
  for (const bad of ["0.0.1", "1.0.0000", "0.4.0000", "0.0.00000", "0.0.000g", " 0.0.0000"]) {
    assert.equal(parseBusId(bad), undefined, bad);
  }
  assert.ok(compareBusIds({ ssid: 0, number: 0xffff }, { ssid: 1, number: 0 }) < 0);
});
