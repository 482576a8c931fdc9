// cp_update_scsw (vfio-ccw.md §2.12): maps the host CPA of an interrupt's SCSW back to the guest.

import {
  CCW_SIZE,
  REQ_INITIALIZED,
  REQ_SCSW,
  REQ_SEGMENT_COUNT,
  SEG_HOST,
  SEG_IOVA,
  SEG_LEN,
} from "./layout";
import { segmentEntry } from "./chain";

const SCSW_CPA: u32 = 4;

/**
 * Rewrites bytes 4–7 of the SCSW in the request block: the first segment in list order whose host
 * array holds the CPA, one CCW past the end included (where the CPA points after completion), maps
 * it to its guest iova plus the same offset (u32). Any other CPA, or no program, is left as is.
 */
export function updateScsw(): void {
  if (load<u32>(REQ_INITIALIZED) == 0) return;
  const cpa = bswap<u32>(load<u32>(REQ_SCSW + SCSW_CPA));
  const count = load<u32>(REQ_SEGMENT_COUNT);
  for (let index: u32 = 0; index < count; index++) {
    const entry = segmentEntry(index);
    const head = load<u32>(entry + SEG_HOST);
    if (head <= cpa && cpa <= head + load<u32>(entry + SEG_LEN) * CCW_SIZE) {
      const guest = load<u32>(entry + SEG_IOVA) + (cpa - head);
      store<u32>(REQ_SCSW + SCSW_CPA, bswap<u32>(guest));
      return;
    }
  }
}
