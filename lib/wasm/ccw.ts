/**
 * vfio-ccw channel-program translation in WebAssembly: the glue to the core in `asm/ccw/`
 * (vfio-ccw.md §6), implementing {@linkcode CcwEngine} (current upstream = BASE plus FIX72,
 * E_GUEST = -EINVAL).
 *
 * Every engine instantiates the core with its own memory, which is the engine's whole host address
 * space: host CCW arrays and IDALs in the core's workspace (below 2^31), guest RAM from
 * `guestBase`. Callers write guest RAM straight into that memory through `host`, and one core call
 * translates a whole program; the report is then decoded from the core's result area.
 *
 * @example Translate one read CCW (vector V01)
 * ```ts
 * import { createCcwWasm } from "./ccw.ts";
 *
 * const engine = await createCcwWasm(1 << 20);
 * const ccw = [0x02, 0x20, 0x00, 0x50, 0x00, 0x01, 0x00, 0x00];
 * engine.host.set(ccw, engine.guestBase + 0x1000);
 * const orb = new Uint8Array(32);
 * orb.set([0x11, 0x22, 0x33, 0x44, 0x00, 0xc2, 0xff, 0x00, 0x00, 0x00, 0x10, 0x00]);
 * const report = engine.translate(orb, 0x80);
 * console.log(report.rc, report.segments[0].ccws[0].idaws); // 0 [{ value: 65536n, pinned: true }]
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
import { KernelError } from "../errno.ts";
import { compileCore } from "./_load.ts";

/** The ABI version of `asm/ccw` this glue speaks; a module exporting another one is refused. */
export const CCW_ABI_VERSION = 1;

/** Layout field → the constant `asm/ccw/index.ts` exports for it. */
export const CCW_LAYOUT_EXPORTS = {
  workspaceBase: "WORKSPACE_BASE",
  workspaceEnd: "WORKSPACE_END",
  guestBase: "GUEST_BASE",
  pageSize: "PAGE_SIZE",
  maxSegments: "MAX_SEGMENTS",
  maxSegmentCcws: "MAX_SEGMENT_CCWS",
  maxMappings: "MAX_MAPPINGS",
  mappingsBase: "MAPPINGS_BASE",
  mappingEntrySize: "MAPPING_ENTRY_SIZE",
  segmentsBase: "SEGMENTS_BASE",
  segmentEntrySize: "SEGMENT_ENTRY_SIZE",
  segIova: "SEG_IOVA",
  segLen: "SEG_LEN",
  segHost: "SEG_HOST",
  segMeta: "SEG_META",
  metaEntrySize: "META_ENTRY_SIZE",
  metaKind: "META_KIND",
  metaPinned: "META_PINNED",
  metaIdaws: "META_IDAWS",
  metaTicSegment: "META_TIC_SEGMENT",
  metaTicOffset: "META_TIC_OFFSET",
  metaValues: "META_VALUES",
  kindTic: "KIND_TIC",
  valuesBase: "VALUES_BASE",
  reqOrb: "REQ_ORB",
  reqHostOrb: "REQ_HOST_ORB",
  reqScsw: "REQ_SCSW",
  reqLpm: "REQ_LPM",
  reqRamSize: "REQ_RAM_SIZE",
  reqPinCounts: "REQ_PIN_COUNTS",
  reqMappingCount: "REQ_MAPPING_COUNT",
  reqSegmentCount: "REQ_SEGMENT_COUNT",
  reqInitialized: "REQ_INITIALIZED",
} as const;

/** Where the ccw core places things in its memory, as the module exports it (`asm/ccw/layout.ts`). */
export type CcwLayout =
  & { readonly abiVersion: number }
  & { readonly [Field in keyof typeof CCW_LAYOUT_EXPORTS]: number };

/** The ccw core's exported functions (`asm/ccw/index.ts`). */
interface CcwKernels {
  translate(): number;
  freeProgram(): void;
  updateScsw(): void;
  iovaPinned(firstPage: number, lastPage: number): number;
  staticDataEnd(): number;
}

const ORB_SIZE = 32;
const HOST_ORB_SIZE = 12;
const SCSW_SIZE = 12;
const SCSW_CPA = 4;
const WASM_PAGE = 65536;
const WASM_MAX_BYTES = 65536 * WASM_PAGE;
/** Host CCW arrays and IDALs must be 31-bit addressable (CCW data addresses, ORB CPA). */
const HOST_ADDRESS_LIMIT = 2 ** 31;
const U64_MASK = (1n << 64n) - 1n;
const NO_IDAWS: readonly IdawReport[] = Object.freeze([]);

