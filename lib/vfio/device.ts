/**
 * The VFIO device object and its lifetime (drivers/vfio/vfio_main.c after the
 * 2022 "tidy up vfio_device life cycle" work): the core allocates it and runs
 * the driver's `init`; the last put runs `vfio_device_release`, which frees
 * the index and calls the driver's `release`, then the core frees it. There
 * is no vfio_init_device for drivers and no vfio_free_device.
 *
 * @module
 */
import { Device } from "../core/device.ts";
import type { World } from "../core/world.ts";
import { vfioCore } from "./core.ts";

/** What an open VFIO file can do with a device; every hook is optional as in vfio_device_ops. */
export interface VfioDeviceOps<P = unknown> {
  /** Unique ops name; snapshots refer to the ops by it. */
  readonly name: string;
  /** The module whose driver supplies these ops (try_module_get on first open). */
  readonly module: string;
  /** Initialise private state (`vdev.priv`); failure frees the device without `release`. */
  init?(vdev: VfioDevice<P>): number;
  release?(vdev: VfioDevice<P>): void;
  openDevice?(vdev: VfioDevice<P>): number;
  closeDevice?(vdev: VfioDevice<P>): void;
  /** read(2) on the device fd: the bytes, or a negative errno. */
  read?(vdev: VfioDevice<P>, pos: bigint, length: number): Uint8Array | number;
  /** write(2) on the device fd: bytes written, or a negative errno. */
  write?(vdev: VfioDevice<P>, pos: bigint, data: Uint8Array): number;
  /** ioctl(2): `arg` is the in/out argument buffer; returns ≥ 0 or a negative errno. */
  ioctl?(vdev: VfioDevice<P>, cmd: number, arg: Uint8Array): number;
  /** Named-field snapshot of the private state. */
  savePriv(priv: P): unknown;
  /** Rebuilds the private state from {@linkcode savePriv}'s output. */
  loadPriv(vdev: VfioDevice<P>, data: unknown): P;
}

const OPS = new Map<string, VfioDeviceOps>();

/** Makes ops restorable by name (drivers call it at import). */
export function registerVfioOps<P>(ops: VfioDeviceOps<P>): VfioDeviceOps<P> {
  OPS.set(ops.name, ops as VfioDeviceOps);
  return ops;
}

/** Ops by name. */
export function vfioOpsNamed(name: string): VfioDeviceOps {
  const ops = OPS.get(name);
  if (ops === undefined) throw new RangeError(`Cannot find VFIO device ops "${name}"`);
  return ops;
}

/** A `struct vfio_device` with its embedded `struct device` (class vfio-dev, name vfioN). */
export class VfioDevice<P = unknown> extends Device {
  override get kind(): string {
    return "vfio";
  }
  readonly ops: VfioDeviceOps<P>;
  /** set by core: the IDA index behind the `vfioN` name. */
  readonly index: number;
  /** set by driver init: the private state. */
  priv!: P;
  /** set by core: registration references (1 from register, 1 per open file). */
  regRefs = 0;
  /** set by core: open files through the group path. */
  openCount = 0;
  /** set by core: on its group's device list (GET_DEVICE_FD can find it). */
  onGroupList = false;
  /** set by core: the VFIO/IOMMU group number, while attached. */
  group: number | undefined;

  constructor(
    world: World,
    options: { parent: Device; ops: VfioDeviceOps<P>; index: number },
    id?: number,
  ) {
    super(
      world,
      { name: `vfio${options.index}`, parent: options.parent, className: "vfio-dev" },
      id,
    );
    this.ops = options.ops;
    this.index = options.index;
  }

  /** The registration completion's wait key. */
  get registrationKey(): string {
    return `vfio_registration:${this.id}`;
  }

  /** An open file or the registration still holds it. */
  override heldElsewhere(): boolean {
    return this.regRefs > 0;
  }

  /** vfio_device_release(): free the index, the driver's release, then the core frees. */
  protected override release(): void {
    vfioCore(this.world).indexes.free(this.index);
    this.ops.release?.(this);
    this.world.log(`vfio${this.index}: released`);
  }

  override toSnapshot() {
    return {
      ...super.toSnapshot(),
      data: {
        ops: this.ops.name,
        index: this.index,
        regRefs: this.regRefs,
        openCount: this.openCount,
        onGroupList: this.onGroupList,
        group: this.group ?? null,
        priv: this.ops.savePriv(this.priv),
      },
    };
  }
}

/**
 * vfio_alloc_device(): lowest free index, then the driver's init. When init
 * fails the index and memory are freed and the driver's release is NOT called.
 *
 * @returns the device or a negative errno
 */
export function vfioAllocDevice<P>(parent: Device, ops: VfioDeviceOps<P>): VfioDevice<P> | number {
  const world = parent.world;
  const fault = world.faults.at("vfio.alloc");
  if (fault < 0) return fault;
  const core = vfioCore(world);
  const index = core.indexes.alloc();
  const vdev = new VfioDevice<P>(world, { parent, ops, index });
  const ret = ops.init?.(vdev) ?? 0;
  if (ret < 0) {
    core.indexes.free(index);
    vdev.refcount = 0;
    vdev.released = true;
    world.untrackDevice(vdev);
    return ret;
  }
  return vdev;
}

/** True for a negative errno; narrows the device-or-errno results of allocation helpers. */
export function isErrno(value: unknown): value is number {
  return typeof value === "number" && value < 0;
}

/** vfio_put_device(): put_device on the embedded device. */
export function vfioPutDevice(vdev: VfioDevice): void {
  vdev.put();
}
