/**
 * vfio-ccw's channel-program translation (vfio-ccw.md §2) as plain TypeScript: the reference the
 * WebAssembly core is compared against. It models current upstream, i.e. BASE plus FIX72 (at most
 * 16 segments, Format-1 IDALs read at their real size, the first-IDAW re-read check), with the
 * type1 container's errno for guest accesses outside the DMA mappings (E_GUEST = -EINVAL).
 *
 * Host address space of this engine (fixed here and nowhere else):
 *
 * ```text
 * 0x0000_0000 .. 0x0000_0fff  unused, so no host structure has address 0
 * 0x0000_1000 .. 0x001f_ffff  arena, bump-allocated and 8-byte aligned, zeroed and reset by free():
 *                               host CCW arrays in segment list order (cp_init), each followed by
 *                               an 8-byte gap so a one-past-the-end CPA never equals the start of
 *                               another array (vfio-ccw.md §2.17 Q2), then the host IDALs in
 *                               translation order (cp_prefetch)
 * 0x0020_0000 .. + ramSize    guest RAM: H(page) = 0x0020_0000 + page·4096
 * ```
 *
 * The arena holds the worst case, 16 arrays of 256 CCWs (16 × 2056 bytes) plus 4096 IDALs of
 * 33 IDAWs (4096 × 264 bytes), i.e. 1,114,240 bytes; every host address stays below 2^31.
 *
 * @example Translate one read CCW
 * ```ts
 * import { createCcwReference } from "./ccw_reference.ts";
 *
 * const engine = createCcwReference(1 << 20);
 * const ram = engine.host.subarray(engine.guestBase);
 * ram.set([0x02, 0x20, 0x00, 0x50, 0x00, 0x01, 0x00, 0x00], 0x1000);
 * const orb = new Uint8Array(32);
 * orb.set([0x11, 0x22, 0x33, 0x44, 0x00, 0xc2, 0xff, 0x00, 0x00, 0x00, 0x10, 0x00]);
 * const report = engine.translate(orb, 0x80);
 * report.rc; // 0
 * report.segments[0].ccws[0].idaws[0]; // { value: 0x10000n, pinned: true }
 * engine.free();
 * ```
 *
 * @module
 */

import type {
  CcwEngine,
  CcwReport,
  DmaRange,
  IdawReport,
  SegmentReport,
  TranslationReport,
} from "../ccw/engine.ts";
import { KernelError, neg } from "../errno.ts";

/** Host address of the first arena byte. */
export const HOST_ARENA_BASE = 0x1000;
/** Host address of guest byte 0, so H(page) = GUEST_BASE + page·4096. */
export const GUEST_BASE = 0x20_0000;
/** The largest guest RAM: keeps every host address below 2^31. */
export const MAX_RAM_SIZE = 0x8000_0000 - GUEST_BASE;

const PAGE_SIZE = 4096;
const CCW_SIZE = 8;
/** CCWCHAIN_LEN_MAX: CCWs per segment and size of the pre-read window (§3). */
const CHAIN_LEN_MAX = 256;
const WINDOW_SIZE = CHAIN_LEN_MAX * CCW_SIZE;
/** CCWCHAIN_COUNT_MAX (FIX72): segments per channel program. */
const CHAIN_COUNT_MAX = 16;
const SEGMENT_GAP = 8;
const ORB_SIZE = 32;
const HOST_ORB_SIZE = 12;
const SCSW_SIZE = 12;

const CMD_TIC = 0x08;
const CMD_NOP = 0x03;
const FLAG_CHAIN_DATA = 0x80;
const FLAG_CHAIN_COMMAND = 0x40;
const FLAG_SKIP = 0x10;
const FLAG_IDA = 0x04;
/** ORB byte 5: F (Format-1 CCWs), H (c64, Format-2 IDAWs), T (i2k, 2 KiB IDAWs). */
const ORB_FMT = 0x80;
const ORB_C64 = 0x02;
const ORB_I2K = 0x01;

const U64_MASK = (1n << 64n) - 1n;
const PAGE_SHIFT = 12n;

const EINVAL = neg("EINVAL");
const EFAULT = neg("EFAULT");
const EBUSY = neg("EBUSY");
/** The type1 container's errno for a guest address outside the DMA mappings (§2.0). */
const E_GUEST = EINVAL;

