/**
 * Fixtures of the vfio-ccw tests: the default machine with `vfio_ccw` loaded, a subchannel handed
 * to it the way Documentation/arch/s390/vfio-ccw.rst does it (unbind from io_subchannel,
 * driver_override, drivers_probe), its `vfio_ccw-io` mdev, an open handle, and the channel
 * programs of the DASD (SEEK + WRITE / SEEK + READ of one 4 KiB block).
 *
 * @module
 */
import type { World } from "../../../lib/core/world.ts";
import { cssCore } from "../../../lib/css/core.ts";
import type { Subchannel } from "../../../lib/css/subchannel.ts";
import type { CcwEngineKind } from "../../../lib/drivers/vfio_ccw/cp.ts";
import { dmaMap, memWrite } from "../../../lib/drivers/vfio_ccw/dma.ts";
import "../../../lib/drivers/vfio_ccw/module.ts";
import type { VfioCcwDevice } from "../../../lib/drivers/vfio_ccw/private.ts";
import { IO_REGION } from "../../../lib/drivers/vfio_ccw/uapi.ts";
import { bootWorld } from "../../../lib/machine.ts";
import { mdevCore } from "../../../lib/mdev/core.ts";
import { mdevCreate } from "../../../lib/mdev/device.ts";
import { vfioOpen } from "../../../lib/vfio/core.ts";
import { writeAttrText } from "../../../lib/sysfs/io.ts";

/** The subchannel the tests hand to vfio_ccw. */
export const SCHID = "0.0.0001";
/** The mdev UUID the tests create. */
export const UUID = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001";

/** The default machine with `vfio_ccw` loaded (engine `ts` unless asked otherwise). */
export function ccwWorld(engine: CcwEngineKind = "ts"): World {
  const world = bootWorld();
  world.modules.load("vfio_ccw", { engine });
  return world;
}

/** A subchannel of the machine. */
export function subchannel(world: World, schid = SCHID): Subchannel {
  const sch = cssCore(world).subchannel(schid);
  if (sch === undefined) throw new Error(`no subchannel ${schid}`);
  return sch;
}

/** Hands a subchannel to vfio_ccw: unbind, driver_override, drivers_probe (the documented way). */
export function bindVfioCcw(world: World, schid = SCHID): Subchannel {
  writeAttrText(world, `/sys/bus/css/devices/${schid}/driver/unbind`, `${schid}\n`);
  writeAttrText(world, `/sys/bus/css/devices/${schid}/driver_override`, "vfio_ccw\n");
  writeAttrText(world, "/sys/bus/css/drivers_probe", `${schid}\n`);
  return subchannel(world, schid);
}

/** Creates the subchannel's `vfio_ccw-io` mdev and returns its VFIO device. */
export function createCcwMdev(world: World, schid = SCHID, uuid = UUID): VfioCcwDevice {
  const parent = mdevCore(world).parentNamed(schid);
  const type = parent?.type("vfio_ccw-io");
  if (type === undefined) throw new Error(`no vfio_ccw-io type on ${schid}`);
  const ret = mdevCreate(type, uuid);
  if (ret < 0) throw new Error(`create failed: ${ret}`);
  return mdevCore(world).list.get(uuid)!.driverData as VfioCcwDevice;
}

/** Opens a device through its group; returns the handle id. */
export function openHandle(world: World, vdev: VfioCcwDevice, uuid = UUID): number {
  return vfioOpen(world, vdev.group!, uuid, `/dev/vfio/${vdev.group}`).id;
}

/** Everything up to an open handle with the first `ram` bytes DMA-mapped. */
export function openCcwDevice(
  engine: CcwEngineKind = "ts",
  ram = 0x10_0000,
): { world: World; sch: Subchannel; vdev: VfioCcwDevice; handle: number } {
  const world = ccwWorld(engine);
  const sch = bindVfioCcw(world);
  const vdev = createCcwMdev(world);
  const handle = openHandle(world, vdev);
  dmaMap(world, handle, 0n, BigInt(ram));
  return { world, sch, vdev, handle };
}

/** Big-endian bytes of a hex string that may contain spaces. */
export function hexBytes(text: string): Uint8Array {
  const digits = text.replace(/\s+/g, "");
  return Uint8Array.from(digits.match(/../g) ?? [], (b) => parseInt(b, 16));
}

/** ORB_D of vfio-ccw.md §5.1 with the program at `cpa`: fmt-1, prefetch, c64, lpm 0xff. */
export function orbAt(cpa: number): Uint8Array {
  const orb = hexBytes("11223344 00 C2 FF 00 00000000");
  new DataView(orb.buffer).setUint32(8, cpa);
  return orb;
}

/** The SCSW area with the start function (vfio-ccw.md §5.1). */
export const SCSW_START = hexBytes("00 00 44 00 00000000 00 00 0000");

/** The 124-byte I/O region content QEMU writes: ORB, SCSW, zeros. */
export function ioRequest(orb: Uint8Array, scsw = SCSW_START): Uint8Array {
  const region = new Uint8Array(IO_REGION.SIZE);
  region.set(orb, IO_REGION.ORB);
  region.set(scsw, IO_REGION.SCSW);
  return region;
}

/** Guest addresses of the DASD programs. */
export const PROGRAM = { ccws: 0x1000, seekArg: 0x3000, data: 0x20000 } as const;

/**
 * Writes into guest RAM a SEEK to `block` command-chained to a 4 KiB WRITE (0x01) or READ (0x02)
 * of {@linkcode PROGRAM}.data.
 */
export function loadBlockProgram(
  world: World,
  handle: number,
  command: "write" | "read",
  block: number,
): void {
  const ccws = new Uint8Array(16);
  const view = new DataView(ccws.buffer);
  view.setUint32(0, 0x07400004); // SEEK, command chaining, 4 bytes
  view.setUint32(4, PROGRAM.seekArg);
  view.setUint32(8, (command === "write" ? 0x01 : 0x02) << 24 | 0x1000); // 4096 bytes
  view.setUint32(12, PROGRAM.data);
  memWrite(world, handle, BigInt(PROGRAM.ccws), ccws);
  const seek = new Uint8Array(4);
  new DataView(seek.buffer).setUint32(0, block);
  memWrite(world, handle, BigInt(PROGRAM.seekArg), seek);
}

/** A copy of the IRB the I/O region holds. */
export function regionIrb(vdev: VfioCcwDevice): Uint8Array {
  return vdev.priv.ioRegion.slice(IO_REGION.IRB, IO_REGION.IRB + 64);
}

/** The I/O region's ret_code. */
export function regionRetCode(vdev: VfioCcwDevice): number {
  return new DataView(vdev.priv.ioRegion.buffer).getInt32(IO_REGION.RET_CODE);
}