function refuse(reason: string): never {
  throw new Error(`Cannot use WebAssembly core "ccw": ${reason}; run \`npm run build:wasm\``);
}

function readGlobal(exports: WebAssembly.Exports, name: string): number {
  const global = exports[name];
  if (!(global instanceof WebAssembly.Global)) refuse(`it does not export the constant ${name}`);
  return Number(global.value);
}

function readKernels(exports: WebAssembly.Exports): CcwKernels {
  for (const name of ["translate", "freeProgram", "updateScsw", "iovaPinned", "staticDataEnd"]) {
    if (typeof exports[name] !== "function") refuse(`it does not export the function ${name}`);
  }
  return exports as unknown as CcwKernels;
}

/**
 * Reads the memory map from the module and checks what this glue relies on: the ABI version,
 * 4 KiB pages, the workspace below guest RAM and below 2^31, and the alignment of the fields it
 * reads through 32- and 64-bit views.
 */
function readLayout(exports: WebAssembly.Exports): CcwLayout {
  const abiVersion = readGlobal(exports, "CCW_ABI_VERSION");
  if (abiVersion !== CCW_ABI_VERSION) {
    refuse(`the module has ABI version ${abiVersion}, this glue speaks ${CCW_ABI_VERSION}`);
  }
  const fields: Record<string, number> = { abiVersion };
  for (const [field, name] of Object.entries(CCW_LAYOUT_EXPORTS)) {
    fields[field] = readGlobal(exports, name);
  }
  const layout = fields as CcwLayout;
  if (layout.pageSize !== 4096) refuse(`it uses ${layout.pageSize}-byte pages, not 4096`);
  if (layout.workspaceEnd > layout.guestBase || layout.guestBase >= HOST_ADDRESS_LIMIT) {
    refuse(`its workspace ends at ${layout.workspaceEnd}, beyond guest RAM at ${layout.guestBase}`);
  }
  const words = [
    layout.segmentsBase,
    layout.segmentEntrySize,
    layout.segIova,
    layout.segLen,
    layout.segHost,
    layout.segMeta,
    layout.metaEntrySize,
    layout.metaTicOffset,
    layout.metaValues,
    layout.mappingsBase,
    layout.mappingEntrySize,
    layout.reqLpm,
    layout.reqRamSize,
    layout.reqPinCounts,
    layout.reqMappingCount,
    layout.reqSegmentCount,
    layout.reqInitialized,
  ];
  if (words.some((value) => value % 4 !== 0) || layout.valuesBase % 8 !== 0) {
    refuse("its layout does not align the 32- and 64-bit fields this glue reads");
  }
  return layout;
}

/** Typed views over the whole memory, re-derived when the memory has grown. */
class MemoryViews {
  readonly bytes: Uint8Array;
  readonly words: Uint32Array;
  readonly quads: BigUint64Array;

  constructor(buffer: ArrayBufferLike) {
    this.bytes = new Uint8Array(buffer);
    this.words = new Uint32Array(buffer);
    this.quads = new BigUint64Array(buffer);
  }
}

/** Sorts and merges ranges inside [0, ramSize) (adjacent ones too) into [start, end) pairs. */
function normalizeMappings(ranges: readonly DmaRange[], ramSize: number): [number, number][] {
  const sorted: [number, number][] = [];
  for (const { iova, size } of ranges) {
    if (!Number.isSafeInteger(iova) || iova < 0 || !Number.isSafeInteger(size) || size < 0) {
      throw new RangeError(
        `Cannot set DMA mappings: range (iova ${iova}, size ${size}) is not two non-negative integers`,
      );
    }
    if (iova + size > ramSize) {
      throw new RangeError(
        `Cannot set DMA mappings: range (iova ${iova}, size ${size}) is not inside guest RAM of ${ramSize} bytes`,
      );
    }
    if (size > 0) sorted.push([iova, iova + size]);
  }
  sorted.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const range of sorted) {
    const last = merged.at(-1);
    if (last !== undefined && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push([range[0], range[1]]);
  }
  return merged;
}

