import assert from "node:assert/strict";
import fc from "fast-check";
import { KernelError } from "../../lib/errno.ts";
import {
  type AccessWidth,
  formatBytes,
  formatValue,
  MAX_TRANSFER_BYTES,
  parseHexBytes,
  parseScript,
  parseScriptLine,
  REGION_NAMES,
  type RegionRef,
  type ScriptOp,
} from "../../lib/vfio/script.ts";

const U64_MAX = (1n << 64n) - 1n;
const bytes = (...values: number[]) => new Uint8Array(values);

function assertEinval(error: unknown, detail?: RegExp): true {
  assert.ok(error instanceof KernelError, `expected a KernelError, got ${String(error)}`);
  assert.equal(error.errno, "EINVAL");
  if (detail !== undefined) assert.match(error.message, detail);
  return true;
}

const VALID_LINES: Array<[string, ScriptOp]> = [
  ["r8 config 0", { op: "read", width: 1, region: { name: "config" }, offset: 0n }],
  ["r16 bar0 0x10", { op: "read", width: 2, region: { name: "bar0" }, offset: 16n }],
  ["r32 rom 0xABCDEF", { op: "read", width: 4, region: { name: "rom" }, offset: 0xabcdefn }],
  ["r64 7 18446744073709551615", { op: "read", width: 8, region: { index: 7 }, offset: U64_MAX }],
  ["r64 edid 0xffffffffffffffff", {
    op: "read",
    width: 8,
    region: { name: "edid" },
    offset: U64_MAX,
  }],
  ["w8 bar5 1 0xff", { op: "write", width: 1, region: { name: "bar5" }, offset: 1n, value: 0xffn }],
  ["w16 vga 2 65535", {
    op: "write",
    width: 2,
    region: { name: "vga" },
    offset: 2n,
    value: 65535n,
  }],
  [
    "w32 io 0x0 0xDeadBeef",
    { op: "write", width: 4, region: { name: "io" }, offset: 0n, value: 0xdeadbeefn },
  ],
  [
    "w64 0 8 0x0000000000000000ffffffffffffffff",
    { op: "write", width: 8, region: { index: 0 }, offset: 8n, value: U64_MAX },
  ],
  ["rb schib 0 12", { op: "readBytes", region: { name: "schib" }, offset: 0n, length: 12 }],
  ["rb crw 0 0", { op: "readBytes", region: { name: "crw" }, offset: 0n, length: 0 }],
  [
    "rb async 4 0x100000",
    { op: "readBytes", region: { name: "async" }, offset: 4n, length: MAX_TRANSFER_BYTES },
  ],
  [
    "wb bar2 0x20 00FFa0",
    { op: "writeBytes", region: { name: "bar2" }, offset: 32n, bytes: bytes(0, 0xff, 0xa0) },
  ],
  ["ioctl info", { op: "ioctlInfo" }],
  ["ioctl region 9", { op: "ioctlRegion", index: 9 }],
  ["ioctl irq 0x4", { op: "ioctlIrq", index: 4 }],
  ["ioctl reset", { op: "ioctlReset" }],
  ["irq arm 0", { op: "irq", action: "arm", index: 0 }],
  ["irq disarm 1", { op: "irq", action: "disarm", index: 1 }],
  ["irq mask 2", { op: "irq", action: "mask", index: 2 }],
  ["irq unmask 3", { op: "irq", action: "unmask", index: 3 }],
  ["irq count 4294967295", { op: "irq", action: "count", index: 0xffff_ffff }],
  ["dma map 0x1000 0x2000", { op: "dmaMap", iova: 0x1000n, size: 0x2000n }],
  ["dma unmap 0 0", { op: "dmaUnmap", iova: 0n, size: 0n }],
  ["mem write 0x40 0a0B", { op: "memWrite", addr: 0x40n, bytes: bytes(0x0a, 0x0b) }],
  ["mem read 64 16", { op: "memRead", addr: 64n, length: 16 }],
  // Layout: any ASCII blanks between tokens, and `#` starts a comment anywhere.
  ["\t r8  bar1\t0x0   ", { op: "read", width: 1, region: { name: "bar1" }, offset: 0n }],
  ["r8 bar3 4# trailing", { op: "read", width: 1, region: { name: "bar3" }, offset: 4n }],
  ["r8 bar4 4 # w8 bar4 4 1", { op: "read", width: 1, region: { name: "bar4" }, offset: 4n }],
  ["r8 config 0X1f", { op: "read", width: 1, region: { name: "config" }, offset: 0x1fn }],
];

