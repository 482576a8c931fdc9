/**
 * Fault injection: `mdevsim inject BUS DRIVER --probe ERRNO --times N` makes
 * the next N probes of a driver return -ERRNO, and tests can make a named
 * step of a kernel path fail once (failure injection at each step of create).
 *
 * @module
 */
import { type ErrnoName, neg } from "../errno.ts";

/** A pending probe injection, as persisted. */
export interface ProbeInjection {
  bus: string;
  driver: string;
  errno: ErrnoName;
  times: number;
}

/** The fault injector of one world. */
export class Faults {
  probes: ProbeInjection[] = [];
  /** Named fault points that fail on their next visit (test-only, not persisted). */
  readonly #points = new Map<string, ErrnoName>();

  /** Makes the next `times` probes of `driver` on `bus` return -errno (replacing an earlier rule). */
  injectProbe(rule: ProbeInjection): void {
    this.probes = this.probes.filter((p) => p.bus !== rule.bus || p.driver !== rule.driver);
    if (rule.times > 0) this.probes.push({ ...rule });
  }

  /** Drops every injection. */
  clear(): void {
    this.probes = [];
    this.#points.clear();
  }

  /** Consumes one injected probe result for the driver, if any (-errno). */
  takeProbe(bus: string, driver: string): number | undefined {
    const rule = this.probes.find((p) => p.bus === bus && p.driver === driver);
    if (rule === undefined) return undefined;
    if (--rule.times === 0) this.probes.splice(this.probes.indexOf(rule), 1);
    return neg(rule.errno);
  }

  /** Arms a named fault point (e.g. `mdev.create.device_add`) to fail once with errno. */
  failAt(point: string, errno: ErrnoName): void {
    this.#points.set(point, errno);
  }

  /** 0, or the armed -errno of a fault point (disarming it). */
  at(point: string): number {
    const errno = this.#points.get(point);
    if (errno === undefined) return 0;
    this.#points.delete(point);
    return neg(errno);
  }
}
