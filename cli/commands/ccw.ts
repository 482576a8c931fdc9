/**
 * `ccw translate` and `ccw run` (cli.md §6): a channel-program file translated as vfio-ccw's
 * cp_init + cp_prefetch + cp_get_orb do, without a device; or run through a vfio-ccw mdev the
 * whole way — open, map the guest RAM, load the program, write ORB and SCSW to the I/O region,
 * let the channel run, read the IRB back.
 *
 * @module
 */
import type { CcwEngine, TranslationReport } from "../../lib/ccw/engine.ts";
import { parseProgramFile, type ProgramFile } from "../../lib/ccw/program_file.ts";
import { reportToJson } from "../../lib/ccw/report_json.ts";
import type { World } from "../../lib/core/world.ts";
import { decodeScsw, type Scsw } from "../../lib/css/scsw.ts";
import type { CcwEngineKind } from "../../lib/drivers/vfio_ccw/cp.ts";
import { isVfioCcwDevice, type VfioCcwDevice } from "../../lib/drivers/vfio_ccw/private.ts";
import { runProgram, type RunResult } from "../../lib/drivers/vfio_ccw/run_program.ts";
import { type ErrnoName, errnoName, KernelError } from "../../lib/errno.ts";
import { mdevCore } from "../../lib/mdev/core.ts";
import { handleDevice, vfioClose, vfioOpen } from "../../lib/vfio/core.ts";
import { VfioDevice } from "../../lib/vfio/device.ts";
import { createCcwReference } from "../../lib/wasm/ccw_reference.ts";
import { EXIT, UsageError } from "../errors.ts";
import { out, outJson } from "../output.ts";
import { type GlobalOptions, withWorld } from "../session.ts";
import { parseUuidArg } from "./mdev.ts";

/** Options of `ccw translate`. */
export interface TranslateOptions extends GlobalOptions {
  /** The translator: the WebAssembly core (default) or the TypeScript reference. */
  engine?: string;
}

/** Options of `ccw run`. */
export interface RunOptions extends GlobalOptions {
  /** Run through this open handle (its guest RAM stays for `vfio run --handle`); else a temporary one. */
  handle?: string;
}

async function readProgram(file: string): Promise<ProgramFile> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    throw new UsageError(`cannot read program file ${file}: ${(error as Error).message}`);
  }
  return parseProgramFile(text, file);
}

function parseEngine(text: string | undefined): CcwEngineKind {
  const kind = text ?? "wasm";
  if (kind !== "wasm" && kind !== "ts") {
    throw new UsageError(`invalid value '${kind}' for '--engine <engine>': expected wasm or ts`);
  }
  return kind;
}

async function createEngine(kind: CcwEngineKind, ramSize: number): Promise<CcwEngine> {
  if (kind === "ts") return createCcwReference(ramSize);
  const { createCcwWasm } = await import("../../lib/wasm/ccw.ts");
  return await createCcwWasm(ramSize);
}

const byte = (value: number) => `0x${value.toString(16).padStart(2, "0")}`;
const hex = (value: number | bigint) => `0x${value.toString(16)}`;

/** The report as text: rc, host ORB bytes 4–7, then one table per segment. */
export function formatReport(report: TranslationReport): string {
  const errno = report.rc === 0 ? "" : ` (${errnoName(report.rc) ?? "?"})`;
  const orb = report.hostOrb;
  const lines = [
    `rc ${report.rc}${errno}`,
    orb === null
      ? "host ORB -"
      : `host ORB byte4=${byte(orb.byte4)} byte5=${byte(orb.byte5)} lpm=${byte(orb.lpm)} byte7=${
        byte(orb.byte7)
      }`,
  ];
  report.segments.forEach((segment, s) => {
    lines.push(`segment ${s} iova=${hex(segment.iova)}`);
    const rows = segment.ccws.map((ccw, i) => [
      String(i),
      byte(ccw.cmd),
      byte(ccw.flags),
      String(ccw.count),
      ccw.tic === null ? "-" : `${ccw.tic.segment}+${hex(ccw.tic.offset)}`,
      ccw.idaws.length === 0
        ? "-"
        : ccw.idaws.map((idaw) => `${hex(idaw.value)}${idaw.pinned ? " pinned" : " raw"}`)
          .join(", "),
    ]);
    lines.push(...table(["ccw", "cmd", "flags", "count", "tic", "idaws"], rows));
  });
  return lines.join("\n") + "\n";
}

/** Left-aligned columns two spaces apart, indented by two. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  return [header, ...rows].map((row) =>
    "  " + row.map((cell, c) => c === row.length - 1 ? cell : cell.padEnd(widths[c]!)).join("  ")
  );
}

/**
 * `mdevsim ccw translate FILE [--engine wasm|ts]`: prints the translation report; a failed
 * translation still prints it and exits 1.
 */
export async function translate(options: TranslateOptions, file: string): Promise<void> {
  const kind = parseEngine(options.engine);
  const program = await readProgram(file);
  const engine = await createEngine(kind, program.ram);
  for (const write of program.memory) engine.host.set(write.bytes, engine.guestBase + write.addr);
  const report = engine.translate(program.orb, program.lpm);
  engine.free();
  if (options.json) outJson(reportToJson(report));
  else out(formatReport(report));
  if (report.rc !== 0) Deno.exitCode = EXIT.KERNEL;
}