const MALFORMED_LINES: Array<[string, RegExp]> = [
  ["frob 1 2", /unknown operation "frob"/],
  ["R8 config 0", /unknown operation "R8"/],
  ["r24 config 0", /unknown operation "r24"/],
  ["r8", /wrong argument count for r8/],
  ["r8 config", /wrong argument count for r8/],
  ["r8 config 0 1", /wrong argument count for r8/],
  ["w32 bar0 0", /wrong argument count for w32/],
  ["rb bar0 0", /wrong argument count for rb/],
  ["wb bar0 0 00 11", /wrong argument count for wb/],
  ["ioctl", /ioctl expects/],
  ["ioctl info 1", /wrong argument count for ioctl info/],
  ["ioctl region", /wrong argument count for ioctl region/],
  ["ioctl bogus", /unknown ioctl "bogus"/],
  ["irq fire 0", /unknown irq action "fire"/],
  ["irq arm", /wrong argument count for irq/],
  ["dma map 0", /wrong argument count for dma/],
  ["dma remap 0 1", /unknown dma action "remap"/],
  ["mem", /mem expects/],
  ["mem peek 0 1", /unknown mem action "peek"/],
  ["mem write 0", /wrong argument count for mem write/],
  ["r8 bar6 0", /unknown region "bar6"/],
  ["r8 Config 0", /unknown region "Config"/],
  ["r8 0x1 0", /unknown region "0x1"/],
  ["r8 -1 0", /unknown region "-1"/],
  ["r8 4294967296 0", /REGION "4294967296" exceeds 4294967295/],
  ["r8 config -1", /OFFSET "-1" is signed/],
  ["r8 config +1", /OFFSET "\+1" is signed/],
  ["r8 config 1_000", /not a decimal or 0x-hex number/],
  ["r8 config 0x", /OFFSET "0x" is not a decimal/],
  ["r8 config 0xg", /not a decimal or 0x-hex number/],
  ["r8 config 1e3", /not a decimal or 0x-hex number/],
  ["r8 config 0b101", /not a decimal or 0x-hex number/],
  ["r8 config 010", /leading zero: octal is not accepted/],
  ["r8 config 18446744073709551616", /OFFSET "18446744073709551616" exceeds 2\^64-1/],
  ["r8 config 0x10000000000000000", /exceeds 2\^64-1/],
  ["r8 config 99999999999999999999999999999999999999", /exceeds 2\^64-1/],
  ["w8 config 0 0x100", /VALUE "0x100" is wider than the 8-bit access/],
  ["w16 config 0 65536", /wider than the 16-bit access/],
  ["w32 config 0 0x100000000", /wider than the 32-bit access/],
  ["w64 config 0 0x10000000000000000", /VALUE "0x10000000000000000" exceeds 2\^64-1/],
  ["rb bar0 0 1048577", /LEN "1048577" exceeds the 1 MiB limit/],
  ["mem read 0 0x100001", /LEN "0x100001" exceeds the 1 MiB limit/],
  ["wb bar0 0 abc", /HEX "abc" has an odd number of digits/],
  ["wb bar0 0 0x12", /HEX "0x12" contains a non-hex character/],
  ["mem write 0 zz", /HEX "zz" contains a non-hex character/],
  ["ioctl irq 0x100000000", /INDEX "0x100000000" exceeds 4294967295/],
  ["irq count -2", /INDEX "-2" is signed/],
  ["r8\u00a0config 0", /unknown operation "r8\u00a0config"/],
  ["r8 config 0\u0000", /OFFSET "0\\u0000" is not a decimal/],
];

Deno.test("parseScriptLine() parses every operation of the table into its ScriptOp", () => {
  for (const [line, op] of VALID_LINES) {
    assert.deepEqual(parseScriptLine(line, 1), op, line);
  }
});

Deno.test("parseScriptLine() returns undefined for blank and comment-only lines", () => {
  for (const line of ["", "   ", "\t\r", "# comment", "  # r8 config 0", "#"]) {
    assert.equal(parseScriptLine(line, 1), undefined, JSON.stringify(line));
  }
});

