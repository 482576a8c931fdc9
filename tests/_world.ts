/**
 * A small world for tests that must not depend on the real samples: the
 * mdev core plus the module `fake_mtty`, shaped like fixture MT of
 * driver-core-mdev-vfio.md §7 — class device `mtty` (class `mtty`, no bus)
 * registered as mdev parent of the mdev_driver `mtty` (device_api
 * `vfio-pci`, types `1` "Single port serial" and `2` "Dual port serial",
 * get_available over a pool of 24 ports, no description). Probe allocates
 * and registers an emulated-IOMMU VFIO device whose init reserves the ports
 * (ENOSPC when short) and whose release returns them; bound devices gain
 * `vendor/sample_mdev_dev`.
 *
 * @module
 */
import { roAttr } from "../lib/core/attribute.ts";
import { Device } from "../lib/core/device.ts";
import { defineModule } from "../lib/core/module.ts";
import { deviceAdd, deviceUnregister, driverUnregister } from "../lib/core/registration.ts";
import type { Step } from "../lib/core/task.ts";
import { World } from "../lib/core/world.ts";
import { neg } from "../lib/errno.ts";
import { mdevCore } from "../lib/mdev/core.ts";
import type { MdevDevice } from "../lib/mdev/device.ts";
import { MdevDriver, mdevRegisterDriver } from "../lib/mdev/driver.ts";
import { mdevRegisterParent, mdevUnregisterParent } from "../lib/mdev/parent.ts";
import type { MdevType, MdevTypeInfo } from "../lib/mdev/type.ts";
import {
  vfioPutDeviceStep,
  vfioRegisterEmulatedIommuDev,
  vfioUnregisterGroupDev,
} from "../lib/vfio/core.ts";
import {
  isErrno,
  registerVfioOps,
  vfioAllocDevice,
  type VfioDevice,
  vfioPutDevice,
} from "../lib/vfio/device.ts";

/** The fake sample's module name. */
export const FAKE_MODULE = "fake_mtty";

/** Ports shared by all devices of the parent. */
export const POOL_PORTS = 24;

const TYPES: readonly MdevTypeInfo<{ ports: number }>[] = [
  { sysfsName: "1", prettyName: "Single port serial", data: { ports: 1 } },
  { sysfsName: "2", prettyName: "Dual port serial", data: { ports: 2 } },
];

function portsOf(type: MdevType): number {
  return (type.info.data as { ports: number }).ports;
}

/** The mtty-shaped parent device: a class device with a release callback. */
class FakeParentDevice extends Device {
  protected override release(): void {}
}

/** The mtty-shaped mdev_driver. */
export class FakeMttyDriver extends MdevDriver {
  readonly deviceApi = "vfio-pci";
  /** Ports not reserved by a VFIO device's init. */
  availablePorts = POOL_PORTS;

  constructor(world: World) {
    super(world, "mtty", mdevCore(world).bus, { module: FAKE_MODULE });
  }

  override getAvailable(type: MdevType): number {
    return Math.floor(this.availablePorts / portsOf(type));
  }

  override probe(dev: Device): number {
    const vdev = vfioAllocDevice(dev, FAKE_OPS);
    if (isErrno(vdev)) return vdev;
    const ret = vfioRegisterEmulatedIommuDev(vdev);
    if (ret < 0) {
      vfioPutDevice(vdev);
      return ret;
    }
    dev.driverData = vdev;
    return 0;
  }

  override remove(dev: Device): Step[] {
    const vdev = dev.driverData as VfioDevice;
    return [...vfioUnregisterGroupDev(vdev), vfioPutDeviceStep(vdev)];
  }

  override devGroups(dev: Device) {
    return [{
      name: "vendor",
      attrs: [roAttr("sample_mdev_dev", () => `This is MDEV ${dev.name}\n`)],
    }];
  }
}

function driverOf(vdev: VfioDevice<number>): FakeMttyDriver {
  return (vdev.parent as MdevDevice).type.parent.driver as FakeMttyDriver;
}

const FAKE_OPS = registerVfioOps<number>({
  name: FAKE_MODULE,
  module: FAKE_MODULE,
  init(vdev) {
    const drv = driverOf(vdev);
    const ports = portsOf((vdev.parent as MdevDevice).type);
    if (drv.availablePorts < ports) return neg("ENOSPC");
    drv.availablePorts -= ports;
    vdev.priv = ports;
    return 0;
  },
  release(vdev) {
    driverOf(vdev).availablePorts += vdev.priv;
  },
  savePriv: (ports) => ports,
  loadPriv: (_vdev, data) => data as number,
});

function registerParent(world: World, drv: FakeMttyDriver): number {
  const dev = new FakeParentDevice(world, { name: "mtty", className: "mtty" });
  const ret = deviceAdd(dev);
  if (ret < 0) return ret;
  const parent = mdevRegisterParent(dev, drv, TYPES);
  return typeof parent === "number" ? parent : 0;
}

defineModule({
  name: FAKE_MODULE,
  description: "mtty-shaped mdev parent for tests",
  params: [],
  init(world) {
    const drv = new FakeMttyDriver(world);
    const ret = mdevRegisterDriver(drv);
    return ret < 0 ? ret : registerParent(world, drv);
  },
  exit(world) {
    const core = mdevCore(world);
    const parent = core.parentNamed("mtty");
    const drv = core.bus.drivers.get("mtty");
    return [
      ...(parent === undefined ? [] : [
        ...mdevUnregisterParent(parent),
        ...deviceUnregister(parent.dev),
      ]),
      ...(drv === undefined ? [] : driverUnregister(drv)),
    ];
  },
  restore(world, data) {
    const drv = new FakeMttyDriver(world);
    drv.availablePorts = (data as { availablePorts: number }).availablePorts;
    mdevRegisterDriver(drv);
  },
  save(world) {
    const drv = mdevCore(world).bus.drivers.get("mtty") as FakeMttyDriver | undefined;
    return { availablePorts: drv?.availablePorts ?? POOL_PORTS };
  },
  describe: () => ["mdev driver mtty", "mdev parent mtty"],
});

/** A fresh world with the mdev core and the fake `mtty` module loaded. */
export function makeWorld(): World {
  const world = new World();
  mdevCore(world);
  world.modules.load(FAKE_MODULE, {});
  return world;
}
