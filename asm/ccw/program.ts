// The channel program of one device (vfio-ccw.md §2.2, §2.6, §2.7, §2.13, §2.14): cp_init +
// cp_prefetch + cp_get_orb in one call, cp_iova_pinned and cp_free.

import { buildProgram, CMD_TIC, findSegment, segmentEntry } from "./chain";
import { translateData, unpinData } from "./idal";
import {
  CCW_SIZE,
  KIND_DATA,
  KIND_TIC,
  META_ENTRY_SIZE,
  META_KIND,
  META_PINNED,
  META_TIC_OFFSET,
  META_TIC_SEGMENT,
  PAGE_SIZE,
  REQ_IDAL_USED,
  REQ_INITIALIZED,
  REQ_ORB,
  REQ_PIN_COUNTS,
  REQ_RAM_SIZE,
  REQ_SEGMENT_COUNT,
  SEG_HOST,
  SEG_IOVA,
  SEG_LEN,
  SEG_META,
} from "./layout";
import { buildHostOrb } from "./orb";

const EBUSY: i32 = -16;
const EFAULT: i32 = -14;
const ORB_FLAGS: u32 = 5;
const ORB_CPA: u32 = 8;
const FLAG_FORMAT1: u8 = 0x80;
const FLAG_C64: u8 = 0x02;
const FLAG_I2K: u8 = 0x01;

/**
 * Translates a TIC (§2.7): its cda becomes the host address of the same offset into the first
 * segment holding the target; flags and count stay. -EFAULT when no segment holds it, which the
 * chain build makes unreachable.
 */
function translateTic(slot: usize, ccw: u64, meta: usize): i32 {
  const target = <u32> ccw;
  const segment = findSegment(target);
  if (segment < 0) return EFAULT;
  const entry = segmentEntry(<u32> segment);
  const offset = target - load<u32>(entry + SEG_IOVA);
  const hostTarget = load<u32>(entry + SEG_HOST) + offset;
  store<u64>(slot, bswap<u64>((ccw & <u64> 0xffffffff00000000) | <u64> hostTarget));
  store<u8>(meta + META_KIND, <u8> KIND_TIC);
  store<u8>(meta + META_PINNED, 0);
  store<u8>(meta + META_TIC_SEGMENT, <u8> segment);
  store<u32>(meta + META_TIC_OFFSET, offset);
  return 0;
}

/**
 * cp_prefetch (§2.6): every CCW of every segment in list order. On the first error the failing
 * segment's length becomes the failing index and later segments' 0, so that releasing the
 * program drops exactly the pins taken.
 */
function prefetch(format2: bool, blockShift: u64): i32 {
  const count = load<u32>(REQ_SEGMENT_COUNT);
  for (let index: u32 = 0; index < count; index++) {
    const entry = segmentEntry(index);
    const host = <usize> load<u32>(entry + SEG_HOST);
    const meta = <usize> load<u32>(entry + SEG_META);
    const length = load<u32>(entry + SEG_LEN);
    for (let i: u32 = 0; i < length; i++) {
      const slot = host + i * CCW_SIZE;
      const ccw = bswap<u64>(load<u64>(slot));
      const entryMeta = meta + i * META_ENTRY_SIZE;
      const rc = (ccw >> 56) == CMD_TIC
        ? translateTic(slot, ccw, entryMeta)
        : translateData(slot, ccw, entryMeta, format2, blockShift);
      if (rc < 0) {
        store<u32>(entry + SEG_LEN, i);
        for (let later = index + 1; later < count; later++) {
          store<u32>(segmentEntry(later) + SEG_LEN, 0);
        }
        return rc;
      }
    }
  }
  return 0;
}

/** Unpins every translated data CCW and forgets the program. */
function releaseProgram(): void {
  const count = load<u32>(REQ_SEGMENT_COUNT);
  for (let index: u32 = 0; index < count; index++) {
    const entry = segmentEntry(index);
    const meta = <usize> load<u32>(entry + SEG_META);
    const length = load<u32>(entry + SEG_LEN);
    for (let i: u32 = 0; i < length; i++) {
      const entryMeta = meta + i * META_ENTRY_SIZE;
      if (load<u8>(entryMeta + META_KIND) == <u8> KIND_DATA) unpinData(entryMeta);
    }
  }
  store<u32>(REQ_SEGMENT_COUNT, 0);
  store<u32>(REQ_IDAL_USED, 0);
  store<u32>(REQ_INITIALIZED, 0);
}

/**
 * cp_init + cp_prefetch + cp_get_orb for the ORB copy and lpm in the request block.
 *
 * @returns 0 (program initialized, host ORB written), -EBUSY when a program is already
 * initialized (it stays), or the first translation error (nothing stays built or pinned).
 */
export function translate(): i32 {
  if (load<u32>(REQ_INITIALIZED) != 0) return EBUSY;
  store<u32>(REQ_IDAL_USED, 0);
  const flags = load<u8>(REQ_ORB + ORB_FLAGS);
  const format2 = (flags & FLAG_C64) != 0;
  // 2 KiB blocks for Format-1 IDAWs and for Format-2 with i2k; 4 KiB otherwise.
  const blockShift: u64 = !format2 || (flags & FLAG_I2K) != 0 ? 11 : 12;
  const cpa = bswap<u32>(load<u32>(REQ_ORB + ORB_CPA));
  let rc = buildProgram(cpa, (flags & FLAG_FORMAT1) != 0);
  if (rc < 0) {
    store<u32>(REQ_SEGMENT_COUNT, 0);
    return rc;
  }
  rc = prefetch(format2, blockShift);
  if (rc < 0) {
    releaseProgram();
    return rc;
  }
  buildHostOrb();
  store<u32>(REQ_INITIALIZED, 1);
  return 0;
}

/** cp_free: releases the program if one is initialized. */
export function freeProgram(): void {
  if (load<u32>(REQ_INITIALIZED) != 0) releaseProgram();
}

/**
 * cp_iova_pinned over guest pages [firstPage, lastPage]: whether an initialized program holds a
 * pin on any of them. Only transferring CCWs pin, so a nonzero count is exactly such a pin; pages
 * beyond RAM are never pinned.
 */
export function iovaPinned(firstPage: u32, lastPage: u32): bool {
  if (load<u32>(REQ_INITIALIZED) == 0) return false;
  const pages = load<u32>(REQ_RAM_SIZE) / PAGE_SIZE;
  if (pages == 0) return false;
  const last = lastPage < pages ? lastPage : pages - 1;
  const counts = <usize> load<u32>(REQ_PIN_COUNTS);
  for (let page = firstPage; page <= last; page++) {
    if (load<u32>(counts + (<usize> page << 2)) != 0) return true;
  }
  return false;
}
