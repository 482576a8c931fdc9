/**
 * The path-management-control word and the subchannel-information block
 * STSCH stores (vfio-ccw.md §3: 52 bytes = PMCW 28 + SCSW 12 + 12
 * model-dependent bytes), big-endian, laid out as Linux's `struct pmcw`:
 *
 * ```text
 *  0..3   intparm
 *  4      qf w isc:3 res:3           5   ena lm:2 mme:2 mp tf dnv
 *  6..7   devno                      8   lpm  9 pnom  10 lpum  11 pim
 *  12..13 mbi                        14  pom  15 pam
 *  16..23 chpid[8]                   24  res  25 st:3 …  27 … mbfc xmwme csense
 * ```
 *
 * @module
 */
import { encodeScsw, type Scsw } from "./scsw.ts";

/** Bytes of a PMCW. */
export const PMCW_SIZE = 28;

/** Bytes of a SCHIB. */
export const SCHIB_SIZE = 52;

/** The subchannel type of I/O subchannels (`pmcw.st`). */
export const SUBCHANNEL_TYPE_IO = 0;

/** The PMCW fields mdevsim models (the rest, measurement and QDIO, stay zero). */
export interface Pmcw {
  /** Device number (meaningful while `dnv`). */
  devno: number;
  /** Logical path mask: the paths the program lets the subchannel use. */
  lpm: number;
  /** Path installed, available and operational masks. */
  pim: number;
  pam: number;
  pom: number;
  /** Last path used (set when a start function selects a path). */
  lpum: number;
  /** CHPID of each of the eight paths (0 where no path is installed). */
  chpids: number[];
  enabled: boolean;
  /** Interruption subclass (0–7). */
  isc: number;
  intparm: number;
  /** Device number valid: a device is attached. */
  dnv: boolean;
  /** Concurrent sense: a unit check stores the sense bytes in the IRB. */
  csense: boolean;
}

/** The 28 big-endian PMCW bytes of an I/O subchannel. */
export function encodePmcw(p: Pmcw): Uint8Array {
  const bytes = new Uint8Array(PMCW_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, p.intparm);
  bytes[4] = (p.isc & 0x07) << 3;
  bytes[5] = (p.enabled ? 0x80 : 0) | (p.dnv ? 0x01 : 0);
  view.setUint16(6, p.devno);
  bytes[8] = p.lpm;
  bytes[10] = p.lpum;
  bytes[11] = p.pim;
  bytes[14] = p.pom;
  bytes[15] = p.pam;
  bytes.set(p.chpids.slice(0, 8), 16);
  bytes[25] = SUBCHANNEL_TYPE_IO << 5;
  bytes[27] = p.csense ? 0x01 : 0;
  return bytes;
}

/** Decodes the PMCW at the start of a SCHIB (the fields of {@linkcode Pmcw}). */
export function decodePmcw(bytes: Uint8Array): Pmcw {
  if (bytes.length < PMCW_SIZE) {
    throw new RangeError(`Cannot decode a PMCW from ${bytes.length} bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, PMCW_SIZE);
  return {
    intparm: view.getUint32(0),
    isc: (bytes[4]! >> 3) & 0x07,
    enabled: (bytes[5]! & 0x80) !== 0,
    dnv: (bytes[5]! & 0x01) !== 0,
    devno: view.getUint16(6),
    lpm: bytes[8]!,
    lpum: bytes[10]!,
    pim: bytes[11]!,
    pom: bytes[14]!,
    pam: bytes[15]!,
    chpids: [...bytes.subarray(16, 24)],
    csense: (bytes[27]! & 0x01) !== 0,
  };
}

/**
 * The 52-byte SCHIB: PMCW, SCSW, and zeroed model-dependent bytes (no
 * measurement block).
 *
 * @example The device-number-valid bit
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodePmcw, encodeSchib } from "./schib.ts";
 * import { emptyScsw } from "./scsw.ts";
 * const pmcw = {
 *   devno: 0x1000, lpm: 0x80, pim: 0x80, pam: 0x80, pom: 0xff, lpum: 0,
 *   chpids: [0x50, 0, 0, 0, 0, 0, 0, 0], enabled: true, isc: 3, intparm: 0,
 *   dnv: true, csense: false,
 * };
 * const schib = encodeSchib(pmcw, emptyScsw());
 * assert.equal(schib.length, 52);
 * assert.deepEqual(decodePmcw(schib), pmcw);
 * ```
 */
export function encodeSchib(pmcw: Pmcw, scsw: Scsw): Uint8Array {
  const bytes = new Uint8Array(SCHIB_SIZE);
  bytes.set(encodePmcw(pmcw), 0);
  bytes.set(encodeScsw(scsw), PMCW_SIZE);
  return bytes;
}
