/**
 * The channel subsystem's state in a world: the css bus, the root device
 * css0 (`/sys/devices/css0`), the channel paths and the settle hook in which
 * the channel performs pending start, halt and clear functions.
 *
 * @module
 */
import { Device } from "../core/device.ts";
import { deviceAdd } from "../core/registration.ts";
import type { World } from "../core/world.ts";
import { KernelError } from "../errno.ts";
import { CssBus } from "./bus.ts";
import { compareBusIds } from "./ids.ts";
import { performPendingFunction } from "./io_functions.ts";
import { Subchannel } from "./subchannel.ts";

/** css0 (`struct channel_subsystem`'s device): no bus, no class, never released. */
export class CssRootDevice extends Device {
  override get kind(): string {
    return "css";
  }

  constructor(world: World, id?: number) {
    super(world, { name: "css0" }, id);
  }

  protected override release(): void {}
}

/** The persisted channel-subsystem state besides its devices. */
export interface CssSnapshot {
  chps: Array<{ chpid: number; online: boolean }>;
}

/** Per-world channel-subsystem state. */
export class CssCore {
  /** The css bus (driver_override; drivers match I/O subchannels). */
  readonly bus: CssBus = new CssBus();
  /** Channel paths by CHPID: true while online. */
  readonly chps = new Map<number, boolean>();
  readonly #world: World;
  #root: CssRootDevice | undefined;

  constructor(world: World) {
    this.#world = world;
    world.addBus(this.bus);
    world.onSettle(() => this.#performPending());
  }

  /**
   * css0, registered on first use.
   *
   * @throws {KernelError} When adding it fails (an injected device_add fault)
   */
  get root(): Device {
    if (this.#root === undefined) {
      const root = new CssRootDevice(this.#world);
      const ret = deviceAdd(root);
      if (ret < 0) {
        root.put();
        throw KernelError.fromReturn(ret, { path: "/sys/devices/css0" });
      }
      this.#root = root;
    }
    return this.#root;
  }

  /** Takes a restored css0 as the root. */
  adoptRoot(root: CssRootDevice): void {
    this.#root = root;
  }

  /** A registered subchannel by id (`0.0.0001`). */
  subchannel(schid: string): Subchannel | undefined {
    const dev = this.bus.devices.get(schid);
    return dev instanceof Subchannel ? dev : undefined;
  }

  /** Registered subchannels in subchannel-id order. */
  subchannels(): Subchannel[] {
    return [...this.bus.devices.values()]
      .filter((d): d is Subchannel => d instanceof Subchannel)
      .sort((a, b) => compareBusIds(a.busId, b.busId));
  }

  /** Named-field snapshot (subchannels persist as devices). */
  save(): CssSnapshot {
    return {
      chps: [...this.chps].sort(([a], [b]) => a - b).map(([chpid, online]) => ({ chpid, online })),
    };
  }

  /** Restores what {@linkcode save} wrote. */
  restore(s: CssSnapshot): void {
    this.chps.clear();
    for (const { chpid, online } of s.chps) this.chps.set(chpid, online);
  }

  #performPending(): boolean {
    let busy = false;
    for (const sch of this.subchannels()) busy = performPendingFunction(sch) || busy;
    return busy;
  }
}

const CORES = new WeakMap<World, CssCore>();

/** The channel subsystem of a world; the first call registers the css bus. */
export function cssCore(world: World): CssCore {
  let core = CORES.get(world);
  if (core === undefined) {
    core = new CssCore(world);
    CORES.set(world, core);
  }
  return core;
}