Deno.test("parseScriptLine() rejects malformed lines with EINVAL naming the line", () => {
  MALFORMED_LINES.forEach(([line, detail], index) => {
    const lineNumber = index + 3;
    assert.throws(
      () => parseScriptLine(line, lineNumber),
      (error) =>
        assertEinval(error, new RegExp(`^line ${lineNumber}: `)) && assertEinval(error, detail),
      line,
    );
  });
});

Deno.test("parseScriptLine() accepts a VALUE exactly filling the access width", () => {
  const widths: Array<[string, AccessWidth]> = [["8", 1], ["16", 2], ["32", 4], ["64", 8]];
  for (const [suffix, width] of widths) {
    const max = (1n << BigInt(width * 8)) - 1n;
    assert.deepEqual(parseScriptLine(`w${suffix} config 0 ${max}`, 1), {
      op: "write",
      width,
      region: { name: "config" },
      offset: 0n,
      value: max,
    });
    assert.throws(() => parseScriptLine(`w${suffix} config 0 ${max + 1n}`, 1), assertEinval);
  }
});

Deno.test("parseScriptLine() accepts HEX of exactly 1 MiB and rejects one byte more", () => {
  const limit = "ab".repeat(MAX_TRANSFER_BYTES);
  const op = parseScriptLine(`mem write 0 ${limit}`, 1);
  assert.equal(op?.op, "memWrite");
  assert.equal(op.op === "memWrite" && op.bytes.length, MAX_TRANSFER_BYTES);
  assert.throws(
    () => parseScriptLine(`wb bar0 0 ${limit}ab`, 2),
    (error) => assertEinval(error, /^line 2: HEX of 1048577 bytes exceeds the 1 MiB limit$/),
  );
});

Deno.test("parseScript() drops blanks and comments and keeps line numbers and text", () => {
  const source = "# header\n\nr8 config 0 # vendor\r\n  \nioctl reset\n";
  assert.deepEqual(parseScript(source), [
    {
      lineNumber: 3,
      text: "r8 config 0 # vendor",
      op: { op: "read", width: 1, region: { name: "config" }, offset: 0n },
      result: { op: "read", width: 1, region: { name: "config" }, offset: 0n },
    },
    { lineNumber: 5, text: "ioctl reset", op: { op: "ioctlReset" }, result: { op: "ioctlReset" } },
  ]);
  assert.deepEqual(parseScript(""), []);
});

Deno.test("parseScript() keeps parsing after a malformed line and keeps its EINVAL", () => {
  const lines = parseScript("r8 config 0\nw8 config 0 0x1ff\nnope\nirq count 1");
  assert.deepEqual(lines.map((line) => line.lineNumber), [1, 2, 3, 4]);
  assert.deepEqual(lines.map((line) => line.op?.op ?? null), ["read", null, null, "irq"]);
  assertEinval(lines[1]!.result, /^line 2: VALUE "0x1ff" is wider than the 8-bit access$/);
  assertEinval(lines[2]!.result, /^line 3: unknown operation "nope"$/);
  assert.equal(lines[2]!.text, "nope");
});

Deno.test("formatValue() zero-pads lower-case hex to the access width", () => {
  assert.equal(formatValue(1, 0n), "0x00");
  assert.equal(formatValue(1, 0xabn), "0xab");
  assert.equal(formatValue(2, 0x1af4n), "0x1af4");
  assert.equal(formatValue(4, 0xbeefn), "0x0000beef");
  assert.equal(formatValue(8, U64_MAX), "0xffffffffffffffff");
  assert.equal(formatValue(8, 1n), "0x0000000000000001");
});

Deno.test("formatValue() throws RangeError for a value outside the width", () => {
  assert.throws(() => formatValue(1, 0x100n), RangeError);
  assert.throws(() => formatValue(8, U64_MAX + 1n), RangeError);
  assert.throws(() => formatValue(4, -1n), RangeError);
  assert.throws(() => formatValue(3 as AccessWidth, 0n), RangeError);
});

Deno.test("formatBytes() prints lower-case hex without separators", () => {
  assert.equal(formatBytes(bytes()), "");
  assert.equal(formatBytes(bytes(0, 1, 0x0a, 0xff, 0x10)), "00010aff10");
});

