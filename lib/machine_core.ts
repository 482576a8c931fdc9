/**
 * The simulated machine: boots a fresh world (cli.md §2) and converts a
 * world to and from its named-field snapshot — every layer's state in its
 * own section, devices in creation order. Driver modules are not imported
 * here: a saved world needs only the code of the modules it has loaded
 * (lib/drivers/module_code.ts); lib/machine.ts is this plus every driver.
 *
 * @module
 */
import { ClassDevice } from "./core/class_device.ts";
import type { Device, DeviceSnapshot } from "./core/device.ts";
import { type LoadedModule, moduleDefinition } from "./core/module.ts";
import { type CoreSnapshot, World } from "./core/world.ts";
import { cssCore, CssRootDevice, type CssSnapshot } from "./css/core.ts";
import { bootChannelSubsystem } from "./css/hotplug.ts";
import { registerIoSubchannelDriver } from "./css/io_subchannel.ts";
import { Subchannel } from "./css/subchannel.ts";
import { mdevCore } from "./mdev/core.ts";
import { MdevDevice } from "./mdev/device.ts";
import { MdevParent } from "./mdev/parent.ts";
import { MdevType, type MdevTypeInfo } from "./mdev/type.ts";
import type { MdevDriver } from "./mdev/driver.ts";
import { PlatformBus } from "./platform/bus.ts";
import { PlatformDevice } from "./platform/device.ts";
import { PlatformDriver } from "./platform/driver.ts";
import { vfioCore, type VfioGroup, type VfioHandle } from "./vfio/core.ts";
import { VfioDevice, vfioOpsNamed } from "./vfio/device.ts";
import { deviceKindFactory } from "./core/device_kind.ts";
import { Ida } from "./vfio/ida.ts";

/** The persisted form of a whole world. */
export interface WorldSnapshot {
  core: CoreSnapshot;
  modules: Array<LoadedModule & { data: unknown }>;
  platformDrivers: Array<{ name: string; glob: string }>;
  drivers: Array<{ bus: string; name: string; listed: boolean; bound: number[] }>;
  devices: DeviceSnapshot[];
  mdev: { parents: ParentSnapshot[] };
  vfio: {
    groups: Array<{ id: number; devices: number[]; fileUsers: number }>;
    handles: VfioHandle[];
    eventfds: Array<[number, number]>;
    nextHandle: number;
    nextEventfd: number;
  };
  /** Channel paths (subchannels are devices); absent in worlds saved before the css existed. */
  css?: CssSnapshot;
}

interface ParentSnapshot {
  dev: number;
  driver: string;
  types: Array<{ id: string } & MdevTypeInfo>;
  availableInstances: number;
  unregistering: boolean;
  readers: number;
  classLink: boolean;
}

/**
 * A fresh machine (cli.md §2): the platform, css and mdev buses, the
 * channel subsystem's four subchannels bound to io_subchannel, no module
 * loaded.
 */
export function bootWorld(): World {
  const world = bareWorld();
  bootChannelSubsystem(world);
  return world;
}

/**
 * The buses (platform, css, mdev) and the built-in io_subchannel driver,
 * without any device: what a saved world is restored into, and a base for
 * tests that build their own devices.
 */
export function bareWorld(): World {
  const world = new World();
  world.addBus(new PlatformBus());
  cssCore(world);
  registerIoSubchannelDriver(world);
  mdevCore(world);
  return world;
}

/** The named-field snapshot of a world. */
export function saveWorld(world: World): WorldSnapshot {
  const mdev = mdevCore(world);
  const vfio = vfioCore(world);
  const drivers: WorldSnapshot["drivers"] = [];
  const platformDrivers: WorldSnapshot["platformDrivers"] = [];
  for (const bus of world.buses.values()) {
    for (const drv of bus.drivers.values()) {
      drivers.push({
        bus: bus.name,
        name: drv.name,
        listed: drv.listed,
        bound: drv.bound.map((d) => d.id),
      });
      if (drv instanceof PlatformDriver) platformDrivers.push({ name: drv.name, glob: drv.glob });
    }
  }
  return {
    core: world.coreSnapshot(),
    modules: [...world.modules.loaded.values()].map((m) => ({
      ...m,
      data: moduleDefinition(m.name)!.save(world),
    })),
    platformDrivers,
    drivers,
    devices: world.liveDevices().map((d) => d.toSnapshot()),
    mdev: {
      parents: [...mdev.parents.values()].map((p) => ({
        dev: p.dev.id,
        driver: p.driver.name,
        types: p.types.map((t) => ({ id: t.id, ...t.info })),
        availableInstances: p.availableInstances,
        unregistering: p.unregistering,
        readers: p.readers,
        classLink: p.classLink,
      })),
    },
    vfio: {
      groups: [...vfio.groups.values()].map((g) => ({
        id: g.id,
        devices: g.devices.map((d) => d.id),
        fileUsers: g.fileUsers,
      })),
      handles: [...vfio.handles.values()],
      eventfds: [...vfio.eventfds],
      nextHandle: vfio.nextHandle,
      nextEventfd: vfio.nextEventfd,
    },
    css: cssCore(world).save(),
  };
}

