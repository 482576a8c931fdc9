import assert from "node:assert/strict";
import { decode } from "fast-png";
import { mdevsimWith, tempRoot } from "./_cli.ts";

Deno.test("demo runs every step, proves the vfio-ccw round trip and writes one PNG per display type", async () => {
  const root = await tempRoot();
  const outDir = `${root}/pngs`;
  const run = await mdevsimWith(root, ["demo", "--out", outDir, "--json"]);
  assert.equal(run.code, 0, run.stderr);
  const { summary } = JSON.parse(run.stdout);
  assert.deepEqual(summary.failures, []);
  assert.equal(summary.blockMatches, true);
  assert.deepEqual(summary.pngs, ["mbochs.png", "mdpy-hd.png", "mdpy-vga.png", "mdpy-xga.png"]);
  const png = decode(await Deno.readFile(`${outDir}/mdpy-vga.png`));
  assert.deepEqual([png.width, png.height], [640, 480]);
  // The demo's own state root is temporary: the user's root stays untouched.
  assert.equal((await mdevsimWith(root, ["list"])).stdout, "\n");
});
