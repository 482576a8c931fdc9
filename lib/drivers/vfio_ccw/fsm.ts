/**
 * The vfio-ccw device state machine (vfio_ccw_fsm.c, vfio-ccw.md §4.2): a jump table of
 * state × event → action, the I/O request path down to SSCH (§2.1, §2.11), the async HSCH/CSCH
 * commands, the interrupt path with its work item (§2.12), and open/close of the subchannel.
 *
 * @module
 */
import { csch, hsch, ssch } from "../../css/cio.ts";
import { decodeScsw, FCTL } from "../../css/scsw.ts";
import type { Subchannel } from "../../css/subchannel.ts";
import { KernelError, neg } from "../../errno.ts";
import { vfioCore } from "../../vfio/core.ts";
import {
  cioCancelHaltClear,
  cioDisableSubchannel,
  cioEnableSubchannel,
  cioUpdateSchib,
  type HaltClearRetries,
  subchannelIntparm,
} from "./cio_helpers.ts";
import {
  EVENT,
  EVENT_NAMES,
  STATE,
  STATE_NAMES,
  subchannelOf,
  type VfioCcwDevice,
  type VfioCcwEvent,
} from "./private.ts";
import { scswIsFinal, scswIsSolicited } from "./scsw.ts";
import { ASYNC_CMD, CMD_REGION, IO_REGION, IRB_SIZE, ORB_COPY_SIZE } from "./uapi.ts";

/** ORB byte 5 bit "b": a transport-mode ORB, which vfio-ccw does not translate. */
const ORB5_TRANSPORT_MODE = 0x04;
/** ORB byte 6: the logical-path mask. */
const ORB_LPM = 6;
/** Rounds of cancel/halt/clear vfio_ccw_sch_quiesce() may need (one per CSCH retry). */
const QUIESCE_ROUNDS = 256;

/** An FSM action (`fsm_func_t`); `irb` is the IRB TSCH stored for an INTERRUPT. */
type Action = (vdev: VfioCcwDevice, event: VfioCcwEvent, irb?: Uint8Array) => void;

/**
 * vfio_ccw_fsm_event(): traces, then runs the action of the current state and the event.
 *
 * @param irb For INTERRUPT: the 64-byte IRB of the interrupt.
 */
export function vfioCcwFsmEvent(vdev: VfioCcwDevice, event: VfioCcwEvent, irb?: Uint8Array): void {
  const sch = subchannelOf(vdev);
  vdev.world.log(
    `vfio_ccw_fsm_event: sch ${sch.schid} state ${STATE_NAMES[vdev.priv.state]} event ${
      EVENT_NAMES[event]
    }`,
  );
  JUMPTABLE[vdev.priv.state]![event]!(vdev, event, irb);
}

/** Writes a kernel return code as the big-endian signed `ret_code` of a region. */
function setRetCode(region: Uint8Array, offset: number, ret: number): void {
  new DataView(region.buffer, region.byteOffset, region.byteLength).setInt32(offset, ret);
}

/** fsm_notoper(): the subchannel is gone — schedule its unregistration, drop the program. */
function fsmNotoper(vdev: VfioCcwDevice, event: VfioCcwEvent): void {
  const sch = subchannelOf(vdev);
  const priv = vdev.priv;
  vdev.world.log(
    `vfio_ccw: sch ${sch.schid}: notoper event ${EVENT_NAMES[event]} state ${
      STATE_NAMES[priv.state]
    }`,
  );
  // css_sched_sch_todo(sch, SCH_TODO_UNREG) would unregister the subchannel; mdevsim's channel
  // subsystem keeps a subchannel without a device (so `css add` can bring one back), so the
  // request is only recorded.
  vdev.world.log(`css: sch ${sch.schid}: todo unreg scheduled`);
  priv.state = STATE.NOT_OPER;
  priv.cp.free();
}

/** fsm_nop(). */
function fsmNop(): void {}