/** The vfio-ccw device of an mdev: ENOENT for an unknown UUID, ENODEV/EINVAL otherwise. */
function ccwDeviceOf(world: World, uuid: string): VfioCcwDevice {
  const path = `/sys/bus/mdev/devices/${uuid}`;
  const mdev = mdevCore(world).list.get(uuid);
  if (mdev === undefined) throw new KernelError("ENOENT", { path });
  const vdev = mdev.driverData;
  if (!(vdev instanceof VfioDevice) || vdev.group === undefined) {
    throw new KernelError("ENODEV", { path });
  }
  if (!isVfioCcwDevice(vdev)) throw new KernelError("EINVAL", { path, detail: "not vfio-ccw" });
  return vdev;
}

function parseHandle(text: string): number {
  if (!/^[0-9]{1,9}$/.test(text)) {
    throw new UsageError(`invalid value '${text}' for '--handle <h>': not a handle number`);
  }
  return Number(text);
}

const FCTL_NAMES = ["clear", "halt", "start"];
const ACTL_NAMES = [
  "suspended",
  "device-active",
  "subchannel-active",
  "clear-pending",
  "halt-pending",
  "start-pending",
  "resume-pending",
];
const STCTL_NAMES = ["status-pending", "secondary", "primary", "intermediate", "alert"];
const DSTAT_NAMES = ["UX", "UC", "DE", "CE", "BUSY", "CUE", "SM", "ATTN"];
const CSTAT_NAMES = ["CHAIN", "ICC", "CCC", "CDC", "PROT", "PGM", "IL", "PCI"];

/** The names of the set bits of `value`, bit 0 first; `-` when none. */
function bitNames(value: number, names: readonly string[]): string {
  const set = names.filter((_, bit) => (value & (1 << bit)) !== 0);
  return set.length === 0 ? "-" : set.reverse().join(",");
}

function hexBytes(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The decoded IRB as JSON. */
function irbJson(irb: Uint8Array) {
  const scsw: Scsw = decodeScsw(irb);
  return {
    scsw: {
      key: scsw.key,
      cc: scsw.cc,
      fctl: bitNames(scsw.fctl, FCTL_NAMES),
      actl: bitNames(scsw.actl, ACTL_NAMES),
      stctl: bitNames(scsw.stctl, STCTL_NAMES),
      cpa: hex(scsw.cpa),
      dstat: byte(scsw.dstat),
      cstat: byte(scsw.cstat),
      count: scsw.count,
    },
    esw: hexBytes(irb.subarray(12, 32)),
    ecw: hexBytes(irb.subarray(32, 64)),
  };
}

/** The run's outcome as text. */
export function formatRun(result: RunResult): string {
  const errno = result.retCode === 0 ? "" : ` (${errnoName(result.retCode) ?? "?"})`;
  const scsw = decodeScsw(result.irb);
  return [
    `ret_code ${result.retCode}${errno}`,
    `interrupts ${result.interrupts}`,
    `scsw key=${scsw.key} cc=${scsw.cc} fctl=${bitNames(scsw.fctl, FCTL_NAMES)} actl=${
      bitNames(scsw.actl, ACTL_NAMES)
    } stctl=${bitNames(scsw.stctl, STCTL_NAMES)}`,
    `     cpa=${hex(scsw.cpa)} dstat=${byte(scsw.dstat)} (${
      bitNames(scsw.dstat, DSTAT_NAMES)
    }) cstat=${byte(scsw.cstat)} (${bitNames(scsw.cstat, CSTAT_NAMES)}) count=${scsw.count}`,
    `esw ${hexBytes(result.irb.subarray(12, 32))}`,
    `ecw ${hexBytes(result.irb.subarray(32, 64))}`,
  ].join("\n") + "\n";
}

/**
 * `mdevsim ccw run DEVICE FILE [--handle H]`: the whole I/O path through the vfio-ccw mdev
 * DEVICE; prints the ret_code and the IRB decoded. A request the driver refused (non-zero
 * ret_code) still prints and exits 1.
 */
export async function run(options: RunOptions, deviceArg: string, file: string): Promise<void> {
  const uuid = parseUuidArg(deviceArg, "DEVICE");
  const given = options.handle === undefined ? undefined : parseHandle(options.handle);
  const program = await readProgram(file);
  const result = await withWorld(options, ({ world }) => {
    if (given !== undefined) {
      if (handleDevice(world, given).handle.name !== uuid) {
        throw new KernelError("EINVAL", {
          path: `handle ${given}`,
          detail: `not a handle of ${uuid}`,
        });
      }
      return runProgram(world, given, program);
    }
    const vdev = ccwDeviceOf(world, uuid);
    const handle = vfioOpen(world, vdev.group!, uuid, `/dev/vfio/${vdev.group}`);
    try {
      return runProgram(world, handle.id, program);
    } finally {
      vfioClose(world, handle.id);
    }
  });
  if (options.json) {
    const errno: ErrnoName | null = result.retCode === 0 ? null : errnoName(result.retCode) ?? null;
    outJson({
      device: uuid,
      retCode: result.retCode,
      errno,
      interrupts: result.interrupts,
      irb: irbJson(result.irb),
    });
  } else out(formatRun(result));
  if (result.retCode !== 0) Deno.exitCode = EXIT.KERNEL;
}