/** A CCW in Format-1 form (after the Format-0 conversion of §1.2). */
interface Ccw {
  readonly cmd: number;
  readonly flags: number;
  readonly count: number;
  readonly cda: number;
}

/** One `ccwchain`: the guest CCWs, their host array and what translation made of them. */
interface Segment {
  readonly iova: number;
  readonly ccws: readonly Ccw[];
  readonly hostBase: number;
  readonly reports: CcwReport[];
}

/** A half-open range [start, end) of DMA-mapped guest addresses. */
interface MappedRange {
  readonly start: number;
  readonly end: number;
}

/** The plain TypeScript channel-program engine; see the module comment for its address space. */
export class CcwReference implements CcwEngine {
  /** Always `"ts"`. */
  readonly kind = "ts";
  /** The host address space: arena below {@linkcode GUEST_BASE}, guest RAM from it. */
  readonly host: Uint8Array;
  /** Always {@linkcode GUEST_BASE}. */
  readonly guestBase = GUEST_BASE;
  /** Bytes of guest RAM. */
  readonly ramSize: number;

  #view: DataView;
  #mappings: MappedRange[];
  #initialized = false;
  /** cp->orb: the 32-byte ORB copy, turned into the host ORB by cpGetOrb. */
  #orb = new Uint8Array(ORB_SIZE);
  #segments: Segment[] = [];
  /** pa_iova of every CCW that pinned, for cp_iova_pinned and for unpinning. */
  #pinnedIovas: bigint[][] = [];
  #pinCounts = new Map<number, number>();
  #arenaTop = HOST_ARENA_BASE;

  /**
   * Creates an engine with `ramSize` bytes of zeroed guest RAM, all of it DMA-mapped.
   *
   * @throws {RangeError} When `ramSize` is not a positive multiple of 4096 up to {@linkcode MAX_RAM_SIZE}.
   */
  constructor(ramSize: number) {
    if (
      !Number.isSafeInteger(ramSize) || ramSize <= 0 || ramSize % PAGE_SIZE !== 0 ||
      ramSize > MAX_RAM_SIZE
    ) {
      throw new RangeError(
        `Cannot create channel-program engine: RAM size "${ramSize}" is not a positive multiple of 4096 up to ${MAX_RAM_SIZE}`,
      );
    }
    this.ramSize = ramSize;
    this.host = new Uint8Array(GUEST_BASE + ramSize);
    this.#view = new DataView(this.host.buffer);
    this.#mappings = [{ start: 0, end: ramSize }];
  }

  /** True between a successful translate() and free() (`cp->initialized`). */
  get initialized(): boolean {
    return this.#initialized;
  }

  /**
   * Replaces the DMA mappings. Overlapping and adjacent ranges merge, as `vfio_dma_rw` reads across
   * adjacent mappings.
   *
   * @throws {RangeError} When a range is not inside guest RAM.
   */
  setMappings(ranges: readonly DmaRange[]): void {
    for (const { iova, size } of ranges) {
      if (
        !Number.isSafeInteger(iova) || !Number.isSafeInteger(size) || iova < 0 || size < 0 ||
        iova + size > this.ramSize
      ) {
        throw new RangeError(
          `Cannot map DMA range: "${iova}+${size}" is not inside guest RAM of ${this.ramSize} bytes`,
        );
      }
    }
    const sorted = ranges.filter((range) => range.size > 0).map((range) => ({
      start: range.iova,
      end: range.iova + range.size,
    })).sort((a, b) => a.start - b.start);
    const merged: MappedRange[] = [];
    for (const range of sorted) {
      const last = merged.at(-1);
      if (last !== undefined && range.start <= last.end) {
        merged[merged.length - 1] = { start: last.start, end: Math.max(last.end, range.end) };
      } else {
        merged.push(range);
      }
    }
    this.#mappings = merged;
  }

