/**
 * The machine's I/O configuration (cli.md §2): the default four
 * subchannels with their disks, and attaching or detaching a disk
 * (`css add` / `css remove`).
 *
 * Detaching leaves the subchannel in place but not operational — device
 * number no longer valid, disabled, no device behind it — so STSCH still
 * answers while SSCH, HSCH, CSCH and MSCH get cc 3; the channel subsystem
 * reports a subchannel CRW and the kernel runs the bound driver's
 * `schEvent` (vfio_ccw turns it into its NOT_OPER event). The disk's storage
 * is discarded. Attaching to such a subchannel brings it back the same way;
 * attaching to a new subchannel id registers a subchannel, which autoprobe
 * binds.
 *
 * @module
 */
import { busProbeDevice } from "../core/binding.ts";
import { deviceAdd } from "../core/registration.ts";
import type { World } from "../core/world.ts";
import { KernelError } from "../errno.ts";
import { cssCore } from "./core.ts";
import { CRW_ERC, CRW_RSC, crwLogLine, simpleCrw } from "./crw.ts";
import { DASD_BLOCK_SIZE, DasdDevice } from "./dasd.ts";
import { formatBusId, parseBusId } from "./ids.ts";
import { idleIoState } from "./io_state.ts";
import type { Pmcw } from "./schib.ts";
import { Subchannel } from "./subchannel.ts";

/** The CHPID every subchannel of the machine is attached through. */
export const DEFAULT_CHPID = 0x50;

/** Disk size when `css add` names none. */
export const DEFAULT_SIZE_MIB = 64;

/** Largest disk `css add` accepts (block numbers stay 32-bit). */
export const MAX_SIZE_MIB = 1024 * 1024;

/** What `css add` may choose. */
export interface AttachOptions {
  /** Device number; default: 0x1000 + the subchannel number, else the first free one from 0x1000. */
  devno?: number;
  /** Disk size in MiB (1 … {@linkcode MAX_SIZE_MIB}); default {@linkcode DEFAULT_SIZE_MIB}. */
  sizeMiB?: number;
}

/** The default machine: subchannels 0.0.0000–0.0.0003 with disks 0.0.1000–0.0.1003. */
export function bootChannelSubsystem(world: World): void {
  for (let n = 0; n < 4; n++) createSubchannel(world, `0.0.000${n}`, 0x1000 + n, DEFAULT_SIZE_MIB);
}

/**
 * `css add SCHID`: attaches a disk to a subchannel whose device was
 * removed, or registers a new subchannel with a disk.
 *
 * @throws {KernelError} EEXIST when the subchannel has a device or the device number is taken,
 *   EINVAL for a malformed id or size, or device_add's errno
 */
export function cssAttachDevice(
  world: World,
  schid: string,
  options: AttachOptions = {},
): Subchannel {
  const path = `/sys/bus/css/devices/${schid}`;
  const busId = parseBusId(schid);
  const sizeMiB = options.sizeMiB ?? DEFAULT_SIZE_MIB;
  const devnoValid = options.devno === undefined ||
    (Number.isInteger(options.devno) && options.devno >= 0 && options.devno <= 0xffff);
  const sizeValid = Number.isInteger(sizeMiB) && sizeMiB >= 1 && sizeMiB <= MAX_SIZE_MIB;
  if (busId === undefined || !devnoValid || !sizeValid) throw new KernelError("EINVAL", { path });
  const name = formatBusId(busId);
  const core = cssCore(world);
  const existing = core.subchannel(name);
  if (existing?.device) {
    throw new KernelError("EEXIST", { path, detail: "Subchannel has a device" });
  }
  const devno = options.devno ?? freeDevno(world, (0x1000 + busId.number) & 0xffff);
  const holder = core.subchannels().find((s) => s.device?.devno === devno);
  if (holder !== undefined) {
    throw new KernelError("EEXIST", {
      path,
      detail: `Device number ${formatBusId({ ssid: 0, number: devno })} is used by ${holder.schid}`,
    });
  }
  if (existing === undefined) {
    const sch = createSubchannel(world, name, devno, sizeMiB);
    reportSubchannelCrw(sch);
    return sch;
  }
  existing.device = new DasdDevice(devno, blocksOf(sizeMiB));
  existing.pmcw.devno = devno;
  existing.pmcw.dnv = true;
  reportSubchannelCrw(existing);
  if (existing.driver === undefined) busProbeDevice(existing);
  else existing.cssDriver?.schEvent?.(existing);
  return existing;
}

/**
 * `css remove SCHID`: detaches the disk; the subchannel stays, not
 * operational, and its driver gets a subchannel event.
 *
 * @throws {KernelError} ENODEV when there is no such subchannel or it has no device
 */
export function cssDetachDevice(world: World, schid: string): Subchannel {
  const sch = cssCore(world).subchannel(schid);
  if (sch?.device == null) {
    throw new KernelError("ENODEV", { path: `/sys/bus/css/devices/${schid}` });
  }
  sch.device.discardStorage(world);
  sch.device = null;
  sch.pmcw.dnv = false;
  sch.pmcw.devno = 0;
  sch.pmcw.enabled = false;
  sch.pmcw.lpum = 0;
  // Whatever was in progress ends with the device; a running program sees the new state and stops.
  sch.io = idleIoState();
  reportSubchannelCrw(sch);
  sch.cssDriver?.schEvent?.(sch);
  return sch;
}

function createSubchannel(world: World, schid: string, devno: number, sizeMiB: number): Subchannel {
  const core = cssCore(world);
  if (!core.chps.has(DEFAULT_CHPID)) core.chps.set(DEFAULT_CHPID, true);
  const pmcw: Pmcw = {
    devno,
    lpm: 0x80,
    pim: 0x80,
    pam: core.chps.get(DEFAULT_CHPID) ? 0x80 : 0,
    pom: 0xff,
    lpum: 0,
    chpids: [DEFAULT_CHPID, 0, 0, 0, 0, 0, 0, 0],
    enabled: false,
    isc: 0,
    intparm: 0,
    dnv: true,
    csense: false,
  };
  const device = new DasdDevice(devno, blocksOf(sizeMiB));
  const sch = new Subchannel(world, { schid, parent: core.root, pmcw, device });
  const ret = deviceAdd(sch);
  if (ret < 0) {
    sch.put();
    throw KernelError.fromReturn(ret, { path: `/sys/bus/css/devices/${schid}` });
  }
  return sch;
}

/** The subchannel CRW the channel subsystem reports when a device comes or goes. */
function reportSubchannelCrw(sch: Subchannel): void {
  sch.world.log(crwLogLine(simpleCrw(CRW_RSC.SCH, CRW_ERC.IPARM, sch.busId.number)));
}

function freeDevno(world: World, preferred: number): number {
  const used = new Set(cssCore(world).subchannels().map((s) => s.device?.devno));
  if (!used.has(preferred)) return preferred;
  let devno = 0x1000;
  while (used.has(devno)) devno++;
  return devno;
}

function blocksOf(sizeMiB: number): number {
  return (sizeMiB * 1024 * 1024) / DASD_BLOCK_SIZE;
}
