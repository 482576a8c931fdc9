/**
 * The whole vfio-ccw I/O path as userspace (QEMU) drives it through an open
 * handle: map guest RAM, write the program, arm the IO eventfd, write the
 * I/O region, let the channel run (the world settles), read the IRB. Used by
 * `mdevsim ccw run` and the `io.ccw_ssch` benchmark.
 *
 * @module
 */
import type { ProgramFile } from "../../ccw/program_file.ts";
import type { World } from "../../core/world.ts";
import { KernelError } from "../../errno.ts";
import { handleDevice, vfioCore } from "../../vfio/core.ts";
import type { VfioDevice } from "../../vfio/device.ts";
import { setIrqs } from "../../vfio/ioctl.ts";
import { IRQ_SET } from "../../vfio/uapi.ts";
import { dmaMap, dmaMappings, memWrite } from "./dma.ts";
import { isVfioCcwDevice, type VfioCcwDevice } from "./private.ts";
import { CCW_IRQ, IO_REGION, IRB_SIZE } from "./uapi.ts";

/** What `ccw run` observed. */
export interface RunResult {
  /** The I/O region write's result: 0 when the request was accepted, else the negative errno. */
  retCode: number;
  /** Interrupts signalled on the IO eventfd while the program ran. */
  interrupts: number;
  /** The 64-byte IRB the region holds afterwards. */
  irb: Uint8Array;
}

/**
 * Puts a program in place through an open handle: maps the RAM (unless the handle already mapped
 * memory) and writes the program's memory. Returns the device.
 */
export function loadProgram(world: World, handleId: number, program: ProgramFile): VfioCcwDevice {
  const { vdev } = handleDevice(world, handleId);
  if (!isVfioCcwDevice(vdev)) {
    throw new KernelError("EINVAL", { path: `handle ${handleId}`, detail: "not vfio-ccw" });
  }
  if (dmaMappings(world, handleId).length === 0) {
    dmaMap(world, handleId, 0n, BigInt(program.ram));
  }
  for (const write of program.memory) memWrite(world, handleId, BigInt(write.addr), write.bytes);
  return vdev;
}

/**
 * One start through the I/O region as QEMU issues it: write the whole region (ORB, SCSW, zeros),
 * let the channel run (the world settles), read the IRB back.
 */
export function startIo(
  vdev: VfioCcwDevice,
  orb: Uint8Array,
  scsw: Uint8Array,
): { retCode: number; irb: Uint8Array } {
  const region = new Uint8Array(IO_REGION.SIZE);
  region.set(orb.subarray(0, IO_REGION.ORB_SIZE), IO_REGION.ORB);
  region.set(scsw, IO_REGION.SCSW);
  const written = vdev.ops.write!(vdev, 0n, region);
  vdev.world.settle();
  const irb = vdev.ops.read!(vdev, BigInt(IO_REGION.IRB), IRB_SIZE);
  if (typeof irb === "number") throw KernelError.fromReturn(irb);
  return { retCode: written < 0 ? written : 0, irb };
}

/**
 * Runs a program through an open handle: {@linkcode loadProgram}, arm an IO eventfd of its own
 * (to count this run's interrupts; the handle's own trigger is given back), {@linkcode startIo}.
 */
export function runProgram(world: World, handleId: number, program: ProgramFile): RunResult {
  const vdev = loadProgram(world, handleId, program);
  const core = vfioCore(world);
  const eventfd = core.eventfd();
  const previous = vdev.priv.ioTrigger;
  setIoTrigger(vdev, eventfd);
  try {
    const { retCode, irb } = startIo(vdev, program.orb, program.scsw);
    return { retCode, interrupts: core.eventfds.get(eventfd) ?? 0, irb };
  } finally {
    setIoTrigger(vdev, previous ?? -1);
    core.eventfds.delete(eventfd);
  }
}

/** SET_IRQS DATA_EVENTFD | ACTION_TRIGGER on the IO interrupt (-1 de-assigns). */
function setIoTrigger(vdev: VfioDevice, fd: number): void {
  const data = new Uint8Array(4);
  new DataView(data.buffer).setInt32(0, fd, true);
  setIrqs(vdev, {
    flags: IRQ_SET.DATA_EVENTFD | IRQ_SET.ACTION_TRIGGER,
    index: CCW_IRQ.IO,
    start: 0,
    count: 1,
    data,
  });
}