/** The WebAssembly channel-program engine; create it with {@linkcode createCcwWasm}. */
export class CcwWasm implements CcwEngine {
  /** Always `"wasm"`. */
  readonly kind = "wasm";
  /** The memory map, read from the module's exports. */
  readonly layout: CcwLayout;
  /** The core's memory: the engine's host address space. */
  readonly memory: WebAssembly.Memory;
  /** Host address of guest address 0 (H(p) = guestBase + p·4096). */
  readonly guestBase: number;
  /** Bytes of guest RAM. */
  readonly ramSize: number;
  #kernels: CcwKernels;
  #views: MemoryViews;
  /** Address of the u32 pin count of guest page 0. */
  #pinCounts: number;

  /**
   * Wraps a fresh instance of `asm/build/ccw.wasm` and grows its memory to hold `ramSize` bytes
   * of zeroed guest RAM, all DMA-mapped.
   *
   * @throws {Error} When the module's ABI version, layout or exports do not match this glue.
   * @throws {RangeError} When `ramSize` is not a positive multiple of 4096 that fits the 4 GiB
   * memory.
   * @throws {KernelError} ENOMEM when the memory cannot grow that far.
   */
  constructor(instance: WebAssembly.Instance, ramSize: number) {
    const exports = instance.exports;
    this.layout = readLayout(exports);
    this.#kernels = readKernels(exports);
    const memory = exports.memory;
    if (!(memory instanceof WebAssembly.Memory)) refuse("it does not export its memory");
    const dataEnd = this.#kernels.staticDataEnd();
    if (dataEnd > this.layout.workspaceBase) {
      refuse(
        `its static data ends at ${dataEnd}, above the workspace ${this.layout.workspaceBase}`,
      );
    }
    this.memory = memory;
    this.guestBase = this.layout.guestBase;
    const pageSize = this.layout.pageSize;
    // Guest RAM is whole pages, as QEMU's is: pinning works on 4 KiB pages.
    if (!Number.isSafeInteger(ramSize) || ramSize < pageSize || ramSize % pageSize !== 0) {
      throw new RangeError(
        `Cannot create ccw engine: RAM size ${ramSize} is not a positive multiple of ${pageSize}`,
      );
    }
    // The pin counts follow guest RAM: one u32 per guest page.
    const pinCounts = this.guestBase + ramSize;
    const end = pinCounts + (ramSize / pageSize) * 4;
    if (end > WASM_MAX_BYTES) {
      throw new RangeError(
        `Cannot create ccw engine: RAM size ${ramSize} does not fit the 4 GiB memory beside the workspace`,
      );
    }
    this.ramSize = ramSize;
    this.#pinCounts = pinCounts;
    this.#grow(end);
    this.#views = new MemoryViews(memory.buffer);
    const words = this.#views.words;
    words[this.layout.reqRamSize >>> 2] = ramSize;
    words[this.layout.reqPinCounts >>> 2] = pinCounts;
    this.setMappings([{ iova: 0, size: ramSize }]);
  }

  /** The whole host address space (the core's memory); re-derived after the memory has grown. */
  get host(): Uint8Array {
    return this.#memoryViews().bytes;
  }

  /** True between a successful translate() and free(). */
  get initialized(): boolean {
    return this.#memoryViews().words[this.layout.reqInitialized >>> 2] !== 0;
  }

  /**
   * Replaces the DMA mappings. Ranges are byte granular and lie in guest RAM (only RAM can be
   * mapped); overlapping and adjacent ranges merge (type1 copies across mappings). A page can be
   * pinned only when all of it is mapped.
   *
   * @throws {RangeError} When a range is not two non-negative integers or reaches past RAM, or
   * more separate ranges remain than the core holds.
   */
  setMappings(ranges: readonly DmaRange[]): void {
    const merged = normalizeMappings(ranges, this.ramSize);
    const { maxMappings, mappingsBase, mappingEntrySize, reqMappingCount } = this.layout;
    if (merged.length > maxMappings) {
      throw new RangeError(
        `Cannot set DMA mappings: ${merged.length} separate ranges exceed the ${maxMappings} the core holds`,
      );
    }
    const words = this.#memoryViews().words;
    merged.forEach(([start, end], index) => {
      const at = (mappingsBase + index * mappingEntrySize) >>> 2;
      words[at] = start;
      words[at + 1] = end;
    });
    words[reqMappingCount >>> 2] = merged.length;
  }

