/**
 * The mtty VFIO device: private state set up in `init` (ports reserved from
 * the pool, config space, UARTs), returned in `release`, and the file
 * operations — region access through index << 40 offsets, and the ioctls
 * (samples/vfio-mdev/mtty.c).
 *
 * @module
 */
import { neg } from "../../errno.ts";
import type { MdevDevice } from "../../mdev/device.ts";
import { vfioCore } from "../../vfio/core.ts";
import { registerVfioOps, type VfioDevice } from "../../vfio/device.ts";
import { dispatchAccess, regionOf } from "../../vfio/rw_split.ts";
import { validateIrqSet } from "../../vfio/set_irqs.ts";
import {
  decodeIrqSet,
  DEVICE_FLAGS,
  IRQ_INFO_FLAGS,
  IRQ_SET,
  IRQ_SET_ACTION_TYPE_MASK,
  PCI_IRQ,
  PCI_REGION,
  putU32,
  putU64,
  REGION_FLAGS,
  u32,
  VFIO,
} from "../../vfio/uapi.ts";
import { MttyConfigSpace, type MttyConfigSpaceSnapshot } from "./config_space.ts";
import { mttyPool } from "./pool.ts";
import type { MttyTypeData } from "./types.ts";
import { Uart16550, type UartSnapshot } from "./uart.ts";

/** No IRQ index active (mtty uses VFIO_PCI_NUM_IRQS + 1). */
const NO_IRQ = PCI_IRQ.NUM + 1;

/** `struct mdev_state` of the sample. */
export interface MttyState {
  readonly nrPorts: 1 | 2;
  readonly config: MttyConfigSpace;
  /** The sample's `s[2]`: two ports exist even on the 1-port type. */
  readonly ports: [Uart16550, Uart16550];
  irqIndex: number;
  intxMask: boolean;
  intxEventfd: number | null;
  msiEventfd: number | null;
  /** Quirk: the cached vfio_device_info; num_irqs stays 0 until GET_INFO runs. */
  cachedNumIrqs: number;
}

interface MttySnapshot {
  nrPorts: 1 | 2;
  config: MttyConfigSpaceSnapshot;
  ports: UartSnapshot[];
  irqIndex: number;
  intxMask: boolean;
  intxEventfd: number | null;
  msiEventfd: number | null;
  cachedNumIrqs: number;
}

function typeData(vdev: VfioDevice): MttyTypeData {
  return (vdev.parent as MdevDevice).type.info.data as MttyTypeData;
}

/** Routes every UART interrupt event to INTx (auto-masked, not latched) or MSI. */
function wireInterrupts(vdev: VfioDevice<MttyState>): void {
  const trigger = () => triggerInterrupt(vdev);
  for (const port of vdev.priv.ports) port.onInterrupt = trigger;
}

/** mtty_trigger_interrupt(): MSI every time; INTx only while unmasked, then masked. */
function triggerInterrupt(vdev: VfioDevice<MttyState>): void {
  const s = vdev.priv;
  const core = vfioCore(vdev.world);
  if (s.irqIndex === PCI_IRQ.MSI) {
    if (s.msiEventfd !== null) core.signal(s.msiEventfd);
  } else if (s.irqIndex === PCI_IRQ.INTX) {
    if (s.intxMask || s.intxEventfd === null) return;
    core.signal(s.intxEventfd);
    s.intxMask = true;
  }
}

/** The region access of one piece; false = the piece fails (EFAULT for the call). */
function accessPiece(
  s: MttyState,
  index: number,
  offset: number,
  size: 1 | 2 | 4,
  write: boolean,
  value: number,
): number | false {
  if (index === PCI_REGION.CONFIG) {
    if (write) {
      s.config.write(offset, size, value);
      return 0;
    }
    return s.config.read(offset, size);
  }
  // BAR0/BAR1 are the ports; the sample would index past s[2] for BAR2..5, so refuse them.
  if (index > PCI_REGION.BAR1) return false;
  const port = s.ports[index]!;
  // Only the first byte of a wider piece is used; the rest reads as 0 (the sample leaves it uninitialised).
  if (write) {
    port.write(offset & 0xffff, value & 0xff);
    return 0;
  }
  return port.read(offset & 0xffff);
}

