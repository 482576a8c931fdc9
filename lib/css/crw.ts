/**
 * Channel-report words (vfio-ccw.md §4.1): the 32-bit word STCRW stores
 * when the channel subsystem reports a subchannel or channel-path event,
 * and the kernel log line Linux's crw_collect_info() prints for it.
 *
 * ```text
 *  bit 0 res  1 slct  2 oflw  3 chn  4..7 rsc  8 anc  9 res  10..15 erc  16..31 rsid
 * ```
 *
 * @module
 */

/** Reporting-source codes (Linux CRW_RSC_*). */
export const CRW_RSC = { SCH: 0x3, CPATH: 0x4 } as const;

/** Error-recovery codes (Linux CRW_ERC_*). */
export const CRW_ERC = {
  /** Initialized: a channel path came online. */
  INIT: 0x02,
  /** Installed parameters initialized: a subchannel's device came or went. */
  IPARM: 0x04,
  /** Permanent error, facility not initialized: a channel path went offline. */
  PERRN: 0x06,
} as const;

/** A CRW as named fields. */
export interface Crw {
  /** Solicited. */
  slct: boolean;
  /** Overflow: CRWs were lost before this one. */
  oflw: boolean;
  /** Chaining: more CRWs of the same report follow. */
  chn: boolean;
  /** Reporting-source code (4 bits). */
  rsc: number;
  /** Ancillary report. */
  anc: boolean;
  /** Error-recovery code (6 bits). */
  erc: number;
  /** Reporting-source id: the CHPID or subchannel number. */
  rsid: number;
}

/**
 * The big-endian CRW word.
 *
 * @example Channel path 0x50 going offline
 * ```ts
 * import assert from "node:assert/strict";
 * import { CRW_ERC, CRW_RSC, encodeCrw } from "./crw.ts";
 * const crw = { slct: false, oflw: false, chn: false, anc: false,
 *   rsc: CRW_RSC.CPATH, erc: CRW_ERC.PERRN, rsid: 0x50 };
 * assert.equal(encodeCrw(crw), 0x04060050);
 * ```
 */
export function encodeCrw(c: Crw): number {
  const word = (c.slct ? 1 << 30 : 0) | (c.oflw ? 1 << 29 : 0) | (c.chn ? 1 << 28 : 0) |
    ((c.rsc & 0x0f) << 24) | (c.anc ? 1 << 23 : 0) | ((c.erc & 0x3f) << 16) | (c.rsid & 0xffff);
  return word >>> 0;
}

/** Decodes a CRW word (reserved bits ignored). */
export function decodeCrw(word: number): Crw {
  return {
    slct: ((word >>> 30) & 1) === 1,
    oflw: ((word >>> 29) & 1) === 1,
    chn: ((word >>> 28) & 1) === 1,
    rsc: (word >>> 24) & 0x0f,
    anc: ((word >>> 23) & 1) === 1,
    erc: (word >>> 16) & 0x3f,
    rsid: word & 0xffff,
  };
}

/** A CRW with every flag clear (what a single unsolicited report is). */
export function simpleCrw(rsc: number, erc: number, rsid: number): Crw {
  return { slct: false, oflw: false, chn: false, rsc, anc: false, erc, rsid };
}

/** The line crw_collect_info() logs for a CRW. */
export function crwLogLine(c: Crw): string {
  const bit = (b: boolean) => (b ? 1 : 0);
  const hex = (n: number) => n.toString(16).toUpperCase();
  return `crw_info : CRW reports slct=${bit(c.slct)}, oflw=${bit(c.oflw)}, chn=${bit(c.chn)}, ` +
    `rsc=${hex(c.rsc)}, anc=${bit(c.anc)}, erc=${hex(c.erc)}, rsid=${hex(c.rsid)}`;
}
