/**
 * The channel-program file of `mdevsim ccw translate` and `ccw run` (cli.md §6): guest RAM size,
 * memory contents, the 12-byte ORB, the SCSW area and the subchannel's lpm, as JSON.
 *
 * @example Parse the smallest program file
 * ```ts
 * import { parseProgramFile } from "./program_file.ts";
 *
 * const program = parseProgramFile(JSON.stringify({
 *   orb: "11223344 00 C2 FF 00 00001000",
 *   memory: [{ addr: "0x1000", hex: "02200050 00010000" }],
 * }));
 * program.ram; // 1048576
 * program.orb.length; // 32
 * program.lpm; // 0x80
 * ```
 *
 * @module
 */

import { KernelError } from "../errno.ts";

/** One memory write of a program file: `bytes` at guest address `addr`. */
export interface MemoryWrite {
  readonly addr: number;
  readonly bytes: Uint8Array;
}

/** A parsed program file. */
export interface ProgramFile {
  /** Bytes of guest RAM, a multiple of 4096; {@linkcode DEFAULT_RAM} when the file names none. */
  readonly ram: number;
  /** Writes into guest RAM, to apply in order (later ones win). */
  readonly memory: readonly MemoryWrite[];
  /**
   * The 32-byte ORB copy the kernel takes from the I/O region: the 12 ORB bytes of the file
   * followed by zeros.
   */
  readonly orb: Uint8Array;
  /** The 12-byte SCSW area; {@linkcode DEFAULT_SCSW} when the file names none. */
  readonly scsw: Uint8Array;
  /** The subchannel's lpm; {@linkcode DEFAULT_LPM} when the file names none. */
  readonly lpm: number;
}

/** Guest RAM when the file names none: 1 MiB. */
export const DEFAULT_RAM = 0x10_0000;
/** The largest guest RAM a program file may ask for: 1 GiB. */
export const MAX_RAM = 0x4000_0000;
/** SCSW area when the file names none: start function + start pending. */
export const DEFAULT_SCSW = "00 00 44 00 00000000 00 00 0000";
/** The subchannel's lpm when the file names none. */
export const DEFAULT_LPM = 0x80;

const PAGE_SIZE = 4096;
const ORB_AREA_SIZE = 12;
const ORB_COPY_SIZE = 32;
const SCSW_AREA_SIZE = 12;
const FILE_KEYS = ["ram", "orb", "scsw", "lpm", "memory"];
const WRITE_KEYS = ["addr", "hex"];

/**
 * Parses a program file. Hex strings may contain whitespace; numbers are JSON integers or strings
 * in hexadecimal (`"0x…"`) or decimal. Unknown keys are rejected so that a misspelt field is not
 * silently replaced by its default.
 *
 * @param text The file's contents.
 * @param path The file's name, carried by the error.
 * @throws {KernelError} EINVAL naming the first malformed field.
 */
export function parseProgramFile(text: string, path?: string): ProgramFile {
  const fail = (detail: string): never => {
    throw new KernelError("EINVAL", { detail: `Invalid program file: ${detail}`, path });
  };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return fail(`not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const file = asObject(json, "the document", FILE_KEYS, fail);

  const ram = file.ram === undefined ? DEFAULT_RAM : parseNumber(file.ram, '"ram"', fail);
  if (ram < PAGE_SIZE || ram > MAX_RAM || ram % PAGE_SIZE !== 0) {
    fail(`"ram" must be a multiple of 4096 from 4096 to ${MAX_RAM}, got ${ram}`);
  }
  if (file.orb === undefined) fail('"orb" is missing');
  const orb = new Uint8Array(ORB_COPY_SIZE);
  orb.set(parseHex(file.orb, '"orb"', ORB_AREA_SIZE, fail));
  const scsw = parseHex(file.scsw ?? DEFAULT_SCSW, '"scsw"', SCSW_AREA_SIZE, fail);
  const lpm = file.lpm === undefined ? DEFAULT_LPM : parseNumber(file.lpm, '"lpm"', fail);
  if (lpm > 0xff) fail(`"lpm" must be a byte, got ${lpm}`);

  const writes = file.memory ?? [];
  if (!Array.isArray(writes)) fail('"memory" must be an array');
  const memory = (writes as unknown[]).map((entry, i) => {
    const where = `"memory[${i}]"`;
    const write = asObject(entry, where, WRITE_KEYS, fail);
    if (write.addr === undefined || write.hex === undefined) {
      fail(`${where} needs "addr" and "hex"`);
    }
    const addr = parseNumber(write.addr, `${where}.addr`, fail);
    const bytes = parseHex(write.hex, `${where}.hex`, undefined, fail);
    if (addr + bytes.length > ram) {
      fail(`${where} writes ${bytes.length} bytes at ${hex(addr)}, past the end of RAM`);
    }
    return { addr, bytes };
  });
  return { ram, memory, orb, scsw, lpm };
}

function asObject(
  value: unknown,
  where: string,
  keys: readonly string[],
  fail: (detail: string) => never,
): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(`${where} must be an object`);
  }
  const object = value as Record<string, unknown>;
  const unknown = Object.keys(object).find((key) => !keys.includes(key));
  if (unknown !== undefined) {
    fail(`${where} has unknown key "${unknown}" (known: ${keys.join(", ")})`);
  }
  return object;
}

/** A non-negative integer given as a JSON number, a `"0x…"` string or a decimal string. */
function parseNumber(value: unknown, where: string, fail: (detail: string) => never): number {
  let number = Number.NaN;
  if (typeof value === "number") number = value;
  else if (typeof value === "string" && /^(0[xX][0-9a-fA-F]+|[0-9]+)$/.test(value)) {
    number = Number(value);
  }
  if (!Number.isSafeInteger(number) || number < 0) {
    fail(`${where} must be a non-negative integer or a "0x…" string, got ${JSON.stringify(value)}`);
  }
  return number;
}

/** Bytes from a hex string that may contain whitespace; exactly `length` of them when given. */
function parseHex(
  value: unknown,
  where: string,
  length: number | undefined,
  fail: (detail: string) => never,
): Uint8Array {
  if (typeof value !== "string") fail(`${where} must be a hex string`);
  const digits = (value as string).replace(/\s+/g, "");
  if (!/^[0-9a-fA-F]*$/.test(digits) || digits.length % 2 !== 0) {
    fail(`${where} must be an even number of hex digits, got ${JSON.stringify(value)}`);
  }
  const bytes = Uint8Array.from(
    { length: digits.length / 2 },
    (_, i) => parseInt(digits.slice(2 * i, 2 * i + 2), 16),
  );
  if (length !== undefined && bytes.length !== length) {
    fail(`${where} must hold ${length} bytes, got ${bytes.length}`);
  }
  return bytes;
}

function hex(value: number): string {
  return `0x${value.toString(16)}`;
}
