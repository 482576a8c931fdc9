// The ccw core's memory map (vfio-ccw.md §6.2): the one place that places anything in linear
// memory. Every region is a *_BASE/*_SIZE pair computed from the previous one.
//
// The host owns the memory (stub runtime, the core never allocates). Linear-memory addresses ARE
// the simulated host addresses: the channel subsystem executes the host program straight out of
// this memory, so everything it follows (CPA, TIC cdas, IDAL entries) is a real address in it.
//
//   0x0000_0000 ┌────────────────────────────────────────┐
//               │ module static data (must end below)    │
//   0x0001_0000 ├────────────────────────────────────────┤ WORKSPACE_BASE = REQUEST_BASE
//               │ request block (fields REQ_*)           │ glue ⇄ core
//        +0x100 ├────────────────────────────────────────┤ DECODE_BASE
//               │ decode buffer: 256 × u64, native order │ one 2 KiB pre-read, Format-1 words
//        +0x900 ├────────────────────────────────────────┤ SEGMENTS_BASE
//               │ segment table: MAX_SEGMENTS × 16 bytes │ list (DFS discovery) order
//        +0xA00 ├────────────────────────────────────────┤ DFS_STACK_BASE
//               │ DFS stack: MAX_SEGMENTS × 8 bytes      │ {segment u32, next CCW index u32}
//        +0xA80 ├────────────────────────────────────────┤ IOVAS_BASE
//               │ guest IDAW addresses of the CCW being  │ 33 × u64, native order
//               │ translated                             │
//       +0x1000 ├────────────────────────────────────────┤ MAPPINGS_BASE
//               │ DMA mappings: MAX_MAPPINGS × {start    │ sorted, merged, clipped to RAM
//               │ u32, end u32} (end exclusive)          │
//       +0x2000 ├────────────────────────────────────────┤ HOST_CCWS_BASE
//               │ host CCW arrays: slot k at             │ big-endian Format-1 CCWs; slots are
//               │ HOST_CCWS_BASE + k × HOST_CCWS_STRIDE  │ 256 × 8 + 8 bytes apart, so the CPA one
//               │                                        │ past the end of a full array never
//               │                                        │ equals the start of the next (§2.17 Q2)
//               ├────────────────────────────────────────┤ META_BASE
//               │ per-CCW meta: MAX_CCWS × 16 bytes      │ segment k's CCW i at
//               │                                        │ META_BASE + (k × 256 + i) × 16
//               ├────────────────────────────────────────┤ IDALS_BASE
//               │ host IDALs: bump-allocated n × 8 bytes │ big-endian Format-2 IDAWs
//               ├────────────────────────────────────────┤ VALUES_BASE
//               │ report values: u64 per IDAW, native    │ mirrors IDALS (same offsets): the
//               │                                        │ guest address if pinned, else the raw
//               │                                        │ host IDAW
//               ├────────────────────────────────────────┤ WORKSPACE_END
//   GUEST_BASE  ├────────────────────────────────────────┤ 64 KiB-aligned
//               │ guest RAM, verbatim big-endian bytes   │ ram_size bytes; H(p) = GUEST_BASE + p·4096
//               ├────────────────────────────────────────┤ REQ_PIN_COUNTS (8-aligned)
//               │ pin counts: u32 per guest 4 KiB page   │
//               └────────────────────────────────────────┘
//
// Segment table entry (SEGMENT_ENTRY_SIZE bytes, native order):
//   +0 guest iova u32 (SEG_IOVA) · +4 len u32 (SEG_LEN) · +8 host array address u32 (SEG_HOST)
//   +12 meta address u32 (SEG_META)
//
// Per-CCW meta (META_ENTRY_SIZE bytes, native order):
//   +0 kind u8 (META_KIND: KIND_DATA or KIND_TIC) · +1 pinned u8 (META_PINNED)
//   +2 IDAW count n u8 (META_IDAWS) · +3 TIC target segment u8 (META_TIC_SEGMENT)
//   +4 host IDAL address u32 (META_IDAL) · +8 report values address u32 (META_VALUES)
//   +12 TIC byte offset into the target segment u32 (META_TIC_OFFSET)
//
// Pin counts are u32, not u16 as §6.2 suggests: one program may pin one page 16 × 256 × 33 =
// 135 168 times (a guest IDAL may repeat an address), which would overflow a u16.

/** Largest number of segments (CCWCHAIN_COUNT_MAX, FIX72). */
export const MAX_SEGMENTS: u32 = 16;
/** CCWs per segment and per 2 KiB pre-read (CCWCHAIN_LEN_MAX). */
export const MAX_SEGMENT_CCWS: u32 = 256;
/** Bytes of one CCW. */
export const CCW_SIZE: u32 = 8;
/** Largest number of IDAWs of one CCW (2 KiB blocks, count 65535, worst offset). */
export const MAX_IDAWS: u32 = 33;
/** Largest number of separate (merged) DMA mapping ranges. */
export const MAX_MAPPINGS: u32 = 512;
/** Bytes of a guest page (pin granularity). */
export const PAGE_SIZE: u32 = 4096;

/** Lowest workspace address; the module's static data must end below it. */
export const WORKSPACE_BASE: u32 = 0x10000;

