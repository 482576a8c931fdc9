/**
 * Executes parsed `mdevsim vfio run` scripts (cli.md §5) against an open
 * handle: one output line per operation, `error ERRNO` for a failed one.
 * After every operation the world settles, so work the kernel does
 * asynchronously (a started channel program, its interrupt) is done before
 * the next line runs. `dma` and `mem` reach the handle's own memory through
 * the provider its device kind registered (vfio-ccw's guest RAM).
 *
 * @module
 */
import { type ErrnoName, KernelError } from "../errno.ts";
import type { World } from "../core/world.ts";
import { readValue, regionRead, regionWrite, writeValue } from "./access.ts";
import { handleDevice, vfioCore, type VfioHandle } from "./core.ts";
import type { VfioDevice } from "./device.ts";
import {
  formatDeviceInfo,
  formatIrqInfo,
  formatRegionInfo,
  getInfo,
  getIrqInfo,
  getRegionInfo,
  reset,
  setIrqs,
} from "./ioctl.ts";
import { formatBytes, formatValue, type ScriptLine, type ScriptOp } from "./script.ts";
import { IRQ_SET } from "./uapi.ts";

/** What a device kind offers a handle for `dma map|unmap` and `mem write|read`. */
export interface HandleMemory {
  /** VFIO_IOMMU_MAP_DMA of the handle's memory. */
  dmaMap(world: World, handleId: number, iova: bigint, size: bigint): void;
  /** VFIO_IOMMU_UNMAP_DMA; returns the bytes unmapped. */
  dmaUnmap(world: World, handleId: number, iova: bigint, size: bigint): number;
  /** Writes the handle's memory at `addr`. */
  memWrite(world: World, handleId: number, addr: bigint, bytes: Uint8Array): void;
  /** Reads `length` bytes of the handle's memory at `addr`. */
  memRead(world: World, handleId: number, addr: bigint, length: number): Uint8Array;
}

const HANDLE_MEMORY = new Map<string, HandleMemory>();

/** Makes `dma` and `mem` work for devices with the named VFIO ops (drivers call it at import). */
export function registerHandleMemory(opsName: string, memory: HandleMemory): void {
  HANDLE_MEMORY.set(opsName, memory);
}

function handleMemory(vdev: VfioDevice): HandleMemory {
  const memory = HANDLE_MEMORY.get(vdev.ops.name);
  // Guest memory and DMA mapping exist only for device kinds that register them (vfio-ccw).
  if (memory === undefined) throw new KernelError("EINVAL", { detail: "not a vfio-ccw device" });
  return memory;
}

/** The outcome of one script line: its printed result, or the errno it failed with. */
export interface ScriptOutcome {
  /** 1-based line number in the script source. */
  line: number;
  /** The operation as written, without comment or surrounding blanks. */
  op: string;
  result?: string;
  error?: ErrnoName;
  /** The failure itself, for `--strict` reporting. */
  failure?: KernelError;
}

/**
 * Runs the lines in order against the handle's device. A failing line records its errno and the
 * script goes on, unless `strict`, which stops after the first failure.
 */
export function runScriptLines(
  world: World,
  handleId: number,
  lines: readonly ScriptLine[],
  { strict = false }: { strict?: boolean } = {},
): ScriptOutcome[] {
  const { handle, vdev } = handleDevice(world, handleId);
  const outcomes: ScriptOutcome[] = [];
  for (const line of lines) {
    const op = line.text.replace(/#.*$/, "").trim();
    try {
      if (line.op === null) throw line.result;
      outcomes.push({ line: line.lineNumber, op, result: runOp(world, handle, vdev, line.op) });
    } catch (error) {
      if (!(error instanceof KernelError)) throw error;
      outcomes.push({ line: line.lineNumber, op, error: error.errno, failure: error });
      if (strict) break;
    } finally {
      world.settle();
    }
  }
  return outcomes;
}

/** The text line an outcome prints. */
export function outcomeText(outcome: ScriptOutcome): string {
  return outcome.error === undefined ? outcome.result! : `error ${outcome.error}`;
}

function runOp(world: World, handle: VfioHandle, vdev: VfioDevice, op: ScriptOp): string {
  switch (op.op) {
    case "read":
      return formatValue(op.width, readValue(vdev, op.region, op.offset, op.width));
    case "write":
      writeValue(vdev, op.region, op.offset, op.width, op.value);
      return "ok";
    case "readBytes":
      return formatBytes(regionRead(vdev, op.region, op.offset, op.length));
    case "writeBytes":
      regionWrite(vdev, op.region, op.offset, op.bytes);
      return "ok";
    case "ioctlInfo":
      return formatDeviceInfo(getInfo(vdev));
    case "ioctlRegion":
      return formatRegionInfo(getRegionInfo(vdev, op.index));
    case "ioctlIrq":
      return formatIrqInfo(getIrqInfo(vdev, op.index));
    case "ioctlReset":
      reset(vdev);
      return "ok";
    case "irq":
      return runIrq(world, handle, vdev, op.action, op.index);
    case "dmaMap":
      handleMemory(vdev).dmaMap(world, handle.id, op.iova, op.size);
      return "ok";
    case "dmaUnmap":
      handleMemory(vdev).dmaUnmap(world, handle.id, op.iova, op.size);
      return "ok";
    case "memWrite":
      handleMemory(vdev).memWrite(world, handle.id, op.addr, op.bytes);
      return "ok";
    case "memRead":
      return formatBytes(handleMemory(vdev).memRead(world, handle.id, op.addr, op.length));
  }
}

function runIrq(
  world: World,
  handle: VfioHandle,
  vdev: VfioDevice,
  action: "arm" | "disarm" | "mask" | "unmask" | "count",
  index: number,
): string {
  const core = vfioCore(world);
  const key = String(index);
  const armed = handle.eventfds[key];
  switch (action) {
    case "arm": {
      const fd = core.eventfd();
      const data = new Uint8Array(4);
      new DataView(data.buffer).setInt32(0, fd, true);
      try {
        setIrqs(vdev, {
          flags: IRQ_SET.DATA_EVENTFD | IRQ_SET.ACTION_TRIGGER,
          index,
          start: 0,
          count: 1,
          data,
        });
      } catch (error) {
        core.eventfds.delete(fd);
        throw error;
      }
      // The device now signals the new eventfd; the one it replaces is closed.
      if (armed !== undefined) core.eventfds.delete(armed);
      handle.eventfds[key] = fd;
      return "ok";
    }
    case "disarm":
      setIrqs(vdev, {
        flags: IRQ_SET.DATA_NONE | IRQ_SET.ACTION_TRIGGER,
        index,
        start: 0,
        count: 0,
        data: new Uint8Array(0),
      });
      if (armed !== undefined) core.eventfds.delete(armed);
      delete handle.eventfds[key];
      return "ok";
    case "mask":
    case "unmask":
      setIrqs(vdev, {
        flags: IRQ_SET.DATA_NONE |
          (action === "mask" ? IRQ_SET.ACTION_MASK : IRQ_SET.ACTION_UNMASK),
        index,
        start: 0,
        count: 1,
        data: new Uint8Array(0),
      });
      return "ok";
    case "count": {
      const count = armed === undefined ? undefined : core.eventfds.get(armed);
      if (count === undefined) {
        throw new KernelError("EINVAL", { detail: `IRQ index ${index} is not armed` });
      }
      return String(count);
    }
  }
}
