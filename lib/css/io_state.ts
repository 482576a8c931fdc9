/**
 * The I/O state a subchannel keeps between the instructions and the channel:
 * its SCSW, the sense bytes stored with a pending unit check (concurrent
 * sense), and a started program waiting for the channel.
 *
 * @module
 */
import { fromHex, toHex } from "./hex.ts";
import type { Orb } from "./orb.ts";
import { emptyScsw, type Scsw } from "./scsw.ts";

/** A subchannel's I/O state. */
export interface IoState {
  scsw: Scsw;
  /** Sense bytes stored with the pending status (concurrent sense), else null. */
  ecw: Uint8Array | null;
  /**
   * The program SSCH started, with the host memory it lives in; kept until
   * the channel takes it (or halt/clear withdraws it). Host memory belongs
   * to the caller and is never persisted.
   */
  started: { orb: Orb; host: Uint8Array } | null;
}

/** The persisted form of an I/O state (a started program cannot be persisted). */
export interface IoStateSnapshot {
  scsw: Scsw;
  /** Hex, or null. */
  ecw: string | null;
}

/** An idle subchannel's state. */
export function idleIoState(): IoState {
  return { scsw: emptyScsw(), ecw: null, started: null };
}

/**
 * Named-field snapshot of an I/O state.
 *
 * @throws {TypeError} While a started program has not run: its host memory
 *   is not part of the world, so settle the world before saving it
 */
export function saveIoState(io: IoState, schid: string): IoStateSnapshot {
  if (io.started !== null) {
    throw new TypeError(
      `Cannot save subchannel "${schid}": its started program has not run; settle the world first`,
    );
  }
  return { scsw: { ...io.scsw }, ecw: io.ecw === null ? null : toHex(io.ecw) };
}

/** Rebuilds an I/O state from {@linkcode saveIoState}'s output. */
export function loadIoState(s: IoStateSnapshot): IoState {
  return {
    scsw: { ...s.scsw },
    ecw: s.ecw === null ? null : fromHex(s.ecw),
    started: null,
  };
}
