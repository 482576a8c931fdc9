/**
 * The VFIO core's state in a world (drivers/vfio/vfio_main.c, group.c):
 * device indexes, emulated IOMMU groups with their `/dev/vfio/N` files,
 * registration and unregistration, open files ("handles") that outlive a
 * command, and the emulated eventfds interrupts are signalled through.
 *
 * @module
 */
import { KernelError, neg } from "../errno.ts";
import { deviceAdd, deviceDel, putDevice } from "../core/registration.ts";
import { defineStep, type Step } from "../core/task.ts";
import type { World } from "../core/world.ts";
import type { VfioDevice } from "./device.ts";
import { Ida } from "./ida.ts";
import { IdTable } from "./id_table.ts";

/** An emulated-IOMMU VFIO group: `/dev/vfio/<id>` and `/sys/kernel/iommu_groups/<id>`. */
export interface VfioGroup {
  readonly id: number;
  /** Devices attached to the group (an emulated group holds exactly one). */
  devices: VfioDevice[];
  /** Open handles sharing the group file (the file is open while > 0). */
  fileUsers: number;
}

/** An open device file that persists across commands. */
export interface VfioHandle {
  readonly id: number;
  /** The VfioDevice's device id. */
  readonly device: number;
  /** The mdev UUID (device name in the group) it was opened by. */
  readonly name: string;
  /** Emulated eventfds this handle armed, by IRQ index. */
  eventfds: Record<string, number>;
}

/** Per-world VFIO state. */
export class VfioCore {
  indexes: Ida = new Ida();
  groupIds: Ida = new Ida();
  readonly groups: IdTable<VfioGroup> = new IdTable();
  readonly handles = new Map<number, VfioHandle>();
  /** Emulated eventfds: fd number → times signalled. */
  readonly eventfds = new Map<number, number>();
  nextHandle = 1;
  nextEventfd = 3;

  /** Creates an emulated eventfd. */
  eventfd(): number {
    const fd = this.nextEventfd++;
    this.eventfds.set(fd, 0);
    return fd;
  }

  /** eventfd_signal(): counts one event; signalling a closed eventfd does nothing. */
  signal(fd: number): void {
    const n = this.eventfds.get(fd);
    if (n !== undefined) this.eventfds.set(fd, n + 1);
  }
}

const CORES = new WeakMap<World, VfioCore>();

/** The VFIO core of a world. */
export function vfioCore(world: World): VfioCore {
  let core = CORES.get(world);
  if (core === undefined) {
    core = new VfioCore();
    CORES.set(world, core);
  }
  return core;
}

/**
 * vfio_register_emulated_iommu_dev(): a fresh IOMMU group and VFIO group for
 * the device, `vfioN` added under its parent, one registration reference,
 * then onto the group's list.
 *
 * @returns 0 or a negative errno (nothing stays registered on failure)
 */
export function vfioRegisterEmulatedIommuDev(vdev: VfioDevice): number {
  const world = vdev.world;
  const fault = world.faults.at("vfio.register");
  if (fault < 0) return fault;
  const core = vfioCore(world);
  const group: VfioGroup = { id: core.groupIds.alloc(), devices: [vdev], fileUsers: 0 };
  core.groups.set(group.id, group);
  vdev.group = group.id;
  const ret = deviceAdd(vdev);
  if (ret < 0) {
    detachGroup(world, vdev);
    return ret;
  }
  vdev.regRefs = 1;
  vdev.onGroupList = true;
  return 0;
}

/**
 * Steps of vfio_unregister_group_dev(): off the group list and `vfioN` gone
 * (no new opens), drop the registration's own reference, sleep until every
 * open file is closed, then leave the group (the last device destroys it).
 */
export function vfioUnregisterGroupDev(vdev: VfioDevice): Step[] {
  const a = { dev: vdev.id };
  return [unregBegin(a), ...deviceDel(vdev), unregPut(a), unregWait(a), unregDetach(a)];
}

/** The driver's `vfio_put_device(vdev)` as a step. */
export function vfioPutDeviceStep(vdev: VfioDevice): Step {
  return putDevice(vdev);
}

const unregBegin = defineStep("vfio.unregister.begin", (world, a: { dev: number }) => {
  const vdev = world.device(a.dev) as VfioDevice;
  vdev.onGroupList = false;
});

