/**
 * mdevctl's argument values as clap 3 parses them in 1.2.0: a UUID is
 * anything the `uuid` crate's `Uuid::parse_str` accepts (hyphenated, simple
 * 32-digit, `{braced}` or `urn:uuid:`, either case), an index is a `u32`.
 * A bad value is a usage error (exit 2) with clap's wording and the
 * crate's own reason.
 *
 * @module
 */
import { MdevctlError } from "./error.ts";

const HEX = /^[0-9a-fA-F]$/;
/** Byte offsets where the groups of a hyphenated UUID start. */
const GROUP_STARTS = [0, 9, 14, 19, 24] as const;
const GROUP_LENGTHS = [8, 4, 4, 4, 12] as const;
const URN = "urn:uuid:";
/** u32::MAX, the largest `--index`. */
const U32_MAX = 4294967295;

/**
 * Parses a UUID argument into the canonical lower-case hyphenated form.
 *
 * @param flag the argument as clap names it in the message
 * @throws {MdevctlError} exit code 2, e.g. `Invalid value "x" for '--uuid <UUID>': invalid character: …`
 *
 * @example Forms the uuid crate accepts
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseUuidArg } from "./args.ts";
 * const uuid = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001";
 * assert.equal(parseUuidArg("83B8F4F2509F382F3C1EE6BFE0FA1001"), uuid);
 * assert.equal(parseUuidArg(`{${uuid}}`), uuid);
 * assert.equal(parseUuidArg(`urn:uuid:${uuid}`), uuid);
 * ```
 */
export function parseUuidArg(text: string, flag = "--uuid <UUID>"): string {
  const uuid = uuidFromText(text);
  if (uuid !== undefined) return uuid;
  throw new MdevctlError(
    `Invalid value ${JSON.stringify(text)} for '${flag}': ${uuidErrorReason(text)}`,
    { exitCode: 2 },
  );
}

/**
 * Parses `--index` as Rust's `u32::from_str` does (an optional `+`, decimal digits).
 *
 * @throws {MdevctlError} exit code 2 with Rust's ParseIntError text
 */
export function parseIndexArg(text: string): number {
  const digits = text.startsWith("+") ? text.slice(1) : text;
  let reason: string | undefined;
  if (digits === "") reason = "cannot parse integer from empty string";
  else if (!/^[0-9]+$/.test(digits)) reason = "invalid digit found in string";
  else if (Number(digits) > U32_MAX) reason = "number too large to fit in target type";
  if (reason === undefined) return Number(digits);
  throw new MdevctlError(`Invalid value ${JSON.stringify(text)} for '--index <INDEX>': ${reason}`, {
    exitCode: 2,
  });
}

/** The canonical UUID, or undefined when `Uuid::parse_str` would fail. */
function uuidFromText(text: string): string | undefined {
  let body = text;
  if (text.length === 38 && text.startsWith("{") && text.endsWith("}")) body = text.slice(1, -1);
  else if (text.length === 45 && text.startsWith(URN)) body = text.slice(URN.length);
  if (body.length === 32 && [...body].every((c) => HEX.test(c))) {
    const hex = body.toLowerCase();
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${
      hex.slice(20)
    }`;
  }
  if (body.length !== 36) return undefined;
  for (let i = 0; i < 36; i++) {
    const dash = i === 8 || i === 13 || i === 18 || i === 23;
    if (dash ? body[i] !== "-" : !HEX.test(body[i]!)) return undefined;
  }
  return body.toLowerCase();
}

/**
 * Why the uuid crate (1.2) rejects `text`, as its `InvalidUuid::into_err`
 * works it out: the first non-hex character (1-based byte index), else the
 * simple form's length, else the group count, else the first group of the
 * wrong length. Quirk kept: for `{…}` and `urn:uuid:…` inputs the last
 * group's length counts the whole input.
 */
function uuidErrorReason(text: string): string {
  let body = text;
  let offset = 0;
  let simple = true;
  if (text.length >= 2 && text.startsWith("{") && text.endsWith("}")) {
    body = text.slice(1, -1);
    offset = 1;
    simple = false;
  } else if (text.startsWith(URN)) {
    body = text.slice(URN.length);
    offset = URN.length;
    simple = false;
  }
  const hyphens: number[] = [];
  let index = 0;
  for (const character of body) {
    if (character === "-") hyphens.push(index);
    else if (!HEX.test(character)) {
      return "invalid character: expected an optional prefix of `urn:uuid:` followed by " +
        `[0-9a-zA-Z], found \`${character}\` at ${index + offset + 1}`;
    }
    index += utf8Length(character);
  }
  const byteLength = utf8Length(text);
  if (hyphens.length === 0 && simple) {
    return `invalid length: expected length 32 for simple format, found ${byteLength}`;
  }
  if (hyphens.length !== 4) return `invalid group count: expected 5, found ${hyphens.length + 1}`;
  for (let group = 0; group < 4; group++) {
    if (hyphens[group] !== GROUP_STARTS[group + 1] - 1) {
      return groupLength(group, hyphens[group]! - GROUP_STARTS[group]);
    }
  }
  return groupLength(4, byteLength - GROUP_STARTS[4]);
}

function groupLength(group: number, found: number): string {
  return `invalid group length in group ${group}: expected ${GROUP_LENGTHS[group]}, found ${found}`;
}

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}
