import assert from "node:assert/strict";
import fc from "fast-check";
import { setChannelPath } from "../../../lib/css/chp.ts";
import { cssDetachDevice } from "../../../lib/css/hotplug.ts";
import { STATE } from "../../../lib/drivers/vfio_ccw/private.ts";
import { readRegion, writeRegion } from "../../../lib/drivers/vfio_ccw/regions.ts";
import {
  ASYNC_CMD,
  CMD_REGION,
  CRW_REGION,
  IO_REGION,
  regionOffset,
  SCHIB_REGION_SIZE,
} from "../../../lib/drivers/vfio_ccw/uapi.ts";
import { neg } from "../../../lib/errno.ts";
import { vfioCore } from "../../../lib/vfio/core.ts";
import {
  bindVfioCcw,
  ccwWorld,
  createCcwMdev,
  hexBytes,
  ioRequest,
  loadBlockProgram,
  openCcwDevice,
  orbAt,
  PROGRAM,
  regionIrb,
  regionRetCode,
  SCSW_START,
} from "./_world.ts";

const SIZES = [IO_REGION.SIZE, CMD_REGION.SIZE, SCHIB_REGION_SIZE, CRW_REGION.SIZE];

function asyncCommand(command: number): Uint8Array {
  const bytes = new Uint8Array(CMD_REGION.SIZE);
  new DataView(bytes.buffer).setUint32(CMD_REGION.COMMAND, command);
  return bytes;
}

function u32(bytes: Uint8Array | number): number {
  if (typeof bytes === "number") throw new Error(`read failed: ${bytes}`);
  return new DataView(bytes.buffer, bytes.byteOffset).getUint32(0);
}

Deno.test("readRegion() answers EINVAL for the extra regions while the device is closed", () => {
  const world = ccwWorld();
  bindVfioCcw(world);
  const vdev = createCcwMdev(world);
  assert.equal(readRegion(vdev, regionOffset(0), 4).constructor, Uint8Array);
  for (const index of [1, 2, 3]) assert.equal(readRegion(vdev, regionOffset(index), 4), -22);
});

Deno.test("readRegion() reaches regions 0-3 at index << 10 and nothing beyond", () => {
  const { vdev } = openCcwDevice();
  for (const index of [0, 1, 2, 3]) {
    const bytes = readRegion(vdev, regionOffset(index), SIZES[index]!);
    assert.ok(bytes instanceof Uint8Array, `region ${index}`);
    assert.equal(bytes.length, SIZES[index]);
  }
  assert.equal(readRegion(vdev, regionOffset(4), 1), neg("EINVAL"));
  assert.equal(readRegion(vdev, regionOffset(1 << 20), 1), neg("EINVAL"));
});

Deno.test("readRegion() succeeds exactly when the access ends inside the region", () => {
  const { vdev } = openCcwDevice();
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 0, max: 1023 }),
      fc.integer({ min: 0, max: 200 }),
      (index, offset, length) => {
        const result = readRegion(vdev, regionOffset(index) + BigInt(offset), length);
        if (offset + length <= SIZES[index]!) {
          assert.ok(result instanceof Uint8Array);
          assert.equal(result.length, length);
        } else assert.equal(result, neg("EINVAL"));
      },
    ),
  );
});

Deno.test("writeRegion() refuses accesses past a region's end and writes to SCHIB and CRW", () => {
  const { vdev } = openCcwDevice();
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 0, max: 1023 }),
      fc.integer({ min: 1, max: 200 }),
      (index, offset, length) => {
        fc.pre(offset + length > SIZES[index]! || index >= 2);
        const ret = writeRegion(vdev, regionOffset(index) + BigInt(offset), new Uint8Array(length));
        assert.equal(ret, neg("EINVAL"));
      },
    ),
  );
  assert.equal(vdev.priv.state, STATE.IDLE);
});

Deno.test("writeRegion() on the I/O region answers EAGAIN while the io_mutex is held", () => {
  const { vdev } = openCcwDevice();
  vdev.priv.ioMutex = true;
  assert.equal(writeRegion(vdev, 0n, ioRequest(orbAt(PROGRAM.ccws))), neg("EAGAIN"));
  assert.equal(writeRegion(vdev, regionOffset(1), asyncCommand(1)), neg("EAGAIN"));
  assert.equal(vdev.priv.state, STATE.IDLE);
});

Deno.test("writeRegion() starts a program and answers the byte count", () => {
  const { world, handle, vdev } = openCcwDevice();
  loadBlockProgram(world, handle, "read", 0);
  assert.equal(writeRegion(vdev, 0n, ioRequest(orbAt(PROGRAM.ccws))), IO_REGION.SIZE);
  assert.equal(regionRetCode(vdev), 0);
  assert.equal(vdev.priv.state, STATE.CP_PENDING);
});