  /**
   * cp_init + cp_prefetch + cp_get_orb (§2.2–§2.10). A second call without free() fails with
   * -EBUSY and leaves the first program as it is, as cp_init does.
   *
   * @throws {RangeError} When `orb` is not 32 bytes or `lpm` not a byte.
   */
  translate(orb: Uint8Array, lpm: number): TranslationReport {
    checkLength(orb, ORB_SIZE, "ORB");
    if (!Number.isInteger(lpm) || lpm < 0 || lpm > 0xff) {
      throw new RangeError(`Cannot translate channel program: lpm "${lpm}" is not a byte`);
    }
    let rc = this.#cpInit(orb);
    if (rc === 0) {
      rc = this.#cpPrefetch();
      // The FSM frees the program when prefetch fails (§2.1 step 2c).
      if (rc !== 0) this.#cpFree();
    }
    if (rc !== 0) return { rc, hostOrb: null, segments: [] };
    this.#cpGetOrb(lpm);
    const segments: SegmentReport[] = this.#segments.map((segment) => ({
      iova: segment.iova,
      ccws: [...segment.reports],
    }));
    const [byte4, byte5, hostLpm, byte7] = this.#orb.subarray(4, 8);
    return { rc, hostOrb: { byte4, byte5, lpm: hostLpm, byte7 }, segments };
  }

  /**
   * The 12 host ORB bytes for SSCH, with `intparm` in bytes 0–3.
   *
   * @throws {KernelError} EIO when no program is initialized (io_helper's cp_get_orb failure, §2.15).
   */
  hostOrb(intparm: number): Uint8Array {
    if (!this.#initialized) {
      throw new KernelError("EIO", { detail: "Cannot build host ORB: no channel program" });
    }
    const bytes = this.#orb.slice(0, HOST_ORB_SIZE);
    new DataView(bytes.buffer).setUint32(0, intparm >>> 0);
    return bytes;
  }

  /**
   * cp_update_scsw (§2.12): maps the host CPA in bytes 4–7 of `scsw` back to a guest address.
   *
   * @throws {RangeError} When `scsw` is not 12 bytes.
   */
  updateScsw(scsw: Uint8Array): void {
    checkLength(scsw, SCSW_SIZE, "SCSW");
    this.#cpUpdateScsw(new DataView(scsw.buffer, scsw.byteOffset, SCSW_SIZE));
  }

  /**
   * cp_iova_pinned (§2.13) with the kernel's u64 page arithmetic.
   *
   * @throws {RangeError} When `iova` or `length` is not a non-negative integer.
   */
  iovaPinned(iova: number, length: number): boolean {
    if (!Number.isSafeInteger(iova) || !Number.isSafeInteger(length) || iova < 0 || length < 0) {
      throw new RangeError(`Cannot check pinned range: "${iova}+${length}" is not a range`);
    }
    return this.#cpIovaPinned(BigInt(iova), BigInt(length));
  }

  /** cp_free: unpins and frees everything (only if initialized). */
  free(): void {
    this.#cpFree();
  }

  /** Pin counts per pinned guest page (page number → count). */
  pinnedPages(): Map<number, number> {
    return new Map(this.#pinCounts);
  }

  // ---- the kernel functions ------------------------------------------------------------------

  /** cp_init (§2.2), FIX72: frees every segment built when it fails. */
  #cpInit(orb: Uint8Array): number {
    if (this.#initialized) return EBUSY;
    this.#orb.set(orb);
    this.#segments = [];
    const rc = this.#buildSegment(new DataView(this.#orb.buffer).getUint32(8));
    if (rc !== 0) {
      this.#release();
      return rc;
    }
    this.#initialized = true;
    return 0;
  }

  /** build_segment / ccwchain_handle_ccw (§2.3): depth-first, appends before following TICs. */
  #buildSegment(iova: number): number {
    const window = this.#dmaRead(iova, WINDOW_SIZE);
    if (window === null) return E_GUEST;
    const ccws = decodeWindow(window, (this.#orb[5] & ORB_FMT) === 0);
    const length = segmentLength(ccws, iova);
    if (length < 0) return length;
    // FIX72: checked only after the window was read and measured.
    if (this.#segments.length >= CHAIN_COUNT_MAX) return EINVAL;
    const segment: Segment = {
      iova,
      ccws: ccws.slice(0, length),
      hostBase: this.#allocate(length * CCW_SIZE + SEGMENT_GAP),
      reports: [],
    };
    this.#segments.push(segment);
    for (const ccw of segment.ccws) {
      if (ccw.cmd !== CMD_TIC || this.#findSegment(ccw.cda) !== undefined) continue;
      const rc = this.#buildSegment(ccw.cda);
      if (rc !== 0) return rc;
    }
    return 0;
  }

  /** cp_prefetch (§2.6): translates every CCW of every segment in list order. */
  #cpPrefetch(): number {
    for (const segment of this.#segments) {
      for (const [index, ccw] of segment.ccws.entries()) {
        const hostAddress = segment.hostBase + index * CCW_SIZE;
        const rc = ccw.cmd === CMD_TIC
          ? this.#translateTic(segment, ccw, hostAddress)
          : this.#translateData(segment, ccw, hostAddress);
        if (rc !== 0) return rc;
      }
    }
    return 0;
  }

  /** TIC translation (§2.7): the first segment in list order that holds the target wins. */
  #translateTic(segment: Segment, ccw: Ccw, hostAddress: number): number {
    const target = this.#findSegment(ccw.cda);
    // Unreachable: build_segment made every TIC target exist.
    if (target === undefined) return EFAULT;
    const offset = (ccw.cda - target.iova) >>> 0;
    this.#writeCcw(hostAddress, ccw.cmd, ccw.flags, ccw.count, (target.hostBase + offset) >>> 0);
    segment.reports.push({
      cmd: ccw.cmd,
      flags: ccw.flags,
      count: ccw.count,
      tic: { segment: this.#segments.indexOf(target), offset },
      idaws: [],
    });
    return 0;
  }

  /** Data-CCW translation (§2.8) for every non-TIC CCW. */
  #translateData(segment: Segment, ccw: Ccw, hostAddress: number): number {
    const c64 = (this.#orb[5] & ORB_C64) !== 0;
    const twoK = !c64 || (this.#orb[5] & ORB_I2K) !== 0;
    const blockSize = twoK ? 2048n : 4096n;
    const idawSize = c64 ? 8 : 4;
    const bytes = BigInt(ccw.count === 0 ? 1 : ccw.count);
    const ida = (ccw.flags & FLAG_IDA) !== 0;

    let first = BigInt(ccw.cda);
    if (ida) {
      const word = this.#dmaRead(ccw.cda, idawSize);
      if (word === null) return E_GUEST;
      first = readIdaw(word, 0, c64);
    }
    // The IDAW count comes from the first address only.
    const count = Number(((first & (blockSize - 1n)) + bytes + blockSize - 1n) / blockSize);

    const idal = new Uint8Array(count * 8);
    if (ida) {
      // FIX72: the guest IDAL is read at its real size (count · 4 for Format-1).
      const guestIdal = this.#dmaRead(ccw.cda, count * idawSize);
      if (guestIdal === null) return E_GUEST;
      idal.set(guestIdal);
      // FIX72: only differs if the guest changed the first IDAW between the two reads.
      if (readIdaw(idal, 0, c64) !== first) return EINVAL;
    } else {
      fabricateIdal(idal, ccw.cda, count, blockSize, c64);
    }
    const iovas = Array.from({ length: count }, (_, k) => readIdaw(idal, k, c64));

    const pinned = transfers(ccw);
    if (pinned) {
      const rc = this.#pinAll(iovas);
      if (rc !== 0) return rc;
      this.#pinnedIovas.push(iovas);
    }

    const idalAddress = this.#allocate(count * 8);
    if (pinned) {
      iovas.forEach((iova, k) => this.#view.setBigUint64(idalAddress + 8 * k, this.#hostOf(iova)));
    } else {
      this.host.set(idal, idalAddress);
    }
    const flags = ccw.flags | FLAG_IDA;
    this.#writeCcw(hostAddress, ccw.cmd, flags, ccw.count, idalAddress);
    const idaws: IdawReport[] = pinned
      ? iovas.map((value) => ({ value, pinned: true }))
      : Array.from({ length: count }, (_, k) => ({
        value: new DataView(idal.buffer).getBigUint64(8 * k),
        pinned: false,
      }));
    segment.reports.push({ cmd: ccw.cmd, flags, count: ccw.count, tic: null, idaws });
    return 0;
  }

  /** cp_get_orb (§2.10) on the ORB copy; the intparm is filled in by hostOrb(). */
  #cpGetOrb(lpm: number): void {
    const orb = this.#orb;
    orb[5] |= ORB_FMT;
    if ((orb[5] & ORB_C64) === 0) orb[5] |= ORB_I2K;
    orb[5] |= ORB_C64;
    if (orb[6] === 0) orb[6] = lpm;
    new DataView(orb.buffer).setUint32(8, this.#segments[0].hostBase);
  }

  /** cp_update_scsw (§2.12): one CCW past a segment's end still belongs to it. */
  #cpUpdateScsw(scsw: DataView): void {
    if (!this.#initialized) return;
    const cpa = scsw.getUint32(4);
    const segment = this.#segments.find((s) => inRange(cpa, s.hostBase, s.ccws.length + 1));
    if (segment !== undefined) scsw.setUint32(4, (cpa - segment.hostBase + segment.iova) >>> 0);
  }

  /** cp_iova_pinned (§2.13): only CCWs that pinned count. */
  #cpIovaPinned(iova: bigint, length: bigint): boolean {
    if (!this.#initialized) return false;
    const firstPage = iova >> PAGE_SHIFT;
    const lastPage = ((iova + length - 1n) & U64_MASK) >> PAGE_SHIFT;
    return this.#pinnedIovas.some((iovas) =>
      iovas.some((pinned) => {
        const page = pinned >> PAGE_SHIFT;
        return page >= firstPage && page <= lastPage;
      })
    );
  }

  /** cp_free (§2.14). */
  #cpFree(): void {
    if (!this.#initialized) return;
    this.#release();
    this.#initialized = false;
  }

  // ---- guest memory, pinning and the arena ------------------------------------------------------

  /** Unpins every pinned page, forgets the segments and zeroes the arena. */
  #release(): void {
    for (const iovas of this.#pinnedIovas) iovas.forEach((iova) => this.#unpin(iova));
    this.#pinnedIovas = [];
    this.#segments = [];
    this.host.fill(0, HOST_ARENA_BASE, this.#arenaTop);
    this.#arenaTop = HOST_ARENA_BASE;
  }

  /** The first segment in list order with `iova ≤ address ≤ iova + 8·(len−1)` (§2.5). */
  #findSegment(address: number): Segment | undefined {
    return this.#segments.find((segment) => inRange(address, segment.iova, segment.ccws.length));
  }

  /** dma_rw (§2.0): a copy of guest bytes, or null unless every byte is mapped. */
  #dmaRead(address: number, length: number): Uint8Array | null {
    if (!this.#isMapped(address, address + length)) return null;
    return this.host.slice(GUEST_BASE + address, GUEST_BASE + address + length);
  }

  /** Pins the page of every IDAW in order; on a failure unpins this CCW's pages again. */
  #pinAll(iovas: readonly bigint[]): number {
    for (const [k, iova] of iovas.entries()) {
      if (this.#pin(iova)) continue;
      iovas.slice(0, k).forEach((pinned) => this.#unpin(pinned));
      return E_GUEST;
    }
    return 0;
  }

  /** Pins the 4 KiB page that holds `iova`; it must be mapped as a whole. */
  #pin(iova: bigint): boolean {
    const pageStart = (iova >> PAGE_SHIFT) << PAGE_SHIFT;
    if (pageStart + BigInt(PAGE_SIZE) > BigInt(this.ramSize)) return false;
    const start = Number(pageStart);
    if (!this.#isMapped(start, start + PAGE_SIZE)) return false;
    const page = start / PAGE_SIZE;
    this.#pinCounts.set(page, (this.#pinCounts.get(page) ?? 0) + 1);
    return true;
  }

  #unpin(iova: bigint): void {
    const page = Number(iova >> PAGE_SHIFT);
    const count = this.#pinCounts.get(page) ?? 0;
    if (count > 1) this.#pinCounts.set(page, count - 1);
    else this.#pinCounts.delete(page);
  }

  #isMapped(start: number, end: number): boolean {
    return this.#mappings.some((range) => range.start <= start && end <= range.end);
  }

  /** H(page) + offset of a pinned guest address. */
  #hostOf(iova: bigint): bigint {
    return BigInt(GUEST_BASE) + iova;
  }

  #allocate(size: number): number {
    const address = this.#arenaTop;
    if (address + size > GUEST_BASE) {
      throw new RangeError(`Cannot allocate ${size} host bytes: arena exhausted`);
    }
    this.#arenaTop += size;
    return address;
  }

  #writeCcw(address: number, cmd: number, flags: number, count: number, cda: number): void {
    this.host[address] = cmd;
    this.host[address + 1] = flags;
    this.#view.setUint16(address + 2, count);
    this.#view.setUint32(address + 4, cda);
  }
}

