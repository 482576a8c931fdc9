/**
 * The channel: executes a started channel program from host memory against
 * the subchannel's disk, one CCW at a time as fetched (no prefetch), and
 * reports how it ended.
 *
 * * CCWs are Format-1 (ORB F) or Format-0 (converted, vfio-ccw.md §1.2),
 *   doubleword aligned, 31-bit (24-bit for Format-0). A TIC continues at its
 *   address; a TIC fetched by a TIC is a program check.
 * * Data addresses are direct, or with IDA an IDAL: Format-2 (8-byte IDAWs,
 *   ORB c64) in 4 KiB blocks, or 2 KiB with i2k; Format-1 (4-byte, 31-bit)
 *   in 2 KiB blocks. The first IDAW may point anywhere in its block, the
 *   others must start one (forward) or end one (read backward).
 * * READ BACKWARD stores at descending addresses starting at the data
 *   address (or the first IDAW), as the architecture defines it.
 * * Data chaining (CD): when a CCW's count runs out and the device has more
 *   to transfer, the next CCW (following a TIC) continues the same command;
 *   its command code is ignored, its own flags (SKP, IDA, PCI, SLI) apply.
 * * Incorrect length: the device transferred a different amount than the
 *   (data-chained) counts allowed. SLI on the last CCW suppresses it unless
 *   that CCW also has CD. Unsuppressed, it ends the program (no command
 *   chaining) with the residual count in the SCSW.
 * * SKP: read-type commands (READ, READ BACKWARD, SENSE, SENSE ID) count the
 *   bytes but store nothing.
 * * PCI: when a command whose CCWs carried PCI ends and chaining goes on,
 *   intermediate status is presented and the program continues; when it was
 *   the last command, PCI joins the final status.
 * * The program ends with channel end + device end, plus unit check when the
 *   device rejected the command or its data; CPA = the last CCW used + 8.
 * * Program check: a CCW or IDAW out of host memory or misaligned, an
 *   invalid command code (low nibble 0, or X8 with X ≠ 0 in Format-1), a
 *   Format-0 count of 0, the S flag without ORB suspend control, MIDA (no
 *   MIDAW facility here), a transport-mode ORB.
 * * Bound: hardware would run a TIC loop forever; the channel stops after
 *   {@linkcode CCW_BUDGET} CCW fetches with a channel-control check.
 *
 * @module
 */
import type { World } from "../core/world.ts";
import { type Ccw, CCW_CMD, CCW_FLAG, CCW_SIZE, decodeCcw } from "./ccw.ts";
import type { DasdDevice } from "./dasd.ts";
import type { Orb } from "./orb.ts";
import { CSTAT, DSTAT } from "./scsw.ts";

/** CCW fetches (TICs included) one start function may make before the channel gives up. */
export const CCW_BUDGET = 1 << 20;

/** How a program ended. */
export type ChannelOutcome =
  /** Final status for the SCSW. */
  | { kind: "status"; dstat: number; cstat: number; cpa: number; count: number }
  /** A halt or clear became pending at an intermediate interrupt: the program stopped after `cpa - 8`. */
  | { kind: "stopped"; cpa: number };

/** What the channel asks of the subchannel while a program runs. */
export interface ChannelCallbacks {
  /**
   * Presents intermediate status (PCI): `cpa` points past the last CCW of
   * the command that ended, `count` is its residual. Returns true when the
   * program must stop (a halt or clear became pending meanwhile).
   */
  intermediate(cpa: number, count: number): boolean;
}

/** What one run needs. */
export interface ChannelProgramContext {
  world: World;
  device: DasdDevice;
  orb: Orb;
  host: Uint8Array;
  callbacks: ChannelCallbacks;
}

/**
 * Runs a started program to its end (or to a halt/clear at an intermediate
 * interrupt).
 */
export function runChannelProgram(context: ChannelProgramContext): ChannelOutcome {
  return new ChannelProgram(context).run();
}

/** A condition that ends the program at once (program check, channel-control check). */
class ChannelCheck {
  constructor(readonly cstat: number, readonly cpa: number, readonly count: number) {}
}

class ChannelProgram {
  readonly #context: ChannelProgramContext;
  readonly #host: Uint8Array;
  readonly #view: DataView;
  readonly #fmt1: boolean;
  #budget = CCW_BUDGET;
  /** Address of the last CCW fetched. */
  #last = 0;
  /** A PCI flag was met and not presented yet. */
  #pci = false;