Deno.test("writeRegion() with halt or clear in the I/O region answers EOPNOTSUPP (V14)", () => {
  for (const fctl of [0x20, 0x10]) {
    const { vdev } = openCcwDevice();
    const scsw = SCSW_START.slice();
    scsw[2] = fctl;
    assert.equal(writeRegion(vdev, 0n, ioRequest(orbAt(PROGRAM.ccws), scsw)), neg("EOPNOTSUPP"));
    assert.equal(vdev.priv.state, STATE.IDLE);
    assert.equal(vdev.priv.cp.initialized, false);
  }
});

Deno.test("writeRegion() treats start plus halt as start (V14)", () => {
  const { world, handle, vdev } = openCcwDevice();
  loadBlockProgram(world, handle, "read", 0);
  const scsw = SCSW_START.slice();
  scsw[2] = 0x60;
  assert.equal(writeRegion(vdev, 0n, ioRequest(orbAt(PROGRAM.ccws), scsw)), IO_REGION.SIZE);
  assert.equal(vdev.priv.state, STATE.CP_PENDING);
});

Deno.test("writeRegion() without a function leaves ret_code as userspace wrote it (V14)", () => {
  const { vdev } = openCcwDevice();
  const request = ioRequest(orbAt(PROGRAM.ccws), new Uint8Array(12));
  assert.equal(writeRegion(vdev, 0n, request), IO_REGION.SIZE);
  assert.equal(vdev.priv.cp.initialized, false);
  // A non-zero ret_code written by userspace comes back as the write's result.
  new DataView(request.buffer).setInt32(IO_REGION.RET_CODE, 5);
  assert.equal(writeRegion(vdev, 0n, request), 5);
  assert.equal(vdev.priv.state, STATE.IDLE);
});

Deno.test("writeRegion() of a part of the I/O region runs the whole request (Q6)", () => {
  const { world, handle, vdev } = openCcwDevice();
  loadBlockProgram(world, handle, "read", 0);
  assert.equal(writeRegion(vdev, 0n, orbAt(PROGRAM.ccws)), 12);
  assert.equal(vdev.priv.state, STATE.IDLE);
  assert.equal(writeRegion(vdev, BigInt(IO_REGION.SCSW), SCSW_START), 12);
  assert.equal(vdev.priv.state, STATE.CP_PENDING);
});

Deno.test("writeRegion() refuses a transport-mode ORB with EOPNOTSUPP", () => {
  const { vdev } = openCcwDevice();
  const orb = orbAt(PROGRAM.ccws);
  orb[5]! |= 0x04;
  assert.equal(writeRegion(vdev, 0n, ioRequest(orb)), neg("EOPNOTSUPP"));
  assert.equal(vdev.priv.state, STATE.IDLE);
});

Deno.test("writeRegion() answers the translation's errno for a program outside the mapping", () => {
  const { vdev } = openCcwDevice("ts", 0x1000);
  assert.equal(writeRegion(vdev, 0n, ioRequest(orbAt(PROGRAM.ccws))), neg("EINVAL"));
  assert.equal(vdev.priv.state, STATE.IDLE);
});

Deno.test("writeRegion() maps SSCH cc 3 to EACCES while a path is left, else ENODEV", () => {
  const { world, handle, vdev, sch } = openCcwDevice();
  loadBlockProgram(world, handle, "read", 0);
  const orb = orbAt(PROGRAM.ccws);
  orb[6] = 0x40; // a path the subchannel does not have
  assert.equal(writeRegion(vdev, 0n, ioRequest(orb)), neg("EACCES"));
  assert.equal(sch.pmcw.lpm, 0x80);
  sch.pmcw.pam = 0; // no path available at all
  orb[6] = 0x80;
  assert.equal(writeRegion(vdev, 0n, ioRequest(orb)), neg("ENODEV"));
  assert.equal(sch.pmcw.lpm, 0);
  assert.equal(vdev.priv.cp.initialized, false);
  assert.equal(vdev.priv.state, STATE.IDLE);
});

Deno.test("writeRegion() maps SSCH cc 2 (a halt in progress) to EBUSY", () => {
  const { world, handle, vdev } = openCcwDevice();
  loadBlockProgram(world, handle, "read", 0);
  assert.equal(writeRegion(vdev, regionOffset(1), asyncCommand(ASYNC_CMD.HSCH)), 8);
  assert.equal(writeRegion(vdev, 0n, ioRequest(orbAt(PROGRAM.ccws))), neg("EBUSY"));
  assert.equal(vdev.priv.state, STATE.IDLE);
});