/** Request block: glue ⇄ core. */
export const REQUEST_BASE: u32 = WORKSPACE_BASE;
export const REQUEST_SIZE: u32 = 0x100;
/** The 32-byte ORB copy (input). */
export const REQ_ORB: u32 = REQUEST_BASE + 0;
/** The 32-byte host ORB (output of a successful translate; intparm left as the guest's). */
export const REQ_HOST_ORB: u32 = REQUEST_BASE + 32;
/** A 12-byte SCSW whose CPA updateScsw maps in place. */
export const REQ_SCSW: u32 = REQUEST_BASE + 64;
/** u32: the subchannel's lpm (input). */
export const REQ_LPM: u32 = REQUEST_BASE + 80;
/** u32: guest RAM size in bytes (set once by the glue). */
export const REQ_RAM_SIZE: u32 = REQUEST_BASE + 84;
/** u32: address of the pin-count array (set once by the glue). */
export const REQ_PIN_COUNTS: u32 = REQUEST_BASE + 88;
/** u32: number of entries in the mapping table (set by the glue). */
export const REQ_MAPPING_COUNT: u32 = REQUEST_BASE + 92;
/** u32: number of segments of the current program (output). */
export const REQ_SEGMENT_COUNT: u32 = REQUEST_BASE + 96;
/** u32: 1 while a program is initialized (cp->initialized). */
export const REQ_INITIALIZED: u32 = REQUEST_BASE + 100;
/** u32: bytes of the IDAL arena in use (bump pointer). */
export const REQ_IDAL_USED: u32 = REQUEST_BASE + 104;

/** Decode buffer of one 2 KiB pre-read: native-order Format-1 words (Format-0 converted). */
export const DECODE_BASE: u32 = REQUEST_BASE + REQUEST_SIZE;
export const DECODE_SIZE: u32 = MAX_SEGMENT_CCWS * CCW_SIZE;

/** Segment table. */
export const SEGMENTS_BASE: u32 = DECODE_BASE + DECODE_SIZE;
export const SEGMENT_ENTRY_SIZE: u32 = 16;
export const SEG_IOVA: u32 = 0;
export const SEG_LEN: u32 = 4;
export const SEG_HOST: u32 = 8;
export const SEG_META: u32 = 12;
export const SEGMENTS_SIZE: u32 = MAX_SEGMENTS * SEGMENT_ENTRY_SIZE;

/** Explicit DFS stack of build_segment (§6.4). */
export const DFS_STACK_BASE: u32 = SEGMENTS_BASE + SEGMENTS_SIZE;
export const DFS_FRAME_SIZE: u32 = 8;
export const DFS_STACK_SIZE: u32 = MAX_SEGMENTS * DFS_FRAME_SIZE;

/** Guest IDAW addresses of the data CCW being translated. */
export const IOVAS_BASE: u32 = DFS_STACK_BASE + DFS_STACK_SIZE;
export const IOVAS_SIZE: u32 = MAX_IDAWS * 8;

/** DMA mapping table. */
export const MAPPINGS_BASE: u32 = WORKSPACE_BASE + 0x1000;
export const MAPPING_ENTRY_SIZE: u32 = 8;
export const MAPPINGS_SIZE: u32 = MAX_MAPPINGS * MAPPING_ENTRY_SIZE;

/** Host CCW arrays, one slot per segment. */
export const HOST_CCWS_BASE: u32 = MAPPINGS_BASE + MAPPINGS_SIZE;
export const HOST_CCWS_GAP: u32 = 8;
export const HOST_CCWS_STRIDE: u32 = MAX_SEGMENT_CCWS * CCW_SIZE + HOST_CCWS_GAP;
export const HOST_CCWS_SIZE: u32 = MAX_SEGMENTS * HOST_CCWS_STRIDE;

/** Per-CCW meta. */
export const META_BASE: u32 = HOST_CCWS_BASE + HOST_CCWS_SIZE;
export const META_ENTRY_SIZE: u32 = 16;
export const META_KIND: u32 = 0;
export const META_PINNED: u32 = 1;
export const META_IDAWS: u32 = 2;
export const META_TIC_SEGMENT: u32 = 3;
export const META_IDAL: u32 = 4;
export const META_VALUES: u32 = 8;
export const META_TIC_OFFSET: u32 = 12;
export const KIND_DATA: u32 = 0;
export const KIND_TIC: u32 = 1;
export const META_SIZE: u32 = MAX_SEGMENTS * MAX_SEGMENT_CCWS * META_ENTRY_SIZE;

/** Host IDALs (bump allocator; enough for every CCW at the largest IDAL). */
export const IDALS_BASE: u32 = META_BASE + META_SIZE;
export const IDALS_SIZE: u32 = MAX_SEGMENTS * MAX_SEGMENT_CCWS * MAX_IDAWS * 8;

/** Report values, at the same offsets as the IDALs they describe. */
export const VALUES_BASE: u32 = IDALS_BASE + IDALS_SIZE;
export const VALUES_SIZE: u32 = IDALS_SIZE;

/** End of the workspace. */
export const WORKSPACE_END: u32 = VALUES_BASE + VALUES_SIZE;

/** Guest RAM: 64 KiB-aligned above the workspace. */
export const GUEST_BASE: u32 = (WORKSPACE_END + 0xffff) & ~(<u32> 0xffff);
