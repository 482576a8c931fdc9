/**
 * Framebuffer kernels side by side: the WebAssembly core, the TypeScript reference and, for fill
 * and copy, the plain TypedArray operation on the same bytes. The baseline of each group is that
 * plain operation where there is one, else the TypeScript reference (so the summary reads as the
 * WebAssembly speed-up).
 *
 * ```sh
 * ./node_modules/.bin/deno bench -A --no-check bench/fb_bench.ts
 * ```
 *
 * @module
 */

import { FB_CASES, type FbBenchCase } from "../lib/bench/fb_cases.ts";

function groupOf(benchCase: FbBenchCase): string {
  return `${benchCase.name} ${benchCase.case}`;
}

const boundedGroups = new Set(FB_CASES.filter((c) => c.engine === "bound").map(groupOf));

for (const benchCase of FB_CASES) {
  const run = await benchCase.setup();
  const group = groupOf(benchCase);
  Deno.bench({
    name: benchCase.engine,
    group,
    baseline: benchCase.engine === (boundedGroups.has(group) ? "bound" : "ts"),
    fn: run,
  });
}