Deno.test("writeRegion() of the async region runs HSCH and CSCH, other commands are EINVAL", () => {
  const { world, vdev } = openCcwDevice();
  const eventfd = vfioCore(world).eventfd();
  vdev.priv.ioTrigger = eventfd;
  assert.equal(writeRegion(vdev, regionOffset(1), asyncCommand(ASYNC_CMD.HSCH)), 8);
  world.settle();
  // The halt's interrupt: status pending alone, device end; the device stays IDLE.
  assert.deepEqual(regionIrb(vdev).subarray(0, 12), hexBytes("00 00 20 01 00000000 04 00 0000"));
  assert.equal(vfioCore(world).eventfds.get(eventfd), 1);
  assert.equal(writeRegion(vdev, regionOffset(1), asyncCommand(ASYNC_CMD.CSCH)), 8);
  world.settle();
  assert.equal(vfioCore(world).eventfds.get(eventfd), 2);
  for (const command of [0, 3, 4]) {
    assert.equal(writeRegion(vdev, regionOffset(1), asyncCommand(command)), neg("EINVAL"));
  }
  const cmd = readRegion(vdev, regionOffset(1), 8) as Uint8Array;
  assert.equal(new DataView(cmd.buffer).getInt32(CMD_REGION.RET_CODE), neg("EINVAL"));
  assert.equal(vdev.priv.state, STATE.IDLE);
});

Deno.test("writeRegion() async HSCH of a started program ends it and frees it", () => {
  const { world, handle, vdev } = openCcwDevice();
  loadBlockProgram(world, handle, "read", 0);
  writeRegion(vdev, 0n, ioRequest(orbAt(PROGRAM.ccws)));
  assert.equal(writeRegion(vdev, regionOffset(1), asyncCommand(ASYNC_CMD.HSCH)), 8);
  world.settle();
  assert.equal(vdev.priv.state, STATE.IDLE);
  assert.equal(vdev.priv.cp.initialized, false);
  // Halted before it started: halt function, status pending, no device status.
  assert.deepEqual(regionIrb(vdev).subarray(2, 4), hexBytes("60 01"));
});

Deno.test("writeRegion() async HSCH and CSCH answer ENODEV on a disabled subchannel (cc 3)", () => {
  const { vdev, sch } = openCcwDevice();
  sch.pmcw.enabled = false;
  assert.equal(writeRegion(vdev, regionOffset(1), asyncCommand(ASYNC_CMD.HSCH)), neg("ENODEV"));
  assert.equal(writeRegion(vdev, regionOffset(1), asyncCommand(ASYNC_CMD.CSCH)), neg("ENODEV"));
});

Deno.test("writeRegion() of the async region answers EIO once the device lost its subchannel", () => {
  const { world, vdev } = openCcwDevice();
  cssDetachDevice(world, "0.0.0001");
  assert.equal(vdev.priv.state, STATE.NOT_OPER);
  assert.equal(writeRegion(vdev, regionOffset(1), asyncCommand(ASYNC_CMD.HSCH)), neg("EIO"));
  assert.equal(writeRegion(vdev, 0n, ioRequest(orbAt(PROGRAM.ccws))), neg("EIO"));
});

Deno.test("readRegion() of the SCHIB region runs STSCH", () => {
  const { world, vdev, sch } = openCcwDevice();
  const schib = readRegion(vdev, regionOffset(2), SCHIB_REGION_SIZE);
  assert.deepEqual(schib, sch.stsch());
  assert.equal((schib as Uint8Array)[5]! & 0x80, 0x80, "enabled");
  assert.deepEqual(readRegion(vdev, regionOffset(2) + 6n, 2), hexBytes("1001"));
  cssDetachDevice(world, "0.0.0001");
  assert.equal(readRegion(vdev, regionOffset(2), SCHIB_REGION_SIZE), neg("ENODEV"));
});

Deno.test("readRegion() of the CRW region pops queued CRWs and re-signals while more wait", () => {
  const { world, vdev } = openCcwDevice();
  const eventfd = vfioCore(world).eventfd();
  vdev.priv.crwTrigger = eventfd;
  const signals = () => vfioCore(world).eventfds.get(eventfd);
  setChannelPath(world, 0x50, false);
  assert.equal(signals(), 1);
  setChannelPath(world, 0x50, true);
  assert.equal(signals(), 2);
  assert.equal(u32(readRegion(vdev, regionOffset(3), 4)), 0x04060050);
  assert.equal(signals(), 3);
  assert.equal(u32(readRegion(vdev, regionOffset(3), 4)), 0x04020050);
  assert.equal(signals(), 3);
  assert.equal(u32(readRegion(vdev, regionOffset(3), 4)), 0);
  assert.equal(writeRegion(vdev, regionOffset(3), new Uint8Array(4)), neg("EINVAL"));
});
