/**
 * A vfio-ccw device's `struct channel_program` (vfio_ccw_cp.c): the translator engine that does
 * cp_init + cp_prefetch + cp_get_orb, created when first needed, plus what survives a save.
 *
 * The engine's host address space holds the guest RAM the program runs against, so the engine is
 * only built when something touches translation or guest memory (a command that merely lists
 * devices never instantiates WebAssembly). An engine's internal state is not persisted; instead
 * the ORB and lpm of an initialized program are, and the program is translated again, against the
 * same guest RAM, the next time the engine is built.
 *
 * @module
 */
import type { CcwEngine, TranslationReport } from "../../ccw/engine.ts";
import { createCcwReference } from "../../wasm/ccw_reference.ts";
import { CcwWasm } from "../../wasm/ccw.ts";
import { fromHex, toHex } from "../../css/hex.ts";

/** Which translator a device uses: the WebAssembly core (default) or the TypeScript reference. */
export type CcwEngineKind = "wasm" | "ts";

/** Guest RAM behind every vfio-ccw device's engine: 16 MiB (what a handle may map). */
export const GUEST_RAM_SIZE = 16 << 20;

/** The core `asm/build.ts` builds (the same file lib/wasm/_load.ts compiles asynchronously). */
const CCW_WASM = new URL("../../../asm/build/ccw.wasm", import.meta.url);
let ccwModule: WebAssembly.Module | undefined;

/**
 * The compiled ccw core, compiled synchronously on first use: kernel paths that need an engine
 * (a region write, a DMA map, a world being loaded) cannot await.
 *
 * @throws {Error} When the core has not been built.
 */
function compiledCcwCore(): WebAssembly.Module {
  if (ccwModule === undefined) {
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = Deno.readFileSync(CCW_WASM);
    } catch (error) {
      throw new Error(
        'Cannot load WebAssembly core "ccw": asm/build/ccw.wasm is missing, run `npm run build:wasm`',
        { cause: error },
      );
    }
    ccwModule = new WebAssembly.Module(bytes);
  }
  return ccwModule;
}

/** Builds an engine of `kind` with `ramSize` bytes of guest RAM, synchronously. */
export function createCcwEngine(kind: CcwEngineKind, ramSize: number): CcwEngine {
  if (kind === "ts") return createCcwReference(ramSize);
  return new CcwWasm(new WebAssembly.Instance(compiledCcwCore(), {}), ramSize);
}

/** The persisted part of a channel program. */
export interface ChannelProgramSnapshot {
  kind: CcwEngineKind;
  /** The 32-byte ORB copy of the initialized program as hex, or null. */
  orb: string | null;
  lpm: number;
}

/** `struct channel_program` of one device. */
const EMPTY: ReadonlySet<number> = new Set();

/** Pages holding a pinned IDAW target in a successful translation. */
function pinnedPagesOf(report: TranslationReport): Set<number> {
  const pages = new Set<number>();
  for (const segment of report.segments) {
    for (const ccw of segment.ccws) {
      for (const idaw of ccw.idaws) if (idaw.pinned) pages.add(Number(idaw.value >> 12n));
    }
  }
  return pages;
}

export class ChannelProgram {
  readonly kind: CcwEngineKind;
  readonly #prepare: (engine: CcwEngine) => void;
  #engine: CcwEngine | undefined;
  #orb: Uint8Array | null = null;
  #lpm = 0;
  /** Pages the program pinned; computed from the engine after a restore, from the report otherwise. */
  #pinned: Set<number> | undefined;

  /**
   * @param kind The translator to build.
   * @param prepare Loads guest RAM and DMA mappings into a freshly built engine.
   */
  constructor(kind: CcwEngineKind, prepare: (engine: CcwEngine) => void) {
    this.kind = kind;
    this.#prepare = prepare;
  }

  /** Restores a program saved by {@linkcode toSnapshot}. */
  static fromSnapshot(
    s: ChannelProgramSnapshot,
    prepare: (engine: CcwEngine) => void,
  ): ChannelProgram {
    const cp = new ChannelProgram(s.kind, prepare);
    if (s.orb !== null) {
      cp.#orb = fromHex(s.orb);
      cp.#lpm = s.lpm;
    }
    return cp;
  }

  /** True once the engine exists (guest RAM is loaded). */
  get built(): boolean {
    return this.#engine !== undefined;
  }

  /** The engine, built (and a saved program re-translated) on first use. */
  get engine(): CcwEngine {
    if (this.#engine === undefined) {
      const engine = createCcwEngine(this.kind, GUEST_RAM_SIZE);
      this.#prepare(engine);
      if (this.#orb !== null && engine.translate(this.#orb, this.#lpm).rc !== 0) this.#orb = null;
      this.#engine = engine;
    }
    return this.#engine;
  }

  /** `cp->initialized`. */
  get initialized(): boolean {
    return this.#orb !== null;
  }

  /**
   * Guest pages the current program pinned (where the channel may store), from the
   * translation report; empty without a program.
   */
  pinnedPages(): ReadonlySet<number> {
    if (this.#orb === null) return EMPTY;
    if (this.#pinned === undefined) this.#pinned = new Set(this.engine.pinnedPages().keys());
    return this.#pinned;
  }

  /** cp_init + cp_prefetch + cp_get_orb; on failure nothing stays built. */
  init(orb: Uint8Array, lpm: number): TranslationReport {
    const report = this.engine.translate(orb, lpm);
    if (report.rc === 0) {
      this.#orb = orb.slice();
      this.#lpm = lpm;
      this.#pinned = pinnedPagesOf(report);
    }
    return report;
  }

  /** The 12 host ORB bytes for SSCH with the given interruption parameter. */
  hostOrb(intparm: number): Uint8Array {
    return this.engine.hostOrb(intparm);
  }

  /** cp_update_scsw: nothing to map without a program. */
  updateScsw(scsw: Uint8Array): void {
    if (this.initialized) this.engine.updateScsw(scsw);
  }

  /** cp_iova_pinned: false without a program. */
  iovaPinned(iova: number, length: number): boolean {
    return this.initialized && this.engine.iovaPinned(iova, length);
  }

  /** cp_free: only an initialized program has anything to unpin. */
  free(): void {
    if (!this.initialized) return;
    // An engine not built since the load holds no pins: forgetting the ORB frees everything.
    this.#engine?.free();
    this.#orb = null;
    this.#pinned = undefined;
  }

  /** Named-field snapshot. */
  toSnapshot(): ChannelProgramSnapshot {
    return { kind: this.kind, orb: this.#orb === null ? null : toHex(this.#orb), lpm: this.#lpm };
  }
}
