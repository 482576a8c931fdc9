import assert from "node:assert/strict";
import { cssDetachDevice } from "../../../lib/css/hotplug.ts";
import { STATE } from "../../../lib/drivers/vfio_ccw/private.ts";
import { writeRegion } from "../../../lib/drivers/vfio_ccw/regions.ts";
import { KernelError } from "../../../lib/errno.ts";
import { vfioClose, vfioCore, vfioOpen } from "../../../lib/vfio/core.ts";
import {
  deviceIoctl,
  getInfo,
  getIrqInfo,
  getRegionInfo,
  reset,
  setIrqs,
} from "../../../lib/vfio/ioctl.ts";
import { IRQ_SET, putU32, u32, VFIO } from "../../../lib/vfio/uapi.ts";
import {
  bindVfioCcw,
  ccwWorld,
  createCcwMdev,
  ioRequest,
  loadBlockProgram,
  openCcwDevice,
  openHandle,
  orbAt,
  PROGRAM,
  UUID,
} from "./_world.ts";

function eventfdData(fd: number): Uint8Array {
  const data = new Uint8Array(4);
  new DataView(data.buffer).setInt32(0, fd, true);
  return data;
}

function errnoOf(call: () => unknown): string {
  try {
    call();
  } catch (error) {
    if (error instanceof KernelError) return error.errno;
    throw error;
  }
  return "none";
}

Deno.test("VFIO_CCW_OPS GET_INFO reports CCW|RESET, 4 regions while open and 3 IRQs", () => {
  const { vdev } = openCcwDevice();
  assert.deepEqual(getInfo(vdev), {
    argsz: 20,
    flags: 0x11,
    numRegions: 4,
    numIrqs: 3,
    capOffset: 0,
  });
});

Deno.test("VFIO_CCW_OPS GET_REGION_INFO describes the I/O region at offset 0", () => {
  const { vdev } = openCcwDevice();
  const info = getRegionInfo(vdev, 0);
  assert.equal(info.flags, 0x3);
  assert.equal(info.size, 124n);
  assert.equal(info.offset, 0n);
  assert.equal(info.capOffset, 0);
});

Deno.test("VFIO_CCW_OPS GET_REGION_INFO chains the CCW region type capability", () => {
  const { vdev } = openCcwDevice();
  const expected = [
    { index: 1, flags: 0x3 | 0x8, size: 8, subtype: 1 },
    { index: 2, flags: 0x1 | 0x8, size: 52, subtype: 2 },
    { index: 3, flags: 0x1 | 0x8, size: 8, subtype: 3 },
  ];
  for (const e of expected) {
    const arg = new Uint8Array(48);
    putU32(arg, 0, 48);
    putU32(arg, 8, e.index);
    deviceIoctl(vdev, VFIO.DEVICE_GET_REGION_INFO, arg);
    const view = new DataView(arg.buffer);
    assert.equal(u32(arg, 4), e.flags);
    assert.equal(u32(arg, 12), 32, "cap_offset");
    assert.equal(view.getBigUint64(16, true), BigInt(e.size));
    assert.equal(view.getBigUint64(24, true), BigInt(e.index << 10));
    assert.deepEqual(
      [
        view.getUint16(32, true),
        view.getUint16(34, true),
        u32(arg, 36),
        u32(arg, 40),
        u32(arg, 44),
      ],
      [2, 1, 0, 2, e.subtype],
    );
  }
});

Deno.test("VFIO_CCW_OPS GET_REGION_INFO too small for the capability asks for more", () => {
  const { vdev } = openCcwDevice();
  const info = getRegionInfo(vdev, 2);
  assert.equal(info.argsz, 48);
  assert.equal(info.capOffset, 0);
  assert.equal(info.offset, 2048n);
  assert.equal(info.size, 52n);
});

Deno.test("VFIO_CCW_OPS GET_REGION_INFO refuses a short argsz and a missing region", () => {
  const { vdev } = openCcwDevice();
  const arg = new Uint8Array(32);
  putU32(arg, 0, 31);
  assert.equal(errnoOf(() => deviceIoctl(vdev, VFIO.DEVICE_GET_REGION_INFO, arg)), "EINVAL");
  assert.equal(errnoOf(() => getRegionInfo(vdev, 4)), "EINVAL");
});

Deno.test("VFIO_CCW_OPS GET_IRQ_INFO has IO, CRW and REQ, one eventfd each", () => {
  const { vdev } = openCcwDevice();
  for (const index of [0, 1, 2]) {
    assert.deepEqual(getIrqInfo(vdev, index), { argsz: 16, flags: 0x1, index, count: 1 });
  }
  assert.equal(errnoOf(() => getIrqInfo(vdev, 3)), "EINVAL");
});

