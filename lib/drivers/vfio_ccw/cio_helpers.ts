/**
 * The cio library functions vfio-ccw calls on its subchannel (drivers/s390/cio/cio.c:
 * cio_update_schib, cio_commit_config, cio_enable_subchannel, cio_disable_subchannel,
 * cio_cancel_halt_clear), on top of the I/O instructions of lib/css/cio.ts.
 *
 * @module
 */
import { csch, hsch, msch, tsch } from "../../css/cio.ts";
import { parseBusId } from "../../css/ids.ts";
import type { Subchannel } from "../../css/subchannel.ts";
import { neg } from "../../errno.ts";
import { ACTL, decodeScsw } from "../../css/scsw.ts";
import { VFIO_CCW_ISC } from "./uapi.ts";

/** PMCW byte 5: enabled, device number valid. */
const PMCW5_ENA = 0x80;
const PMCW5_DNV = 0x01;
/** PMCW byte 10: last path used mask. */
const PMCW_LPUM = 10;
/** The SCSW inside a SCHIB. */
const SCHIB_SCSW = 28;
/** cio_commit_config's MSCH attempts. */
const COMMIT_RETRIES = 5;

/**
 * The 32-bit "host address" of the subchannel structure: the interruption parameter vfio-ccw
 * enables the subchannel with and puts in every host ORB. Deterministic, one per subchannel.
 */
export function subchannelIntparm(sch: Subchannel): number {
  const id = parseBusId(sch.schid) ?? { ssid: 0, number: 0 };
  return (0x4000_0000 | (id.ssid << 16) | id.number) >>> 0;
}

/**
 * cio_update_schib(): STSCH, and the SCHIB must be valid (an I/O subchannel needs a valid device
 * number). Returns the 52-byte SCHIB, or null where the kernel returns -ENODEV.
 */
export function cioUpdateSchib(sch: Subchannel): Uint8Array | null {
  const schib = sch.stsch();
  if (schib === null || (schib[5]! & PMCW5_DNV) === 0) return null;
  return schib;
}

/** The PMCW's last-path-used mask. */
export function schibLpum(schib: Uint8Array): number {
  return schib[PMCW_LPUM]!;
}

/**
 * cio_commit_config(): MSCH with the changes, up to five times: cc 1 (status pending) clears the
 * status with TSCH and retries (EBUSY when there was none), cc 2 (busy) retries, cc 3 is ENODEV.
 *
 * @returns 0 or a negative errno
 */
function cioCommitConfig(
  sch: Subchannel,
  changes: { enabled?: boolean; isc?: number; intparm?: number },
): number {
  if (cioUpdateSchib(sch) === null) return neg("ENODEV");
  let ret = 0;
  for (let retry = 0; retry < COMMIT_RETRIES; retry++) {
    switch (msch(sch, changes)) {
      case 0:
        return cioUpdateSchib(sch) === null ? neg("ENODEV") : 0;
      case 1:
        ret = neg("EBUSY");
        if (tsch(sch) === null) return ret;
        break;
      case 2:
        ret = neg("EBUSY");
        break;
      default:
        return neg("ENODEV");
    }
  }
  return ret;
}

/** cio_enable_subchannel() with vfio-ccw's ISC. */
export function cioEnableSubchannel(sch: Subchannel, intparm: number): number {
  if (cioUpdateSchib(sch) === null) return neg("ENODEV");
  return cioCommitConfig(sch, { enabled: true, isc: VFIO_CCW_ISC, intparm });
}

/** cio_disable_subchannel(). */
export function cioDisableSubchannel(sch: Subchannel): number {
  if (cioUpdateSchib(sch) === null) return neg("ENODEV");
  return cioCommitConfig(sch, { enabled: false });
}

/** The retry budget cio_cancel_halt_clear() counts down across calls. */
export interface HaltClearRetries {
  count: number;
}

/**
 * cio_cancel_halt_clear(): one step of quiescing — up to 3 HSCHs, then up to 255 CSCHs; EBUSY
 * while a function was started (wait for its interrupt, then call again), EIO when the budget is
 * spent. The channel subsystem has no XSCH, so the cancel stage always falls through to halt, as
 * the kernel does when cancel is not applicable.
 */
export function cioCancelHaltClear(sch: Subchannel, retries: HaltClearRetries): number {
  const schib = cioUpdateSchib(sch);
  if (schib === null) return neg("ENODEV");
  if ((schib[5]! & PMCW5_ENA) === 0) return 0;
  const actl = decodeScsw(schib, SCHIB_SCSW).actl;
  if ((actl & (ACTL.HALT_PEND | ACTL.CLEAR_PEND)) === 0) retries.count = 3;
  if ((actl & ACTL.CLEAR_PEND) === 0) {
    if (retries.count > 0) {
      retries.count--;
      const cc = hsch(sch);
      if (cc !== 1 && cc !== 2) return cc === 0 ? neg("EBUSY") : neg("ENODEV");
    }
    retries.count = 255;
  }
  if (retries.count > 0) {
    retries.count--;
    return csch(sch) === 0 ? neg("EBUSY") : neg("ENODEV");
  }
  return neg("EIO");
}
