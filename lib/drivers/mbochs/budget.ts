/**
 * The module's global video memory budget (`mbochs_avail_mbytes`, MiB): reserved by a device's
 * init, returned by its release; `modprobe mbochs count=N` (or `mem=N`) sets the start value.
 *
 * @module
 */
import type { World } from "../../core/world.ts";
import { MBOCHS_DEFAULT_MBYTES } from "./defs.ts";

/** The free MiB of one world. */
export class MbochsBudget {
  /** MiB not reserved by any device. */
  available: number = MBOCHS_DEFAULT_MBYTES;

  /** The compare-and-swap reservation: false when fewer than `mbytes` are free. */
  reserve(mbytes: number): boolean {
    if (this.available < mbytes) return false;
    this.available -= mbytes;
    return true;
  }

  /** Returns MiB to the budget. */
  release(mbytes: number): void {
    this.available += mbytes;
  }
}

const BUDGETS = new WeakMap<World, MbochsBudget>();

/** The budget of a world. */
export function mbochsBudget(world: World): MbochsBudget {
  let budget = BUDGETS.get(world);
  if (budget === undefined) BUDGETS.set(world, budget = new MbochsBudget());
  return budget;
}
