// Guest-memory access checks: what VFIO's dma_rw and pin allow (vfio-ccw.md §2.0).

import { MAPPING_ENTRY_SIZE, MAPPINGS_BASE, PAGE_SIZE, REQ_MAPPING_COUNT } from "./layout";

/** errno of an access outside the DMA-mapped guest memory (E_GUEST, type1 backend: -EINVAL). */
export const E_GUEST: i32 = -22;

/**
 * Whether every byte of [addr, addr + len) is DMA-mapped, i.e. dma_rw(addr, len) succeeds. The
 * glue keeps the mappings sorted, merged (adjacent ones too, as type1 copies across mappings
 * chunk by chunk) and clipped to RAM, so a covered range lies inside one entry and never reaches
 * past the end of RAM. 64-bit arithmetic: addr may be any IDAW value.
 */
export function isMapped(addr: u64, len: u64): bool {
  // Binary search for the last mapping that starts at or below addr.
  let low: u32 = 0;
  let high = load<u32>(REQ_MAPPING_COUNT);
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (<u64> load<u32>(MAPPINGS_BASE + middle * MAPPING_ENTRY_SIZE) <= addr) low = middle + 1;
    else high = middle;
  }
  if (low == 0) return false;
  const end = <u64> load<u32>(MAPPINGS_BASE + (low - 1) * MAPPING_ENTRY_SIZE + 4);
  return addr < end && len <= end - addr;
}

/** Whether the 4 KiB page containing `addr` can be pinned: the whole page is mapped. */
export function isPinnable(addr: u64): bool {
  return isMapped(addr & ~(<u64> (PAGE_SIZE - 1)), PAGE_SIZE);
}
