// Chain build (vfio-ccw.md §2.3–§2.5): build_segment (the kernel's ccwchain_handle_ccw) with an
// explicit DFS stack instead of recursion (§6.4), segment_length (ccwchain_calc_length) and the
// TIC existence test. Segments are appended in DFS pre-order, the order TIC resolution, the SCSW
// mapping and the 16-segment limit depend on.

import { E_GUEST, isMapped } from "./dma";
import {
  CCW_SIZE,
  DECODE_BASE,
  DECODE_SIZE,
  DFS_FRAME_SIZE,
  DFS_STACK_BASE,
  GUEST_BASE,
  HOST_CCWS_BASE,
  HOST_CCWS_STRIDE,
  MAX_SEGMENT_CCWS,
  MAX_SEGMENTS,
  META_BASE,
  META_ENTRY_SIZE,
  REQ_SEGMENT_COUNT,
  SEG_HOST,
  SEG_IOVA,
  SEG_LEN,
  SEG_META,
  SEGMENT_ENTRY_SIZE,
  SEGMENTS_BASE,
} from "./layout";

const EINVAL: i32 = -22;
/** The TIC command code (after Format-0 conversion; Format-1 only 0x08 exactly). */
export const CMD_TIC: u64 = 0x08;
/** CD | CC: the flags that make segment_length keep counting. */
const FLAGS_CHAINING: u64 = 0xc0;

/**
 * Decodes a guest CCW (already byte-swapped to a native u64) into the Format-1 word
 * `cmd<<56 | flags<<48 | count<<32 | cda`, converting Format-0 as vfio-ccw does (§1.2): any
 * command with low nibble 8 becomes a plain TIC, the reserved byte is dropped.
 */
export function decodeCcw(raw: u64, format1: bool): u64 {
  if (format1) return raw;
  const cmd = raw >> 56;
  const cda = (raw >> 32) & 0xffffff;
  if ((cmd & 0x0f) == 0x08) return (CMD_TIC << 56) | cda;
  return (cmd << 56) | (((raw >> 24) & 0xff) << 48) | ((raw & 0xffff) << 32) | cda;
}

/** Address of segment `index`'s entry in the segment table. */
export function segmentEntry(index: u32): usize {
  return SEGMENTS_BASE + index * SEGMENT_ENTRY_SIZE;
}

/**
 * The first segment in list order with iova ≤ target ≤ iova + 8·(len − 1) in u32 arithmetic
 * (§2.5, §2.7; no alignment requirement), or -1.
 */
export function findSegment(target: u32): i32 {
  const count = load<u32>(REQ_SEGMENT_COUNT);
  for (let index: u32 = 0; index < count; index++) {
    const entry = segmentEntry(index);
    const iova = load<u32>(entry + SEG_IOVA);
    const tail = iova + (load<u32>(entry + SEG_LEN) - 1) * CCW_SIZE;
    if (iova <= target && target <= tail) return <i32> index;
  }
  return -1;
}

/**
 * The 2 KiB pre-read at `head` decoded into the decode buffer, and segment_length over it (§2.4):
 * the 1-based index of the first CCW that neither chains nor is a TIC back into the CCWs counted
 * so far (itself included), -EINVAL when none of the 256 terminates, E_GUEST when the 2 KiB are
 * not all mapped. Only the CCWs up to the terminating one are decoded; the rest of the 2 KiB is
 * never looked at, so converting it (as the kernel does) would change nothing.
 */
function readSegment(head: u32, format1: bool): i32 {
  if (!isMapped(head, DECODE_SIZE)) return E_GUEST;
  const source = <usize> GUEST_BASE + <usize> head;
  for (let k: u32 = 0; k < MAX_SEGMENT_CCWS; k++) {
    const ccw = decodeCcw(bswap<u64>(load<u64>(source + k * CCW_SIZE)), format1);
    store<u64>(DECODE_BASE + k * CCW_SIZE, ccw);
    if ((ccw & (FLAGS_CHAINING << 48)) != 0) continue;
    const cda = <u32> ccw;
    const backwardTic = (ccw >> 56) == CMD_TIC && head <= cda && cda <= head + k * CCW_SIZE;
    if (!backwardTic) return <i32> (k + 1);
  }
  return EINVAL;
}

/**
 * One build_segment step without the recursion: pre-read, length, the FIX72 limit (checked after
 * both, so a 17th segment that is unreadable or too long reports that first), then the segment
 * is appended with its CCWs copied big-endian into its host array slot.
 *
 * @returns the new segment's index, or a negative errno.
 */
function buildSegment(head: u32, format1: bool): i32 {
  const length = readSegment(head, format1);
  if (length < 0) return length;
  const index = load<u32>(REQ_SEGMENT_COUNT);
  if (index >= MAX_SEGMENTS) return EINVAL;
  const entry = segmentEntry(index);
  const host = HOST_CCWS_BASE + index * HOST_CCWS_STRIDE;
  store<u32>(entry + SEG_IOVA, head);
  store<u32>(entry + SEG_LEN, length);
  store<u32>(entry + SEG_HOST, host);
  store<u32>(entry + SEG_META, META_BASE + index * MAX_SEGMENT_CCWS * META_ENTRY_SIZE);
  for (let i: u32 = 0; i < <u32> length; i++) {
    store<u64>(host + i * CCW_SIZE, bswap<u64>(load<u64>(DECODE_BASE + i * CCW_SIZE)));
  }
  store<u32>(REQ_SEGMENT_COUNT, index + 1);
  return <i32> index;
}

/**
 * cp_init's chain build from the ORB's CPA: build_segment(cpa), then depth-first, for each TIC
 * of each segment in order whose target lies in no segment of the list yet, build_segment(target)
 * and scan the new segment's TICs before resuming the parent's. The stack never holds more
 * frames than there are segments (≤ MAX_SEGMENTS).
 *
 * @returns 0, or the first error (the caller drops every segment).
 */
export function buildProgram(cpa: u32, format1: bool): i32 {
  store<u32>(REQ_SEGMENT_COUNT, 0);
  const root = buildSegment(cpa, format1);
  if (root < 0) return root;
  store<u32>(DFS_STACK_BASE, root);
  store<u32>(DFS_STACK_BASE + 4, 0);
  let depth: u32 = 1;
  while (depth > 0) {
    const frame = DFS_STACK_BASE + (depth - 1) * DFS_FRAME_SIZE;
    const entry = segmentEntry(load<u32>(frame));
    const next = load<u32>(frame + 4);
    if (next >= load<u32>(entry + SEG_LEN)) {
      depth--;
      continue;
    }
    store<u32>(frame + 4, next + 1);
    const ccw = bswap<u64>(load<u64>(load<u32>(entry + SEG_HOST) + next * CCW_SIZE));
    if ((ccw >> 56) != CMD_TIC || findSegment(<u32> ccw) >= 0) continue;
    const child = buildSegment(<u32> ccw, format1);
    if (child < 0) return child;
    const childFrame = DFS_STACK_BASE + depth * DFS_FRAME_SIZE;
    store<u32>(childFrame, child);
    store<u32>(childFrame + 4, 0);
    depth++;
  }
  return 0;
}