Deno.test("VFIO_CCW_OPS SET_IRQS assigns, signals and de-assigns eventfds", () => {
  const { world, vdev } = openCcwDevice();
  const core = vfioCore(world);
  const fd = core.eventfd();
  const trigger = IRQ_SET.ACTION_TRIGGER;
  setIrqs(vdev, {
    flags: IRQ_SET.DATA_EVENTFD | trigger,
    index: 1,
    start: 0,
    count: 1,
    data: eventfdData(fd),
  });
  assert.equal(vdev.priv.crwTrigger, fd);
  // DATA_NONE signals — even with count 0, which other drivers take as "disable".
  setIrqs(vdev, {
    flags: IRQ_SET.DATA_NONE | trigger,
    index: 1,
    start: 0,
    count: 0,
    data: new Uint8Array(0),
  });
  setIrqs(vdev, {
    flags: IRQ_SET.DATA_BOOL | trigger,
    index: 1,
    start: 0,
    count: 1,
    data: new Uint8Array([1]),
  });
  setIrqs(vdev, {
    flags: IRQ_SET.DATA_BOOL | trigger,
    index: 1,
    start: 0,
    count: 1,
    data: new Uint8Array([0]),
  });
  assert.equal(core.eventfds.get(fd), 2);
  setIrqs(vdev, {
    flags: IRQ_SET.DATA_EVENTFD | trigger,
    index: 1,
    start: 0,
    count: 1,
    data: eventfdData(-1),
  });
  assert.equal(vdev.priv.crwTrigger, null);
});

Deno.test("VFIO_CCW_OPS SET_IRQS refuses masking, bad indexes, bad fds", () => {
  const { vdev } = openCcwDevice();
  const none = new Uint8Array(0);
  assert.equal(
    errnoOf(() =>
      setIrqs(vdev, {
        flags: IRQ_SET.DATA_NONE | IRQ_SET.ACTION_MASK,
        index: 0,
        start: 0,
        count: 1,
        data: none,
      })
    ),
    "EINVAL",
  );
  assert.equal(
    errnoOf(() =>
      setIrqs(vdev, {
        flags: IRQ_SET.DATA_NONE | IRQ_SET.ACTION_TRIGGER,
        index: 3,
        start: 0,
        count: 1,
        data: none,
      })
    ),
    "EINVAL",
  );
  assert.equal(
    errnoOf(() =>
      setIrqs(vdev, {
        flags: IRQ_SET.DATA_EVENTFD | IRQ_SET.ACTION_TRIGGER,
        index: 0,
        start: 0,
        count: 1,
        data: eventfdData(999),
      })
    ),
    "EBADF",
  );
  assert.equal(
    errnoOf(() =>
      setIrqs(vdev, {
        flags: IRQ_SET.DATA_EVENTFD | IRQ_SET.ACTION_TRIGGER,
        index: 0,
        start: 0,
        count: 1,
        data: eventfdData(-2),
      })
    ),
    "EINVAL",
  );
});

Deno.test("VFIO_CCW_OPS RESET closes and reopens, freeing a started program", () => {
  const { world, handle, vdev, sch } = openCcwDevice();
  loadBlockProgram(world, handle, "read", 0);
  writeRegion(vdev, 0n, ioRequest(orbAt(PROGRAM.ccws)));
  assert.equal(vdev.priv.state, STATE.CP_PENDING);
  reset(vdev);
  assert.equal(vdev.priv.state, STATE.IDLE);
  assert.equal(vdev.priv.cp.initialized, false);
  assert.equal(sch.pmcw.enabled, true);
});

Deno.test("VFIO_CCW_OPS RESET of a device left NOT_OPER is EINVAL", () => {
  const { world, vdev } = openCcwDevice();
  cssDetachDevice(world, "0.0.0001");
  assert.equal(errnoOf(() => reset(vdev)), "EINVAL");
});

Deno.test("VFIO_CCW_OPS answers ENOTTY for an ioctl it does not know", () => {
  const { vdev } = openCcwDevice();
  assert.equal(
    errnoOf(() => deviceIoctl(vdev, VFIO.DEVICE_QUERY_GFX_PLANE, new Uint8Array(64))),
    "ENOTTY",
  );
});

Deno.test("VFIO_CCW_OPS open_device enables the subchannel, close_device disables it", () => {
  const world = ccwWorld();
  const sch = bindVfioCcw(world);
  const vdev = createCcwMdev(world);
  assert.equal(vdev.priv.state, STATE.STANDBY);
  assert.equal(sch.pmcw.enabled, false);
  const handle = openHandle(world, vdev);
  assert.equal(vdev.priv.state, STATE.IDLE);
  assert.equal(vdev.priv.numRegions, 3);
  assert.equal(sch.pmcw.enabled, true);
  vfioClose(world, handle);
  assert.equal(vdev.priv.state, STATE.STANDBY);
  assert.equal(vdev.priv.numRegions, 0);
  assert.equal(sch.pmcw.enabled, false);
});

Deno.test("VFIO_CCW_OPS open_device fails with EINVAL when the subchannel cannot be enabled", () => {
  const world = ccwWorld();
  const sch = bindVfioCcw(world);
  const vdev = createCcwMdev(world);
  sch.pmcw.dnv = false;
  assert.equal(errnoOf(() => openHandle(world, vdev)), "EINVAL");
  assert.equal(vdev.priv.state, STATE.NOT_OPER);
  assert.equal(vdev.priv.numRegions, 0);
  assert.equal(vdev.openCount, 0);
});

Deno.test("VFIO_CCW_OPS open_device of a NOT_OPER device is EINVAL", () => {
  const { world, vdev, handle } = openCcwDevice();
  cssDetachDevice(world, "0.0.0001");
  vfioClose(world, handle);
  assert.equal(vdev.priv.state, STATE.NOT_OPER);
  assert.equal(
    errnoOf(() => vfioOpen(world, vdev.group!, UUID, `/dev/vfio/${vdev.group}`)),
    "EINVAL",
  );
});