  constructor(context: ChannelProgramContext) {
    this.#context = context;
    this.#host = context.host;
    this.#view = new DataView(
      context.host.buffer,
      context.host.byteOffset,
      context.host.byteLength,
    );
    this.#fmt1 = context.orb.fmt1;
  }

  get host(): Uint8Array {
    return this.#host;
  }

  get view(): DataView {
    return this.#view;
  }

  get orb(): Orb {
    return this.#context.orb;
  }

  run(): ChannelOutcome {
    const orb = this.#context.orb;
    try {
      if (orb.transport) throw new ChannelCheck(CSTAT.PROG_CHECK, orb.cpa + CCW_SIZE, 0);
      let addr = orb.cpa;
      for (;;) {
        const ccw = this.#fetchCommand(addr);
        const result = this.#execute(ccw);
        if ("kind" in result) return result;
        addr = this.#last + CCW_SIZE;
        if (this.#pci) {
          this.#pci = false;
          if (this.#context.callbacks.intermediate(addr, result.residual)) {
            return { kind: "stopped", cpa: addr };
          }
        }
      }
    } catch (error) {
      if (!(error instanceof ChannelCheck)) throw error;
      return this.#end(0, error.cstat, error.cpa, error.count);
    }
  }

  /** A program check for the CCW at `at`. */
  programCheck(at: number, count = 0): ChannelCheck {
    return new ChannelCheck(CSTAT.PROG_CHECK, at + CCW_SIZE, count);
  }

  /** Address of the last CCW fetched. */
  get last(): number {
    return this.#last;
  }

  /** The next CCW of a data chain (the command code is ignored, a TIC is followed). */
  fetchDataChained(): Ccw {
    const ccw = this.#fetchFollowingTic(this.#last + CCW_SIZE);
    this.#checkFlags(ccw);
    return ccw;
  }

  #execute(first: Ccw): ChannelOutcome | { residual: number } {
    const at = this.#last;
    const op = this.#context.device.command(this.#context.world, first.cmd);
    const stat = DSTAT.CHN_END | DSTAT.DEV_END;
    if (op.kind === "reject") {
      return this.#end(stat | DSTAT.UNIT_CHECK, 0, at + CCW_SIZE, first.count);
    }
    const area = new DataArea(this, first);
    let deviceHadMore = false;
    let accepted = true;
    if (op.kind === "read") {
      const stored = area.store(op.data, op.backward);
      deviceHadMore = stored < op.data.length;
      op.done();
    } else if (op.kind === "write") {
      const data = area.fetch(op.length);
      deviceHadMore = data.length < op.length;
      accepted = op.done(data);
    }
    const last = area.ccw;
    const lastAt = this.#last;
    const residual = area.remaining;
    const suppressed = (last.flags & CCW_FLAG.SLI) !== 0 && (last.flags & CCW_FLAG.CD) === 0;
    const incorrectLength = (deviceHadMore || residual > 0) && !suppressed;
    const dstat = stat | (accepted ? 0 : DSTAT.UNIT_CHECK);
    if (!accepted || incorrectLength || (last.flags & CCW_FLAG.CC) === 0) {
      return this.#end(dstat, incorrectLength ? CSTAT.INCORR_LEN : 0, lastAt + CCW_SIZE, residual);
    }
    return { residual };
  }

  #end(dstat: number, cstat: number, cpa: number, count: number): ChannelOutcome {
    return { kind: "status", dstat, cstat: cstat | (this.#pci ? CSTAT.PCI : 0), cpa, count };
  }

  /** The CCW that starts a command (after any TIC), validated. */
  #fetchCommand(addr: number): Ccw {
    const ccw = this.#fetchFollowingTic(addr);
    const low = ccw.cmd & 0x0f;
    if (low === 0 || (this.#fmt1 && low === CCW_CMD.TIC)) throw this.programCheck(this.#last);
    this.#checkFlags(ccw);
    return ccw;
  }

  /** Flag and count checks every non-TIC CCW gets; notes PCI. */
  #checkFlags(ccw: Ccw): void {
    if (!this.#fmt1 && ccw.count === 0) throw this.programCheck(this.#last);
    if ((ccw.flags & CCW_FLAG.SUSPEND) !== 0 && !this.#context.orb.suspend) {
      throw this.programCheck(this.#last);
    }
    if ((ccw.flags & CCW_FLAG.MIDA) !== 0) throw this.programCheck(this.#last);
    if ((ccw.flags & CCW_FLAG.PCI) !== 0) this.#pci = true;
  }

  #fetchFollowingTic(addr: number): Ccw {
    const ccw = this.#fetch(addr);
    if (ccw.cmd !== CCW_CMD.TIC) return ccw;
    const target = this.#fetch(ccw.cda);
    if (target.cmd === CCW_CMD.TIC) throw this.programCheck(this.#last);
    return target;
  }

  #fetch(addr: number): Ccw {
    if (this.#budget === 0) throw new ChannelCheck(CSTAT.CHN_CTRL_CHK, this.#last + CCW_SIZE, 0);
    this.#budget--;
    const limit = this.#fmt1 ? 0x7fffffff : 0xffffff;
    if (addr % CCW_SIZE !== 0 || addr > limit || addr + CCW_SIZE > this.#host.length) {
      throw this.programCheck(addr);
    }
    this.#last = addr;
    return decodeCcw(this.#view, addr, this.#fmt1);
  }
}

/**
 * The data area of one command: its CCW and the data-chained ones after it,
 * walked byte-run by byte-run through direct addresses or IDALs.
 */
class DataArea {
  readonly #program: ChannelProgram;
  /** The CCW whose count is being used. */
  ccw: Ccw;
  /** Its count left. */
  remaining = 0;
  /** Next data address (direct), or within the current IDAW block. */
  #addr = 0;
  /** Address of the next IDAW. */
  #idal = 0;
  /** Bytes left in the current IDAW block (0: fetch the next IDAW). */
  #blockLeft = 0;
  #firstIdaw = true;

  constructor(program: ChannelProgram, ccw: Ccw) {
    this.#program = program;
    this.ccw = ccw;
    this.#begin(ccw);
  }

  /** Device → storage; returns how many bytes of `data` the counts took. */
  store(data: Uint8Array, backward: boolean): number {
    const host = this.#program.host;
    let done = 0;
    while (done < data.length) {
      if (this.remaining === 0) {
        if (!this.#chain()) break;
        continue;
      }
      const want = Math.min(this.remaining, data.length - done);
      if ((this.ccw.flags & CCW_FLAG.SKIP) !== 0) {
        this.remaining -= want;
        done += want;
        continue;
      }
      const { at, n } = this.#run(want, backward);
      if (backward) { for (let i = 0; i < n; i++) host[at - i] = data[done + i]!; }
      else host.set(data.subarray(done, done + n), at);
      this.remaining -= n;
      done += n;
    }
    return done;
  }

  /** Storage → device: up to `length` bytes (fewer when the counts run out). */
  fetch(length: number): Uint8Array {
    const host = this.#program.host;
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      if (this.remaining === 0) {
        if (!this.#chain()) break;
        continue;
      }
      const { at, n } = this.#run(Math.min(this.remaining, length - done), false);
      out.set(host.subarray(at, at + n), done);
      this.remaining -= n;
      done += n;
    }
    return out.subarray(0, done);
  }

  #begin(ccw: Ccw): void {
    this.ccw = ccw;
    this.remaining = ccw.count;
    this.#blockLeft = 0;
    this.#firstIdaw = true;
    const orb = this.#program.orb;
    if ((ccw.flags & CCW_FLAG.IDA) !== 0) {
      const size = orb.c64 ? 8 : 4;
      if (ccw.cda % size !== 0) throw this.#check();
      this.#idal = ccw.cda;
    } else {
      if (orb.fmt1 && ccw.cda > 0x7fffffff) throw this.#check();
      this.#addr = ccw.cda;
    }
  }

  /** Data chaining: false when the CCW does not chain data. */
  #chain(): boolean {
    if ((this.ccw.flags & CCW_FLAG.CD) === 0) return false;
    this.#begin(this.#program.fetchDataChained());
    return true;
  }

  /** The next contiguous host run of at most `want` bytes: its first address and length. */
  #run(want: number, backward: boolean): { at: number; n: number } {
    let n = want;
    if ((this.ccw.flags & CCW_FLAG.IDA) !== 0) {
      if (this.#blockLeft === 0) this.#nextIdaw(backward);
      n = Math.min(n, this.#blockLeft);
      this.#blockLeft -= n;
    }
    const at = this.#addr;
    const low = backward ? at - n + 1 : at;
    if (low < 0 || low + n > this.#program.host.length) throw this.#check();
    this.#addr = backward ? at - n : at + n;
    return { at, n };
  }

  #nextIdaw(backward: boolean): void {
    const { c64, i2k } = this.#program.orb;
    const size = c64 ? 8 : 4;
    const block = c64 && !i2k ? 4096 : 2048;
    const view = this.#program.view;
    if (this.#idal + size > view.byteLength) throw this.#check();
    let addr: number;
    if (c64) {
      addr = view.getUint32(this.#idal) * 2 ** 32 + view.getUint32(this.#idal + 4);
    } else {
      addr = view.getUint32(this.#idal);
      if (addr > 0x7fffffff) throw this.#check();
    }
    const offset = addr % block;
    if (this.#firstIdaw) {
      this.#blockLeft = backward ? offset + 1 : block - offset;
    } else {
      if (offset !== (backward ? block - 1 : 0)) throw this.#check();
      this.#blockLeft = block;
    }
    this.#firstIdaw = false;
    this.#idal += size;
    this.#addr = addr;
  }

  #check(): ChannelCheck {
    return this.#program.programCheck(this.#program.last, this.remaining);
  }
}
