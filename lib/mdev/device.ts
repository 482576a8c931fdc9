/**
 * mdev devices and the `create` / `remove` paths
 * (drivers/vfio/mdev/mdev_core.c: mdev_device_create, mdev_device_remove).
 *
 * @module
 */
import { neg } from "../errno.ts";
import { deviceDriverAttach } from "../core/binding.ts";
import { Device } from "../core/device.ts";
import { deviceAdd, deviceDel, putDevice } from "../core/registration.ts";
import { defineStep, type Step } from "../core/task.ts";
import type { World } from "../core/world.ts";
import { mdevCore } from "./core.ts";
import { kstrtoul } from "./kstrtoul.ts";
import type { MdevType } from "./type.ts";
import { canonicalUuid, UUID_STRING_LEN, uuidIsValid } from "./uuid.ts";

/** A `struct mdev_device`: a child of its parent device on the mdev bus, named by its UUID. */
export class MdevDevice extends Device {
  override get kind(): string {
    return "mdev";
  }
  readonly type: MdevType;
  /** set by core: fully created and bound; cleared first by remove. */
  active = false;
  /** set by core: the `T/devices/U` and `U/mdev_type` links exist. */
  typeLinks = false;
  /** set by core: the self-removing `remove` file exists. */
  removeFile = true;

  constructor(world: World, type: MdevType, uuid: string, id?: number) {
    super(world, { name: uuid, bus: mdevCore(world).bus, parent: type.parent.dev }, id);
    this.type = type;
  }

  /** The canonical UUID (the device name). */
  get uuid(): string {
    return this.name;
  }

  /**
   * mdev_device_release(): off the global list — only now can the UUID be
   * reused — and the instance slot returns when the core does the accounting.
   */
  protected override release(): void {
    const core = mdevCore(this.world);
    core.list.delete(this.uuid);
    const parent = this.type.parent;
    if (!parent.driver.getAvailable) parent.availableInstances++;
  }

  override toSnapshot() {
    return {
      ...super.toSnapshot(),
      data: {
        parent: this.type.parent.dev.id,
        type: this.type.id,
        active: this.active,
        typeLinks: this.typeLinks,
        removeFile: this.removeFile,
      },
    };
  }
}

/**
 * Writing the `create` file of a type: `buf` is the raw write (a byte string).
 * Validation order and errnos follow mdev_sysfs.c:create_store and
 * mdev_core.c:mdev_device_create; every failure after the list insertion
 * ends in put_device, whose release undoes the insertion and the count.
 *
 * @returns the byte count or a negative errno
 */
export function mdevCreate(type: MdevType, buf: string): number {
  const count = buf.length;
  if (count < UUID_STRING_LEN || count > UUID_STRING_LEN + 1) return neg("EINVAL");
  // Quirk: only the first 36 bytes are validated; any 37th byte is accepted.
  if (!uuidIsValid(buf)) return neg("EINVAL");
  const uuid = canonicalUuid(buf);
  const world = type.parent.dev.world;
  const core = mdevCore(world);
  const parent = type.parent;
  const drv = parent.driver;

  // One atomic step under mdev_list_lock: duplicate check, instance count, list insertion.
  if (core.list.has(uuid)) return neg("EEXIST");
  if (!drv.getAvailable) {
    if (parent.availableInstances === 0) return neg("EUSERS");
    parent.availableInstances--;
  }
  const mdev = new MdevDevice(world, type, uuid);
  core.list.set(uuid, mdev);

  let ret = world.faults.at("mdev.create.set_name");
  if (ret < 0) return putAndReturn(mdev, ret);
  if (parent.unregistering) return putAndReturn(mdev, neg("ENODEV"));
  parent.readers++;
  ret = deviceAdd(mdev);
  if (ret === 0) {
    ret = deviceDriverAttach(drv, mdev);
    if (ret === 0) ret = world.faults.at("mdev.create.sysfs_files");
    if (ret === 0) {
      mdev.typeLinks = true;
      mdev.active = true;
      parent.readers--;
      world.log(`${uuid}: MDEV: created`);
      return count;
    }
    world.tasks.run(`create ${uuid} (unwind)`, deviceDel(mdev));
  }
  parent.readers--;
  return putAndReturn(mdev, ret);
}

function putAndReturn(mdev: MdevDevice, ret: number): number {
  mdev.put();
  return ret;
}

/**
 * Writing the device's `remove` file. `0` does nothing; otherwise the file
 * removes itself, then mdev_device_remove runs. Quirk kept from the kernel:
 * when that then fails (EAGAIN / ENODEV) the file is already gone.
 *
 * @returns the byte count, a negative errno, or the steps of the removal,
 *   which the caller runs as a task (it sleeps while a VFIO file is open)
 */
export function mdevRemoveStore(mdev: MdevDevice, buf: string): number | Step[] {
  const value = kstrtoul(buf);
  if (value === undefined) return neg("EINVAL");
  if (value === 0n) return buf.length;
  mdev.removeFile = false;
  const core = mdevCore(mdev.world);
  if (core.list.get(mdev.uuid) !== mdev) return neg("ENODEV");
  if (!mdev.active) return neg("EAGAIN");
  mdev.active = false;
  const parent = mdev.type.parent;
  if (parent.unregistering) return neg("ENODEV");
  parent.readers++;
  return [...mdevRemoveCommon(mdev), upRead({ parent: parent.dev.id })];
}

/** Steps of mdev_device_remove_common(): type links, device_del (may sleep), final put. */
export function mdevRemoveCommon(mdev: MdevDevice): Step[] {
  return [removeLinks({ dev: mdev.id }), ...deviceDel(mdev), putDevice(mdev)];
}

const removeLinks = defineStep("mdev.remove_sysfs_files", (world, a: { dev: number }) => {
  const mdev = world.device(a.dev) as MdevDevice;
  mdev.typeLinks = false;
  mdev.removeFile = false;
});

const upRead = defineStep("mdev.unreg_sem.up_read", (world, a: { parent: number }) => {
  const parent = mdevCore(world).parents.get(a.parent);
  if (parent === undefined) return;
  parent.readers--;
  if (parent.readers === 0) world.tasks.wake(parent.semKey);
});
