/**
 * The simulated kernel seen as the sysfs tree the real kernel lays out
 * (driver-core-mdev-vfio.md §2.1), resolved lazily from the world: a
 * directory computes its entries only when it is listed or looked into, so
 * one lookup never builds the tree of a world holding 10,000 mdevs.
 *
 * The layers declare their attributes; this file lays out the directories,
 * places the attributes and the driver core's and mdev core's own files
 * (their stores are in stores.ts, the node model in node.ts), and walks
 * paths the way the VFS does.
 *
 * @module
 */
import { type AttributeGroup, roAttr, rwAttr, woAttr } from "../core/attribute.ts";
import type { Bus } from "../core/bus.ts";
import type { Device } from "../core/device.ts";
import type { Driver } from "../core/driver.ts";
import type { World } from "../core/world.ts";
import { cssAttributeGroups } from "../css/attributes.ts";
import { KernelError } from "../errno.ts";
import { type MdevCore, mdevCore } from "../mdev/core.ts";
import { mdevCreate, MdevDevice } from "../mdev/device.ts";
import type { MdevParent } from "../mdev/parent.ts";
import type { MdevType } from "../mdev/type.ts";
import { vfioCore, type VfioGroup } from "../vfio/core.ts";
import { VfioDevice } from "../vfio/device.ts";
import { joinPath, splitPath } from "./path.ts";
import {
  attrNode,
  chrdev,
  dir,
  type DirNode,
  EMPTY_DIR,
  fail,
  link,
  type LinkNode,
  type Node,
  type Resolved,
  type ResolveOptions,
  taskAttrNode,
} from "./node.ts";
import {
  bindStore,
  driverOverrideAttr,
  driversAutoprobeAttr,
  driversProbe,
  removeAttrNode,
  synthUevent,
  ueventText,
  unbindStore,
} from "./stores.ts";

export type {
  AttrNode,
  CharDevNode,
  DirNode,
  LinkNode,
  Node,
  Resolved,
  ResolveOptions,
  StoreResult,
} from "./node.ts";
export { PAGE_SIZE } from "./node.ts";

/**
 * The physical sysfs directory of a device: nested in its parent's
 * directory (a class device under a `<class>/` glue directory, as
 * `vfio-dev/vfio0`), else `/sys/devices/platform/<name>` for platform
 * devices, `/sys/devices/virtual/<class>/<name>` for class devices and
 * `/sys/devices/<name>` for the rest.
 *
 * @example A class device without parent
 * ```ts
 * import assert from "node:assert/strict";
 * import { Device } from "../core/device.ts";
 * import { World } from "../core/world.ts";
 * import { devicePath } from "./tree.ts";
 * const dev = new Device(new World(), { name: "mtty", className: "mtty" });
 * assert.equal(devicePath(dev), "/sys/devices/virtual/mtty/mtty");
 * ```
 */
export function devicePath(dev: Device): string {
  if (dev.parent !== undefined) {
    const base = devicePath(dev.parent);
    return isGlued(dev) ? `${base}/${dev.className}/${dev.name}` : `${base}/${dev.name}`;
  }
  if (dev.bus?.name === "platform") return `/sys/devices/platform/${dev.name}`;
  if (dev.bus === undefined && dev.className !== undefined) {
    return `/sys/devices/virtual/${dev.className}/${dev.name}`;
  }
  return `/sys/devices/${dev.name}`;
}

/** A class device without a bus sits in a `<class>/` directory of its parent. */
function isGlued(dev: Device): dev is Device & { className: string } {
  return dev.bus === undefined && dev.className !== undefined;
}

/** The directory of a driver. */
export function driverPath(drv: Driver): string {
  return `/sys/bus/${drv.bus.name}/drivers/${drv.name}`;
}

/** The `<D>-<sysfs_name>` directory of an mdev type. */
export function mdevTypePath(type: MdevType): string {
  return `${devicePath(type.parent.dev)}/mdev_supported_types/${type.id}`;
}

/**
 * Resolves a path the way the VFS does: symlinks in intermediate components
 * are followed, the last one only with `follow`, and `..` after a symlink
 * means the target's parent.
 *
 * @throws {KernelError} ENOENT for a missing entry, ENOTDIR for a file used as a directory
 */
export function resolve(world: World, path: string, options: ResolveOptions = {}): Node {
  return new SysfsTree(world).resolve(path, options).node;
}

