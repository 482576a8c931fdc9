/**
 * Framebuffer kernels side by side: the WebAssembly core, the TypeScript reference and the plain
 * TypedArray operation on the same bytes (the baseline).
 *
 * ```sh
 * ./node_modules/.bin/deno bench -A --no-check bench/fb_bench.ts
 * ```
 *
 * @module
 */

import { FB_CASES } from "../lib/bench/fb_cases.ts";

for (const benchCase of FB_CASES) {
  const run = await benchCase.setup();
  Deno.bench({
    name: benchCase.engine,
    group: `${benchCase.name} ${benchCase.case}`,
    baseline: benchCase.engine === "bound",
    fn: run,
  });
}
