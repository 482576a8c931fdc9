import assert from "node:assert/strict";
import fc from "fast-check";
import {
  configPath,
  formatConfig,
  type MdevConfig,
  parseConfig,
  readConfig,
  readConfigs,
  writeConfig,
} from "../../lib/mdevctl/config.ts";
import { MdevctlError } from "../../lib/mdevctl/error.ts";
import { tempRoot } from "./_fixture.ts";

const U1 = "11111111-2222-3333-4444-555555555555";
const U2 = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001";

function assertMdevctlError(fn: () => unknown, message: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof MdevctlError);
    assert.equal(error.message, message);
    assert.equal(error.exitCode, 1);
    return true;
  });
}

Deno.test("writeConfig() writes mdevctl's file byte for byte: 2-space JSON, no trailing newline", () => {
  const root = tempRoot();
  writeConfig(root, "mtty", U1, {
    mdevType: "mtty-1",
    start: "auto",
    attrs: [["foo", "1"], ["bar", "x"]],
  });
  const path = `${root}/etc/mdevctl.d/mtty/${U1}`;
  assert.equal(configPath(root, "mtty", U1), path);
  assert.equal(
    Deno.readTextFileSync(path),
    '{\n  "mdev_type": "mtty-1",\n  "start": "auto",\n  "attrs": [\n    {\n      "foo": "1"\n' +
      '    },\n    {\n      "bar": "x"\n    }\n  ]\n}',
  );
});

Deno.test('writeConfig() writes `"attrs": []` when empty and creates scripts.d like mdevctl\'s package', () => {
  const root = tempRoot();
  writeConfig(root, "0.0.0314", U1, { mdevType: "vfio_ccw-io", start: "manual", attrs: [] });
  assert.equal(
    Deno.readTextFileSync(`${root}/etc/mdevctl.d/0.0.0314/${U1}`),
    '{\n  "mdev_type": "vfio_ccw-io",\n  "start": "manual",\n  "attrs": []\n}',
  );
  for (const dir of ["callouts", "notifiers"]) {
    assert.ok(Deno.statSync(`${root}/etc/mdevctl.d/scripts.d/${dir}`).isDirectory);
  }
});

Deno.test("parseConfig() reads a file formatConfig() wrote back unchanged, for any attributes", () => {
  const attr = fc.tuple(fc.string(), fc.string()).map(([n, v]) => [n, v] as const);
  fc.assert(
    fc.property(
      fc.string(),
      fc.constantFrom("auto" as const, "manual" as const),
      fc.array(attr, { maxLength: 5 }),
      (mdevType, start, attrs) => {
        const config: MdevConfig = { mdevType, start, attrs };
        assert.deepEqual(parseConfig(formatConfig(config)), config);
      },
    ),
  );
});

Deno.test('parseConfig() accepts missing or null attrs and counts every start but "auto" as manual', () => {
  assert.deepEqual(parseConfig('{"mdev_type":"mtty-2","start":"auto"}'), {
    mdevType: "mtty-2",
    start: "auto",
    attrs: [],
  });
  assert.deepEqual(parseConfig('{"mdev_type":"mtty-2","start":"yes","attrs":null}'), {
    mdevType: "mtty-2",
    start: "manual",
    attrs: [],
  });
  assert.deepEqual(
    parseConfig('{"mdev_type":"mtty-2","start":5,"attrs":[],"extra":1}').start,
    "manual",
  );
});