/** Creates a {@linkcode CcwReference} with `ramSize` bytes of zeroed, fully mapped guest RAM. */
export function createCcwReference(ramSize: number): CcwReference {
  return new CcwReference(ramSize);
}

// ---- pure helpers ------------------------------------------------------------------------------

/** Decodes all 256 CCWs of the window; for ORB fmt=0 each one goes through §1.2's conversion. */
function decodeWindow(window: Uint8Array, format0: boolean): Ccw[] {
  const view = new DataView(window.buffer, window.byteOffset, window.byteLength);
  return Array.from({ length: CHAIN_LEN_MAX }, (_, i) => {
    const at = i * CCW_SIZE;
    const cmd = window[at];
    if (!format0) {
      return {
        cmd,
        flags: window[at + 1],
        count: view.getUint16(at + 2),
        cda: view.getUint32(at + 4),
      };
    }
    const cda = view.getUint32(at) & 0xff_ffff;
    // Format-0: any command with low nibble 8 is a TIC; its flags and count are dropped.
    if ((cmd & 0x0f) === CMD_TIC) return { cmd: CMD_TIC, flags: 0, count: 0, cda };
    return { cmd, flags: window[at + 4], count: view.getUint16(at + 6), cda };
  });
}

/**
 * segment_length / ccwchain_calc_length (§2.4): the first CCW that neither chains (CD or CC) nor
 * is a TIC back into the CCWs counted so far, itself included, ends the segment.
 */
