/**
 * The simulated kernel's object space: buses, every live device by id, the
 * deferred-probe lists, sleeping tasks, fault injection and the kernel log.
 * Higher layers (mdev, vfio, drivers) keep their own state in subsystems
 * attached here, so lib/core imports none of them.
 *
 * @module
 */
import { DeferredProbe } from "./binding.ts";
import { BlobCache } from "./blobs.ts";
import type { Bus } from "./bus.ts";
import type { Device } from "./device.ts";
import type { Driver } from "./driver.ts";
import { Faults } from "./faults.ts";
import { ModuleTable } from "./module.ts";
import { TaskRunner } from "./task.ts";

/** How many kernel log lines a world keeps (a ring, like the printk buffer). */
export const LOG_LINES = 200;

/** The simulated kernel. */
export class World {
  readonly buses = new Map<string, Bus>();
  readonly deferred: DeferredProbe = new DeferredProbe(this);
  readonly tasks: TaskRunner = new TaskRunner(this);
  readonly faults: Faults = new Faults();
  readonly modules: ModuleTable = new ModuleTable(this);
  /** Large device memory outside the snapshot, loaded lazily. */
  readonly blobs: BlobCache = new BlobCache();
  /** Work that runs after an operation returns (the channel subsystem executing a started program, …). */
  readonly #settleHooks: Array<() => boolean> = [];
  /** Every device whose release has not run, by id. */
  readonly #devices = new Map<number, Device>();
  #nextDeviceId = 1;
  /** The kernel log (dmesg), oldest first. */
  logLines: string[] = [];
  /** WARN-level reports (refcount underflows, leaks); also in the log. */
  warnings = 0;

  /** Registers a bus (bus_register). */
  addBus(bus: Bus): void {
    if (this.buses.has(bus.name)) throw new TypeError(`Cannot register bus "${bus.name}": exists`);
    this.buses.set(bus.name, bus);
  }

  /** A bus by name, or undefined. */
  bus(name: string): Bus | undefined {
    return this.buses.get(name);
  }

  /** Next device id (ids only grow, so they also give creation order). */
  allocateDeviceId(): number {
    return this.#nextDeviceId++;
  }

  /** Called by the Device constructor. */
  trackDevice(dev: Device): void {
    this.#devices.set(dev.id, dev);
    if (dev.id >= this.#nextDeviceId) this.#nextDeviceId = dev.id + 1;
  }

  /** Called when a device's release runs. */
  untrackDevice(dev: Device): void {
    this.#devices.delete(dev.id);
  }

  /** A live device by id; a missing one is a broken invariant. */
  device(id: number): Device {
    const dev = this.#devices.get(id);
    if (dev === undefined) throw new RangeError(`Cannot find device #${id}: released`);
    return dev;
  }

  /** A live device by id, or undefined when released. */
  findDevice(id: number): Device | undefined {
    return this.#devices.get(id);
  }

  /** Every live (unreleased) device, oldest first. */
  liveDevices(): Device[] {
    return [...this.#devices.values()].sort((a, b) => a.id - b.id);
  }

  /** A driver by bus and name (also while it is being unregistered). */
  driverOn(bus: string, name: string): Driver | undefined {
    return this.buses.get(bus)?.drivers.get(name);
  }

  /** Appends a kernel log line. */
  log(line: string): void {
    this.logLines.push(line);
    if (this.logLines.length > 2 * LOG_LINES) this.logLines = this.logLines.slice(-LOG_LINES);
  }

  /** A WARN: logged and counted so tests and `mdevsim dmesg` can see it. */
  warn(line: string): void {
    this.warnings++;
    this.log(`WARNING: ${line}`);
  }

  /**
   * Leaked devices: deleted from sysfs but never released, and not held by
   * a sleeping task (a pending teardown legitimately keeps its references).
   */
  leaks(): Device[] {
    const held = new Set<number>();
    for (const task of this.tasks.sleeping) {
      for (const step of task.steps) {
        for (const v of Object.values(step.args)) if (typeof v === "number") held.add(v);
      }
    }
    return this.liveDevices().filter((d) => !d.registered && !held.has(d.id) && !d.heldElsewhere());
  }

  /**
   * Registers asynchronous kernel work (a softirq, a workqueue item) that
   * {@linkcode settle} runs; the hook returns true when it did something.
   */
  onSettle(hook: () => boolean): void {
    this.#settleHooks.push(hook);
  }

  /**
   * Runs what the kernel would run asynchronously after an operation: the
   * deferred-probe worker and every settle hook, until nothing is left to do.
   */
  settle(): void {
    for (let rounds = 0; rounds < 10_000; rounds++) {
      this.deferred.runWorker();
      let busy = false;
      for (const hook of this.#settleHooks) busy = hook() || busy;
      if (!busy) return;
    }
  }

  /** Snapshot of the core state (devices are written by the caller, which knows all kinds). */
  coreSnapshot(): CoreSnapshot {
    return {
      nextDeviceId: this.#nextDeviceId,
      autoprobe: Object.fromEntries([...this.buses].map(([n, b]) => [n, b.driversAutoprobe])),
      deferred: {
        pending: this.deferred.pending.map((d) => d.id),
        active: this.deferred.active.map((d) => d.id),
        triggerCount: this.deferred.triggerCount,
      },
      tasks: this.tasks.toSnapshot(),
      probeInjections: this.faults.probes.map((p) => ({ ...p })),
      log: this.logLines.slice(-LOG_LINES),
      warnings: this.warnings,
    };
  }

  /** Restores the core state after the devices exist. */
  restoreCore(s: CoreSnapshot): void {
    this.#nextDeviceId = Math.max(this.#nextDeviceId, s.nextDeviceId);
    for (const [name, on] of Object.entries(s.autoprobe)) {
      const bus = this.buses.get(name);
      if (bus !== undefined) bus.driversAutoprobe = on;
    }
    this.deferred.pending = s.deferred.pending.map((id) => this.device(id));
    this.deferred.active = s.deferred.active.map((id) => this.device(id));
    this.deferred.triggerCount = s.deferred.triggerCount;
    this.tasks.restore(s.tasks);
    this.faults.probes = s.probeInjections.map((p) => ({ ...p }));
    this.logLines = [...s.log];
    this.warnings = s.warnings;
  }
}

/** The persisted core fields of a world. */
export interface CoreSnapshot {
  nextDeviceId: number;
  autoprobe: Record<string, boolean>;
  deferred: { pending: number[]; active: number[]; triggerCount: number };
  tasks: ReturnType<TaskRunner["toSnapshot"]>;
  probeInjections: Faults["probes"];
  log: string[];
  warnings: number;
}
