/**
 * The contract between vfio-ccw's channel-program translation and its two
 * implementations: the WebAssembly core (lib/wasm/ccw.ts over asm/ccw) and
 * the plain TypeScript reference (lib/wasm/ccw_reference.ts), written
 * independently from ../shared/spec/vfio-ccw.md (current upstream = BASE
 * plus FIX72, E_GUEST = -EINVAL).
 *
 * An engine is the `struct channel_program` of one vfio-ccw device plus the
 * memory it lives in. It owns a *host address space* (`host`): the bytes the
 * channel subsystem executes from. Guest RAM sits inside it at `guestBase`,
 * so a pinned guest page p has host address H(p) = guestBase + p·4096 and
 * data moves through the host IDAWs straight into guest RAM, as on s390.
 * Host CCW arrays and host IDALs live in the same space, big-endian, below
 * 2^31 (31-bit CCW addresses).
 *
 * @module
 */

/** A DMA-mapped range of guest memory (VFIO_IOMMU_MAP_DMA), byte granular, read-write. */
export interface DmaRange {
  readonly iova: number;
  readonly size: number;
}

/** One IDAL entry of a translated data CCW, as the report shows it (cli.md §6). */
export interface IdawReport {
  /** The guest address when the CCW pinned, otherwise the raw 64-bit word the host IDAL keeps. */
  readonly value: bigint;
  readonly pinned: boolean;
}

/** One translated CCW, as the report shows it. */
export interface CcwReport {
  readonly cmd: number;
  /** Host flags (IDA set on every data CCW; a TIC keeps its own). */
  readonly flags: number;
  readonly count: number;
  /** For a TIC: the target segment (list order) and byte offset into it; null for data CCWs. */
  readonly tic: { readonly segment: number; readonly offset: number } | null;
  /** IDAL entries of a data CCW; empty for a TIC. */
  readonly idaws: readonly IdawReport[];
}

/** One segment ("ccwchain") in list (DFS discovery) order. */
export interface SegmentReport {
  readonly iova: number;
  readonly ccws: readonly CcwReport[];
}

/** The translation report of cli.md §6 (host addresses never appear). */
export interface TranslationReport {
  /** 0 or a negative errno. */
  readonly rc: number;
  /** Host ORB bytes 4..7 after cp_get_orb; null when translation failed. */
  readonly hostOrb: {
    readonly byte4: number;
    readonly byte5: number;
    readonly lpm: number;
    readonly byte7: number;
  } | null;
  /** Empty on failure. */
  readonly segments: readonly SegmentReport[];
}

/** The stateful channel program of one device (cp_init … cp_free) over one host address space. */
export interface CcwEngine {
  readonly kind: "wasm" | "ts";
  /** The whole host address space; guest RAM is `host.subarray(guestBase, guestBase + ramSize)`. */
  readonly host: Uint8Array;
  readonly guestBase: number;
  readonly ramSize: number;
  /** True between a successful translate() and free() (the kernel's `cp->initialized`). */
  readonly initialized: boolean;
  /** Replaces the DMA mappings that dma_rw/pin check (default: all of RAM). */
  setMappings(ranges: readonly DmaRange[]): void;
  /**
   * cp_init + cp_prefetch + cp_get_orb in one call. `orb` is the 32-byte ORB
   * copy (orb area + what follows it in the I/O region), `lpm` the
   * subchannel's current lpm. On success the program stays initialized and
   * the host ORB is available; on failure everything is freed (rc < 0).
   */
  translate(orb: Uint8Array, lpm: number): TranslationReport;
  /** The 12 host ORB bytes to give SSCH (intparm as passed, cpa = host address of C0[0]). */
  hostOrb(intparm: number): Uint8Array;
  /** cp_update_scsw: maps a host CPA in a 12-byte SCSW (in place) back to a guest address. */
  updateScsw(scsw: Uint8Array): void;
  /** cp_iova_pinned: does any page pinned by a transferring CCW intersect [iova, iova + length)? */
  iovaPinned(iova: number, length: number): boolean;
  /** cp_free: unpin and free (only if initialized). */
  free(): void;
  /** Pin counts per guest page currently pinned (page number → count), for tests and reports. */
  pinnedPages(): Map<number, number>;
}

/** Creates an engine with `ramSize` bytes of zeroed guest RAM, all DMA-mapped. */
export type CcwEngineFactory = (ramSize: number) => Promise<CcwEngine> | CcwEngine;
