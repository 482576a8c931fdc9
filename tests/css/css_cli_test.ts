import assert from "node:assert/strict";
import fc from "fast-check";
import {
  parseChpidArg,
  parseDevnoArg,
  parseSchidArg,
  parseSizeArg,
} from "../../cli/commands/css.ts";
import { UsageError } from "../../cli/errors.ts";

const ENTRY = new URL("./_css_command.ts", import.meta.url).pathname;
const DENO = new URL("../../node_modules/.bin/deno", import.meta.url).pathname;

async function css(root: string, json: boolean, ...args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(DENO, {
    args: ["run", "-A", "--no-check", ENTRY, root, json ? "1" : "0", ...args],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

Deno.test("css list prints the default machine as a table", async () => {
  const root = await Deno.makeTempDir({ prefix: "mdevsim-css-" });
  try {
    const r = await css(root, false, "list");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      "SCHID     DEVNO     TYPE  SIZE    DRIVER         ENABLED  LPM\n" +
        "0.0.0000  0.0.1000  3390  64 MiB  io_subchannel  yes      0x80\n" +
        "0.0.0001  0.0.1001  3390  64 MiB  io_subchannel  yes      0x80\n" +
        "0.0.0002  0.0.1002  3390  64 MiB  io_subchannel  yes      0x80\n" +
        "0.0.0003  0.0.1003  3390  64 MiB  io_subchannel  yes      0x80\n",
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("css remove, add and chp persist across invocations; --json shows the rows", async () => {
  const root = await Deno.makeTempDir({ prefix: "mdevsim-css-" });
  try {
    assert.equal((await css(root, false, "remove", "0.0.0001")).code, 0);
    const added = await css(root, true, "add", "0.0.0005", "--devno", "0.0.2000", "--size", "16");
    assert.equal(added.code, 0, added.stderr);
    assert.deepEqual(JSON.parse(added.stdout), {
      schid: "0.0.0005",
      devno: "0.0.2000",
      type: "3390",
      sizeMiB: 16,
      driver: "io_subchannel",
      enabled: true,
      operational: true,
      lpm: "0x80",
      pam: "0x80",
      chpids: ["0x50"],
    });
    const chp = await css(root, true, "chp", "0.50", "off");
    assert.deepEqual(JSON.parse(chp.stdout), { chpid: "0x50", online: false, crw: "0x04060050" });
    const list = JSON.parse((await css(root, true, "list")).stdout);
    const rows = list.subchannels as Array<Record<string, unknown>>;
    assert.deepEqual(rows.map((r) => r.schid), [
      "0.0.0000",
      "0.0.0001",
      "0.0.0002",
      "0.0.0003",
      "0.0.0005",
    ]);
    assert.deepEqual([rows[1]!.devno, rows[1]!.operational, rows[1]!.enabled], [
      null,
      false,
      false,
    ]);
    assert.deepEqual(rows.map((r) => r.pam), ["0x00", "0x00", "0x00", "0x00", "0x00"]);
    const text = await css(root, false, "list");
    const row = text.stdout.split("\n").find((line) => line.startsWith("0.0.0001"));
    assert.equal(row, "0.0.0001  -         -     -       io_subchannel  no       0x00");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("css commands exit 2 for malformed arguments and 1 for kernel failures", async () => {
  const root = await Deno.makeTempDir({ prefix: "mdevsim-css-" });
  try {
    const badId = await css(root, false, "remove", "0.0.1");
    assert.equal(badId.code, 2);
    assert.match(badId.stderr, /invalid subchannel id '0\.0\.1'/);
    assert.equal((await css(root, false, "add", "0.0.0009", "--type", "3380")).code, 2);
    assert.equal((await css(root, false, "add", "0.0.0009", "--size", "0")).code, 2);
    const gone = await css(root, false, "remove", "0.0.0009");
    assert.equal(gone.code, 1);
    assert.equal(
      gone.stderr,
      "mdevsim: css remove: /sys/bus/css/devices/0.0.0009: No such device (ENODEV)\n",
    );
    const dup = await css(root, true, "add", "0.0.0000");
    assert.equal(dup.code, 1);
    assert.equal(JSON.parse(dup.stdout).error.errno, "EEXIST");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("the css argument parsers return a valid value or throw UsageError for any input", () => {
  const usageOr = <T>(parse: (text: string) => T, valid: (value: T) => boolean) =>
    fc.property(fc.string(), (text) => {
      try {
        assert.ok(valid(parse(text)), text);
      } catch (error) {
        assert.ok(error instanceof UsageError, String(error));
      }
    });
  fc.assert(usageOr(parseSchidArg, (id) => /^0\.[0-3]\.[0-9a-f]{4}$/.test(id)));
  fc.assert(usageOr(parseDevnoArg, (n) => Number.isInteger(n) && n >= 0 && n <= 0xffff));
  fc.assert(usageOr(parseSizeArg, (n) => Number.isInteger(n) && n >= 1));
  fc.assert(usageOr(parseChpidArg, (n) => Number.isInteger(n) && n >= 0 && n <= 0xff));
  assert.equal(parseSchidArg("0.0.000A"), "0.0.000a");
  assert.deepEqual(["0.0.1004", "1004", "0x1004"].map(parseDevnoArg), [0x1004, 0x1004, 0x1004]);
  assert.deepEqual(["50", "0x50", "0.50", "chp0.50"].map(parseChpidArg), [0x50, 0x50, 0x50, 0x50]);
});
