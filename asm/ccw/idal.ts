// Data-CCW translation (vfio-ccw.md §2.8, §2.9; BASE plus FIX72): first IDAW, IDAW count, guest or
// fabricated IDAL, the transfer predicate, pinning, the host Format-2 IDAL and the host CCW.

import { E_GUEST, isMapped, isPinnable } from "./dma";
import {
  GUEST_BASE,
  IDALS_BASE,
  IOVAS_BASE,
  KIND_DATA,
  META_IDAL,
  META_IDAWS,
  META_KIND,
  META_PINNED,
  META_VALUES,
  REQ_IDAL_USED,
  REQ_PIN_COUNTS,
  VALUES_BASE,
} from "./layout";

const EINVAL: i32 = -22;
const CMD_NOP: u32 = 0x03;
const FLAG_SKIP: u32 = 0x10;
const FLAG_IDA: u32 = 0x04;
const PAGE_SHIFT: u64 = 12;

/**
 * ccw_does_data_transfer (§2.9): count 0 and NOP never transfer; SKP suppresses the transfer of
 * reads, read-backwards and senses only (for any other command the kernel ignores it).
 */
function transfers(cmd: u32, flags: u32, count: u32): bool {
  if (count == 0 || cmd == CMD_NOP) return false;
  if ((flags & FLAG_SKIP) == 0) return true;
  const skipped = (cmd & 0x03) == 0x02 || (cmd & 0x0f) == 0x0c || (cmd & 0x0f) == 0x04;
  return !skipped;
}

/** Address of the pin count of guest page `page`. */
function pinCount(page: u64): usize {
  return <usize> load<u32>(REQ_PIN_COUNTS) + (<usize> page << 2);
}

/**
 * Fills the IOVA scratch with the `n` guest IDAW addresses: the guest IDAL at `cda` (IDA flag,
 * read at its real size n·W as FIX72 does, first word checked against `first`) or the fabricated
 * one (first = cda, then each next block boundary, u64 for Format-2 and u32 with wrap-around for
 * Format-1).
 */
function readIdaws(cda: u32, ida: bool, first: u64, n: u32, format2: bool, blockShift: u64): i32 {
  if (ida) {
    const source = <usize> GUEST_BASE + <usize> cda;
    if (format2) {
      if (!isMapped(cda, <u64> n << 3)) return E_GUEST;
      for (let k: u32 = 0; k < n; k++) {
        store<u64>(IOVAS_BASE + (k << 3), bswap<u64>(load<u64>(source + (k << 3))));
      }
    } else {
      if (!isMapped(cda, <u64> n << 2)) return E_GUEST;
      for (let k: u32 = 0; k < n; k++) {
        store<u64>(IOVAS_BASE + (k << 3), <u64> bswap<u32>(load<u32>(source + (k << 2))));
      }
    }
    // FIX72: the IDAL must start with the IDAW read first (only differs if the guest raced).
    return load<u64>(IOVAS_BASE) == first ? 0 : EINVAL;
  }
  const block: u64 = <u64> 1 << blockShift;
  if (format2) {
    let iova: u64 = cda;
    for (let k: u32 = 0; k < n; k++) {
      store<u64>(IOVAS_BASE + (k << 3), iova);
      iova = (iova + block) & ~(block - 1);
    }
  } else {
    let iova: u32 = cda;
    for (let k: u32 = 0; k < n; k++) {
      store<u64>(IOVAS_BASE + (k << 3), <u64> iova);
      iova = (iova + <u32> block) & ~(<u32> block - 1);
    }
  }
  return 0;
}

/**
 * Translates the data CCW `ccw` (native Format-1 word) whose host copy is at `slot`: the host CCW
 * gets IDA and the address of a new Format-2 IDAL; when the CCW transfers, every IDAW's page is
 * pinned and the IDAL holds H(page) + offset, otherwise the raw guest words (a Format-1 IDAL's
 * packed 4-byte words read as 8-byte ones). `meta` records what the report and free need.
 *
 * @returns 0, or E_GUEST / -EINVAL; nothing stays pinned on failure.
 */
