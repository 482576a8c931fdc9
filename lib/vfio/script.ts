/**
 * The parser and output formatting of `mdevsim vfio run`'s region-access script language
 * (cli.md §5). Running the operations against a device is the executor's job; this module only
 * turns text into {@linkcode ScriptOp} values and values into the text the executor prints.
 *
 * @example Parse a script and format a read result
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatValue, parseScript } from "./script.ts";
 *
 * const lines = parseScript("r16 config 0x0 # vendor id\nw8 bar0 4 0x1ff\n");
 * assert.deepEqual(lines[0]!.op, {
 *   op: "read", width: 2, region: { name: "config" }, offset: 0n,
 * });
 * assert.equal(lines[1]!.op, null); // VALUE wider than 8 bits
 * assert.equal(formatValue(2, 0x1af4n), "0x1af4");
 * ```
 *
 * @module
 */

import { KernelError } from "../errno.ts";

/** The region names a script may use instead of a region index (PCI, mbochs EDID, vfio-ccw). */
export const REGION_NAMES = [
  "config",
  "bar0",
  "bar1",
  "bar2",
  "bar3",
  "bar4",
  "bar5",
  "rom",
  "vga",
  "edid",
  "io",
  "async",
  "schib",
  "crw",
] as const;

/** A named region of a script's REGION argument. */
export type RegionName = typeof REGION_NAMES[number];

/** A script's REGION argument: a well-known name or a decimal VFIO region index. */
export type RegionRef = { name: RegionName } | { index: number };

/** The byte width of an `r`/`w` access. */
export type AccessWidth = 1 | 2 | 4 | 8;

/** One parsed script operation (cli.md §5 operation table). */
export type ScriptOp =
  | { op: "read"; width: AccessWidth; region: RegionRef; offset: bigint }
  | { op: "write"; width: AccessWidth; region: RegionRef; offset: bigint; value: bigint }
  | { op: "readBytes"; region: RegionRef; offset: bigint; length: number }
  | { op: "writeBytes"; region: RegionRef; offset: bigint; bytes: Uint8Array }
  | { op: "ioctlInfo" }
  | { op: "ioctlRegion"; index: number }
  | { op: "ioctlIrq"; index: number }
  | { op: "ioctlReset" }
  | { op: "irq"; action: IrqAction; index: number }
  | { op: "dmaMap" | "dmaUnmap"; iova: bigint; size: bigint }
  | { op: "memWrite"; addr: bigint; bytes: Uint8Array }
  | { op: "memRead"; addr: bigint; length: number };

/** What an `irq` line does with the interrupt index. */
export type IrqAction = "arm" | "disarm" | "mask" | "unmask" | "count";

/** One operation line of a script, as {@linkcode parseScript} returns it. */
export interface ScriptLine {
  /** 1-based line number in the script source. */
  lineNumber: number;
  /** The line as written (without its line terminator). */
  text: string;
  /** The parsed operation, or null when the line is malformed. */
  op: ScriptOp | null;
  /** The parsed operation, or the EINVAL error of a malformed line (its detail names the line). */
  result: ScriptOp | KernelError;
}

/** The largest LEN of `rb` / `mem read` and the largest HEX of `wb` / `mem write`: 1 MiB. */
export const MAX_TRANSFER_BYTES = 1 << 20;

const U64_MAX = (1n << 64n) - 1n;
const U32_MAX = 0xffff_ffff;
const WIDTH_BY_SUFFIX: Readonly<Record<string, AccessWidth>> = { 8: 1, 16: 2, 32: 4, 64: 8 };
const IRQ_ACTIONS: readonly string[] = ["arm", "disarm", "mask", "unmask", "count"];
const REGION_NAME_SET: ReadonlySet<string> = new Set(REGION_NAMES);
// Only ASCII blanks separate tokens; any other character (NBSP, U+2028, …) is part of a token and
// so makes it malformed rather than silently splitting it.
const BLANKS = /[ \t\r\f\v]+/;
// Longest digit strings (after leading zeros) that can still be ≤ 2^64-1; longer ones are rejected
// before BigInt ever sees them, so a megabyte of digits costs no quadratic conversion.
const MAX_HEX_DIGITS = 16;
const MAX_DECIMAL_DIGITS = 20;

