import assert from "node:assert/strict";
import type { World } from "../../../lib/core/world.ts";
import type { Subchannel } from "../../../lib/css/subchannel.ts";
import { vfioCcwFsmEvent } from "../../../lib/drivers/vfio_ccw/fsm.ts";
import {
  EVENT,
  EVENT_NAMES,
  STATE,
  STATE_NAMES,
  type VfioCcwDevice,
  type VfioCcwEvent,
  type VfioCcwState,
} from "../../../lib/drivers/vfio_ccw/private.ts";
import { writeRegion } from "../../../lib/drivers/vfio_ccw/regions.ts";
import { ASYNC_CMD, CMD_REGION, IO_REGION } from "../../../lib/drivers/vfio_ccw/uapi.ts";
import { neg } from "../../../lib/errno.ts";
import { vfioCore } from "../../../lib/vfio/core.ts";
import {
  hexBytes,
  ioRequest,
  loadBlockProgram,
  openCcwDevice,
  orbAt,
  PROGRAM,
  regionIrb,
  regionRetCode,
} from "./_world.ts";

interface Fixture {
  world: World;
  sch: Subchannel;
  vdev: VfioCcwDevice;
  handle: number;
  eventfd: number;
}

/**
 * An open device (subchannel enabled, IO eventfd assigned) put into `state`: CP_PENDING by a
 * real start that has not run yet (so a program is initialized); the other states by setting
 * the FSM state of an IDLE device, so that only the state differs between the cells.
 */
function deviceIn(state: VfioCcwState): Fixture {
  const { world, sch, vdev, handle } = openCcwDevice();
  const eventfd = vfioCore(world).eventfd();
  vdev.priv.ioTrigger = eventfd;
  if (state === STATE.CP_PENDING) {
    loadBlockProgram(world, handle, "read", 0);
    assert.equal(writeRegion(vdev, 0n, ioRequest(orbAt(PROGRAM.ccws))), IO_REGION.SIZE);
  } else vdev.priv.state = state;
  assert.equal(vdev.priv.state, state);
  return { world, sch, vdev, handle, eventfd };
}

function setRetCode(region: Uint8Array, offset: number, value: number): void {
  new DataView(region.buffer).setInt32(offset, value);
}

function cmdRetCode(vdev: VfioCcwDevice): number {
  return new DataView(vdev.priv.cmdRegion.buffer).getInt32(CMD_REGION.RET_CODE);
}

/** An IRB of a final, solicited interrupt: start function, primary+secondary status, CE+DE. */
const FINAL_IRB = hexBytes("00 c0 40 07 00001010 0c 00 0000" + "00".repeat(52));

/** What a cell must do, checked after the event. */
type Check = (f: Fixture, before: VfioCcwState) => void;

const nop: Check = (f, before) => assert.equal(f.vdev.priv.state, before);

const notoper: Check = (f) => {
  assert.equal(f.vdev.priv.state, STATE.NOT_OPER);
  assert.equal(f.vdev.priv.cp.initialized, false);
  assert.ok(f.world.logLines.some((l) => l.includes("todo unreg scheduled")));
};

const ioRet = (errno: "EIO" | "EAGAIN" | "EBUSY"): Check => (f, before) => {
  assert.equal(regionRetCode(f.vdev), neg(errno));
  assert.equal(f.vdev.priv.state, before);
};

const asyncRet = (errno: "EIO" | "EAGAIN"): Check => (f, before) => {
  assert.equal(cmdRetCode(f.vdev), neg(errno));
  assert.equal(f.vdev.priv.state, before);
};

const disabledIrq: Check = (f, before) => {
  assert.equal(f.sch.pmcw.enabled, false);
  assert.deepEqual(regionIrb(f.vdev), new Uint8Array(64));
  assert.equal(f.vdev.priv.state, before);
};

const ioRequest0: Check = (f) => {
  assert.equal(regionRetCode(f.vdev), 0);
  assert.equal(f.vdev.priv.state, STATE.CP_PENDING);
  assert.equal(f.vdev.priv.cp.initialized, true);
};

/** The IRB reaches the region and the eventfd; the state stays unless a program finished. */
const irq = (after: VfioCcwState): Check => (f) => {
  assert.deepEqual(regionIrb(f.vdev).subarray(0, 4), FINAL_IRB.subarray(0, 4));
  assert.equal(vfioCore(f.world).eventfds.get(f.eventfd), 1);
  assert.equal(f.vdev.priv.state, after);
};

const asyncRequest: Check = (f, before) => {
  assert.equal(cmdRetCode(f.vdev), 0);
  assert.equal(f.vdev.priv.state, before);
};

const open: Check = (f) => {
  assert.equal(f.vdev.priv.state, STATE.IDLE);
  assert.equal(f.sch.pmcw.enabled, true);
  assert.equal(f.sch.pmcw.isc, 3);
};

const close: Check = (f) => {
  assert.equal(f.vdev.priv.state, STATE.STANDBY);
  assert.equal(f.sch.pmcw.enabled, false);
  assert.equal(f.vdev.priv.cp.initialized, false);
};

