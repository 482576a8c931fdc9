/**
 * `mdevsim bench [ccw|fb|mdev|io|all] [--quick] [--json]`: times the cases
 * side by side in one process and prints ns/op with ratios to the group's
 * first engine (machines here are noisy, so only same-run ratios mean much).
 *
 * @module
 */
import type { BenchCase } from "../../lib/bench/mdev_cases.ts";
import { UsageError } from "../errors.ts";
import process from "node:process";
import { out, outJson } from "../output.ts";
import type { GlobalOptions } from "../session.ts";

const GROUPS = ["ccw", "fb", "mdev", "io", "all"] as const;

async function casesFor(group: string): Promise<BenchCase[]> {
  const cases: BenchCase[] = [];
  if (group === "mdev" || group === "io" || group === "all") {
    const { MDEV_CASES } = await import("../../lib/bench/mdev_cases.ts");
    cases.push(...MDEV_CASES.filter((c) => group === "all" || c.name.startsWith(`${group}.`)));
  }
  if (group === "ccw" || group === "all") {
    const { CCW_CASES } = await import("../../lib/bench/ccw_cases.ts");
    cases.push(...CCW_CASES);
  }
  if (group === "io" || group === "all") {
    const { IO_CCW_CASES } = await import("../../lib/bench/io_ccw_cases.ts");
    cases.push(...IO_CCW_CASES);
  }
  if (group === "fb" || group === "all") {
    const { FB_CASES } = await import("../../lib/bench/fb_cases.ts");
    cases.push(...FB_CASES);
  }
  return cases;
}

/** Times `run` for about `budgetMs`, after a warm-up; returns ns per op and the op count. */
function time(run: () => void, budgetMs: number): { nsPerOp: number; ops: number } {
  const warm = performance.now();
  while (performance.now() - warm < budgetMs / 4) run();
  let ops = 0;
  let batch = 1;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < budgetMs) {
    for (let i = 0; i < batch; i++) run();
    ops += batch;
    batch *= 2;
    elapsed = performance.now() - start;
  }
  return { nsPerOp: (elapsed * 1e6) / ops, ops };
}

/** A progress bar on stderr, only on a terminal (cli-progress, loaded only then). */
async function progressBar(total: number, json: boolean) {
  if (json || !Deno.stderr.isTerminal()) return undefined;
  const { default: progress } = await import("cli-progress");
  const bar = new progress.SingleBar({
    format: "bench [{bar}] {value}/{total} {label}",
    stream: process.stderr,
    hideCursor: true,
  }, progress.Presets.shades_classic);
  bar.start(total, 0, { label: "" });
  return bar;
}

/** The bench command. */
export async function bench(
  options: GlobalOptions & { quick?: boolean },
  group: string,
): Promise<void> {
  if (!(GROUPS as readonly string[]).includes(group)) {
    throw new UsageError(`unknown group '${group}' (choose ${GROUPS.join(", ")})`);
  }
  const budget = options.quick ? 100 : 600;
  const results = [];
  const cases = await casesFor(group);
  const bar = await progressBar(cases.length, options.json ?? false);
  for (const c of cases) {
    bar?.update(results.length, { label: `${c.name} ${c.case} ${c.engine}` });
    const run = await c.setup();
    const { nsPerOp, ops } = time(run, budget);
    results.push({
      name: c.name,
      case: c.case,
      engine: c.engine,
      ns_per_op: Math.round(nsPerOp * 10) / 10,
      ops,
    });
  }
  bar?.update(results.length, { label: "done" });
  bar?.stop();
  if (options.json) return outJson({ version: 1, results });
  let text = `${"name".padEnd(20)}${"case".padEnd(34)}${"engine".padEnd(8)}${
    "ns/op".padStart(14)
  }  ratio\n`;
  const firstOf = new Map<string, number>();
  for (const r of results) {
    const key = `${r.name} ${r.case}`;
    const base = r.name === "mdev.create_remove"
      ? (firstOf.get(r.name) ?? firstOf.set(r.name, r.ns_per_op).get(r.name)!)
      : (firstOf.get(key) ?? firstOf.set(key, r.ns_per_op).get(key)!);
    text += `${r.name.padEnd(20)}${r.case.padEnd(34)}${r.engine.padEnd(8)}${
      r.ns_per_op.toFixed(1).padStart(14)
    }  ${(r.ns_per_op / base).toFixed(2)}x\n`;
  }
  out(text);
}
