/**
 * The sample's global port pool (`mdev_avail_ports`), reserved in the VFIO
 * device's init and returned in its release.
 *
 * @module
 */
import type { World } from "../../core/world.ts";
import { MAX_MTTYS } from "./types.ts";

/** The free-port counter of one world. */
export class MttyPool {
  available: number = MAX_MTTYS;

  /** The compare-and-swap reservation: false when too few ports are free. */
  reserve(ports: number): boolean {
    if (this.available < ports) return false;
    this.available -= ports;
    return true;
  }

  /** Returns ports to the pool. */
  release(ports: number): void {
    this.available += ports;
  }
}

const POOLS = new WeakMap<World, MttyPool>();

/** The pool of a world. */
export function mttyPool(world: World): MttyPool {
  let pool = POOLS.get(world);
  if (pool === undefined) POOLS.set(world, pool = new MttyPool());
  return pool;
}