/** vfio-ccw.md §4.2, row by row: NOT_OPER IO_REQ INTERRUPT ASYNC_REQ OPEN CLOSE. */
const TABLE: Record<VfioCcwState, Record<VfioCcwEvent, [string, Check]>> = {
  [STATE.NOT_OPER]: {
    [EVENT.NOT_OPER]: ["does nothing", nop],
    [EVENT.IO_REQ]: ["answers EIO", ioRet("EIO")],
    [EVENT.INTERRUPT]: ["disables the subchannel again", disabledIrq],
    [EVENT.ASYNC_REQ]: ["answers EIO", asyncRet("EIO")],
    [EVENT.OPEN]: ["does nothing", nop],
    [EVENT.CLOSE]: ["does nothing", nop],
  },
  [STATE.STANDBY]: {
    [EVENT.NOT_OPER]: ["goes NOT_OPER", notoper],
    [EVENT.IO_REQ]: ["answers EIO", ioRet("EIO")],
    [EVENT.INTERRUPT]: ["disables the subchannel again", disabledIrq],
    [EVENT.ASYNC_REQ]: ["answers EIO", asyncRet("EIO")],
    [EVENT.OPEN]: ["enables the subchannel and goes IDLE", open],
    [EVENT.CLOSE]: ["goes NOT_OPER", notoper],
  },
  [STATE.IDLE]: {
    [EVENT.NOT_OPER]: ["goes NOT_OPER", notoper],
    [EVENT.IO_REQ]: ["starts the channel program", ioRequest0],
    [EVENT.INTERRUPT]: ["stores the IRB and stays IDLE", irq(STATE.IDLE)],
    [EVENT.ASYNC_REQ]: ["issues the async command", asyncRequest],
    [EVENT.OPEN]: ["goes NOT_OPER", notoper],
    [EVENT.CLOSE]: ["disables the subchannel and goes STANDBY", close],
  },
  [STATE.CP_PROCESSING]: {
    [EVENT.NOT_OPER]: ["goes NOT_OPER", notoper],
    [EVENT.IO_REQ]: ["answers EAGAIN", ioRet("EAGAIN")],
    [EVENT.INTERRUPT]: ["stores the IRB and stays CP_PROCESSING", irq(STATE.CP_PROCESSING)],
    [EVENT.ASYNC_REQ]: ["answers EAGAIN", asyncRet("EAGAIN")],
    [EVENT.OPEN]: ["goes NOT_OPER", notoper],
    [EVENT.CLOSE]: ["disables the subchannel and goes STANDBY", close],
  },
  [STATE.CP_PENDING]: {
    [EVENT.NOT_OPER]: ["goes NOT_OPER and frees the program", notoper],
    [EVENT.IO_REQ]: ["answers EBUSY", ioRet("EBUSY")],
    [EVENT.INTERRUPT]: ["frees the finished program and goes IDLE", (f, before) => {
      irq(STATE.IDLE)(f, before);
      assert.equal(f.vdev.priv.cp.initialized, false);
    }],
    [EVENT.ASYNC_REQ]: ["issues the async command", asyncRequest],
    [EVENT.OPEN]: ["goes NOT_OPER", notoper],
    [EVENT.CLOSE]: ["quiesces, disables the subchannel and goes STANDBY", close],
  },
};

/** Prepares the input an event reads, then sends it. */
function send(f: Fixture, event: VfioCcwEvent): void {
  const { vdev } = f;
  switch (event) {
    case EVENT.IO_REQ:
      // The ret_code an action sets must not be confused with what userspace wrote.
      setRetCode(vdev.priv.ioRegion, IO_REGION.RET_CODE, 12345);
      if (vdev.priv.state === STATE.IDLE) {
        loadBlockProgram(f.world, f.handle, "read", 0);
        vdev.priv.ioRegion.set(ioRequest(orbAt(PROGRAM.ccws)).subarray(0, IO_REGION.RET_CODE));
      }
      return vfioCcwFsmEvent(vdev, event);
    case EVENT.INTERRUPT:
      return vfioCcwFsmEvent(vdev, event, FINAL_IRB);
    case EVENT.ASYNC_REQ: {
      const view = new DataView(vdev.priv.cmdRegion.buffer);
      view.setUint32(CMD_REGION.COMMAND, ASYNC_CMD.CSCH);
      view.setInt32(CMD_REGION.RET_CODE, 12345);
      return vfioCcwFsmEvent(vdev, event);
    }
    default:
      return vfioCcwFsmEvent(vdev, event);
  }
}

for (const state of Object.values(STATE)) {
  for (const event of Object.values(EVENT)) {
    const [what, check] = TABLE[state][event];
    Deno.test(
      `vfioCcwFsmEvent() in ${STATE_NAMES[state]} on ${EVENT_NAMES[event]} ${what}`,
      () => {
        const f = deviceIn(state);
        send(f, event);
        check(f, state);
      },
    );
  }
}

Deno.test("vfioCcwFsmEvent() OPEN that cannot enable the subchannel makes the device NOT_OPER", () => {
  const f = deviceIn(STATE.STANDBY);
  f.sch.pmcw.dnv = false;
  vfioCcwFsmEvent(f.vdev, EVENT.OPEN);
  assert.equal(f.vdev.priv.state, STATE.NOT_OPER);
});

Deno.test("vfioCcwFsmEvent() CLOSE of a disabled subchannel makes the device NOT_OPER", () => {
  const f = deviceIn(STATE.IDLE);
  f.sch.pmcw.enabled = false;
  vfioCcwFsmEvent(f.vdev, EVENT.CLOSE);
  assert.equal(f.vdev.priv.state, STATE.NOT_OPER);
});