Deno.test("parseHexBytes() reads either case and rejects empty, odd or non-hex text", () => {
  assert.deepEqual(parseHexBytes("DEadbEEF"), bytes(0xde, 0xad, 0xbe, 0xef));
  for (const text of ["", "a", "abc", "0x00", "ab cd", "gg", "١٢"]) {
    assert.throws(() => parseHexBytes(text), (error) => assertEinval(error), JSON.stringify(text));
  }
});

Deno.test("parseHexBytes() inverts formatBytes() for any bytes", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (data) => {
      assert.deepEqual(parseHexBytes(formatBytes(data)), data);
      assert.deepEqual(parseHexBytes(formatBytes(data).toUpperCase()), data);
    }),
  );
});

// Token soup: real operation words mixed with hostile numbers and junk, so the property reaches
// the number and argument checks instead of stopping at "unknown operation".
const hostileToken = fc.oneof(
  fc.constantFrom(
    "r8",
    "r16",
    "r32",
    "r64",
    "w8",
    "w64",
    "rb",
    "wb",
    "ioctl",
    "info",
    "region",
    "irq",
    "reset",
    "arm",
    "count",
    "dma",
    "map",
    "unmap",
    "mem",
    "read",
    "write",
    ...REGION_NAMES,
    "#",
    "0x",
    "-0",
    "0x-1",
    "00",
  ),
  fc.bigInt({ min: 0n, max: 1n << 80n }).map(String),
  fc.bigInt({ min: 0n, max: 1n << 80n }).map((n) => "0x" + n.toString(16)),
  fc.bigInt({ min: -(1n << 70n), max: -1n }).map(String),
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.stringMatching(/^[0-9a-fA-FxX]{0,40}$/),
);

Deno.test("parseScriptLine() throws nothing but KernelError EINVAL for arbitrary text", () => {
  const anyLine = fc.oneof(
    fc.string({ unit: "binary", maxLength: 200 }),
    fc.string({
      unit: fc.constantFrom(..." \t\r\u0000\u2028#x0123456789abcdefr8wmi"),
      maxLength: 80,
    }),
    fc.array(hostileToken, { maxLength: 6 }).map((tokens) => tokens.join(" ")),
  );
  fc.assert(
    fc.property(anyLine, fc.nat(), (line, lineNumber) => {
      try {
        parseScriptLine(line, lineNumber);
      } catch (error) {
        assertEinval(error, new RegExp(`^line ${lineNumber}: `));
      }
    }),
    { numRuns: 3000 },
  );
});

Deno.test("parseScript() never throws and turns every line into an op or an EINVAL", () => {
  const anyScript = fc.array(
    fc.oneof(
      fc.string({ unit: "binary", maxLength: 60 }),
      fc.array(hostileToken, { maxLength: 5 }).map((tokens) => tokens.join("\t")),
    ),
    { maxLength: 10 },
  ).map((lines) => lines.join("\n"));
  fc.assert(
    fc.property(anyScript, (source) => {
      for (const line of parseScript(source)) {
        if (line.op === null) assertEinval(line.result, new RegExp(`^line ${line.lineNumber}: `));
        else assert.equal(line.result, line.op);
      }
    }),
  );
});

const u64 = fc.bigInt({ min: 0n, max: U64_MAX });
const u32 = fc.nat({ max: 0xffff_ffff });
const width = fc.constantFrom<AccessWidth>(1, 2, 4, 8);
const region: fc.Arbitrary<RegionRef> = fc.oneof(
  fc.constantFrom(...REGION_NAMES).map((name) => ({ name })),
  u32.map((index) => ({ index })),
);
const length = fc.nat({ max: MAX_TRANSFER_BYTES });
const data = fc.uint8Array({ minLength: 1, maxLength: 32 });

// fast-check builds null-prototype records by default; the parser returns plain objects.
function plainRecord<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true });
}

