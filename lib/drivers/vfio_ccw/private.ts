/**
 * `struct vfio_ccw_private` (vfio_ccw_private.h) in the shape Eric Farman's "vfio-ccw parent
 * rework" gave it: the VFIO core allocates it with the `vfio_device` embedded when the mdev is
 * probed, the init callback sets it up (state STANDBY, the four region buffers zeroed, the
 * channel program), and the core's release frees it on the last put. There is no release
 * completion, no vfio_init_device and no vfio_free_device.
 *
 * @module
 */
import type { CcwEngine } from "../../ccw/engine.ts";
import { Subchannel } from "../../css/subchannel.ts";
import type { VfioDevice } from "../../vfio/device.ts";
import { type CcwEngineKind, ChannelProgram, type ChannelProgramSnapshot } from "./cp.ts";
import { fromHex, toHex } from "../../css/hex.ts";
import { CMD_REGION, CRW_REGION, IO_REGION, IRB_SIZE, SCHIB_REGION_SIZE } from "./uapi.ts";

/** FSM states (`enum vfio_ccw_state`). */
export const STATE = {
  NOT_OPER: 0,
  STANDBY: 1,
  IDLE: 2,
  CP_PROCESSING: 3,
  CP_PENDING: 4,
} as const;
/** An FSM state. */
export type VfioCcwState = typeof STATE[keyof typeof STATE];
/** State names for traces and tests, by number. */
export const STATE_NAMES = ["NOT_OPER", "STANDBY", "IDLE", "CP_PROCESSING", "CP_PENDING"] as const;

/** FSM events (`enum vfio_ccw_event`). */
export const EVENT = {
  NOT_OPER: 0,
  IO_REQ: 1,
  INTERRUPT: 2,
  ASYNC_REQ: 3,
  OPEN: 4,
  CLOSE: 5,
} as const;
/** An FSM event. */
export type VfioCcwEvent = typeof EVENT[keyof typeof EVENT];
/** Event names for traces and tests, by number. */
export const EVENT_NAMES = [
  "NOT_OPER",
  "IO_REQ",
  "INTERRUPT",
  "ASYNC_REQ",
  "OPEN",
  "CLOSE",
] as const;

/** The private state of one vfio-ccw device. */
export interface VfioCcwPrivate {
  /** The FSM state. */
  state: VfioCcwState;
  /** `struct ccw_io_region` (124 bytes). */
  readonly ioRegion: Uint8Array;
  /** `struct ccw_cmd_region` of the async region (8 bytes). */
  readonly cmdRegion: Uint8Array;
  /** `struct ccw_schib_region` (52 bytes). */
  readonly schibRegion: Uint8Array;
  /** `struct ccw_crw_region` (8 bytes). */
  readonly crwRegion: Uint8Array;
  /** Device-specific regions registered by open_device (0 while closed, 3 while open). */
  numRegions: number;
  /** Queued channel-report words, oldest first (`private->crw`). */
  readonly crw: number[];
  /** `private->irb`: the IRB of the last interrupt. */
  readonly irb: Uint8Array;
  /** `private->scsw`: the SCSW area copied by the last I/O request. */
  readonly scsw: Uint8Array;
  /** `io_mutex` is held (an FSM event runs); region writes then fail with EAGAIN. */
  ioMutex: boolean;
  /** The emulated eventfds of the IO, CRW and REQ IRQs. */
  ioTrigger: number | null;
  crwTrigger: number | null;
  reqTrigger: number | null;
  /** `private->cp`. */
  readonly cp: ChannelProgram;
  /** The handle whose guest RAM the engine holds, or null. */
  ramOwner: number | null;
  /** Guest pages that may have changed since the owner's blob was last written. */
  readonly dirtyPages: Set<number>;
}

/** A vfio-ccw `vfio_device` with its private state. */
export type VfioCcwDevice = VfioDevice<VfioCcwPrivate>;

/** The VFIO ops name of vfio-ccw devices (how other layers recognise one). */
export const VFIO_CCW_OPS_NAME = "vfio_ccw";