/** fsm_io_error(): an I/O request where none can be served. */
function fsmIoError(vdev: VfioCcwDevice): void {
  vdev.world.log(`vfio-ccw: FSM: I/O request from state:${vdev.priv.state}`);
  setRetCode(vdev.priv.ioRegion, IO_REGION.RET_CODE, neg("EIO"));
}

/** fsm_io_busy(): a program is already running. */
function fsmIoBusy(vdev: VfioCcwDevice): void {
  setRetCode(vdev.priv.ioRegion, IO_REGION.RET_CODE, neg("EBUSY"));
}

/** fsm_io_retry(): a program is being translated. */
function fsmIoRetry(vdev: VfioCcwDevice): void {
  setRetCode(vdev.priv.ioRegion, IO_REGION.RET_CODE, neg("EAGAIN"));
}

/** fsm_async_error(). */
function fsmAsyncError(vdev: VfioCcwDevice): void {
  vdev.world.log(`vfio-ccw: FSM: async request from state:${vdev.priv.state}`);
  setRetCode(vdev.priv.cmdRegion, CMD_REGION.RET_CODE, neg("EIO"));
}

/** fsm_async_retry(). */
function fsmAsyncRetry(vdev: VfioCcwDevice): void {
  setRetCode(vdev.priv.cmdRegion, CMD_REGION.RET_CODE, neg("EAGAIN"));
}

/** fsm_disabled_irq(): an interrupt while closed means a disable did not stick; try again. */
function fsmDisabledIrq(vdev: VfioCcwDevice): void {
  cioDisableSubchannel(subchannelOf(vdev));
}

/**
 * fsm_io_request() (§2.1): copy the SCSW area; a start function is translated (cp_init,
 * cp_prefetch) and started (fsm_io_helper); halt and clear belong to the async region.
 */
function fsmIoRequest(vdev: VfioCcwDevice): void {
  const priv = vdev.priv;
  const region = priv.ioRegion;
  const sch = subchannelOf(vdev);
  priv.state = STATE.CP_PROCESSING;
  priv.scsw.set(region.subarray(IO_REGION.SCSW, IO_REGION.SCSW + IO_REGION.SCSW_SIZE));
  const fctl = decodeScsw(priv.scsw).fctl;
  let ret: number | undefined;
  let errstr = "request";
  if (fctl & FCTL.START) {
    const orb = region.slice(IO_REGION.ORB, IO_REGION.ORB + ORB_COPY_SIZE);
    if (orb[5]! & ORB5_TRANSPORT_MODE) {
      ret = neg("EOPNOTSUPP");
      errstr = "transport mode";
    } else {
      // cp_init + cp_prefetch (cp_get_orb's lpm is the subchannel's).
      ret = priv.cp.init(orb, sch.pmcw.lpm).rc;
      if (ret !== 0) errstr = "cp init/prefetch";
      else {
        ret = fsmIoHelper(vdev, sch);
        if (ret !== 0) {
          errstr = "cp fsm_io_helper";
          priv.cp.free();
        }
      }
    }
  } else if (fctl & FCTL.HALT) {
    ret = neg("EOPNOTSUPP");
    errstr = "halt on io_region";
  } else if (fctl & FCTL.CLEAR) {
    ret = neg("EOPNOTSUPP");
    errstr = "clear on io_region";
  }
  // Without a function bit ret_code keeps whatever userspace wrote.
  if (ret !== undefined) setRetCode(region, IO_REGION.RET_CODE, ret);
  if (ret === 0) return;
  priv.state = STATE.IDLE;
  vdev.world.log(
    `vfio_ccw_fsm_io_request: fctl 0x${fctl.toString(16)} sch ${sch.schid} errno ${
      ret ?? 0
    } (${errstr})`,
  );
}