  /**
   * cp_init + cp_prefetch + cp_get_orb in one core call. While a program is initialized the
   * result is -EBUSY and that program stays as it is (cp_init refuses before touching it).
   *
   * @param orb The 32-byte ORB copy.
   * @param lpm The subchannel's current lpm (used when the ORB's is 0).
   * @throws {TypeError} When `orb` is not a Uint8Array.
   * @throws {RangeError} When `orb` is not 32 bytes or `lpm` not a byte.
   */
  translate(orb: Uint8Array, lpm: number): TranslationReport {
    if (!(orb instanceof Uint8Array)) {
      throw new TypeError("Cannot translate channel program: the ORB is not a Uint8Array");
    }
    if (orb.length !== ORB_SIZE) {
      throw new RangeError(
        `Cannot translate channel program: the ORB copy has ${orb.length} bytes, not ${ORB_SIZE}`,
      );
    }
    if (!Number.isInteger(lpm) || lpm < 0 || lpm > 0xff) {
      throw new RangeError(`Cannot translate channel program: lpm ${lpm} is not a byte`);
    }
    const views = this.#memoryViews();
    views.bytes.set(orb, this.layout.reqOrb);
    views.words[this.layout.reqLpm >>> 2] = lpm;
    const rc = this.#kernels.translate();
    if (rc < 0) return { rc, hostOrb: null, segments: [] };
    const hostOrb = this.layout.reqHostOrb;
    const bytes = views.bytes;
    return {
      rc,
      hostOrb: {
        byte4: bytes[hostOrb + 4],
        byte5: bytes[hostOrb + 5],
        lpm: bytes[hostOrb + 6],
        byte7: bytes[hostOrb + 7],
      },
      segments: this.#decodeSegments(views),
    };
  }

  /**
   * The 12 host ORB bytes for SSCH: the translated ORB with `intparm` in bytes 0–3.
   *
   * @throws {RangeError} When `intparm` is not a 32-bit unsigned integer.
   * @throws {KernelError} EIO when no program is initialized (cp_get_orb without cp_init).
   */
  hostOrb(intparm: number): Uint8Array {
    if (!Number.isInteger(intparm) || intparm < 0 || intparm > 0xffffffff) {
      throw new RangeError(`Cannot build host ORB: intparm ${intparm} is not a 32-bit value`);
    }
    if (!this.initialized) {
      throw new KernelError("EIO", {
        detail: "Cannot build host ORB: no channel program is initialized",
      });
    }
    const start = this.layout.reqHostOrb;
    const orb = this.host.slice(start, start + HOST_ORB_SIZE);
    new DataView(orb.buffer).setUint32(0, intparm);
    return orb;
  }

  /**
   * cp_update_scsw: maps the host CPA in bytes 4–7 of `scsw` back to the guest, in place.
   *
   * @throws {RangeError} When `scsw` is shorter than 12 bytes.
   */
  updateScsw(scsw: Uint8Array): void {
    if (scsw.length < SCSW_SIZE) {
      throw new RangeError(`Cannot update SCSW: it has ${scsw.length} bytes, not ${SCSW_SIZE}`);
    }
    const start = this.layout.reqScsw;
    const bytes = this.host;
    bytes.set(scsw.subarray(0, SCSW_SIZE), start);
    this.#kernels.updateScsw();
    scsw.set(bytes.subarray(start + SCSW_CPA, start + SCSW_CPA + 4), SCSW_CPA);
  }

  /**
   * cp_iova_pinned: whether a page pinned by the program intersects the guest pages
   * `iova >> 12 … (iova + length − 1) >> 12`, computed in u64 like the kernel (so length 0 at
   * iova 0 wraps to every page).
   *
   * @throws {RangeError} When `iova` or `length` is not a non-negative integer.
   */
  iovaPinned(iova: number, length: number): boolean {
    if (!Number.isSafeInteger(iova) || iova < 0 || !Number.isSafeInteger(length) || length < 0) {
      throw new RangeError(
        `Cannot check pinned pages: range (iova ${iova}, length ${length}) is not two non-negative integers`,
      );
    }
    const shift = BigInt(Math.log2(this.layout.pageSize));
    const first = BigInt(iova) >> shift;
    const last = ((BigInt(iova) + BigInt(length) - 1n) & U64_MASK) >> shift;
    const pages = BigInt(this.ramSize / this.layout.pageSize);
    if (first > last || first >= pages) return false;
    const clippedLast = last < pages ? last : pages - 1n;
    return this.#kernels.iovaPinned(Number(first), Number(clippedLast)) !== 0;
  }