/**
 * Parses one script line.
 *
 * @param text The line, without its line terminator.
 * @param lineNumber The 1-based line number that error details name.
 * @returns undefined for a blank or comment-only line, else the operation.
 * @throws {KernelError} EINVAL with detail `line N: …` for a malformed line: unknown operation,
 *   wrong argument count, bad or negative number, VALUE wider than the access width, offset beyond
 *   2^64-1, odd-length or non-hex HEX, LEN or HEX beyond 1 MiB.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseScriptLine } from "./script.ts";
 *
 * assert.deepEqual(parseScriptLine("irq count 2", 1), { op: "irq", action: "count", index: 2 });
 * assert.equal(parseScriptLine("   # only a comment", 2), undefined);
 * assert.throws(() => parseScriptLine("r24 config 0", 3), /^KernelError: line 3: /);
 * ```
 */
export function parseScriptLine(text: string, lineNumber: number): ScriptOp | undefined {
  const commentStart = text.indexOf("#");
  const code = commentStart === -1 ? text : text.slice(0, commentStart);
  const tokens = code.split(BLANKS).filter((token) => token !== "");
  if (tokens.length === 0) return undefined;
  try {
    return parseTokens(tokens);
  } catch (error) {
    if (error instanceof KernelError) {
      throw new KernelError("EINVAL", { detail: `line ${lineNumber}: ${error.message}` });
    }
    throw error;
  }
}

/**
 * Splits a script into its operation lines; blank and comment-only lines are dropped.
 *
 * A malformed line does not stop parsing: it comes back with `op: null` and its EINVAL error as
 * `result`, so the executor can print `error EINVAL` for it and go on (or stop under `--strict`).
 * Lines end at `\n`; a `\r` before it is dropped, so CRLF scripts read the same.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseScript } from "./script.ts";
 *
 * const [bad] = parseScript("\n# header\nfrob 1\n");
 * assert.equal(bad!.lineNumber, 3);
 * assert.equal(bad!.op, null);
 * assert.match((bad!.result as Error).message, /^line 3: /);
 * ```
 */
export function parseScript(source: string): ScriptLine[] {
  const lines: ScriptLine[] = [];
  source.split("\n").forEach((rawLine, index) => {
    const text = rawLine.endsWith("\r") ? rawLine.slice(0, -1) : rawLine;
    const lineNumber = index + 1;
    try {
      const op = parseScriptLine(text, lineNumber);
      if (op !== undefined) lines.push({ lineNumber, text, op, result: op });
    } catch (error) {
      if (!(error instanceof KernelError)) throw error;
      lines.push({ lineNumber, text, op: null, result: error });
    }
  });
  return lines;
}

/**
 * Formats a read value as `0x` plus lower-case hex zero-padded to the access width.
 *
 * @throws {RangeError} When the width is not 1, 2, 4 or 8, or the value does not fit in it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatValue } from "./script.ts";
 *
 * assert.equal(formatValue(4, 0xBEEFn), "0x0000beef");
 * ```
 */
export function formatValue(width: AccessWidth, value: bigint): string {
  if (!Object.values(WIDTH_BY_SUFFIX).includes(width)) {
    throw new RangeError(`Cannot format value: width ${width} is not 1, 2, 4 or 8`);
  }
  if (value < 0n || value >> BigInt(width * 8) !== 0n) {
    throw new RangeError(`Cannot format value ${value}: it does not fit in ${width} bytes`);
  }
  return "0x" + value.toString(16).padStart(width * 2, "0");
}

/**
 * Formats bytes as lower-case hex without separators, as `rb` and `mem read` print them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatBytes } from "./script.ts";
 *
 * assert.equal(formatBytes(new Uint8Array([0xde, 0x0a, 0x01])), "de0a01");
 * ```
 */