function rw(vdev: VfioDevice<MttyState>, pos: bigint, buf: Uint8Array, write: boolean): number {
  return dispatchAccess(pos, buf, write, (at, size, isWrite, value) => {
    const { index, offset } = regionOf(BigInt(at));
    return accessPiece(vdev.priv, index, offset, size, isWrite, value);
  });
}

function regionSize(s: MttyState, index: number): bigint {
  if (index === PCI_REGION.BAR0) return 8n;
  if (index === PCI_REGION.BAR1) return s.nrPorts === 2 ? 8n : 0n;
  if (index === PCI_REGION.CONFIG) return 0xffn;
  return 0n;
}

/** mtty_set_trigger(): fd -1 disables; otherwise the fd must be an eventfd. */
function setTrigger(vdev: VfioDevice<MttyState>, fd: number, which: "intx" | "msi"): number {
  const key = which === "intx" ? "intxEventfd" : "msiEventfd";
  const s = vdev.priv;
  if (fd < 0) {
    s[key] = null;
    s.irqIndex = NO_IRQ;
    return 0;
  }
  if (!vfioCore(vdev.world).eventfds.has(fd)) return neg("EBADF");
  s[key] = fd;
  s.irqIndex = which === "intx" ? PCI_IRQ.INTX : PCI_IRQ.MSI;
  return 0;
}

function setIrqs(vdev: VfioDevice<MttyState>, arg: Uint8Array): number {
  const s = vdev.priv;
  const set = decodeIrqSet(arg);
  if (set.argsz < 20) return neg("EINVAL");
  const dataSize = validateIrqSet(set, s.cachedNumIrqs, PCI_IRQ.NUM);
  if (dataSize < 0) return dataSize;
  const action = set.flags & IRQ_SET_ACTION_TYPE_MASK;
  const none = (set.flags & IRQ_SET.DATA_NONE) !== 0;
  const bool = (set.flags & IRQ_SET.DATA_BOOL) !== 0;
  const eventfd = (set.flags & IRQ_SET.DATA_EVENTFD) !== 0;
  const byte0 = set.data[0] ?? 0;
  const fd = eventfd ? new DataView(set.data.buffer, set.data.byteOffset).getInt32(0, true) : -1;

  if (set.index === PCI_IRQ.INTX) {
    const active = s.irqIndex === PCI_IRQ.INTX;
    if (action === IRQ_SET.ACTION_MASK || action === IRQ_SET.ACTION_UNMASK) {
      if (!active || set.start !== 0 || set.count !== 1) return neg("EINVAL");
      if (eventfd) return neg("ENOTTY"); // no resample/mask fd support
      if (none || byte0 !== 0) s.intxMask = action === IRQ_SET.ACTION_MASK;
      return 0;
    }
    if (action === IRQ_SET.ACTION_TRIGGER) {
      return trigger(vdev, "intx", set.count, none, bool, eventfd, byte0, fd);
    }
    return neg("EINVAL");
  }
  if (set.index === PCI_IRQ.MSI) {
    if (action !== IRQ_SET.ACTION_TRIGGER) return neg("ENOTTY");
    return trigger(vdev, "msi", set.count, none, bool, eventfd, byte0, fd);
  }
  return neg("ENOTTY");
}

/** ACTION_TRIGGER for INTx or MSI: disable, assign an eventfd, or fire a loopback interrupt. */
function trigger(
  vdev: VfioDevice<MttyState>,
  which: "intx" | "msi",
  count: number,
  none: boolean,
  bool: boolean,
  eventfd: boolean,
  byte0: number,
  fd: number,
): number {
  const s = vdev.priv;
  const mine = which === "intx" ? PCI_IRQ.INTX : PCI_IRQ.MSI;
  if (s.irqIndex === mine && count === 0 && none) {
    s[which === "intx" ? "intxEventfd" : "msiEventfd"] = null;
    s.irqIndex = NO_IRQ;
    return 0;
  }
  if (s.irqIndex !== mine && s.irqIndex !== NO_IRQ) return neg("EINVAL");
  if (eventfd) return setTrigger(vdev, fd, which);
  if (s.irqIndex !== mine) return neg("EINVAL");
  if (none || (bool && byte0 !== 0)) triggerInterrupt(vdev);
  return 0;
}

