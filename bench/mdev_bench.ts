/**
 * `deno bench` for the mdev and VFIO paths; the same cases `mdevsim bench mdev|io` times.
 *
 * @module
 */
import { MDEV_CASES } from "../lib/bench/mdev_cases.ts";

for (const c of MDEV_CASES) {
  const run = await c.setup();
  Deno.bench({ name: `${c.name} ${c.case}`, group: c.name, baseline: c.case === "n=10", fn: run });
}