/**
 * fsm_io_helper() (§2.11): SSCH with the host ORB. cc 0 → CP_PENDING; cc 1/2 → EBUSY; cc 3
 * narrows the subchannel's lpm by the ORB's paths, then ENODEV when the SCHIB cannot be
 * refreshed or no path is left, else EACCES.
 */
function fsmIoHelper(vdev: VfioCcwDevice, sch: Subchannel): number {
  const cp = vdev.priv.cp;
  let orb: Uint8Array;
  try {
    orb = cp.hostOrb(subchannelIntparm(sch));
  } catch (error) {
    if (error instanceof KernelError) return neg("EIO");
    throw error;
  }
  switch (ssch(sch, orb, cp.engine.host)) {
    case 0:
      vdev.priv.state = STATE.CP_PENDING;
      return 0;
    case 1:
    case 2:
      return neg("EBUSY");
    default: {
      const lpm = orb[ORB_LPM]!;
      sch.pmcw.lpm = lpm !== 0 ? sch.pmcw.lpm & ~lpm & 0xff : 0;
      if (cioUpdateSchib(sch) === null) return neg("ENODEV");
      return sch.pmcw.lpm !== 0 ? neg("EACCES") : neg("ENODEV");
    }
  }
}

/** fsm_async_request(): HSCH or CSCH from the async command region. */
function fsmAsyncRequest(vdev: VfioCcwDevice): void {
  const priv = vdev.priv;
  const region = priv.cmdRegion;
  const view = new DataView(region.buffer, region.byteOffset, region.byteLength);
  const command = view.getUint32(CMD_REGION.COMMAND);
  const sch = subchannelOf(vdev);
  let ret: number;
  if (command === ASYNC_CMD.HSCH) ret = fsmDoHalt(sch);
  else if (command === ASYNC_CMD.CSCH) ret = fsmDoClear(sch);
  else ret = neg("EINVAL");
  view.setInt32(CMD_REGION.RET_CODE, ret);
  vdev.world.log(`vfio_ccw_fsm_async_request: sch ${sch.schid} command ${command} errno ${ret}`);
}

/** fsm_do_halt(): cc 0 → 0, cc 1/2 → EBUSY, cc 3 → ENODEV. */
function fsmDoHalt(sch: Subchannel): number {
  const cc = hsch(sch);
  if (cc === 0) return 0;
  if (cc === 1 || cc === 2) return neg("EBUSY");
  return neg("ENODEV");
}

/** fsm_do_clear(): cc 0 → 0, cc 3 → ENODEV, any other cc passed on as a positive number. */
function fsmDoClear(sch: Subchannel): number {
  const cc = csch(sch);
  if (cc === 3) return neg("ENODEV");
  return cc;
}

/** fsm_irq(): keep the IRB, then run the I/O work item. */
function fsmIrq(vdev: VfioCcwDevice, _event: VfioCcwEvent, irb?: Uint8Array): void {
  if (irb === undefined) throw new TypeError("Cannot handle an interrupt without its IRB");
  vdev.priv.irb.set(irb.subarray(0, IRB_SIZE));
  ioTodo(vdev);
}

/**
 * vfio_ccw_sch_io_todo() (§2.12), run as soon as the interrupt is taken: a solicited IRB gets its
 * CPA mapped back to a guest address and a final one in CP_PENDING frees the program; the IRB goes
 * to the region; the state returns to IDLE only when the program finished; the IO eventfd fires.
 */
function ioTodo(vdev: VfioCcwDevice): void {
  const priv = vdev.priv;
  const scsw = decodeScsw(priv.irb);
  const isFinal = scswIsFinal(scsw);
  let cpIsFinished = false;
  // The channel can only have stored into the pages the program pinned.
  for (const page of priv.cp.pinnedPages()) priv.dirtyPages.add(page);
  if (scswIsSolicited(scsw)) {
    priv.cp.updateScsw(priv.irb.subarray(0, IO_REGION.SCSW_SIZE));
    if (isFinal && priv.state === STATE.CP_PENDING) {
      priv.cp.free();
      cpIsFinished = true;
    }
  }
  priv.ioRegion.set(priv.irb, IO_REGION.IRB);
  if (cpIsFinished) priv.state = STATE.IDLE;
  if (priv.ioTrigger !== null) vfioCore(vdev.world).signal(priv.ioTrigger);
}