Deno.test("parseConfig() fails with mdevctl's validation messages", () => {
  assertMdevctlError(() => parseConfig('{"mdev_type":"mtty-2"}'), "invalid json");
  assertMdevctlError(() => parseConfig('{"start":"auto"}'), "invalid json");
  assertMdevctlError(() => parseConfig('{"mdev_type":"mtty-2","start":null}'), "invalid json");
  assertMdevctlError(() => parseConfig("[1]"), "invalid json");
  assertMdevctlError(
    () => parseConfig('{"mdev_type":"m","start":"x","attrs":{}}'),
    "attributes field is not an array",
  );
  assertMdevctlError(
    () => parseConfig('{"mdev_type":"m","start":"x","attrs":[1]}'),
    "invalid JSON format for attribute: not an object",
  );
  assertMdevctlError(
    () => parseConfig('{"mdev_type":"m","start":"x","attrs":[{"a":"1","b":"2"}]}'),
    "invalid JSON format for attribute: too many fields",
  );
  assertMdevctlError(
    () => parseConfig('{"mdev_type":"m","start":"x","attrs":[{}]}'),
    "invalid JSON format for attribute: too many fields",
  );
  assertMdevctlError(
    () => parseConfig('{"mdev_type":"m","start":"x","attrs":[{"a":1}]}'),
    'invalid JSON format for attribute {"a", 1}: value must be of type str',
  );
});

Deno.test("parseConfig() reports empty input where serde_json does", () => {
  assertMdevctlError(() => parseConfig(""), "EOF while parsing a value at line 1 column 0");
  assertMdevctlError(() => parseConfig("\n\n  "), "EOF while parsing a value at line 3 column 2");
});

Deno.test("parseConfig() turns any malformed input into an MdevctlError, never another exception", () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
      try {
        parseConfig(text);
      } catch (error) {
        assert.ok(error instanceof MdevctlError);
      }
    }),
  );
});

Deno.test("readConfigs() sorts by parent and UUID and skips scripts.d, non-directories and non-files", () => {
  const root = tempRoot();
  const config: MdevConfig = { mdevType: "mtty-2", start: "manual", attrs: [] };
  writeConfig(root, "mtty", U2, config);
  writeConfig(root, "mtty", U1, config);
  writeConfig(root, "0000:00:02.0", U2, { ...config, start: "auto" });
  const base = `${root}/etc/mdevctl.d`;
  Deno.writeTextFileSync(`${base}/not-a-parent`, "x");
  Deno.mkdirSync(`${base}/mtty/${"22222222-2222-3333-4444-555555555555"}`);
  Deno.writeTextFileSync(`${base}/scripts.d/${U1}`, "not json");
  const found = readConfigs(root).map((d) => `${d.parent}/${d.uuid}`);
  assert.deepEqual(found, [`0000:00:02.0/${U2}`, `mtty/${U1}`, `mtty/${U2}`]);
  assert.deepEqual(readConfigs(root, { uuid: U2 }).map((d) => d.parent), ["0000:00:02.0", "mtty"]);
  assert.deepEqual(readConfigs(root, { parent: "mtty", uuid: U2 }).length, 1);
  assert.deepEqual(readConfigs(root, { parent: "nope" }), []);
});

Deno.test("readConfigs() warns about a file whose name is not a UUID, as mdevctl does", () => {
  const root = tempRoot();
  writeConfig(root, "mtty", U1, { mdevType: "mtty-1", start: "auto", attrs: [] });
  Deno.writeTextFileSync(`${root}/etc/mdevctl.d/mtty/notes.txt`, "");
  const warnings: string[] = [];
  assert.equal(readConfigs(root, { warn: (w) => warnings.push(w) }).length, 1);
  assert.deepEqual(warnings, ["Can't determine uuid for file 'notes.txt'"]);
});

Deno.test("readConfigs() returns nothing when etc/mdevctl.d does not exist yet", () => {
  assert.deepEqual(readConfigs(tempRoot()), []);
});

Deno.test("readConfigs() fails on an invalid config it has to read, and readConfig() on that one", () => {
  const root = tempRoot();
  writeConfig(root, "mtty", U1, { mdevType: "mtty-1", start: "auto", attrs: [] });
  Deno.writeTextFileSync(configPath(root, "mtty", U2), '{"start":"auto"}');
  assertMdevctlError(() => readConfigs(root), "invalid json");
  assert.equal(readConfigs(root, { uuid: U1 }).length, 1);
  assertMdevctlError(() => readConfig(root, "mtty", U2), "invalid json");
  assert.equal(readConfig(root, "other", U2), undefined);
});