/** Rebuilds a world from {@linkcode saveWorld}'s output (as parsed JSON). */
export function loadWorld(s: WorldSnapshot): World {
  const world = bareWorld();
  const mdev = mdevCore(world);
  for (const m of s.modules) {
    world.modules.loaded.set(m.name, {
      name: m.name,
      params: m.params,
      refs: m.refs,
      state: m.state,
    });
    const def = moduleDefinition(m.name);
    if (def === undefined) throw new TypeError(`Cannot restore module "${m.name}": unknown`);
    def.restore(world, m.data);
  }
  for (const p of s.platformDrivers) {
    const drv = new PlatformDriver(world, p.name, p.glob);
    drv.bus.drivers.set(drv.name, drv);
  }
  const parents = new Map(s.mdev.parents.map((p) => [p.dev, p]));
  for (const d of s.devices) {
    const dev = restoreDevice(world, d);
    dev.restoreCore(d);
    if (d.driver !== null) dev.driver = world.driverOn(d.bus!, d.driver);
    if (dev.onBusList) dev.bus!.devices.set(dev.name, dev);
    const p = parents.get(dev.id);
    if (p !== undefined) mdev.parents.set(dev.id, restoreParent(world, dev, p));
  }
  for (const d of s.devices) {
    if (d.driverData !== null) world.device(d.id).driverData = world.device(d.driverData);
  }
  for (const d of s.drivers) {
    const drv = world.driverOn(d.bus, d.name);
    if (drv === undefined) throw new TypeError(`Cannot restore driver "${d.bus}/${d.name}"`);
    drv.listed = d.listed;
    drv.bound.push(...d.bound.map((id) => world.device(id)));
  }
  const vfio = vfioCore(world);
  const vdevs = world.liveDevices().filter((d): d is VfioDevice => d instanceof VfioDevice);
  vfio.indexes = Ida.fromUsed(vdevs.map((v) => v.index));
  vfio.groupIds = Ida.fromUsed(s.vfio.groups.map((g) => g.id));
  for (const g of s.vfio.groups) {
    const group: VfioGroup = {
      id: g.id,
      devices: g.devices.map((id) => world.device(id) as VfioDevice),
      fileUsers: g.fileUsers,
    };
    vfio.groups.set(g.id, group);
  }
  for (const h of s.vfio.handles) vfio.handles.set(h.id, { ...h, eventfds: { ...h.eventfds } });
  for (const [fd, n] of s.vfio.eventfds) vfio.eventfds.set(fd, n);
  vfio.nextHandle = s.vfio.nextHandle;
  vfio.nextEventfd = s.vfio.nextEventfd;
  if (s.css !== undefined) cssCore(world).restore(s.css);
  world.restoreCore(s.core);
  return world;
}

function restoreDevice(world: World, d: DeviceSnapshot): Device {
  const data = d.data as Record<string, unknown> | undefined;
  switch (d.kind) {
    case "class":
      return new ClassDevice(world, { name: d.name, className: d.className! }, d.id);
    case "platform":
      return new PlatformDevice(world, d.name, d.id);
    case "css": {
      const root = new CssRootDevice(world, d.id);
      cssCore(world).adoptRoot(root);
      return root;
    }
    case "subchannel":
      return Subchannel.restore(world, d);
    case "mdev": {
      const m = data as {
        parent: number;
        type: string;
        active: boolean;
        typeLinks: boolean;
        removeFile: boolean;
      };
      const type = mdevCore(world).parents.get(m.parent)?.type(m.type);
      if (type === undefined) {
        throw new TypeError(`Cannot restore mdev ${d.name}: type ${m.type} missing`);
      }
      const mdev = new MdevDevice(world, type, d.name, d.id);
      mdev.active = m.active;
      mdev.typeLinks = m.typeLinks;
      mdev.removeFile = m.removeFile;
      mdevCore(world).list.set(mdev.uuid, mdev);
      return mdev;
    }
    case "vfio": {
      const v = data as {
        ops: string;
        index: number;
        regRefs: number;
        openCount: number;
        onGroupList: boolean;
        group: number | null;
        priv: unknown;
      };
      const ops = vfioOpsNamed(v.ops);
      const vdev = new VfioDevice(
        world,
        { parent: world.device(d.parent!), ops, index: v.index },
        d.id,
      );
      vdev.regRefs = v.regRefs;
      vdev.openCount = v.openCount;
      vdev.onGroupList = v.onGroupList;
      vdev.group = v.group ?? undefined;
      ops.loadPriv(vdev, v.priv);
      return vdev;
    }
    default: {
      // Device kinds owned by a driver module (vfio_ccw's parent) register their own restore.
      const factory = deviceKindFactory(d.kind);
      if (factory !== undefined) return factory(world, d);
      throw new TypeError(`Cannot restore device ${d.name}: unknown kind "${d.kind}"`);
    }
  }
}

function restoreParent(world: World, dev: Device, p: ParentSnapshot): MdevParent {
  const driver = world.driverOn("mdev", p.driver) as MdevDriver | undefined;
  if (driver === undefined) {
    throw new TypeError(`Cannot restore mdev parent ${dev.name}: no driver`);
  }
  const parent = new MdevParent(dev, driver);
  for (const t of p.types) {
    const { id, ...info } = t;
    parent.types.push(new MdevType(parent, info, id));
  }
  parent.availableInstances = p.availableInstances;
  parent.unregistering = p.unregistering;
  parent.readers = p.readers;
  parent.classLink = p.classLink;
  return parent;
}
