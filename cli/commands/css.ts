/**
 * `css list`, `css add`, `css remove`, `css chp` (cli.md §2): the channel
 * subsystem's subchannels and their disks, attaching and detaching a disk,
 * and taking a channel path offline or online.
 *
 * @module
 */
import type { World } from "../../lib/core/world.ts";
import { setChannelPath } from "../../lib/css/chp.ts";
import { cssCore } from "../../lib/css/core.ts";
import { DASD_TYPE } from "../../lib/css/dasd.ts";
import { cssAttachDevice, cssDetachDevice, MAX_SIZE_MIB } from "../../lib/css/hotplug.ts";
import { formatBusId, parseBusId } from "../../lib/css/ids.ts";
import type { Subchannel } from "../../lib/css/subchannel.ts";
import { UsageError } from "../errors.ts";
import { out, outJson } from "../output.ts";
import { type GlobalOptions, withWorld } from "../session.ts";

/** One row of `css list`. */
export interface SubchannelRow {
  schid: string;
  /** `0.0.1000`, or null when the device was removed. */
  devno: string | null;
  type: string | null;
  sizeMiB: number | null;
  driver: string | null;
  enabled: boolean;
  operational: boolean;
  lpm: string;
  pam: string;
  chpids: string[];
}

/** A subchannel id argument (`0.0.000a`, any case) in canonical form, else a usage error. */
export function parseSchidArg(text: string): string {
  const id = parseBusId(text);
  if (id === undefined) {
    throw new UsageError(`invalid subchannel id '${text}': expected 0.<ssid>.<4 hex digits>`);
  }
  return formatBusId(id);
}

/** `--devno`: `0.0.1004`, `1004` or `0x1004` (hex), else a usage error. */
export function parseDevnoArg(text: string): number {
  const busId = parseBusId(text);
  if (busId !== undefined) return busId.number;
  const m = /^(?:0x)?([0-9a-fA-F]{1,4})$/.exec(text);
  if (m === null) throw new UsageError(`invalid device number '${text}': expected 0.0.xxxx or hex`);
  return parseInt(m[1]!, 16);
}

/** `--size`: MiB, a decimal integer from 1 to MAX_SIZE_MIB, else a usage error. */
export function parseSizeArg(text: string): number {
  const size = /^[0-9]{1,7}$/.test(text) ? Number(text) : NaN;
  if (!(size >= 1 && size <= MAX_SIZE_MIB)) {
    throw new UsageError(`invalid size '${text}': expected MiB from 1 to ${MAX_SIZE_MIB}`);
  }
  return size;
}

/** A CHPID: `50`, `0x50`, `0.50` or `chp0.50` (hex), else a usage error. */
export function parseChpidArg(text: string): number {
  const m = /^(?:chp0\.|0\.|0x)?([0-9a-fA-F]{1,2})$/.exec(text);
  if (m === null) throw new UsageError(`invalid CHPID '${text}': expected hex such as 50 or 0.50`);
  return parseInt(m[1]!, 16);
}

function hex2(n: number): string {
  return `0x${n.toString(16).padStart(2, "0")}`;
}

function rowOf(sch: Subchannel): SubchannelRow {
  const dev = sch.device;
  const p = sch.pmcw;
  return {
    schid: sch.schid,
    devno: dev === null ? null : formatBusId({ ssid: sch.busId.ssid, number: dev.devno }),
    type: dev === null ? null : DASD_TYPE.devType.toString(16),
    sizeMiB: dev === null ? null : dev.sizeMiB,
    driver: sch.driver?.name ?? null,
    enabled: p.enabled,
    operational: sch.operational,
    lpm: hex2(p.lpm),
    pam: hex2(p.pam),
    chpids: p.chpids.filter((_, path) => (p.pim & (0x80 >> path)) !== 0).map(hex2),
  };
}

/** The rows of `css list`, in subchannel-id order. */
export function subchannelRows(world: World): SubchannelRow[] {
  return cssCore(world).subchannels().map(rowOf);
}

/** The table `css list` prints. */
export function formatSubchannelTable(rows: readonly SubchannelRow[]): string {
  const header = ["SCHID", "DEVNO", "TYPE", "SIZE", "DRIVER", "ENABLED", "LPM"];
  const cells = rows.map((r) => [
    r.schid,
    r.devno ?? "-",
    r.type ?? "-",
    r.sizeMiB === null ? "-" : `${r.sizeMiB} MiB`,
    r.driver ?? "-",
    r.enabled ? "yes" : "no",
    r.lpm,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (cols: string[]) =>
    cols.map((c, i) => (i === cols.length - 1 ? c : c.padEnd(widths[i]! + 2))).join("") + "\n";
  return [header, ...cells].map(line).join("");
}

/** `mdevsim css list`. */
export async function list(options: GlobalOptions): Promise<void> {
  await withWorld(options, ({ world, json }) => {
    const rows = subchannelRows(world);
    if (json) outJson({ subchannels: rows });
    else out(formatSubchannelTable(rows));
  }, { readOnly: true });
}

/** `mdevsim css add SCHID [--devno D] [--type 3390] [--size MiB]`. */
export async function add(
  options: GlobalOptions & { devno?: string; type?: string; size?: string },
  schid: string,
): Promise<void> {
  const name = parseSchidArg(schid);
  if (options.type !== undefined && options.type !== "3390") {
    throw new UsageError(`unsupported device type '${options.type}': only 3390 is emulated`);
  }
  const devno = options.devno === undefined ? undefined : parseDevnoArg(options.devno);
  const sizeMiB = options.size === undefined ? undefined : parseSizeArg(options.size);
  await withWorld(options, ({ world, json }) => {
    const sch = cssAttachDevice(world, name, {
      ...(devno === undefined ? {} : { devno }),
      ...(sizeMiB === undefined ? {} : { sizeMiB }),
    });
    if (json) outJson(rowOf(sch));
  });
}

/** `mdevsim css remove SCHID`: the disk goes, the subchannel stays not operational. */
export async function remove(options: GlobalOptions, schid: string): Promise<void> {
  const name = parseSchidArg(schid);
  await withWorld(options, ({ world, json }) => {
    const sch = cssDetachDevice(world, name);
    if (json) outJson(rowOf(sch));
  });
}

/** `mdevsim css chp CHPID on|off`: prints nothing (JSON: the CRW reported, or null). */
export async function chp(options: GlobalOptions, chpid: string, state: string): Promise<void> {
  const id = parseChpidArg(chpid);
  if (state !== "on" && state !== "off") {
    throw new UsageError(`invalid state '${state}': expected on or off`);
  }
  await withWorld(options, ({ world, json }) => {
    const crw = setChannelPath(world, id, state === "on");
    if (json) {
      outJson({
        chpid: hex2(id),
        online: state === "on",
        crw: crw === null ? null : `0x${crw.toString(16).padStart(8, "0")}`,
      });
    }
  });
}
