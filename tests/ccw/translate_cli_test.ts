/**
 * Every §5.2 vector through `mdevsim ccw translate --json`, on both engines: the command prints
 * exactly the report the spec expects (cli.md §6), exit 0 on success and 1 on a failed
 * translation.
 */
import assert from "node:assert/strict";
import { mdevsimWith, tempRoot } from "../cli/_cli.ts";
import { ORB_D, VECTORS } from "./_vectors.ts";

for (const engine of ["wasm", "ts"] as const) {
  Deno.test(`ccw translate --engine ${engine} --json prints every §5.2 vector's report`, async () => {
    const root = await tempRoot();
    await Promise.all(VECTORS.map(async (vector, i) => {
      const file = `${root}/v${i}.json`;
      const memory = Object.entries(vector.writes).map(([addr, hex]) => ({
        addr: `0x${Number(addr).toString(16)}`,
        hex,
      }));
      await Deno.writeTextFile(file, JSON.stringify({ orb: ORB_D, lpm: "0x80", memory }));
      const run = await mdevsimWith(root, ["ccw", "translate", file, "--engine", engine, "--json"]);
      assert.deepEqual(JSON.parse(run.stdout), vector.expected, vector.name);
      assert.equal(run.code, vector.expected.rc === 0 ? 0 : 1, vector.name);
    }));
  });
}