/**
 * Devices of a world grouped for the tree, built once per
 * {@linkcode SysfsTree} and only when a listing (or a lookup the bus and
 * mdev lists cannot answer) needs it.
 */
class DeviceIndex {
  /** Registered devices by name. */
  readonly byName = new Map<string, Device[]>();
  /** Registered devices by parent id; devices without a parent are under `roots`. */
  readonly children = new Map<number, Device[]>();
  readonly roots: Device[] = [];
  /** Registered devices by class name. */
  readonly byClass = new Map<string, Device[]>();
  /** The VFIO device in an IOMMU group, by the id of the device it belongs to. */
  readonly vfioOf = new Map<number, VfioDevice>();

  constructor(world: World) {
    for (const dev of world.liveDevices()) {
      // The iommu_group link outlives vfioN: it goes only when the group is left.
      if (dev instanceof VfioDevice && dev.parent !== undefined && dev.group !== undefined) {
        this.vfioOf.set(dev.parent.id, dev);
      }
      if (!dev.registered) continue;
      push(this.byName, dev.name, dev);
      if (dev.parent === undefined) this.roots.push(dev);
      else push(this.children, dev.parent.id, dev);
      if (dev.className !== undefined) push(this.byClass, dev.className, dev);
    }
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/**
 * The sysfs view of one world. It caches what it computes about the
 * world's devices, so use a fresh tree after the world changes.
 */
export class SysfsTree {
  readonly world: World;
  #index: DeviceIndex | undefined;

  constructor(world: World) {
    this.world = world;
  }

  /** The root directory `/` (holding `sys` and `dev`). */
  root(): DirNode {
    return this.#fixedDir([
      ["sys", () => this.#sysDir()],
      ["dev", () => this.#devDir()],
    ]);
  }

  /**
   * Resolves `path` (see {@linkcode resolve}); a trailing slash requires a
   * directory and follows a final symlink.
   */
  resolve(path: string, options: ResolveOptions = {}): Resolved {
    const parts = splitPath(path);
    const trailingSlash = parts.length > 0 && path.endsWith("/");
    const stack = this.#walk(parts, options.follow === true || trailingSlash, path);
    const node = stack.at(-1)!.node;
    if (trailingSlash && node.kind !== "dir") throw new KernelError("ENOTDIR", { path });
    return { node, path: joinPath(stack.slice(1).map((frame) => frame.name)) };
  }

  #walk(
    parts: readonly string[],
    followLast: boolean,
    path: string,
  ): { name: string; node: Node }[] {
    let stack: { name: string; node: Node }[] = [{ name: "", node: this.root() }];
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const current = stack.at(-1)!.node;
      if (current.kind !== "dir") throw new KernelError("ENOTDIR", { path });
      if (part === "..") {
        if (stack.length > 1) stack.pop();
        continue;
      }
      const next = current.lookup(part);
      if (next === undefined) throw new KernelError("ENOENT", { path });
      if (next.kind === "link" && (i < parts.length - 1 || followLast)) {
        // Targets are physical paths that cross no link, so this recursion
        // never nests and cannot loop.
        stack = this.#walk(splitPath(next.target), true, path);
      } else {
        stack.push({ name: part, node: next });
      }
    }
    return stack;
  }

