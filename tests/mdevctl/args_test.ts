import assert from "node:assert/strict";
import fc from "fast-check";
import { parseIndexArg, parseUuidArg } from "../../lib/mdevctl/args.ts";
import { MdevctlError } from "../../lib/mdevctl/error.ts";

const UUID = "11111111-2222-3333-4444-555555555555";

/** The usage error's message (exit code 2 asserted). */
function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof MdevctlError);
    assert.equal(error.exitCode, 2);
    return error.message;
  }
  assert.fail("expected a usage error");
}

Deno.test("parseUuidArg() accepts the uuid crate's forms and returns the canonical UUID", () => {
  assert.equal(parseUuidArg(UUID), UUID);
  assert.equal(parseUuidArg(UUID.toUpperCase()), UUID);
  assert.equal(parseUuidArg(UUID.replaceAll("-", "")), UUID);
  assert.equal(parseUuidArg(`{${UUID}}`), UUID);
  assert.equal(parseUuidArg(`urn:uuid:${UUID}`), UUID);
});

Deno.test("parseUuidArg() round-trips every UUID in either case", () => {
  fc.assert(
    fc.property(fc.uuid(), fc.boolean(), (uuid, upper) => {
      assert.equal(parseUuidArg(upper ? uuid.toUpperCase() : uuid), uuid.toLowerCase());
    }),
  );
});

Deno.test("parseUuidArg() rejects bad values with clap's and the uuid crate's exact words", () => {
  // Each line was captured from mdevctl 1.2.0 (`mdevctl stop -u VALUE`).
  const cases: Array<[string, string]> = [
    [
      "bogus",
      "invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-zA-Z], found `o` at 2",
    ],
    ["1111", "invalid length: expected length 32 for simple format, found 4"],
    [UUID.slice(0, -1), "invalid group length in group 4: expected 12, found 11"],
    [`${UUID}5`, "invalid group length in group 4: expected 12, found 13"],
    [
      "111111112-222-3333-4444-555555555555",
      "invalid group length in group 0: expected 8, found 9",
    ],
    [
      "1111111122223333444455555555555x",
      "invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-zA-Z], found `x` at 32",
    ],
    [`{${UUID.slice(0, -1)}}`, "invalid group length in group 4: expected 12, found 13"],
    [
      `urn:uuid:${UUID.slice(0, -1)}z`,
      "invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-zA-Z], found `z` at 45",
    ],
    [`${UUID}-`, "invalid group count: expected 5, found 6"],
    [
      "ä",
      "invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-zA-Z], found `ä` at 1",
    ],
    ["", "invalid length: expected length 32 for simple format, found 0"],
    ["1111-1111", "invalid group count: expected 5, found 2"],
  ];
  for (const [value, reason] of cases) {
    assert.equal(
      usage(() => parseUuidArg(value)),
      `Invalid value ${JSON.stringify(value)} for '--uuid <UUID>': ${reason}`,
    );
  }
});

Deno.test("parseUuidArg() answers any input with a UUID or a usage error", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary" }), (text) => {
      try {
        assert.match(parseUuidArg(text), /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/);
      } catch (error) {
        assert.ok(error instanceof MdevctlError && error.exitCode === 2);
      }
    }),
  );
});

Deno.test("parseIndexArg() parses a u32 as Rust does and rejects the rest with its messages", () => {
  assert.equal(parseIndexArg("0"), 0);
  assert.equal(parseIndexArg("+7"), 7);
  assert.equal(parseIndexArg("4294967295"), 4294967295);
  const reason = (text: string) =>
    usage(() => parseIndexArg(text)).replace(`Invalid value "${text}" for '--index <INDEX>': `, "");
  assert.equal(reason("x"), "invalid digit found in string");
  assert.equal(reason("-1"), "invalid digit found in string");
  assert.equal(reason(""), "cannot parse integer from empty string");
  assert.equal(reason("4294967296"), "number too large to fit in target type");
});
