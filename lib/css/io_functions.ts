/**
 * The asynchronous half of SSCH, HSCH and CSCH: the start, halt and clear
 * functions the channel subsystem performs after the instruction returned
 * cc 0. The css core runs them when the world settles, never inside the
 * instruction. Clear wins over halt, halt over start.
 *
 * Status the functions leave (SCSW):
 *
 * | function                      | stctl                          | dstat        | notes |
 * |-------------------------------|--------------------------------|--------------|-------|
 * | start, program ended          | primary + secondary (+ alert)  | CE DE (+UC)  | alert with UC/UX or any subchannel status but PCI |
 * | start, PCI and chaining on    | intermediate                   | 0            | cstat PCI, program continues |
 * | start, no path / no device    | alert (deferred cc 3)          | 0            | |
 * | halt of a start-pending one   | status pending alone           | 0            | the program never runs |
 * | halt of an idle or active one | status pending alone           | DE           | an active program stops at a CCW boundary |
 * | clear                         | status pending alone           | 0            | |
 *
 * Making status pending calls the bound driver's `irq` hook, unless status
 * was pending already (final status then merges into a pending
 * intermediate one, keeping its PCI) — one interruption, as in hardware.
 *
 * @module
 */
import { runChannelProgram } from "./channel.ts";
import { ACTL, CSTAT, DSTAT, FCTL, SCSW_FLAG, STCTL } from "./scsw.ts";
import type { Subchannel } from "./subchannel.ts";

/** Subchannels whose program is executing (a driver's irq hook may settle the world again). */
const EXECUTING = new WeakSet<Subchannel>();

/**
 * Performs what is pending on a subchannel (clear, halt or a started
 * program); returns true when it did something.
 */
export function performPendingFunction(sch: Subchannel): boolean {
  let did = false;
  while (!EXECUTING.has(sch)) {
    const actl = sch.io.scsw.actl;
    if ((actl & ACTL.CLEAR_PEND) !== 0) performClear(sch);
    else if ((actl & ACTL.HALT_PEND) !== 0) performHalt(sch);
    else if ((actl & ACTL.START_PEND) !== 0 && sch.io.started !== null) performStart(sch);
    else break;
    did = true;
  }
  return did;
}

function performStart(sch: Subchannel): void {
  const io = sch.io;
  const scsw = io.scsw;
  const { orb, host } = io.started!;
  io.started = null;
  const path = sch.pathFor(orb.lpm);
  const device = sch.device;
  if (device === null || path === 0) {
    // Deferred condition code 3: the ORB's paths went offline after SSCH.
    scsw.cc = 3;
    scsw.actl = 0;
    scsw.stctl = STCTL.ALERT | STCTL.STATUS_PEND;
    interrupt(sch);
    return;
  }
  sch.pmcw.lpum = path;
  scsw.actl = ACTL.SCHACT | ACTL.DEVACT;
  EXECUTING.add(sch);
  let outcome;
  try {
    outcome = runChannelProgram({
      world: sch.world,
      device,
      orb,
      host,
      callbacks: { intermediate: (cpa, count) => presentIntermediate(sch, io, cpa, count) },
    });
  } finally {
    EXECUTING.delete(sch);
  }
  // `css remove` replaced the state while the program ran: its status has nowhere to go.
  if (sch.io !== io) return;
  if (outcome.kind === "stopped") scsw.cpa = outcome.cpa;
  else presentFinal(sch, outcome.dstat, outcome.cstat, outcome.cpa, outcome.count);
}

/** Intermediate status for PCI; true when the program must stop. */
function presentIntermediate(
  sch: Subchannel,
  io: Subchannel["io"],
  cpa: number,
  count: number,
): boolean {
  if (sch.io !== io) return true;
  const scsw = io.scsw;
  if ((scsw.stctl & STCTL.STATUS_PEND) === 0) {
    scsw.stctl = STCTL.INTERMEDIATE | STCTL.STATUS_PEND;
    scsw.dstat = 0;
    scsw.cstat = CSTAT.PCI;
    scsw.cpa = cpa;
    scsw.count = count;
    interrupt(sch);
  }
  if (sch.io !== io) return true;
  return (scsw.fctl & (FCTL.HALT | FCTL.CLEAR)) !== 0 || (scsw.fctl & FCTL.START) === 0;
}

function presentFinal(sch: Subchannel, dstat: number, cstat: number, cpa: number, count: number) {
  const io = sch.io;
  const scsw = io.scsw;
  const merging = (scsw.stctl & STCTL.STATUS_PEND) !== 0;
  const pci = merging ? scsw.cstat & CSTAT.PCI : 0;
  const alert = (dstat & (DSTAT.UNIT_CHECK | DSTAT.UNIT_EXCEP)) !== 0 ||
    (cstat & ~CSTAT.PCI) !== 0;
  scsw.actl = 0;
  scsw.stctl = STCTL.PRIMARY | STCTL.SECONDARY | STCTL.STATUS_PEND |
    (alert ? STCTL.ALERT : 0) | (merging ? STCTL.INTERMEDIATE : 0);
  scsw.dstat = dstat;
  scsw.cstat = cstat | pci;
  scsw.cpa = cpa;
  scsw.count = count;
  const device = sch.device;
  if ((dstat & DSTAT.UNIT_CHECK) !== 0 && sch.pmcw.csense && device !== null) {
    // Concurrent sense: the sense bytes travel with the status, the device's are reset.
    io.ecw = device.sense.slice();
    device.sense.fill(0);
    scsw.eswf = true;
    scsw.flags |= SCSW_FLAG.ECTL;
  }
  if (!merging) interrupt(sch);
}

function performHalt(sch: Subchannel): void {
  const scsw = sch.io.scsw;
  const neverStarted = (scsw.actl & ACTL.START_PEND) !== 0;
  sch.io.started = null;
  // The halt signal reaches the device unless the program was still waiting to start.
  scsw.dstat = neverStarted ? 0 : DSTAT.DEV_END;
  scsw.cstat = 0;
  scsw.actl = 0;
  scsw.stctl = STCTL.STATUS_PEND;
  interrupt(sch);
}

function performClear(sch: Subchannel): void {
  const scsw = sch.io.scsw;
  sch.io.started = null;
  sch.io.ecw = null;
  scsw.cc = 0;
  scsw.dstat = 0;
  scsw.cstat = 0;
  scsw.actl = 0;
  scsw.stctl = STCTL.STATUS_PEND;
  interrupt(sch);
}

/** An I/O interruption: the bound driver's irq hook, if it has one. */
function interrupt(sch: Subchannel): void {
  sch.cssDriver?.irq?.(sch);
}
