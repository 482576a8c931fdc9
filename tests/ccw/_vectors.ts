/**
 * The translation vectors of vfio-ccw.md §5.2 with their exact expected reports (cli.md §6 JSON),
 * shared by the reference, WebAssembly and CLI tests.
 *
 * @module
 */
import type {
  CcwJson,
  IdawJson,
  SegmentJson,
  TranslationReportJson,
} from "../../lib/ccw/report_json.ts";
import { neg } from "../../lib/errno.ts";

/** ORB_D of vfio-ccw.md §5.1: Format-1, prefetch, c64, 4 KiB IDAWs, lpm 0xff, CPA 0x1000. */
export const ORB_D = "11223344 00 C2 FF 00 00001000";

export function hexOf(value: number | bigint): string {
  return `0x${value.toString(16)}`;
}

export function byteOf(value: number): string {
  return `0x${value.toString(16).padStart(2, "0")}`;
}

/** A pinned IDAL entry `P:x`. */
export function P(address: number | bigint): IdawJson {
  return { value: hexOf(address), pinned: true };
}

/** A raw, unpinned IDAL entry `R:y`. */
export function R(word: number | bigint): IdawJson {
  return { value: hexOf(word), pinned: false };
}

/** An expected host data CCW `[cc ff nnnn] → {…}`. */
export function data(cmd: number, flags: number, count: number, ...idaws: IdawJson[]): CcwJson {
  return { cmd: byteOf(cmd), flags: byteOf(flags), count, tic: null, idaws };
}

/** An expected host TIC `TIC→C<segment>+<offset>`, keeping its own flags and count. */
export function tic(segment: number, offset: number, flags = 0, count = 0): CcwJson {
  return { cmd: "0x08", flags: byteOf(flags), count, tic: { segment, offset }, idaws: [] };
}

export function segment(iova: number, ...ccws: CcwJson[]): SegmentJson {
  return { iova: hexOf(iova), ccws };
}

/** An expected successful report; the host ORB defaults to the one ORB_D gives. */
export function success(segments: SegmentJson[], byte5 = 0xc2, lpm = 0xff): TranslationReportJson {
  return {
    rc: 0,
    errno: null,
    hostOrb: { byte4: "0x00", byte5: byteOf(byte5), lpm: byteOf(lpm), byte7: "0x00" },
    segments,
  };
}

/** An expected failed report. */
export function failure(errno: "EINVAL" | "EBUSY"): TranslationReportJson {
  return { rc: neg(errno), errno, hostOrb: null, segments: [] };
}

/** V01–V13 (V14 concerns the FSM, not the translator). */
export const VECTORS: {
  name: string;
  writes: Record<number, string>;
  expected: TranslationReportJson;
}[] = [
  {
    name: "V01 (one read CCW)",
    writes: { 0x1000: "02 20 0050 00010000" },
    expected: success([segment(0x1000, data(0x02, 0x24, 0x50, P(0x10000)))]),
  },
  {
    name: "V02 (write across a page)",
    writes: { 0x1000: "01 00 0100 00010F80" },
    expected: success([segment(0x1000, data(0x01, 0x04, 0x100, P(0x10f80), P(0x11000)))]),
  },
  {
    name: "V03 (command chaining)",
    writes: {
      0x1000: "07 40 0006 00020000",
      0x1008: "31 40 0005 00020010",
      0x1010: "06 00 1000 00030000",
    },
    expected: success([segment(
      0x1000,
      data(0x07, 0x44, 6, P(0x20000)),
      data(0x31, 0x44, 5, P(0x20010)),
      data(0x06, 0x04, 0x1000, P(0x30000)),
    )]),
  },
  {
    name: "V04 (data chaining)",
    writes: { 0x1000: "02 80 0800 00010000", 0x1008: "02 00 0800 00020800" },
    expected: success([segment(
      0x1000,
      data(0x02, 0x84, 0x800, P(0x10000)),
      data(0x02, 0x04, 0x800, P(0x20800)),
    )]),
  },
  {
    name: "V05 (NOP with count 0 ends the chain)",
    writes: { 0x1000: "03 00 0000 00000000", 0x1008: "02 00 0010 00010000" },
    expected: success([segment(0x1000, data(0x03, 0x04, 0, R(0)))]),
  },
  {
    name: "V06 (NOP with an address outside RAM)",
    writes: { 0x1000: "03 00 0100 7FFFF000" },
    expected: success([segment(0x1000, data(0x03, 0x04, 0x100, R(0x7ffff000)))]),
  },
  {
    name: "V07 (count 0 outside RAM)",
    writes: { 0x1000: "02 00 0000 00F00000" },
    expected: success([segment(0x1000, data(0x02, 0x04, 0, R(0xf00000)))]),
  },
  {
    name: "V08 (read with SKP)",
    writes: { 0x1000: "02 10 0100 00F00000" },
    expected: success([segment(0x1000, data(0x02, 0x14, 0x100, R(0xf00000)))]),
  },
  {
    name: "V09 (write with SKP pins)",
    writes: { 0x1000: "01 10 0100 00F00000" },
    expected: failure("EINVAL"),
  },
  {
    name: "V10 (sense with SKP)",
    writes: { 0x1000: "04 10 0020 00F00000" },
    expected: success([segment(0x1000, data(0x04, 0x14, 0x20, R(0xf00000)))]),
  },
  {
    name: "V10 (sense ID with SKP)",
    writes: { 0x1000: "E4 10 0100 00F00000" },
    expected: success([segment(0x1000, data(0xe4, 0x14, 0x100, R(0xf00000)))]),
  },
  {
    name: "V10 (read backward with SKP)",
    writes: { 0x1000: "0C 10 0100 00F00000" },
    expected: success([segment(0x1000, data(0x0c, 0x14, 0x100, R(0xf00000)))]),
  },
  {
    name: "V11 (data at the end of RAM)",
    writes: { 0x1000: "02 00 0010 00100000" },
    expected: failure("EINVAL"),
  },
  {
    name: "V12a (last page of RAM)",
    writes: { 0x1000: "02 00 1000 000FF000" },
    expected: success([segment(0x1000, data(0x02, 0x04, 0x1000, P(0xff000)))]),
  },
  {
    name: "V12b (second IDAW past the end of RAM)",
    writes: { 0x1000: "02 00 1000 000FF800" },
    expected: failure("EINVAL"),
  },
  {
    name: "V13 (invalid command 0x00 is translated)",
    writes: { 0x1000: "00 00 0010 00010000" },
    expected: success([segment(0x1000, data(0x00, 0x04, 0x10, P(0x10000)))]),
  },
];