  /** cp_free: unpins and forgets the program (nothing happens when none is initialized). */
  free(): void {
    this.#kernels.freeProgram();
  }

  /** Guest page → pin count, for every page the program holds pinned. */
  pinnedPages(): Map<number, number> {
    const words = this.#memoryViews().words;
    const first = this.#pinCounts >>> 2;
    const pages = this.ramSize / this.layout.pageSize;
    const pinned = new Map<number, number>();
    for (let page = 0; page < pages; page++) {
      const count = words[first + page];
      if (count !== 0) pinned.set(page, count);
    }
    return pinned;
  }

  #memoryViews(): MemoryViews {
    // Growing a WebAssembly memory detaches its old ArrayBuffer.
    if (this.#views.bytes.buffer !== this.memory.buffer) {
      this.#views = new MemoryViews(this.memory.buffer);
    }
    return this.#views;
  }

  #grow(end: number): void {
    const missing = end - this.memory.buffer.byteLength;
    if (missing <= 0) return;
    try {
      this.memory.grow(Math.ceil(missing / WASM_PAGE));
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      throw new KernelError("ENOMEM", {
        detail: `Cannot create ccw engine: the memory cannot grow to ${end} bytes`,
      });
    }
  }

  /** Decodes the segment table, host CCWs and per-CCW meta the core filled. */
  #decodeSegments(views: MemoryViews): SegmentReport[] {
    const { bytes, words, quads } = views;
    const layout = this.layout;
    const count = words[layout.reqSegmentCount >>> 2];
    const segments: SegmentReport[] = new Array(count);
    for (let index = 0; index < count; index++) {
      const entry = (layout.segmentsBase + index * layout.segmentEntrySize) >>> 2;
      const length = words[entry + (layout.segLen >>> 2)];
      const host = words[entry + (layout.segHost >>> 2)];
      const meta = words[entry + (layout.segMeta >>> 2)];
      const ccws: CcwReport[] = new Array(length);
      for (let i = 0; i < length; i++) {
        const ccw = host + i * 8;
        const entryMeta = meta + i * layout.metaEntrySize;
        const isTic = bytes[entryMeta + layout.metaKind] === layout.kindTic;
        ccws[i] = {
          cmd: bytes[ccw],
          flags: bytes[ccw + 1],
          count: (bytes[ccw + 2] << 8) | bytes[ccw + 3],
          tic: isTic
            ? {
              segment: bytes[entryMeta + layout.metaTicSegment],
              offset: words[(entryMeta + layout.metaTicOffset) >>> 2],
            }
            : null,
          idaws: isTic ? NO_IDAWS : this.#decodeIdaws(bytes, words, quads, entryMeta),
        };
      }
      segments[index] = { iova: words[entry + (layout.segIova >>> 2)], ccws };
    }
    return segments;
  }

  #decodeIdaws(
    bytes: Uint8Array,
    words: Uint32Array,
    quads: BigUint64Array,
    meta: number,
  ): IdawReport[] {
    const layout = this.layout;
    const n = bytes[meta + layout.metaIdaws];
    const pinned = bytes[meta + layout.metaPinned] !== 0;
    const values = words[(meta + layout.metaValues) >>> 2] >>> 3;
    const idaws: IdawReport[] = new Array(n);
    for (let k = 0; k < n; k++) idaws[k] = { value: quads[values + k], pinned };
    return idaws;
  }
}

/**
 * Creates a WebAssembly engine with `ramSize` bytes of zeroed guest RAM, all DMA-mapped. Each
 * engine has its own instance and memory; the compiled module is shared.
 *
 * @throws {RangeError} When `ramSize` is not a positive multiple of 4096 that fits the 4 GiB
 * memory.
 * @throws {Error} When the module is missing or was built from other sources (the message says
 * to run `npm run build:wasm`).
 */
export async function createCcwWasm(ramSize: number): Promise<CcwWasm> {
  const instance = await WebAssembly.instantiate(await compileCore("ccw"), {});
  return new CcwWasm(instance, ramSize);
}
