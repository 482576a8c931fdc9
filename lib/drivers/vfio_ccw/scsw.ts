/**
 * The two questions vfio-ccw asks of an interrupt's SCSW (arch/s390/include/asm/scsw.h;
 * vfio-ccw.md §1.6): is the status solicited, and is it final.
 *
 * @module
 */
import { ACTL, type Scsw, STCTL } from "../../css/scsw.ts";

/**
 * scsw_is_solicited(): unsolicited only with cc 0 and status control exactly alert plus status
 * pending.
 */
export function scswIsSolicited(scsw: Scsw): boolean {
  return scsw.cc !== 0 || scsw.stctl !== (STCTL.ALERT | STCTL.STATUS_PEND);
}

/** Final status: neither subchannel nor device active any more. */
export function scswIsFinal(scsw: Scsw): boolean {
  return (scsw.actl & (ACTL.SCHACT | ACTL.DEVACT)) === 0;
}
