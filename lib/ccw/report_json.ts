/**
 * The `--json` form of a translation report (cli.md §6): bytes as `"0x%02x"`, addresses and IDAW
 * values as lower-case `"0x…"`, the errno by name.
 *
 * @example A failed translation
 * ```ts
 * import { reportToJson } from "./report_json.ts";
 *
 * reportToJson({ rc: -22, hostOrb: null, segments: [] });
 * // { rc: -22, errno: "EINVAL", hostOrb: null, segments: [] }
 * ```
 *
 * @module
 */

import { type ErrnoName, errnoName } from "../errno.ts";
import type { CcwReport, TranslationReport } from "./engine.ts";

/** The host ORB bytes 4–7 of the report. */
export interface HostOrbJson {
  readonly byte4: string;
  readonly byte5: string;
  readonly lpm: string;
  readonly byte7: string;
}

/** One IDAL entry of the report. */
export interface IdawJson {
  readonly value: string;
  readonly pinned: boolean;
}

/** One translated CCW of the report. */
export interface CcwJson {
  readonly cmd: string;
  readonly flags: string;
  readonly count: number;
  readonly tic: { readonly segment: number; readonly offset: number } | null;
  readonly idaws: readonly IdawJson[];
}

/** One segment of the report. */
export interface SegmentJson {
  readonly iova: string;
  readonly ccws: readonly CcwJson[];
}

/** The translation report document. */
export interface TranslationReportJson {
  readonly rc: number;
  readonly errno: ErrnoName | null;
  readonly hostOrb: HostOrbJson | null;
  readonly segments: readonly SegmentJson[];
}

/**
 * Converts a report to its JSON document (keys in the order cli.md §6 shows).
 *
 * @throws {RangeError} When `rc` is negative but not a known errno.
 */
export function reportToJson(report: TranslationReport): TranslationReportJson {
  const { rc, hostOrb } = report;
  let errno: ErrnoName | null = null;
  if (rc !== 0) {
    const name = errnoName(rc);
    if (rc > 0 || name === undefined) {
      throw new RangeError(`Cannot name translation return code ${rc}`);
    }
    errno = name;
  }
  return {
    rc,
    errno,
    hostOrb: hostOrb === null ? null : {
      byte4: byteHex(hostOrb.byte4),
      byte5: byteHex(hostOrb.byte5),
      lpm: byteHex(hostOrb.lpm),
      byte7: byteHex(hostOrb.byte7),
    },
    segments: report.segments.map((segment) => ({
      iova: addressHex(segment.iova),
      ccws: segment.ccws.map(ccwToJson),
    })),
  };
}

function ccwToJson(ccw: CcwReport): CcwJson {
  return {
    cmd: byteHex(ccw.cmd),
    flags: byteHex(ccw.flags),
    count: ccw.count,
    tic: ccw.tic === null ? null : { segment: ccw.tic.segment, offset: ccw.tic.offset },
    idaws: ccw.idaws.map((idaw) => ({ value: addressHex(idaw.value), pinned: idaw.pinned })),
  };
}

function byteHex(value: number): string {
  return `0x${value.toString(16).padStart(2, "0")}`;
}

function addressHex(value: number | bigint): string {
  return `0x${value.toString(16)}`;
}
