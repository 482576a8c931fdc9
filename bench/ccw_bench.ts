/**
 * Channel-program translation side by side: the WebAssembly core against the TypeScript reference
 * (the baseline), one op = translate() of the whole program plus free().
 *
 * ```sh
 * ./node_modules/.bin/deno bench -A --no-check bench/ccw_bench.ts
 * ```
 *
 * @module
 */

import { CCW_CASES } from "../lib/bench/ccw_cases.ts";

for (const benchCase of CCW_CASES) {
  const run = await benchCase.setup();
  Deno.bench({
    name: benchCase.engine,
    group: `${benchCase.name} ${benchCase.case}`,
    baseline: benchCase.engine === "ts",
    fn: run,
  });
}