function ioctl(vdev: VfioDevice<MttyState>, cmd: number, arg: Uint8Array): number {
  const s = vdev.priv;
  switch (cmd) {
    case VFIO.DEVICE_GET_INFO: {
      if (u32(arg, 0) < 16) return neg("EINVAL");
      putU32(arg, 4, DEVICE_FLAGS.PCI);
      putU32(arg, 8, PCI_REGION.NUM);
      putU32(arg, 12, PCI_IRQ.NUM);
      s.cachedNumIrqs = PCI_IRQ.NUM;
      return 0;
    }
    case VFIO.DEVICE_GET_REGION_INFO: {
      if (u32(arg, 0) < 32) return neg("EINVAL");
      const index = u32(arg, 8);
      if (index >= PCI_REGION.NUM) return neg("EINVAL");
      putU32(arg, 4, REGION_FLAGS.READ | REGION_FLAGS.WRITE);
      putU32(arg, 12, 0);
      putU64(arg, 16, regionSize(s, index));
      putU64(arg, 24, BigInt(index) << 40n);
      return 0;
    }
    case VFIO.DEVICE_GET_IRQ_INFO: {
      if (u32(arg, 0) < 16) return neg("EINVAL");
      const index = u32(arg, 8);
      if (index >= s.cachedNumIrqs) return neg("EINVAL");
      if (index === PCI_IRQ.INTX) {
        putU32(
          arg,
          4,
          IRQ_INFO_FLAGS.EVENTFD | IRQ_INFO_FLAGS.MASKABLE | IRQ_INFO_FLAGS.AUTOMASKED,
        );
      } else if (index === PCI_IRQ.MSI) {
        putU32(arg, 4, IRQ_INFO_FLAGS.EVENTFD | IRQ_INFO_FLAGS.NORESIZE);
      } else return neg("EINVAL");
      putU32(arg, 12, 1);
      return 0;
    }
    case VFIO.DEVICE_SET_IRQS:
      return setIrqs(vdev, arg);
    case VFIO.DEVICE_RESET:
      // Only the migration state machine resets; UART registers keep their values.
      return 0;
    default:
      return neg("ENOTTY");
  }
}

/** The mtty vfio_device_ops. */
export const MTTY_OPS = registerVfioOps<MttyState>({
  name: "mtty",
  module: "mtty",
  init(vdev) {
    const { ports } = typeData(vdev);
    if (!mttyPool(vdev.world).reserve(ports)) return neg("ENOSPC");
    vdev.priv = {
      nrPorts: ports,
      config: new MttyConfigSpace(ports),
      ports: [new Uart16550(), new Uart16550()],
      irqIndex: NO_IRQ,
      intxMask: false,
      intxEventfd: null,
      msiEventfd: null,
      cachedNumIrqs: 0,
    };
    wireInterrupts(vdev);
    return 0;
  },
  release(vdev) {
    mttyPool(vdev.world).release(vdev.priv.nrPorts);
  },
  openDevice() {
    return 0;
  },
  closeDevice(vdev) {
    const s = vdev.priv;
    s.intxEventfd = null;
    s.msiEventfd = null;
    s.irqIndex = NO_IRQ;
  },
  read(vdev, pos, length) {
    const buf = new Uint8Array(length);
    const ret = rw(vdev, pos, buf, false);
    return ret < 0 ? ret : buf;
  },
  write(vdev, pos, data) {
    return rw(vdev, pos, data.slice(), true);
  },
  ioctl,
  savePriv(s): MttySnapshot {
    return {
      nrPorts: s.nrPorts,
      config: s.config.toSnapshot(),
      ports: s.ports.map((p) => p.toSnapshot()),
      irqIndex: s.irqIndex,
      intxMask: s.intxMask,
      intxEventfd: s.intxEventfd,
      msiEventfd: s.msiEventfd,
      cachedNumIrqs: s.cachedNumIrqs,
    };
  },
  loadPriv(vdev, data) {
    const d = data as MttySnapshot;
    vdev.priv = {
      nrPorts: d.nrPorts,
      config: MttyConfigSpace.fromSnapshot(d.config),
      ports: [Uart16550.fromSnapshot(d.ports[0]!), Uart16550.fromSnapshot(d.ports[1]!)],
      irqIndex: d.irqIndex,
      intxMask: d.intxMask,
      intxEventfd: d.intxEventfd,
      msiEventfd: d.msiEventfd,
      cachedNumIrqs: d.cachedNumIrqs,
    };
    wireInterrupts(vdev);
    return vdev.priv;
  },
});
