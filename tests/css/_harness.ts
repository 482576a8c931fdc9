/**
 * Test harness for the channel subsystem: a css driver that records what
 * the channel subsystem tells it, a machine with subchannel 0.0.0001 handed
 * to that driver the documented way (unbind, driver_override,
 * drivers_probe), and a host address space to build channel programs in.
 *
 * @module
 */
import type { Device } from "../../lib/core/device.ts";
import { driverRegister } from "../../lib/core/registration.ts";
import type { World } from "../../lib/core/world.ts";
import { type Ccw, encodeCcw1 } from "../../lib/css/ccw.ts";
import { msch, ssch, tsch } from "../../lib/css/cio.ts";
import { cssCore } from "../../lib/css/core.ts";
import { CssDriver } from "../../lib/css/driver.ts";
import { encodeOrb, type Orb } from "../../lib/css/orb.ts";
import { decodeScsw, type Scsw } from "../../lib/css/scsw.ts";
import type { Subchannel } from "../../lib/css/subchannel.ts";
import { bootWorld } from "../../lib/machine.ts";
import { writeAttrText } from "../../lib/sysfs/io.ts";

/** The subchannel the channel tests drive. */
export const SCHID = "0.0.0001";

/** What a {@linkcode RecordingDriver} saw. */
export interface Recorded {
  /** IRBs fetched by the irq hook (each 64 bytes). */
  irbs: Uint8Array[];
  /** irq hook calls (also those that left the status pending). */
  irqs: number;
  schEvents: string[];
  chpEvents: Array<{ schid: string; mask: number; event: string }>;
}

/** A css driver that records its hooks; with `fetch` off its irq leaves the status pending. */
export class RecordingDriver extends CssDriver {
  readonly seen: Recorded = { irbs: [], irqs: 0, schEvents: [], chpEvents: [] };
  fetch = true;
  probed: string[] = [];

  constructor(world: World, name = "recorder") {
    super(world, name);
  }

  override probe(dev: Device): number {
    this.probed.push(dev.name);
    return 0;
  }

  irq(sch: Subchannel): void {
    this.seen.irqs++;
    if (!this.fetch) return;
    const irb = tsch(sch);
    if (irb !== null) this.seen.irbs.push(irb);
  }

  schEvent(sch: Subchannel): void {
    this.seen.schEvents.push(sch.schid);
  }

  chpEvent(sch: Subchannel, mask: number, event: "online" | "offline"): void {
    this.seen.chpEvents.push({ schid: sch.schid, mask, event });
  }
}

/**
 * Registers a recorder and hands `schid` to it through sysfs, then enables
 * the subchannel without concurrent sense.
 */
export function handToRecorder(world: World, schid = SCHID): {
  sch: Subchannel;
  driver: RecordingDriver;
} {
  const driver = new RecordingDriver(world);
  if (driverRegister(driver) !== 0) throw new Error("cannot register the recorder");
  writeAttrText(world, `/sys/bus/css/devices/${schid}/driver/unbind`, `${schid}\n`);
  writeAttrText(world, `/sys/bus/css/devices/${schid}/driver_override`, "recorder\n");
  writeAttrText(world, "/sys/bus/css/drivers_probe", `${schid}\n`);
  const sch = cssCore(world).subchannel(schid)!;
  // io_subchannel left concurrent sense on; the tests want the sense bytes to stay with the device.
  if (msch(sch, { enabled: true, isc: 3, csense: false }) !== 0) throw new Error("cannot enable");
  return { sch, driver };
}

/** The default machine with 0.0.0001 handed to a recorder. */
export function channelWorld(): { world: World; sch: Subchannel; driver: RecordingDriver } {
  const world = bootWorld();
  return { world, ...handToRecorder(world) };
}

/** Host memory with helpers to lay out CCWs, IDALs and data, big-endian. */
export class Host {
  readonly bytes: Uint8Array;
  readonly view: DataView;

  constructor(size = 1 << 20) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  /** Format-1 CCWs laid out from `addr`, 8 bytes apart. */
  ccws(addr: number, ...ccws: Ccw[]): void {
    ccws.forEach((ccw, i) => this.bytes.set(encodeCcw1(ccw), addr + 8 * i));
  }

  /** A Format-2 IDAL (8-byte IDAWs) at `addr`. */
  idal(addr: number, ...idaws: number[]): void {
    idaws.forEach((a, i) => this.view.setBigUint64(addr + 8 * i, BigInt(a)));
  }

  /** A Format-1 IDAL (4-byte IDAWs) at `addr`. */
  idal1(addr: number, ...idaws: number[]): void {
    idaws.forEach((a, i) => this.view.setUint32(addr + 4 * i, a));
  }

  /** A big-endian u32 at `addr` (a SEEK argument). */
  u32(addr: number, value: number): void {
    this.view.setUint32(addr, value);
  }

  /** `length` bytes at `addr`, copied. */
  read(addr: number, length: number): Uint8Array {
    return this.bytes.slice(addr, addr + length);
  }
}

/** A Format-1 ORB with 4 KiB Format-2 IDAWs on path 0x80, plus `fields`. */
export function orb(cpa: number, fields: Partial<Orb> = {}): Uint8Array {
  return encodeOrb({
    fmt1: true,
    prefetch: true,
    c64: true,
    lpm: 0x80,
    intparm: 0xfeed,
    cpa,
    ...fields,
  });
}

/** SSCH (which must give cc 0), then settle; returns the IRBs the recorder fetched meanwhile. */
export function run(world: World, sch: Subchannel, host: Host, orbBytes: Uint8Array): Uint8Array[] {
  const recorder = sch.driver as RecordingDriver;
  const before = recorder.seen.irbs.length;
  const cc = ssch(sch, orbBytes, host.bytes);
  if (cc !== 0) throw new Error(`ssch gave cc ${cc}`);
  world.settle();
  return recorder.seen.irbs.slice(before);
}

/** The SCSW of an IRB. */
export function scswOf(irb: Uint8Array): Scsw {
  return decodeScsw(irb, 0);
}

/** A block of recognisable bytes. */
export function pattern(seed: number, length = 4096): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 7 + seed * 13 + (i >> 8)) & 0xff);
}