export function formatBytes(bytes: Uint8Array): string {
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

/**
 * Parses a HEX argument: an even, non-zero number of hex digits (either case), no `0x` prefix and
 * no separators, at most 1 MiB of bytes.
 *
 * @throws {KernelError} EINVAL when the text is not such a string.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseHexBytes } from "./script.ts";
 *
 * assert.deepEqual(parseHexBytes("00fFa0"), new Uint8Array([0x00, 0xff, 0xa0]));
 * ```
 */
export function parseHexBytes(text: string): Uint8Array {
  if (text.length === 0) invalid("HEX is empty");
  if (text.length > MAX_TRANSFER_BYTES * 2) {
    invalid(`HEX of ${Math.ceil(text.length / 2)} bytes exceeds the 1 MiB limit`);
  }
  if (!/^[0-9a-fA-F]*$/.test(text)) invalid(`HEX ${quote(text)} contains a non-hex character`);
  if (text.length % 2 !== 0) invalid(`HEX ${quote(text)} has an odd number of digits`);
  const bytes = new Uint8Array(text.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16);
  }
  return bytes;
}

function parseTokens([name, ...args]: string[]): ScriptOp {
  const access = /^([rw])(8|16|32|64)$/.exec(name!);
  if (access !== null) {
    const width = WIDTH_BY_SUFFIX[access[2]!]!;
    if (access[1] === "r") {
      const [region, offset] = expectArgs(name!, args, ["REGION", "OFFSET"]);
      return { op: "read", width, region: parseRegion(region), offset: parseU64("OFFSET", offset) };
    }
    const [region, offset, value] = expectArgs(name!, args, ["REGION", "OFFSET", "VALUE"]);
    return {
      op: "write",
      width,
      region: parseRegion(region),
      offset: parseU64("OFFSET", offset),
      value: parseValue(width, value),
    };
  }
  switch (name) {
    case "rb": {
      const [region, offset, length] = expectArgs(name, args, ["REGION", "OFFSET", "LEN"]);
      return {
        op: "readBytes",
        region: parseRegion(region),
        offset: parseU64("OFFSET", offset),
        length: parseLength(length),
      };
    }
    case "wb": {
      const [region, offset, hex] = expectArgs(name, args, ["REGION", "OFFSET", "HEX"]);
      return {
        op: "writeBytes",
        region: parseRegion(region),
        offset: parseU64("OFFSET", offset),
        bytes: parseHexBytes(hex),
      };
    }
    case "ioctl":
      return parseIoctl(args);
    case "irq": {
      const [action, index] = expectArgs(name, args, ["arm|disarm|mask|unmask|count", "INDEX"]);
      if (!IRQ_ACTIONS.includes(action)) {
        invalid(`unknown irq action ${quote(action)}: expected arm, disarm, mask, unmask or count`);
      }
      return { op: "irq", action: action as IrqAction, index: parseU32("INDEX", index) };
    }
    case "dma": {
      const [action, iova, size] = expectArgs(name, args, ["map|unmap", "IOVA", "SIZE"]);
      if (action !== "map" && action !== "unmap") {
        invalid(`unknown dma action ${quote(action)}: expected map or unmap`);
      }
      return {
        op: action === "map" ? "dmaMap" : "dmaUnmap",
        iova: parseU64("IOVA", iova),
        size: parseU64("SIZE", size),
      };
    }
    case "mem":
      return parseMem(args);
    default:
      return invalid(`unknown operation ${quote(name!)}`);
  }
}

function parseIoctl(args: string[]): ScriptOp {
  const [request, ...rest] = args;
  switch (request) {
    case "info":
      expectArgs("ioctl info", rest, []);
      return { op: "ioctlInfo" };
    case "reset":
      expectArgs("ioctl reset", rest, []);
      return { op: "ioctlReset" };
    case "region": {
      const [index] = expectArgs("ioctl region", rest, ["INDEX"]);
      return { op: "ioctlRegion", index: parseU32("INDEX", index) };
    }
    case "irq": {
      const [index] = expectArgs("ioctl irq", rest, ["INDEX"]);
      return { op: "ioctlIrq", index: parseU32("INDEX", index) };
    }
    case undefined:
      return invalid("ioctl expects info, region INDEX, irq INDEX or reset");
    default:
      return invalid(`unknown ioctl ${quote(request)}: expected info, region, irq or reset`);
  }
}