const unregPut = defineStep("vfio.unregister.put_registration", (world, a: { dev: number }) => {
  const vdev = world.device(a.dev) as VfioDevice;
  vdev.regRefs--;
});

const unregWait = defineStep("vfio.unregister.wait", (world, a: { dev: number }) => {
  const vdev = world.device(a.dev) as VfioDevice;
  if (vdev.regRefs > 0) {
    world.log(`${vdev.name}: Device is currently in use, task blocked until device is released`);
    return { wait: vdev.registrationKey };
  }
});

const unregDetach = defineStep("vfio.unregister.detach", (world, a: { dev: number }) => {
  detachGroup(world, world.device(a.dev) as VfioDevice);
});

function detachGroup(world: World, vdev: VfioDevice): void {
  const core = vfioCore(world);
  if (vdev.group === undefined) return;
  const group = core.groups.get(vdev.group);
  vdev.group = undefined;
  if (group === undefined) return;
  group.devices = group.devices.filter((d) => d !== vdev);
  if (group.devices.length === 0) {
    core.groups.delete(group.id);
    core.groupIds.free(group.id);
  }
}

/**
 * Opens a device through its group: open `/dev/vfio/N` (shared by this
 * world's handles, as QEMU keeps one group fd), attach the emulated type1
 * container, VFIO_GROUP_GET_DEVICE_FD by name (takes a registration
 * reference), then vfio_df_open (first open: module reference, open_device).
 */
export function vfioOpen(
  world: World,
  groupId: number,
  name: string,
  groupPath: string,
): VfioHandle {
  const core = vfioCore(world);
  const group = core.groups.get(groupId);
  if (group === undefined) throw new KernelError("ENOENT", { path: groupPath });
  if (group.devices.length === 0) throw new KernelError("ENODEV", { path: groupPath });
  const vdev = group.devices.find((d) => d.onGroupList && d.name === name) ??
    group.devices.find((d) => d.onGroupList && d.parent?.name === name);
  if (vdev === undefined || vdev.regRefs === 0) {
    throw new KernelError("ENODEV", { path: groupPath, detail: "No such device" });
  }
  vdev.regRefs++;
  vdev.openCount++;
  if (vdev.openCount === 1) {
    const ret = world.modules.tryGet(vdev.ops.module)
      ? vdev.ops.openDevice?.(vdev) ?? 0
      : neg("ENODEV");
    if (ret < 0) {
      if (ret !== neg("ENODEV")) world.modules.put(vdev.ops.module);
      vdev.openCount--;
      dropRegistration(vdev);
      throw KernelError.fromReturn(ret, { path: groupPath });
    }
  }
  group.fileUsers++;
  const handle: VfioHandle = { id: core.nextHandle++, device: vdev.id, name, eventfds: {} };
  core.handles.set(handle.id, handle);
  return handle;
}

/**
 * Closes a handle: vfio_df_close (last close: close_device, module put), the
 * handle's eventfds, then its registration reference — the last one wakes a
 * sleeping unregistration, which then completes the teardown.
 */
export function vfioClose(world: World, handleId: number): void {
  const core = vfioCore(world);
  const handle = core.handles.get(handleId);
  if (handle === undefined) throw new KernelError("EBADF", { path: `handle ${handleId}` });
  const vdev = world.device(handle.device) as VfioDevice;
  if (vdev.openCount === 1) {
    vdev.ops.closeDevice?.(vdev);
    world.modules.put(vdev.ops.module);
  }
  vdev.openCount--;
  for (const fd of Object.values(handle.eventfds)) core.eventfds.delete(fd);
  core.handles.delete(handleId);
  const group = vdev.group === undefined ? undefined : core.groups.get(vdev.group);
  if (group !== undefined) group.fileUsers--;
  dropRegistration(vdev);
}

function dropRegistration(vdev: VfioDevice): void {
  if (--vdev.regRefs === 0) vdev.world.tasks.wake(vdev.registrationKey);
}

/** The device behind an open handle. */
export function handleDevice(
  world: World,
  handleId: number,
): { handle: VfioHandle; vdev: VfioDevice } {
  const handle = vfioCore(world).handles.get(handleId);
  if (handle === undefined) throw new KernelError("EBADF", { path: `handle ${handleId}` });
  return { handle, vdev: world.device(handle.device) as VfioDevice };
}