export function translateData(
  slot: usize,
  ccw: u64,
  meta: usize,
  format2: bool,
  blockShift: u64,
): i32 {
  const cmd = <u32> (ccw >> 56);
  const flags = <u32> (ccw >> 48) & 0xff;
  const count = <u32> (ccw >> 32) & 0xffff;
  const cda = <u32> ccw;
  const ida = (flags & FLAG_IDA) != 0;

  let first: u64 = cda;
  if (ida) {
    if (!isMapped(cda, format2 ? 8 : 4)) return E_GUEST;
    const word = <usize> GUEST_BASE + <usize> cda;
    first = format2 ? bswap<u64>(load<u64>(word)) : <u64> bswap<u32>(load<u32>(word));
  }
  const bytes: u64 = count == 0 ? 1 : count;
  const blockMask: u64 = (<u64> 1 << blockShift) - 1;
  const n = <u32> (((first & blockMask) + bytes + blockMask) >> blockShift);
  const read = readIdaws(cda, ida, first, n, format2, blockShift);
  if (read < 0) return read;

  const used = load<u32>(REQ_IDAL_USED);
  const idal = IDALS_BASE + used;
  const values = VALUES_BASE + used;
  const pinned = transfers(cmd, flags, count);
  if (pinned) {
    // Check every page first: a failed pin leaves nothing pinned, as the kernel's unwind does.
    for (let k: u32 = 0; k < n; k++) {
      if (!isPinnable(load<u64>(IOVAS_BASE + (k << 3)))) return E_GUEST;
    }
    for (let k: u32 = 0; k < n; k++) {
      const iova = load<u64>(IOVAS_BASE + (k << 3));
      const counter = pinCount(iova >> PAGE_SHIFT);
      store<u32>(counter, load<u32>(counter) + 1);
      // H(page) + (iova & 0xFFF) with H(p) = GUEST_BASE + p·4096.
      store<u64>(idal + (k << 3), bswap<u64>(<u64> GUEST_BASE + iova));
      store<u64>(values + (k << 3), iova);
    }
  } else if (format2) {
    for (let k: u32 = 0; k < n; k++) {
      const iova = load<u64>(IOVAS_BASE + (k << 3));
      store<u64>(idal + (k << 3), bswap<u64>(iova));
      store<u64>(values + (k << 3), iova);
    }
  } else {
    // The n·8-byte buffer holds n packed big-endian u32 words, then zeros.
    for (let j: u32 = 0; j < n << 1; j++) {
      const word = j < n ? bswap<u32>(<u32> load<u64>(IOVAS_BASE + (j << 3))) : 0;
      store<u32>(idal + (j << 2), word);
    }
    for (let k: u32 = 0; k < n; k++) {
      store<u64>(values + (k << 3), bswap<u64>(load<u64>(idal + (k << 3))));
    }
  }
  store<u32>(REQ_IDAL_USED, used + (n << 3));

  store<u8>(meta + META_KIND, <u8> KIND_DATA);
  store<u8>(meta + META_PINNED, pinned ? 1 : 0);
  store<u8>(meta + META_IDAWS, <u8> n);
  store<u32>(meta + META_IDAL, idal);
  store<u32>(meta + META_VALUES, values);
  const hostCcw = (ccw & <u64> 0xff00ffff00000000) | (<u64> (flags | FLAG_IDA) << 48) | <u64> idal;
  store<u64>(slot, bswap<u64>(hostCcw));
  return 0;
}

/** Drops the pins a translated data CCW took (nothing when it did not transfer). */
export function unpinData(meta: usize): void {
  if (load<u8>(meta + META_PINNED) == 0) return;
  const n = <u32> load<u8>(meta + META_IDAWS);
  const values = <usize> load<u32>(meta + META_VALUES);
  for (let k: u32 = 0; k < n; k++) {
    const counter = pinCount(load<u64>(values + (k << 3)) >> PAGE_SHIFT);
    store<u32>(counter, load<u32>(counter) - 1);
  }
}