/** Whether a VFIO device is a vfio-ccw device. */
export function isVfioCcwDevice(vdev: VfioDevice): vdev is VfioCcwDevice {
  return vdev.ops.name === VFIO_CCW_OPS_NAME;
}

/**
 * vfio_ccw_mdev_init_dev(): state STANDBY, empty CRW queue, zeroed regions, the channel program.
 *
 * @param prepare Loads guest RAM and mappings into the engine when it is first built.
 */
export function newPrivate(
  kind: CcwEngineKind,
  prepare: (engine: CcwEngine) => void,
): VfioCcwPrivate {
  return {
    state: STATE.STANDBY,
    ioRegion: new Uint8Array(IO_REGION.SIZE),
    cmdRegion: new Uint8Array(CMD_REGION.SIZE),
    schibRegion: new Uint8Array(SCHIB_REGION_SIZE),
    crwRegion: new Uint8Array(CRW_REGION.SIZE),
    numRegions: 0,
    crw: [],
    irb: new Uint8Array(IRB_SIZE),
    scsw: new Uint8Array(IO_REGION.SCSW_SIZE),
    ioMutex: false,
    ioTrigger: null,
    crwTrigger: null,
    reqTrigger: null,
    cp: new ChannelProgram(kind, prepare),
    ramOwner: null,
    dirtyPages: new Set(),
  };
}

/**
 * `to_subchannel(private->vdev.dev->parent)`: the vfio_device's parent is the mdev, whose parent
 * is the subchannel (the rework dropped the stored `private->sch`).
 */
export function subchannelOf(vdev: VfioCcwDevice): Subchannel {
  const sch = vdev.parent?.parent;
  if (!(sch instanceof Subchannel)) {
    throw new RangeError(`Cannot find the subchannel of ${vdev.name}`);
  }
  return sch;
}

/** The persisted form of the private state. */
export interface VfioCcwPrivateSnapshot {
  state: VfioCcwState;
  ioRegion: string;
  cmdRegion: string;
  schibRegion: string;
  crwRegion: string;
  numRegions: number;
  crw: number[];
  irb: string;
  scsw: string;
  ioTrigger: number | null;
  crwTrigger: number | null;
  reqTrigger: number | null;
  cp: ChannelProgramSnapshot;
  ramOwner: number | null;
}

/** Named-field snapshot (the io_mutex is never held between commands). */
export function savePrivate(p: VfioCcwPrivate): VfioCcwPrivateSnapshot {
  return {
    state: p.state,
    ioRegion: toHex(p.ioRegion),
    cmdRegion: toHex(p.cmdRegion),
    schibRegion: toHex(p.schibRegion),
    crwRegion: toHex(p.crwRegion),
    numRegions: p.numRegions,
    crw: [...p.crw],
    irb: toHex(p.irb),
    scsw: toHex(p.scsw),
    ioTrigger: p.ioTrigger,
    crwTrigger: p.crwTrigger,
    reqTrigger: p.reqTrigger,
    cp: p.cp.toSnapshot(),
    ramOwner: p.ramOwner,
  };
}

/** Rebuilds the private state written by {@linkcode savePrivate}. */
export function loadPrivate(
  s: VfioCcwPrivateSnapshot,
  prepare: (engine: CcwEngine) => void,
): VfioCcwPrivate {
  return {
    state: s.state,
    ioRegion: fromHex(s.ioRegion),
    cmdRegion: fromHex(s.cmdRegion),
    schibRegion: fromHex(s.schibRegion),
    crwRegion: fromHex(s.crwRegion),
    numRegions: s.numRegions,
    crw: [...s.crw],
    irb: fromHex(s.irb),
    scsw: fromHex(s.scsw),
    ioMutex: false,
    ioTrigger: s.ioTrigger,
    crwTrigger: s.crwTrigger,
    reqTrigger: s.reqTrigger,
    cp: ChannelProgram.fromSnapshot(s.cp, prepare),
    ramOwner: s.ramOwner,
    dirtyPages: new Set(),
  };
}
