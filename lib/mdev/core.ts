/**
 * The mdev core's state in a world: the mdev bus, the global device list
 * (UUIDs are unique across all parents) and the registered parents.
 *
 * @module
 */
import type { World } from "../core/world.ts";
import { MdevBus } from "./bus.ts";
import type { MdevDevice } from "./device.ts";
import type { MdevParent } from "./parent.ts";

/** Per-world mdev state. */
export class MdevCore {
  readonly bus: MdevBus = new MdevBus();
  /** mdev_list: every mdev from create until its release, by canonical UUID, in creation order. */
  readonly list = new Map<string, MdevDevice>();
  /** Registered parents by parent device id, in registration order. */
  readonly parents = new Map<number, MdevParent>();
  /**
   * Called after a parent registers: user space's view of the parent's
   * `mdev_bus` uevent (udev's 60-mdevctl.rules runs `mdevctl
   * start-parent-mdevs` on it). Installed by the tool side, so lib/mdev
   * imports none of it.
   */
  readonly parentRegisteredHooks: Array<(parent: MdevParent) => void> = [];

  /** The parent registered for a device name (e.g. `mtty`, `0.0.0001`). */
  parentNamed(name: string): MdevParent | undefined {
    for (const p of this.parents.values()) if (p.dev.name === name) return p;
    return undefined;
  }

  /** Children of a parent on the mdev bus, in creation order. */
  childrenOf(parent: MdevParent): MdevDevice[] {
    return [...this.list.values()].filter((m) => m.type.parent === parent).sort((a, b) =>
      a.id - b.id
    );
  }
}

const CORES = new WeakMap<World, MdevCore>();

/** The mdev core of a world; the first call registers the mdev bus (mdev_init). */
export function mdevCore(world: World): MdevCore {
  let core = CORES.get(world);
  if (core === undefined) {
    core = new MdevCore();
    CORES.set(world, core);
    world.addBus(core.bus);
  }
  return core;
}