  get #devices(): DeviceIndex {
    this.#index ??= new DeviceIndex(this.world);
    return this.#index;
  }

  /** The mdev core, without creating one in a world that has no mdev bus. */
  get #mdev(): MdevCore | undefined {
    return this.world.bus("mdev") === undefined ? undefined : mdevCore(this.world);
  }

  /** A directory of fixed names whose nodes are built only when visited. */
  #fixedDir(entries: readonly (readonly [string, () => Node])[]): DirNode {
    const byName = new Map(entries);
    return dir(
      () => entries.map(([name, make]) => [name, make()] as const),
      (name) => byName.get(name)?.(),
    );
  }

  #sysDir(): DirNode {
    return this.#fixedDir([
      ["bus", () => this.#busesDir()],
      ["class", () => this.#classesDir()],
      ["devices", () => this.#devicesDir()],
      ["kernel", () => this.#fixedDir([["iommu_groups", () => this.#iommuGroupsDir()]])],
      ["module", () => this.#modulesDir()],
    ]);
  }

  // ---- /sys/devices ------------------------------------------------------------------------

  /**
   * A registered device named `name` that `accept`s: looked up in the bus
   * lists, the mdev list and the mdev parents first (what create and remove
   * paths need, without indexing 10,000 devices), then in the index.
   */
  #findDevice(name: string, accept: (dev: Device) => boolean): Device | undefined {
    const ok = (dev: Device | undefined) => dev !== undefined && dev.registered && accept(dev);
    for (const bus of this.world.buses.values()) {
      const dev = bus.devices.get(name);
      if (ok(dev)) return dev;
    }
    const core = this.#mdev;
    const mdev = core?.list.get(name);
    if (ok(mdev)) return mdev;
    for (const parent of core?.parents.values() ?? []) if (ok(parent.dev)) return parent.dev;
    return this.#devices.byName.get(name)?.find(accept);
  }

  #devicesDir(): DirNode {
    const isOther = (dev: Device) =>
      dev.parent === undefined && !isPlatformRoot(dev) && !isGlued(dev);
    const fixed = (name: string) => {
      if (name === "virtual") return this.#virtualDir();
      const hasPlatform = this.world.bus("platform") !== undefined ||
        this.#devices.roots.some(isPlatformRoot);
      return name === "platform" && hasPlatform ? this.#platformDir() : undefined;
    };
    return dir(
      () => {
        const entries = new Map<string, Node>();
        for (const name of ["platform", "virtual"]) {
          const node = fixed(name);
          if (node !== undefined) entries.set(name, node);
        }
        for (const dev of this.#devices.roots.filter(isOther)) {
          entries.set(dev.name, this.deviceDir(dev));
        }
        return entries;
      },
      (name) => fixed(name) ?? this.#deviceDirOf(this.#findDevice(name, isOther)),
    );
  }

  #deviceDirOf(dev: Device | undefined): DirNode | undefined {
    return dev === undefined ? undefined : this.deviceDir(dev);
  }

  #platformDir(): DirNode {
    return dir(
      () =>
        this.#devices.roots.filter(isPlatformRoot).map((dev) => [dev.name, this.deviceDir(dev)]),
      (name) => this.#deviceDirOf(this.#findDevice(name, isPlatformRoot)),
    );
  }

  /** `/sys/devices/virtual/<class>/`: root class devices, and the VFIO groups' devices. */
  #virtualDir(): DirNode {
    const classDir = (className: string) => {
      const accept = (dev: Device) =>
        dev.parent === undefined && isGlued(dev) && dev.className === className;
      // The VFIO groups' class devices live here too (the `/dev/vfio/N` nodes).
      const withGroups = className === "vfio" && vfioCore(this.world).groups.size > 0;
      if (!withGroups && !this.#hasDeviceOfClass(className, accept)) return undefined;
      return dir(
        () => [
          ...(this.#devices.byClass.get(className) ?? []).filter(accept).map((dev) =>
            [dev.name, this.deviceDir(dev)] as const
          ),
          ...(withGroups ? this.#groupEntries((g) => this.#groupDeviceDir(g)) : []),
        ],
        (name) => {
          const group = withGroups ? this.#group(name) : undefined;
          if (group !== undefined) return this.#groupDeviceDir(group);
          return this.#deviceDirOf(this.#findDevice(name, accept));
        },
      );
    };
    return dir(
      () => {
        const classes = new Set<string>(["vfio"]);
        for (const dev of this.#devices.roots) if (isGlued(dev)) classes.add(dev.className);
        return [...classes].flatMap((className) => {
          const node = classDir(className);
          return node === undefined ? [] : [[className, node] as const];
        });
      },
      classDir,
    );
  }

  /** Whether a registered device of a class accepts; mdev parents are checked before the index. */
  #hasDeviceOfClass(className: string, accept: (dev: Device) => boolean): boolean {
    for (const parent of this.#mdev?.parents.values() ?? []) {
      if (parent.dev.registered && accept(parent.dev)) return true;
    }
    return (this.#devices.byClass.get(className) ?? []).some(accept);
  }

  /** The VFIO group's class device (`/sys/devices/virtual/vfio/N`, the `/dev/vfio/N` node). */
  #groupDeviceDir(group: VfioGroup): DirNode {
    return this.#fixedDir([
      ["uevent", () => attrNode(rwAttr("uevent", () => `DEVNAME=vfio/${group.id}\n`, synthUevent))],
      ["power", () => EMPTY_DIR],
      ["subsystem", () => link("/sys/class/vfio")],
    ]);
  }

  /** A device's directory: the files every device has, its layers' files, then its children. */
  deviceDir(dev: Device): DirNode {
    const files = () => this.#deviceFiles(dev);
    const isChild = (child: Device) => child.parent === dev && !isGlued(child);
    return dir(
      () => {
        const iommuGroup = this.#iommuGroupLink(dev);
        const entries = [...files(), ...this.#childEntries(dev)];
        return iommuGroup === undefined ? entries : [...entries, ["iommu_group", iommuGroup]];
      },
      (name) =>
        files().get(name) ??
          (name === "iommu_group" ? this.#iommuGroupLink(dev) : undefined) ??
          this.#deviceDirOf(this.#findDevice(name, isChild)) ??
          this.#gluedDir(dev, name),
    );
  }

  #deviceFiles(dev: Device): Map<string, Node> {
    const files = new Map<string, Node>();
    files.set("uevent", attrNode(rwAttr("uevent", () => ueventText(dev), synthUevent)));
    files.set("power", EMPTY_DIR);
    if (dev.bus !== undefined) {
      // bus_remove_device() drops the link first thing in device_del.
      if (dev.onBusList) files.set("subsystem", link(`/sys/bus/${dev.bus.name}`));
    } else if (dev.className !== undefined) {
      files.set("subsystem", link(`/sys/class/${dev.className}`));
      if (dev.parent !== undefined) files.set("device", link(devicePath(dev.parent)));
    }
    const drv = dev.driver;
    if (drv !== undefined && dev.driverLinks) files.set("driver", link(driverPath(drv)));
    if (dev.bus?.hasDriverOverride) files.set("driver_override", attrNode(driverOverrideAttr(dev)));
    addGroups(files, cssAttributeGroups(dev));
    if (drv !== undefined && dev.driverGroups) addGroups(files, drv.devGroups(dev));
    if (dev instanceof MdevDevice) {
      if (dev.removeFile) files.set("remove", removeAttrNode(dev));
      if (dev.typeLinks) files.set("mdev_type", link(mdevTypePath(dev.type)));
    }
    const parent = this.#mdev?.parents.get(dev.id);
    if (parent !== undefined) files.set("mdev_supported_types", this.#supportedTypesDir(parent));
    return files;
  }

  /** The `iommu_group` link, while a VFIO device of `dev` is in a group. */
  #iommuGroupLink(dev: Device): LinkNode | undefined {
    const group = this.#devices.vfioOf.get(dev.id)?.group;
    return group === undefined ? undefined : link(`/sys/kernel/iommu_groups/${group}`);
  }

  #childEntries(dev: Device): [string, Node][] {
    const entries: [string, Node][] = [];
    const classes = new Set<string>();
    for (const child of this.#devices.children.get(dev.id) ?? []) {
      if (isGlued(child)) classes.add(child.className);
      else entries.push([child.name, this.deviceDir(child)]);
    }
    for (const className of classes) entries.push([className, this.#gluedDir(dev, className)!]);
    return entries;
  }

  /** The `<class>/` directory holding `dev`'s class-device children of that class (`vfio-dev/`). */
  #gluedDir(dev: Device, className: string): DirNode | undefined {
    const accept = (child: Device) =>
      child.parent === dev && isGlued(child) && child.className === className;
    const children = () => (this.#devices.children.get(dev.id) ?? []).filter(accept);
    if (children().length === 0) return undefined;
    return dir(
      () => children().map((child) => [child.name, this.deviceDir(child)]),
      (name) => this.#deviceDirOf(this.#findDevice(name, accept)),
    );
  }

  // ---- mdev: P/mdev_supported_types --------------------------------------------------------

  #supportedTypesDir(parent: MdevParent): DirNode {
    return dir(() => parent.types.map((type) => [type.id, this.#typeDir(type)]));
  }

  #typeDir(type: MdevType): DirNode {
    const drv = type.parent.driver;
    const entries: [string, () => Node][] = [
      ["create", () =>
        attrNode(woAttr("create", (buf) => {
          const ret = mdevCreate(type, buf);
          return ret < 0 ? fail(ret) : ret;
        }))],
      ["name", () => attrNode(roAttr("name", () => `${type.name}\n`))],
      ["device_api", () => attrNode(roAttr("device_api", () => `${drv.deviceApi}\n`))],
      [
        "available_instances",
        () => attrNode(roAttr("available_instances", () => `${type.availableInstances()}\n`)),
      ],
      ["devices", () => this.#typeDevicesDir(type)],
    ];
    // mdev_types_core_is_visible(): `description` only with the driver's hook.
    if (drv.showDescription !== undefined) {
      entries.push([
        "description",
        () => attrNode(roAttr("description", () => drv.showDescription!(type))),
      ]);
    }
    return this.#fixedDir(entries);
  }

  #typeDevicesDir(type: MdevType): DirNode {
    const core = mdevCore(this.world);
    const linked = (mdev: MdevDevice | undefined) => mdev?.type === type && mdev.typeLinks;
    return dir(
      () =>
        [...core.list.values()].filter(linked).sort((a, b) => compareNames(a.name, b.name)).map((
          mdev,
        ) => [mdev.name, link(devicePath(mdev))]),
      (name) => {
        const mdev = core.list.get(name);
        return linked(mdev) ? link(devicePath(mdev!)) : undefined;
      },
    );
  }

  // ---- /sys/bus ----------------------------------------------------------------------------

  #busesDir(): DirNode {
    return dir(
      () => [...this.world.buses.values()].map((bus) => [bus.name, this.#busDir(bus)]),
      (name) => {
        const bus = this.world.bus(name);
        return bus === undefined ? undefined : this.#busDir(bus);
      },
    );
  }

  #busDir(bus: Bus): DirNode {
    return this.#fixedDir([
      ["devices", () =>
        dir(
          () => [...bus.devices.values()].map((dev) => [dev.name, link(devicePath(dev))]),
          (name) => {
            const dev = bus.devices.get(name);
            return dev === undefined ? undefined : link(devicePath(dev));
          },
        )],
      ["drivers", () =>
        dir(
          () => [...bus.drivers.values()].map((drv) => [drv.name, this.#driverDir(drv)]),
          (name) => {
            const drv = bus.drivers.get(name);
            return drv === undefined ? undefined : this.#driverDir(drv);
          },
        )],
      ["drivers_autoprobe", () => attrNode(driversAutoprobeAttr(bus))],
      ["drivers_probe", () => attrNode(woAttr("drivers_probe", (buf) => driversProbe(bus, buf)))],
      ["uevent", () => attrNode(woAttr("uevent", synthUevent))],
    ]);
  }

  #driverDir(drv: Driver): DirNode {
    const files = (): Map<string, Node> => {
      const files = new Map<string, Node>();
      // bus_remove_driver() drops these files before it detaches the devices.
      if (drv.listed) {
        if (!drv.suppressBindAttrs) {
          files.set("bind", attrNode(woAttr("bind", (buf) => bindStore(drv, buf))));
          files.set("unbind", taskAttrNode("unbind", (buf) => unbindStore(drv, buf)));
        }
        files.set("uevent", attrNode(woAttr("uevent", synthUevent)));
      }
      if (drv.module !== undefined) files.set("module", link(`/sys/module/${drv.module}`));
      return files;
    };
    const linked = (dev: Device | undefined) => dev?.driver === drv && dev.driverLinks;
    return dir(
      () => [
        ...files(),
        ...drv.bound.filter(linked).map((dev) => [dev.name, link(devicePath(dev))] as const),
      ],
      (name) => {
        const file = files().get(name);
        if (file !== undefined) return file;
        const dev = drv.bus.devices.get(name) ?? drv.bound.find((d) => d.name === name);
        return linked(dev) ? link(devicePath(dev!)) : undefined;
      },
    );
  }

  // ---- /sys/class --------------------------------------------------------------------------

  #classesDir(): DirNode {
    const special = (name: string): DirNode | undefined => {
      if (name === "mdev_bus") {
        const core = this.#mdev;
        return core === undefined ? undefined : this.#mdevBusClassDir(core);
      }
      if (name === "vfio") return this.#vfioClassDir();
      // The VFIO core registers its device class at init, before any device exists.
      if (name === "vfio-dev") return this.#classDir(name);
      return undefined;
    };
    return dir(
      () => {
        const names = new Set(this.#devices.byClass.keys());
        for (const name of ["mdev_bus", "vfio", "vfio-dev"]) if (special(name)) names.add(name);
        return [...names].map((name) => [name, special(name) ?? this.#classDir(name)]);
      },
      (name) => {
        const accept = (dev: Device) => dev.className === name;
        return special(name) ??
          (this.#hasDeviceOfClass(name, accept) ? this.#classDir(name) : undefined);
      },
    );
  }

  #classDir(className: string): DirNode {
    const accept = (dev: Device) => dev.className === className;
    return dir(
      () =>
        (this.#devices.byClass.get(className) ?? []).map((
          dev,
        ) => [dev.name, link(devicePath(dev))]),
      (name) => {
        const dev = this.#findDevice(name, accept);
        return dev === undefined ? undefined : link(devicePath(dev));
      },
    );
  }

  /** class_compat "mdev_bus": one link per registered parent (while it keeps its class link). */
  #mdevBusClassDir(core: MdevCore): DirNode {
    const withLink = () => [...core.parents.values()].filter((p) => p.classLink);
    return dir(
      () => withLink().map((p) => [p.dev.name, link(devicePath(p.dev))]),
      (name) => {
        const parent = withLink().find((p) => p.dev.name === name);
        return parent === undefined ? undefined : link(devicePath(parent.dev));
      },
    );
  }

  #vfioClassDir(): DirNode {
    return this.#perGroupDir((g) => link(`/sys/devices/virtual/vfio/${g.id}`));
  }

  /** A directory with one entry per VFIO group, named by the group number. */
  #perGroupDir(make: (group: VfioGroup) => Node, extra?: readonly [string, Node]): DirNode {
    return dir(
      () => [...(extra === undefined ? [] : [extra]), ...this.#groupEntries(make)],
      (name) => {
        if (name === extra?.[0]) return extra[1];
        const group = this.#group(name);
        return group === undefined ? undefined : make(group);
      },
    );
  }

  #groupEntries(make: (group: VfioGroup) => Node): [string, Node][] {
    return [...vfioCore(this.world).groups.values()].map((g) => [String(g.id), make(g)]);
  }

  /** The group a directory name designates: only the canonical decimal spelling ("07" is not 7). */
  #group(name: string): VfioGroup | undefined {
    if (!/^(0|[1-9][0-9]*)$/.test(name)) return undefined;
    return vfioCore(this.world).groups.get(Number(name));
  }

  // ---- /sys/kernel/iommu_groups, /sys/module, /dev ----------------------------------------

  #iommuGroupsDir(): DirNode {
    return this.#perGroupDir((group) =>
      this.#fixedDir([
        ["devices", () =>
          dir(() =>
            group.devices.map((vdev) => {
              const owner = vdev.parent ?? vdev;
              return [owner.name, link(devicePath(owner))];
            })
          )],
        // vfio_noiommu_group_alloc() names emulated groups like no-IOMMU ones (§8).
        ["name", () => attrNode(roAttr("name", () => "vfio-noiommu\n"))],
      ])
    );
  }

  #modulesDir(): DirNode {
    return dir(() =>
      [...this.world.modules.loaded.values()].map((mod) => [
        mod.name,
        this.#fixedDir([
          ["refcnt", () => attrNode(roAttr("refcnt", () => `${mod.refs}\n`))],
          ["initstate", () => attrNode(roAttr("initstate", () => `${mod.state}\n`))],
          ["drivers", () =>
            dir(() =>
              [...this.world.buses.values()].flatMap((bus) =>
                [...bus.drivers.values()].filter((drv) =>
                  drv.module === mod.name
                ).map((drv) => [`${bus.name}:${drv.name}`, link(driverPath(drv))] as const)
              )
            )],
        ]),
      ])
    );
  }

  #devDir(): DirNode {
    return this.#fixedDir([
      ["vfio", () => this.#perGroupDir(() => chrdev(0o600), ["vfio", chrdev(0o666)])],
    ]);
  }
}

function isPlatformRoot(dev: Device): boolean {
  return dev.parent === undefined && dev.bus?.name === "platform";
}

/** Byte order, as `ls` sorts with LC_ALL=C. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A driver's dev_groups: a named group is a subdirectory (mtty's `vendor/`). */
function addGroups(files: Map<string, Node>, groups: readonly AttributeGroup[]): void {
  for (const group of groups) {
    if (group.name === undefined) {
      for (const attribute of group.attrs) files.set(attribute.name, attrNode(attribute));
    } else {
      const attrs = group.attrs;
      files.set(group.name, dir(() => attrs.map((a) => [a.name, attrNode(a)])));
    }
  }
}