function parseMem(args: string[]): ScriptOp {
  const [action, ...rest] = args;
  switch (action) {
    case "write": {
      const [addr, hex] = expectArgs("mem write", rest, ["ADDR", "HEX"]);
      return { op: "memWrite", addr: parseU64("ADDR", addr), bytes: parseHexBytes(hex) };
    }
    case "read": {
      const [addr, length] = expectArgs("mem read", rest, ["ADDR", "LEN"]);
      return { op: "memRead", addr: parseU64("ADDR", addr), length: parseLength(length) };
    }
    case undefined:
      return invalid("mem expects write ADDR HEX or read ADDR LEN");
    default:
      return invalid(`unknown mem action ${quote(action)}: expected write or read`);
  }
}

/** Checks the argument count against the names of the expected arguments and returns them. */
function expectArgs<const Names extends readonly string[]>(
  operation: string,
  args: readonly string[],
  names: Names,
): { [K in keyof Names]: string } {
  if (args.length !== names.length) {
    const usage = [operation, ...names].join(" ");
    invalid(`wrong argument count for ${operation}: usage is "${usage}", got ${args.length}`);
  }
  return args as { [K in keyof Names]: string };
}

function parseRegion(token: string): RegionRef {
  if (REGION_NAME_SET.has(token)) return { name: token as RegionName };
  if (/^[0-9]+$/.test(token)) return { index: parseU32("REGION", token) };
  return invalid(`unknown region ${quote(token)}: expected ${REGION_NAMES.join(", ")} or an index`);
}

function parseValue(width: AccessWidth, token: string): bigint {
  const value = parseU64("VALUE", token);
  if (value >> BigInt(width * 8) !== 0n) {
    invalid(`VALUE ${quote(token)} is wider than the ${width * 8}-bit access`);
  }
  return value;
}

function parseLength(token: string): number {
  const length = parseU64("LEN", token);
  if (length > BigInt(MAX_TRANSFER_BYTES)) invalid(`LEN ${quote(token)} exceeds the 1 MiB limit`);
  return Number(length);
}

function parseU32(what: string, token: string): number {
  const value = parseU64(what, token);
  if (value > BigInt(U32_MAX)) invalid(`${what} ${quote(token)} exceeds ${U32_MAX}`);
  return Number(value);
}

/** Parses a decimal or `0x`-hex number in 0…2^64-1. */
function parseU64(what: string, token: string): bigint {
  if (token.startsWith("-") || token.startsWith("+")) {
    invalid(`${what} ${quote(token)} is signed: numbers are unsigned`);
  }
  const hex = /^0[xX]([0-9a-fA-F]+)$/.exec(token);
  if (hex !== null) {
    const digits = hex[1]!.replace(/^0+(?=.)/, "");
    if (digits.length > MAX_HEX_DIGITS) invalid(`${what} ${quote(token)} exceeds 2^64-1`);
    return BigInt("0x" + digits);
  }
  if (!/^[0-9]+$/.test(token)) {
    invalid(`${what} ${quote(token)} is not a decimal or 0x-hex number`);
  }
  // C would read a leading zero as octal; refusing it beats silently meaning something else.
  if (token.length > 1 && token.startsWith("0")) {
    invalid(`${what} ${quote(token)} has a leading zero: octal is not accepted`);
  }
  const value = token.length > MAX_DECIMAL_DIGITS ? U64_MAX + 1n : BigInt(token);
  if (value > U64_MAX) invalid(`${what} ${quote(token)} exceeds 2^64-1`);
  return value;
}

/** Quotes a user token for a message, escaping control characters and cutting very long ones. */
function quote(token: string): string {
  const shown = token.length > 40 ? `${token.slice(0, 40)}…` : token;
  return JSON.stringify(shown);
}

function invalid(detail: string): never {
  throw new KernelError("EINVAL", { detail });
}