function segmentLength(ccws: readonly Ccw[], head: number): number {
  for (let k = 1; k <= CHAIN_LEN_MAX; k++) {
    const ccw = ccws[k - 1];
    const chaining = (ccw.flags & (FLAG_CHAIN_DATA | FLAG_CHAIN_COMMAND)) !== 0;
    const backTic = ccw.cmd === CMD_TIC && inRange(ccw.cda, head, k);
    if (!chaining && !backTic) return k;
  }
  return EINVAL;
}

/** The data-transfer predicate (§2.9): SKP only suppresses reads, reads backward and senses. */
function transfers(ccw: Ccw): boolean {
  if (ccw.count === 0 || ccw.cmd === CMD_NOP) return false;
  if ((ccw.flags & FLAG_SKIP) === 0) return true;
  const read = (ccw.cmd & 0x03) === 0x02;
  const readBackward = (ccw.cmd & 0x0f) === 0x0c;
  const sense = (ccw.cmd & 0x0f) === 0x04;
  return !(read || readBackward || sense);
}

/**
 * `head ≤ address ≤ head + 8·(length−1)` with the upper bound in u32 arithmetic, as the kernel's
 * is_cpa_within_range computes it.
 */
function inRange(address: number, head: number, length: number): boolean {
  return head <= address && address <= ((head + CCW_SIZE * (length - 1)) >>> 0);
}

