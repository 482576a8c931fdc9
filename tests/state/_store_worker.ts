/**
 * Subprocess helper of `store_test.ts`: plays one mdevsim command against a state root, so the
 * tests can check the store across real processes (locks, parallel commands, crashes).
 *
 * ```text
 * hold ROOT          open, print "locked", keep the lock until stdin reaches end of file
 * increment ROOT     open, load {counter}, add 1, save, close
 * churn ROOT SEED    open, then save churnState(SEED, 1), churnState(SEED, 2), … until killed,
 *                    printing each iteration number once its save has returned
 * ```
 *
 * @module
 */

import { StateStore } from "../../lib/state/store.ts";

/** A large world whose whole content follows from its seed and iteration. */
export interface ChurnState {
  seed: number;
  iteration: number;
  /** Non-ASCII text, so the envelope's byte length differs from the string length. */
  label: string;
  values: number[];
}

/** Enough 32-bit values for a world of about 2 MB of JSON. */
const CHURN_VALUES = 190_000;

/**
 * The state a churn worker saves as its `iteration`-th state for `seed`, rebuilt by the test to
 * check what survived a crash.
 */
export function churnState(seed: number, iteration: number): ChurnState {
  // xorshift32 keyed by seed and iteration: cheap, deterministic, never stuck at zero.
  let x = (Math.imul(seed, 0x9e3779b1) ^ Math.imul(iteration, 0x85ebca6b) ^ 0x2545f491) | 0 || 1;
  const values = new Array<number>(CHURN_VALUES);
  for (let i = 0; i < CHURN_VALUES; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    values[i] = x >>> 0;
  }
  return { seed, iteration, label: `état ✓ ${seed}/${iteration}`, values };
}

async function main(mode: string | undefined, root: string | undefined, seed: string | undefined) {
  if (root === undefined) throw new TypeError("Cannot run the store worker: no ROOT given");
  const store = await StateStore.open(root);
  const stdout = new TextEncoder();
  switch (mode) {
    case "hold":
      Deno.stdout.writeSync(stdout.encode("locked\n"));
      for await (const _ of Deno.stdin.readable) {
        // Input only matters by ending: end of file releases the lock.
      }
      break;
    case "increment": {
      const world = (store.load() ?? { counter: 0 }) as { counter: number };
      store.save({ counter: world.counter + 1 });
      break;
    }
    case "churn":
      for (let iteration = 1;; iteration++) {
        store.save(churnState(Number(seed), iteration));
        Deno.stdout.writeSync(stdout.encode(`${iteration}\n`));
      }
    default:
      throw new TypeError(`Cannot run the store worker: unknown mode "${mode}"`);
  }
  store.close();
}

if (import.meta.main) await main(Deno.args[0], Deno.args[1], Deno.args[2]);
