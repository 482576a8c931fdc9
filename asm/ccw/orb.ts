// The host ORB (vfio-ccw.md §2.10, cp_get_orb): the guest's 32-byte ORB copy with only the
// format, the IDAW format, the lpm and the CPA changed. The intparm stays the guest's here; the
// glue stores the subchannel's when it hands the ORB to SSCH.

import { REQ_HOST_ORB, REQ_LPM, REQ_ORB, SEG_HOST, SEGMENTS_BASE } from "./layout";

const ORB_SIZE: u32 = 32;
const ORB_FLAGS: u32 = 5;
const ORB_LPM: u32 = 6;
const ORB_CPA: u32 = 8;
const FLAG_FORMAT1: u8 = 0x80;
const FLAG_C64: u8 = 0x02;
const FLAG_I2K: u8 = 0x01;

/** Writes the host ORB for the program in the segment table (segment 0 is the CPA's). */
export function buildHostOrb(): void {
  memory.copy(REQ_HOST_ORB, REQ_ORB, ORB_SIZE);
  let flags = load<u8>(REQ_ORB + ORB_FLAGS) | FLAG_FORMAT1;
  // Format-1 IDAWs address 2 KiB blocks: the host's Format-2 IDAWs keep that block size.
  if ((flags & FLAG_C64) == 0) flags |= FLAG_I2K;
  store<u8>(REQ_HOST_ORB + ORB_FLAGS, flags | FLAG_C64);
  if (load<u8>(REQ_ORB + ORB_LPM) == 0) store<u8>(REQ_HOST_ORB + ORB_LPM, <u8> load<u32>(REQ_LPM));
  store<u32>(REQ_HOST_ORB + ORB_CPA, bswap<u32>(load<u32>(SEGMENTS_BASE + SEG_HOST)));
}
