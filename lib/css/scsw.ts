/**
 * The subchannel-status word (vfio-ccw.md §1.6): its bits with Linux's
 * names and values (arch/s390/include/asm/scsw.h, cio.h), a named-field form
 * and the 12 big-endian bytes STSCH and TSCH store.
 *
 * ```text
 *  byte 0  key:4 sctl:1 eswf:1 cc:2
 *  byte 1  fmt pfch isic alcc ssi zcc ectl pno
 *  byte 2  res:1 fctl:3 actl(high 4)
 *  byte 3  actl(low 3) stctl:5
 *  4..7    CPA          8 device status   9 subchannel status   10..11 residual count
 * ```
 *
 * @module
 */

/** Bytes of an SCSW. */
export const SCSW_SIZE = 12;

/** Function control (3 bits, byte 2 & 0x70). */
export const FCTL = { START: 0x4, HALT: 0x2, CLEAR: 0x1 } as const;

/** Activity control (7 bits across bytes 2 and 3). */
export const ACTL = {
  RESUME_PEND: 0x40,
  START_PEND: 0x20,
  HALT_PEND: 0x10,
  CLEAR_PEND: 0x08,
  SCHACT: 0x04,
  DEVACT: 0x02,
  SUSPENDED: 0x01,
} as const;

/** Status control (5 bits, byte 3 & 0x1f). */
export const STCTL = {
  ALERT: 0x10,
  INTERMEDIATE: 0x08,
  PRIMARY: 0x04,
  SECONDARY: 0x02,
  STATUS_PEND: 0x01,
} as const;

/** Byte 1 flags. */
export const SCSW_FLAG = {
  FMT: 0x80,
  PFCH: 0x40,
  ISIC: 0x20,
  ALCC: 0x10,
  SSI: 0x08,
  ZCC: 0x04,
  ECTL: 0x02,
  PNO: 0x01,
} as const;

/** Device status (byte 8; Linux DEV_STAT_*). */
export const DSTAT = {
  ATTENTION: 0x80,
  STATUS_MODIFIER: 0x40,
  CU_END: 0x20,
  BUSY: 0x10,
  CHN_END: 0x08,
  DEV_END: 0x04,
  UNIT_CHECK: 0x02,
  UNIT_EXCEP: 0x01,
} as const;

/** Subchannel status (byte 9; Linux SCHN_STAT_*). */
export const CSTAT = {
  PCI: 0x80,
  INCORR_LEN: 0x40,
  PROG_CHECK: 0x20,
  PROT_CHECK: 0x10,
  CHN_DATA_CHK: 0x08,
  CHN_CTRL_CHK: 0x04,
  INTF_CTRL_CHK: 0x02,
  CHAIN_CHECK: 0x01,
} as const;

/** An SCSW as named fields (each holds exactly its bit width). */
export interface Scsw {
  key: number;
  /** Suspend control (from the ORB). */
  sctl: boolean;
  /** Extended-status-word format. */
  eswf: boolean;
  /** Deferred condition code. */
  cc: number;
  /** Byte 1: {@linkcode SCSW_FLAG} bits. */
  flags: number;
  fctl: number;
  actl: number;
  stctl: number;
  cpa: number;
  dstat: number;
  cstat: number;
  count: number;
}

/** An all-zero SCSW (an idle subchannel). */
export function emptyScsw(): Scsw {
  return {
    key: 0,
    sctl: false,
    eswf: false,
    cc: 0,
    flags: 0,
    fctl: 0,
    actl: 0,
    stctl: 0,
    cpa: 0,
    dstat: 0,
    cstat: 0,
    count: 0,
  };
}

/** The 12 big-endian bytes of an SCSW. */
export function encodeScsw(s: Scsw): Uint8Array {
  const bytes = new Uint8Array(SCSW_SIZE);
  const view = new DataView(bytes.buffer);
  bytes[0] = (s.key << 4) | (s.sctl ? 0x08 : 0) | (s.eswf ? 0x04 : 0) | s.cc;
  bytes[1] = s.flags;
  bytes[2] = (s.fctl << 4) | (s.actl >> 3);
  bytes[3] = ((s.actl & 0x07) << 5) | s.stctl;
  view.setUint32(4, s.cpa);
  bytes[8] = s.dstat;
  bytes[9] = s.cstat;
  view.setUint16(10, s.count);
  return bytes;
}

/**
 * Decodes 12 SCSW bytes at `offset` (e.g. 0 of an IRB or 28 of a SCHIB).
 *
 * @example Round trip
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeScsw, emptyScsw, encodeScsw, FCTL } from "./scsw.ts";
 * const scsw = { ...emptyScsw(), fctl: FCTL.START, cpa: 0x1008, count: 16 };
 * assert.deepEqual(decodeScsw(encodeScsw(scsw)), scsw);
 * ```
 */
export function decodeScsw(bytes: Uint8Array, offset = 0): Scsw {
  if (bytes.length < offset + SCSW_SIZE) {
    throw new RangeError(`Cannot decode an SCSW at ${offset}: only ${bytes.length} bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, SCSW_SIZE);
  const b0 = view.getUint8(0);
  const b2 = view.getUint8(2);
  const b3 = view.getUint8(3);
  return {
    key: b0 >> 4,
    sctl: (b0 & 0x08) !== 0,
    eswf: (b0 & 0x04) !== 0,
    cc: b0 & 0x03,
    flags: view.getUint8(1),
    fctl: (b2 >> 4) & 0x07,
    actl: ((b2 & 0x0f) << 3) | (b3 >> 5),
    stctl: b3 & 0x1f,
    cpa: view.getUint32(4),
    dstat: view.getUint8(8),
    cstat: view.getUint8(9),
    count: view.getUint16(10),
  };
}