/**
 * The IDAL of a CCW without the IDA flag (§2.8 step 3): c64=1 as u64 words, c64=0 as u32 words
 * packed into the first 4·count bytes (u32 wrap-around) with the rest left zero.
 */
function fabricateIdal(
  idal: Uint8Array,
  cda: number,
  count: number,
  blockSize: bigint,
  c64: boolean,
): void {
  const view = new DataView(idal.buffer);
  const mask = c64 ? U64_MASK : 0xffff_ffffn;
  let address = BigInt(cda);
  for (let k = 0; k < count; k++) {
    if (k > 0) address = ((address + blockSize) & mask) & ~(blockSize - 1n);
    if (c64) view.setBigUint64(8 * k, address);
    else view.setUint32(4 * k, Number(address));
  }
}

/** IDAW `k` of an IDAL: a u64 word (c64=1) or a u32 word (c64=0), big-endian. */
function readIdaw(idal: Uint8Array, k: number, c64: boolean): bigint {
  const view = new DataView(idal.buffer, idal.byteOffset, idal.byteLength);
  return c64 ? view.getBigUint64(8 * k) : BigInt(view.getUint32(4 * k));
}

function checkLength(bytes: Uint8Array, length: number, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new RangeError(`Cannot use ${what}: expected ${length} bytes`);
  }
}
