/**
 * The channel-program translation benchmark cases, as data: `bench/ccw_bench.ts` registers them
 * with `Deno.bench` and `mdevsim bench ccw` can time them itself. Every program runs on every
 * engine of {@linkcode CCW_BENCH_ENGINES}: `wasm` (the WebAssembly core) and `ts` (the TypeScript
 * reference). One op is `translate()` of the whole program (report included) plus `free()`.
 *
 * @example Time one case by hand
 * ```ts
 * import { CCW_CASES } from "./ccw_cases.ts";
 *
 * const benchCase = CCW_CASES.find((c) => c.case === "len=256,ida" && c.engine === "wasm")!;
 * const run = await benchCase.setup();
 * const started = performance.now();
 * for (let i = 0; i < 1000; i++) run();
 * console.log(`${benchCase.case}: ${(performance.now() - started) / 1000} ms per op`);
 * ```
 *
 * @module
 */

import type { CcwEngine, CcwEngineFactory } from "../ccw/engine.ts";
import { createCcwWasm } from "../wasm/ccw.ts";
import { createCcwReference } from "../wasm/ccw_reference.ts";

/** Who runs a benchmark case. */
export type CcwBenchEngine = "wasm" | "ts";

/** One benchmark case: a program on one engine (same shape as the framebuffer cases). */
export interface CcwBenchCase {
  /** The operation: `"ccw.translate"`. */
  readonly name: string;
  /** The program, e.g. `"len=256,ida"`. */
  readonly case: string;
  /** The engine that runs it. */
  readonly engine: CcwBenchEngine;
  /** Writes the program into a fresh engine's guest RAM and returns the op to time. */
  setup(): Promise<() => void>;
}

/**
 * The engines every case runs on. This is the hook for the TypeScript reference: each entry is
 * an engine name and its factory, and every program below is run on each of them.
 */
export const CCW_BENCH_ENGINES: readonly {
  readonly engine: CcwBenchEngine;
  readonly create: CcwEngineFactory;
}[] = [
  { engine: "wasm", create: createCcwWasm },
  { engine: "ts", create: createCcwReference },
];

const RAM_SIZE = 1 << 20;
const LPM = 0x80;
const CPA = 0x1000;
const CMD_READ = 0x02;
const CMD_TIC = 0x08;
const FLAG_CC = 0x40;
const FLAG_IDA = 0x04;
/** Data of the plain programs: 256-byte blocks from 64 KiB up. */
const DATA_BASE = 0x10000;
const DATA_BLOCK = 0x100;
/** IDALs of the IDA program (3 Format-2 IDAWs each) and the pages they name. */
const IDAL_BASE = 0x20000;
const IDAWS_PER_CCW = 3;
const IDA_PAGES_BASE = 0x40;
const IDA_PAGES = 0xc0;
const SEGMENTS = 16;
const SEGMENT_STRIDE = 0x100;

/** ORB_D of vfio-ccw.md §5.1 as the 32-byte copy: Format-1, prefetch, Format-2 4 KiB IDAWs. */
function defaultOrb(): Uint8Array {
  const orb = new Uint8Array(32);
  orb.set([0x11, 0x22, 0x33, 0x44, 0x00, 0xc2, 0xff, 0x00]);
  new DataView(orb.buffer).setUint32(8, CPA);
  return orb;
}

/** Stores a big-endian Format-1 CCW at guest address `addr`. */
function putCcw(
  view: DataView,
  addr: number,
  ccw: { cmd: number; flags: number; count: number; cda: number },
) {
  view.setUint8(addr, ccw.cmd);
  view.setUint8(addr + 1, ccw.flags);
  view.setUint16(addr + 2, ccw.count);
  view.setUint32(addr + 4, ccw.cda);
}

/** `len` command-chained reads of 256 bytes each, one segment. */
function chainedReads(len: number): (ram: DataView) => void {
  return (ram) => {
    for (let i = 0; i < len; i++) {
      const flags = i < len - 1 ? FLAG_CC : 0;
      const cda = DATA_BASE + i * DATA_BLOCK;
      putCcw(ram, CPA + i * 8, { cmd: CMD_READ, flags, count: DATA_BLOCK, cda });
    }
  };
}

/** 256 command-chained 12 KiB reads through guest Format-2 IDALs of 3 page-aligned IDAWs. */
function chainedIdaReads(ram: DataView): void {
  const len = 256;
  for (let i = 0; i < len; i++) {
    const flags = (i < len - 1 ? FLAG_CC : 0) | FLAG_IDA;
    const idal = IDAL_BASE + i * IDAWS_PER_CCW * 8;
    putCcw(ram, CPA + i * 8, { cmd: CMD_READ, flags, count: 0x3000, cda: idal });
    for (let k = 0; k < IDAWS_PER_CCW; k++) {
      const page = IDA_PAGES_BASE + (i * IDAWS_PER_CCW + k) % IDA_PAGES;
      ram.setBigUint64(idal + k * 8, BigInt(page * 4096));
    }
  }
}

/** 16 segments of 16 CCWs: 15 chained reads and a TIC to the next segment (the last ends). */
function sixteenSegments(ram: DataView): void {
  for (let segment = 0; segment < SEGMENTS; segment++) {
    const head = CPA + segment * SEGMENT_STRIDE;
    for (let i = 0; i < 15; i++) {
      const cda = DATA_BASE + (segment * 16 + i) * DATA_BLOCK;
      putCcw(ram, head + i * 8, { cmd: CMD_READ, flags: FLAG_CC, count: 0x100, cda });
    }
    const last = segment < SEGMENTS - 1
      ? { cmd: CMD_TIC, flags: 0, count: 0, cda: head + SEGMENT_STRIDE }
      : { cmd: CMD_READ, flags: 0, count: 0x100, cda: DATA_BASE };
    putCcw(ram, head + 15 * 8, last);
  }
}

const PROGRAMS: readonly { case: string; write(ram: DataView): void }[] = [
  { case: "len=1", write: chainedReads(1) },
  { case: "len=16", write: chainedReads(16) },
  { case: "len=256", write: chainedReads(256) },
  { case: "len=256,ida", write: chainedIdaReads },
  { case: `segments=${SEGMENTS}`, write: sixteenSegments },
];

/** Writes a program into a fresh engine's RAM and checks that it translates. */
async function prepare(
  create: CcwEngineFactory,
  write: (ram: DataView) => void,
): Promise<CcwEngine> {
  const engine = await create(RAM_SIZE);
  const host = engine.host;
  write(new DataView(host.buffer, host.byteOffset + engine.guestBase, RAM_SIZE));
  const report = engine.translate(defaultOrb(), LPM);
  if (report.rc !== 0) {
    throw new Error(
      `Cannot prepare ccw benchmark on "${engine.kind}": translate returned ${report.rc}`,
    );
  }
  engine.free();
  return engine;
}

/** Every channel-program benchmark case: each program on each engine. */
export const CCW_CASES: readonly CcwBenchCase[] = PROGRAMS.flatMap((program) =>
  CCW_BENCH_ENGINES.map(({ engine, create }) => ({
    name: "ccw.translate",
    case: program.case,
    engine,
    setup: async () => {
      const ready = await prepare(create, program.write);
      const orb = defaultOrb();
      return () => {
        ready.translate(orb, LPM);
        ready.free();
      };
    },
  }))
);