const scriptOp: fc.Arbitrary<ScriptOp> = fc.oneof(
  plainRecord({ op: fc.constant("read" as const), width, region, offset: u64 }),
  width.chain((w) =>
    plainRecord({
      op: fc.constant("write" as const),
      width: fc.constant(w),
      region,
      offset: u64,
      value: fc.bigInt({ min: 0n, max: (1n << BigInt(w * 8)) - 1n }),
    })
  ),
  plainRecord({ op: fc.constant("readBytes" as const), region, offset: u64, length }),
  plainRecord({ op: fc.constant("writeBytes" as const), region, offset: u64, bytes: data }),
  fc.constant({ op: "ioctlInfo" as const }),
  plainRecord({ op: fc.constantFrom("ioctlRegion" as const, "ioctlIrq" as const), index: u32 }),
  fc.constant({ op: "ioctlReset" as const }),
  plainRecord({
    op: fc.constant("irq" as const),
    action: fc.constantFrom("arm" as const, "disarm" as const, "mask", "unmask", "count"),
    index: u32,
  }),
  plainRecord({
    op: fc.constantFrom("dmaMap" as const, "dmaUnmap" as const),
    iova: u64,
    size: u64,
  }),
  plainRecord({ op: fc.constant("memWrite" as const), addr: u64, bytes: data }),
  plainRecord({ op: fc.constant("memRead" as const), addr: u64, length }),
);

/** How a test renders numbers, blanks and HEX: every spelling the language accepts. */
interface Spelling {
  hex: boolean;
  upper: boolean;
  blank: string;
  comment: string;
}

const spelling: fc.Arbitrary<Spelling> = fc.record({
  hex: fc.boolean(),
  upper: fc.boolean(),
  blank: fc.constantFrom(" ", "  ", "\t", " \t "),
  comment: fc.constantFrom("", "#", " # note", "\t# r8 config 0"),
});

function renderOp(op: ScriptOp, how: Spelling): string {
  const num = (value: bigint | number) => {
    if (!how.hex) return String(value);
    const digits = value.toString(16);
    return "0x" + (how.upper ? digits.toUpperCase() : digits);
  };
  const hex = (data: Uint8Array) => how.upper ? formatBytes(data).toUpperCase() : formatBytes(data);
  const reg = (ref: RegionRef) => "name" in ref ? ref.name : String(ref.index);
  const bits = (width: AccessWidth) => String(width * 8);
  const words = ((): string[] => {
    switch (op.op) {
      case "read":
        return [`r${bits(op.width)}`, reg(op.region), num(op.offset)];
      case "write":
        return [`w${bits(op.width)}`, reg(op.region), num(op.offset), num(op.value)];
      case "readBytes":
        return ["rb", reg(op.region), num(op.offset), num(op.length)];
      case "writeBytes":
        return ["wb", reg(op.region), num(op.offset), hex(op.bytes)];
      case "ioctlInfo":
        return ["ioctl", "info"];
      case "ioctlRegion":
        return ["ioctl", "region", num(op.index)];
      case "ioctlIrq":
        return ["ioctl", "irq", num(op.index)];
      case "ioctlReset":
        return ["ioctl", "reset"];
      case "irq":
        return ["irq", op.action, num(op.index)];
      case "dmaMap":
      case "dmaUnmap":
        return ["dma", op.op === "dmaMap" ? "map" : "unmap", num(op.iova), num(op.size)];
      case "memWrite":
        return ["mem", "write", num(op.addr), hex(op.bytes)];
      case "memRead":
        return ["mem", "read", num(op.addr), num(op.length)];
    }
  })();
  return how.blank + words.join(how.blank) + how.comment;
}

Deno.test("parseScriptLine() reads back every generated op however it is spelled", () => {
  fc.assert(
    fc.property(scriptOp, spelling, (op, how) => {
      assert.deepEqual(parseScriptLine(renderOp(op, how), 1), op);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("parseScript() reads back a generated script line by line", () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(scriptOp, spelling), { maxLength: 12 }), (ops) => {
      const source = ops.map(([op, how]) => `# before\n${renderOp(op, how)}`).join("\r\n");
      const lines = parseScript(source);
      assert.deepEqual(lines.map((line) => line.op), ops.map(([op]) => op));
      assert.deepEqual(lines.map((line) => line.lineNumber), ops.map((_, i) => 2 * i + 2));
    }),
  );
});

Deno.test("formatValue() output parses back as the VALUE of a write of the same width", () => {
  fc.assert(
    fc.property(width, u64, (w, raw) => {
      const value = raw & ((1n << BigInt(w * 8)) - 1n);
      const text = formatValue(w, value);
      assert.equal(text.length, 2 + 2 * w);
      const op = parseScriptLine(`w${w * 8} config 0 ${text}`, 1);
      assert.deepEqual(op, {
        op: "write",
        width: w,
        region: { name: "config" },
        offset: 0n,
        value,
      });
    }),
  );
});
