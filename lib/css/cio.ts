/**
 * The I/O instructions a css driver uses (drivers/s390/cio/cio.c and the
 * architecture): MSCH, SSCH, HSCH, CSCH and TSCH (STSCH is
 * `Subchannel.stsch()`). All synchronous; each returns the condition code.
 * SSCH, HSCH and CSCH only make a function pending: the channel subsystem
 * performs it when the world settles (io_functions.ts).
 *
 * A subchannel is not operational (cc 3) without a device (after
 * `css remove`); SSCH, HSCH and CSCH also need it enabled.
 *
 * @module
 */
import { decodeOrb, ORB_SIZE } from "./orb.ts";
import { ACTL, emptyScsw, encodeScsw, FCTL, SCSW_FLAG, STCTL } from "./scsw.ts";
import type { Subchannel } from "./subchannel.ts";

/** The hooks a css driver may implement (defined in driver.ts; re-exported for drivers using cio). */
export type { CssDriverHooks } from "./driver.ts";

/** Bytes of an IRB (Linux `struct irb`: SCSW 12, ESW 20, ECW 32). */
export const IRB_SIZE = 64;

/** The program-modifiable PMCW fields MSCH changes. */
export interface MschChanges {
  enabled?: boolean;
  /** Interruption subclass, 0–7. */
  isc?: number;
  intparm?: number;
  /** Concurrent sense. */
  csense?: boolean;
}

/**
 * MODIFY SUBCHANNEL: cc 0 (changed), 1 (status pending), 2 (a function is
 * in progress), 3 (not operational).
 */
export function msch(sch: Subchannel, changes: MschChanges): number {
  if (!sch.operational) return 3;
  const scsw = sch.io.scsw;
  if ((scsw.stctl & STCTL.STATUS_PEND) !== 0) return 1;
  if (scsw.fctl !== 0) return 2;
  const pmcw = sch.pmcw;
  if (changes.enabled !== undefined) pmcw.enabled = changes.enabled;
  if (changes.isc !== undefined) pmcw.isc = changes.isc & 0x07;
  if (changes.intparm !== undefined) pmcw.intparm = changes.intparm >>> 0;
  if (changes.csense !== undefined) pmcw.csense = changes.csense;
  return 0;
}

/**
 * START SUBCHANNEL with a 12-byte command-mode ORB whose program lives in
 * `host`: cc 0 (start pending: the program runs when the world settles),
 * 1 (status pending), 2 (busy: a function in progress), 3 (not operational:
 * no device, not enabled, or no path of the ORB's LPM available). The ORB's
 * interruption parameter replaces the subchannel's.
 */
export function ssch(sch: Subchannel, orb: Uint8Array, host: Uint8Array): number {
  if (orb.length < ORB_SIZE) throw new RangeError(`Cannot start with a ${orb.length}-byte ORB`);
  if (!sch.operational || !sch.pmcw.enabled) return 3;
  const io = sch.io;
  if ((io.scsw.stctl & STCTL.STATUS_PEND) !== 0) return 1;
  if (io.scsw.fctl !== 0) return 2;
  const decoded = decodeOrb(orb);
  if (sch.pathFor(decoded.lpm) === 0) return 3;
  sch.pmcw.intparm = decoded.intparm;
  io.scsw = {
    ...emptyScsw(),
    key: decoded.key,
    sctl: decoded.suspend,
    flags: (decoded.fmt1 ? SCSW_FLAG.FMT : 0) | (decoded.prefetch ? SCSW_FLAG.PFCH : 0) |
      (decoded.isic ? SCSW_FLAG.ISIC : 0) | (decoded.alcc ? SCSW_FLAG.ALCC : 0) |
      (decoded.ssi ? SCSW_FLAG.SSI : 0),
    fctl: FCTL.START,
    actl: ACTL.START_PEND,
  };
  io.ecw = null;
  io.started = { orb: decoded, host };
  return 0;
}

/**
 * HALT SUBCHANNEL: cc 0 (halt pending; a pending intermediate status is
 * withdrawn), 1 (status pending other than intermediate alone), 2 (a halt
 * or clear is already in progress), 3 (not operational or not enabled).
 */
export function hsch(sch: Subchannel): number {
  if (!sch.operational || !sch.pmcw.enabled) return 3;
  const scsw = sch.io.scsw;
  const intermediateAlone = STCTL.INTERMEDIATE | STCTL.STATUS_PEND;
  if ((scsw.stctl & STCTL.STATUS_PEND) !== 0 && scsw.stctl !== intermediateAlone) return 1;
  if ((scsw.fctl & (FCTL.HALT | FCTL.CLEAR)) !== 0) return 2;
  if (scsw.stctl === intermediateAlone) scsw.stctl = 0;
  scsw.fctl |= FCTL.HALT;
  scsw.actl |= ACTL.HALT_PEND;
  return 0;
}

/**
 * CLEAR SUBCHANNEL: cc 0 (clear pending: any function and pending status
 * are withdrawn) or 3 (not operational or not enabled).
 */
export function csch(sch: Subchannel): number {
  if (!sch.operational || !sch.pmcw.enabled) return 3;
  const scsw = sch.io.scsw;
  sch.io.started = null;
  sch.io.ecw = null;
  scsw.fctl = FCTL.CLEAR;
  scsw.actl = ACTL.CLEAR_PEND;
  scsw.stctl = 0;
  return 0;
}

/**
 * TEST SUBCHANNEL: the 64-byte IRB (big-endian) when status is pending, and
 * the status is cleared — with the function too, unless it was intermediate
 * status alone (the program still runs); null (cc 1) when nothing is pending.
 *
 * The IRB holds the SCSW, a Format-0 ESW whose subchannel logout names the
 * last path used, and — after a unit check with concurrent sense — the ERW's
 * concurrent-sense bit and count with the sense bytes in the ECW.
 */
export function tsch(sch: Subchannel): Uint8Array | null {
  const io = sch.io;
  const scsw = io.scsw;
  if ((scsw.stctl & STCTL.STATUS_PEND) === 0) return null;
  const irb = new Uint8Array(IRB_SIZE);
  irb.set(encodeScsw(scsw), 0);
  irb[13] = sch.pmcw.lpum;
  if (io.ecw !== null) {
    irb[16] = 0x01;
    irb[17] = io.ecw.length & 0x3f;
    irb.set(io.ecw.subarray(0, 32), 32);
  }
  if (scsw.stctl !== (STCTL.INTERMEDIATE | STCTL.STATUS_PEND)) {
    scsw.fctl = 0;
    scsw.actl = 0;
    scsw.flags &= ~SCSW_FLAG.PNO;
  }
  scsw.stctl = 0;
  scsw.eswf = false;
  scsw.flags &= ~SCSW_FLAG.ECTL;
  io.ecw = null;
  return irb;
}