/** fsm_open(): enable the subchannel with vfio-ccw's ISC; failure makes the device NOT_OPER. */
function fsmOpen(vdev: VfioCcwDevice): void {
  const sch = subchannelOf(vdev);
  if (cioEnableSubchannel(sch, subchannelIntparm(sch)) === 0) {
    vdev.priv.state = STATE.IDLE;
    return;
  }
  vfioCcwFsmEvent(vdev, EVENT.NOT_OPER);
}

/**
 * fsm_close(): an enabled subchannel is disabled (quiesced first when busy) and the device goes
 * back to STANDBY without a program; any failure makes it NOT_OPER.
 */
function fsmClose(vdev: VfioCcwDevice): void {
  const sch = subchannelOf(vdev);
  if (sch.pmcw.enabled) {
    let ret = cioDisableSubchannel(sch);
    if (ret === neg("EBUSY")) ret = quiesce(vdev, sch);
    if (ret === 0) {
      vdev.priv.state = STATE.STANDBY;
      vdev.priv.cp.free();
      return;
    }
  }
  vfioCcwFsmEvent(vdev, EVENT.NOT_OPER);
}

/**
 * vfio_ccw_sch_quiesce(): cancel/halt/clear until the subchannel can be disabled. Where the
 * kernel waits up to 3 s for the halt or clear interrupt, mdevsim lets the channel run (the
 * interrupt arrives through the css driver's irq hook meanwhile).
 */
function quiesce(vdev: VfioCcwDevice, sch: Subchannel): number {
  let ret = neg("EBUSY");
  for (let round = 0; round < QUIESCE_ROUNDS && ret === neg("EBUSY"); round++) {
    const retries: HaltClearRetries = { count: 255 };
    ret = cioCancelHaltClear(sch, retries);
    if (ret === neg("EIO")) {
      vdev.world.log(`vfio_ccw: could not quiesce subchannel ${sch.schid}!`);
      break;
    }
    if (ret === neg("EBUSY")) vdev.world.settle();
    ret = cioDisableSubchannel(sch);
  }
  return ret;
}

/** The jump table: rows are states, columns events (NOT_OPER IO_REQ INTERRUPT ASYNC_REQ OPEN CLOSE). */
const JUMPTABLE: readonly (readonly Action[])[] = [
  // NOT_OPER
  [fsmNop, fsmIoError, fsmDisabledIrq, fsmAsyncError, fsmNop, fsmNop],
  // STANDBY
  [fsmNotoper, fsmIoError, fsmDisabledIrq, fsmAsyncError, fsmOpen, fsmNotoper],
  // IDLE
  [fsmNotoper, fsmIoRequest, fsmIrq, fsmAsyncRequest, fsmNotoper, fsmClose],
  // CP_PROCESSING
  [fsmNotoper, fsmIoRetry, fsmIrq, fsmAsyncRetry, fsmNotoper, fsmClose],
  // CP_PENDING
  [fsmNotoper, fsmIoBusy, fsmIrq, fsmAsyncRequest, fsmNotoper, fsmClose],
];

/**
 * vfio_ccw_mdev_reset(): CLOSE then OPEN, which quiesces the subchannel and frees the program.
 *
 * @returns 0, or -EINVAL when the device ended up NOT_OPER
 */
export function resetDevice(vdev: VfioCcwDevice): number {
  vfioCcwFsmEvent(vdev, EVENT.CLOSE);
  vfioCcwFsmEvent(vdev, EVENT.OPEN);
  return vdev.priv.state === STATE.NOT_OPER ? neg("EINVAL") : 0;
}
