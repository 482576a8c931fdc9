/**
 * I/O subchannels (`struct subchannel`, drivers/s390/cio/css.c): a device
 * on the css bus, child of css0, named by its subchannel id; it carries the
 * hardware side too — the PMCW, the attached disk and the I/O state.
 *
 * @module
 */
import { Device, type DeviceSnapshot } from "../core/device.ts";
import type { World } from "../core/world.ts";
import { cssCore } from "./core.ts";
import { DasdDevice, type DasdSnapshot } from "./dasd.ts";
import type { CssDriverHooks } from "./driver.ts";
import { type BusId, parseBusId } from "./ids.ts";
import {
  idleIoState,
  type IoState,
  type IoStateSnapshot,
  loadIoState,
  saveIoState,
} from "./io_state.ts";
import { encodeSchib, type Pmcw, SUBCHANNEL_TYPE_IO } from "./schib.ts";

/** What a subchannel persists besides the core fields. */
export interface SubchannelData {
  pmcw: Pmcw;
  device: DasdSnapshot | null;
  io: IoStateSnapshot;
}

/** Where a new subchannel sits and what it holds. */
export interface SubchannelOptions {
  /** Its id, `0.0.000N` (also its device name). */
  schid: string;
  /** css0. */
  parent: Device;
  pmcw: Pmcw;
  device: DasdDevice | null;
}

/** An I/O subchannel. */
export class Subchannel extends Device {
  override get kind(): string {
    return "subchannel";
  }
  /** Its id, `0.0.000N` (also its device name). */
  readonly schid: string;
  /** Parsed {@linkcode schid}. */
  readonly busId: BusId;
  /** The subchannel type (`pmcw.st`): always I/O. */
  readonly subchannelType: number = SUBCHANNEL_TYPE_IO;
  /** The path-management-control word. */
  pmcw: Pmcw;
  /** The attached disk; null once `css remove` took it away (not operational). */
  device: DasdDevice | null;
  /** channel subsystem: SCSW, pending sense and a started program. */
  io: IoState = idleIoState();

  constructor(world: World, options: SubchannelOptions, id?: number) {
    super(world, { name: options.schid, bus: cssCore(world).bus, parent: options.parent }, id);
    const busId = parseBusId(options.schid);
    if (busId === undefined) throw new TypeError(`Cannot create subchannel "${options.schid}"`);
    this.schid = options.schid;
    this.busId = busId;
    this.pmcw = options.pmcw;
    this.device = options.device;
  }

  /** A device is attached and its device number is valid. */
  get operational(): boolean {
    return this.device !== null && this.pmcw.dnv;
  }

  /**
   * The path a start function with logical path mask `lpm` selects: the
   * leftmost installed, available and operational one in the mask; 0 if none.
   */
  pathFor(lpm: number): number {
    const usable = lpm & this.pmcw.pim & this.pmcw.pam & this.pmcw.pom & 0xff;
    return usable === 0 ? 0 : 0x80 >> (Math.clz32(usable) - 24);
  }

  /** The bound driver's css hooks (undefined while unbound). */
  get cssDriver(): CssDriverHooks | undefined {
    return this.driver as CssDriverHooks | undefined;
  }

  /**
   * STSCH: the 52-byte SCHIB, big-endian. A subchannel without a device
   * still answers (device number not valid); null (cc 3) once the
   * subchannel left the channel subsystem (its device object was deleted).
   */
  stsch(): Uint8Array | null {
    if (!this.registered) return null;
    return encodeSchib(this.pmcw, this.io.scsw);
  }

  /** css_subchannel_release(): just frees. */
  protected override release(): void {}

  /**
   * Snapshot with the hardware state under `data`.
   *
   * @throws {TypeError} While a started program has not run (settle the world first)
   */
  override toSnapshot(): DeviceSnapshot {
    const data: SubchannelData = {
      pmcw: { ...this.pmcw, chpids: [...this.pmcw.chpids] },
      device: this.device?.toSnapshot() ?? null,
      io: saveIoState(this.io, this.schid),
    };
    return { ...super.toSnapshot(), data };
  }

  /** Rebuilds a subchannel from its snapshot (its parent, css0, must exist). */
  static restore(world: World, s: DeviceSnapshot): Subchannel {
    const data = s.data as SubchannelData;
    const sch = new Subchannel(world, {
      schid: s.name,
      parent: world.device(s.parent!),
      pmcw: { ...data.pmcw, chpids: [...data.pmcw.chpids] },
      device: data.device === null ? null : DasdDevice.fromSnapshot(data.device),
    }, s.id);
    sch.io = loadIoState(data.io);
    return sch;
  }
}
