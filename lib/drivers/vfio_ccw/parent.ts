/**
 * The css driver `vfio_ccw` (vfio_ccw_drv.c after Eric Farman's parent rework). Binding an I/O
 * subchannel creates the `vfio_ccw_parent`: a `struct device` named "parent" below the subchannel
 * (`/sys/devices/css0/0.0.000N/parent`, the subchannel's drvdata) whose embedded `mdev_parent`
 * registers the subchannel as mdev parent with the single type `io`. Unbinding unregisters the
 * mdev parent (its child is removed, sleeping while a VFIO handle is open) and the parent device.
 * The interrupt, subchannel-event and channel-path hooks go to the private's FSM when an mdev
 * exists; without one an interrupt just disables the subchannel again.
 *
 * @module
 */
import { registerDeviceKind } from "../../core/device_kind.ts";
import { tsch } from "../../css/cio.ts";
import { CRW_ERC, CRW_RSC, encodeCrw, simpleCrw } from "../../css/crw.ts";
import { CssDriver } from "../../css/driver.ts";
import type { Subchannel } from "../../css/subchannel.ts";
import { Device } from "../../core/device.ts";
import { deviceAdd, deviceDel, deviceUnregister } from "../../core/registration.ts";
import { defineStep, type Step } from "../../core/task.ts";
import type { World } from "../../core/world.ts";
import { neg } from "../../errno.ts";
import { mdevCore } from "../../mdev/core.ts";
import type { MdevDriver } from "../../mdev/driver.ts";
import { mdevRegisterParent, mdevUnregisterParent } from "../../mdev/parent.ts";
import type { MdevTypeInfo } from "../../mdev/type.ts";
import { vfioCore } from "../../vfio/core.ts";
import {
  cioCancelHaltClear,
  cioDisableSubchannel,
  cioUpdateSchib,
  schibLpum,
} from "./cio_helpers.ts";
import { vfioCcwFsmEvent } from "./fsm.ts";
import { VFIO_CCW_MODULE } from "./ops.ts";
import { EVENT, type VfioCcwDevice } from "./private.ts";

/** The one mdev type of every subchannel. */
const VFIO_CCW_TYPES: readonly MdevTypeInfo<null>[] = [
  { sysfsName: "io", prettyName: "I/O subchannel (Non-QDIO)", data: null },
];

/** The snapshot kind of {@linkcode VfioCcwParentDevice}. */
export const VFIO_CCW_PARENT_KIND = "vfio_ccw_parent";

/**
 * `struct vfio_ccw_parent`'s device: named "parent", child of the subchannel, no bus or class.
 * Its drvdata is the private of the subchannel's mdev while one exists.
 */
export class VfioCcwParentDevice extends Device {
  override get kind(): string {
    return VFIO_CCW_PARENT_KIND;
  }

  constructor(world: World, sch: Device, id?: number) {
    super(world, { name: "parent", parent: sch }, id);
  }

  /** vfio_ccw_free_parent(): just frees. */
  protected override release(): void {}
}

registerDeviceKind(
  VFIO_CCW_PARENT_KIND,
  (world, d) => new VfioCcwParentDevice(world, world.device(d.parent!), d.id),
);

/** The private of a subchannel's mdev (`dev_get_drvdata(&parent->dev)`), if any. */
function privateOfSubchannel(sch: Device): VfioCcwDevice | undefined {
  const parent = sch.driverData;
  if (!(parent instanceof VfioCcwParentDevice)) return undefined;
  return parent.driverData as VfioCcwDevice | undefined;
}

/** `vfio_ccw_sch_driver`. */
export class VfioCcwCssDriver extends CssDriver {
  constructor(world: World) {
    super(world, "vfio_ccw", { module: VFIO_CCW_MODULE });
  }

  /**
   * vfio_ccw_sch_probe(): register the parent device, make it the subchannel's drvdata, then
   * register the subchannel as mdev parent bound to `vfio_ccw_mdev`; unwind on failure.
   */
  override probe(dev: Device): number {
    const sch = dev as Subchannel;
    const world = sch.world;
    const mdevDriver = world.driverOn("mdev", "vfio_ccw_mdev") as MdevDriver | undefined;
    if (mdevDriver === undefined) return neg("ENODEV");
    const parent = new VfioCcwParentDevice(world, sch);
    let ret = deviceAdd(parent);
    if (ret < 0) {
      parent.put();
      return ret;
    }
    sch.driverData = parent;
    const registered = mdevRegisterParent(sch, mdevDriver, VFIO_CCW_TYPES);
    if (typeof registered === "number") {
      ret = registered;
      world.tasks.run(`vfio_ccw probe ${sch.name} (unwind)`, deviceDel(parent));
      parent.put();
      sch.driverData = undefined;
      return ret;
    }
    world.log(`vfio_ccw: bound to subchannel ${sch.name}`);
    return 0;
  }

  /**
   * vfio_ccw_sch_remove(): unregister the mdev parent (its child goes first and may sleep on an
   * open handle), then the parent device, then clear the drvdata.
   */
  override remove(dev: Device): Step[] {
    const sch = dev as Subchannel;
    const parent = sch.driverData as VfioCcwParentDevice;
    const mdevParent = mdevCore(sch.world).parents.get(sch.id);
    return [
      ...(mdevParent === undefined ? [] : mdevUnregisterParent(mdevParent)),
      ...deviceUnregister(parent),
      clearSchDrvdata({ sch: sch.id }),
    ];
  }

  /**
   * vfio_ccw_sch_irq() behind the cio layer's TSCH: the IRB goes to the FSM; without an mdev the
   * interrupt is unexpected and the subchannel is disabled again.
   */
  irq(sch: Subchannel): void {
    const irb = tsch(sch);
    if (irb === null) return;
    const vdev = privateOfSubchannel(sch);
    if (vdev === undefined) {
      sch.world.log(`vfio_ccw: sch ${sch.name}: unexpected interrupt`);
      cioDisableSubchannel(sch);
      return;
    }
    vfioCcwFsmEvent(vdev, EVENT.INTERRUPT, irb);
  }

  /** vfio_ccw_sch_event(): a subchannel whose SCHIB cannot be refreshed is not operational. */
  schEvent(sch: Subchannel): void {
    if (!sch.registered) return;
    if (cioUpdateSchib(sch) !== null) return;
    const vdev = privateOfSubchannel(sch);
    if (vdev !== undefined) vfioCcwFsmEvent(vdev, EVENT.NOT_OPER);
  }

  /**
   * vfio_ccw_chp_event() for a path going offline or coming online: a lost path that was the
   * last one used is quiesced, a path coming back widens the subchannel's lpm, and either way a
   * channel-path CRW is queued for userspace (signalled on the CRW eventfd).
   */
  chpEvent(sch: Subchannel, mask: number, event: "online" | "offline"): void {
    const vdev = privateOfSubchannel(sch);
    if (vdev === undefined || mask === 0) return;
    sch.world.log(`vfio_ccw_chp_event: sch ${sch.name} mask 0x${mask.toString(16)} ${event}`);
    const schib = cioUpdateSchib(sch);
    if (schib === null) return;
    const chpid = chpidOf(sch, mask);
    if (event === "offline") {
      if (schibLpum(schib) & mask) cioCancelHaltClear(sch, { count: 255 });
      queueCrw(vdev, encodeCrw(simpleCrw(CRW_RSC.CPATH, CRW_ERC.PERRN, chpid)));
    } else {
      sch.pmcw.lpm |= mask & sch.pmcw.pim & sch.pmcw.pam & sch.pmcw.pom;
      queueCrw(vdev, encodeCrw(simpleCrw(CRW_RSC.CPATH, CRW_ERC.INIT, chpid)));
    }
  }
}

/** The CHPID behind a one-bit path mask (0x80 is path 0). */
function chpidOf(sch: Subchannel, mask: number): number {
  const path = Math.clz32(mask & 0xff) - 24;
  return sch.pmcw.chpids[path] ?? 0;
}

/** vfio_ccw_queue_crw() and its work item: queue, then signal the CRW eventfd. */
function queueCrw(vdev: VfioCcwDevice, word: number): void {
  const priv = vdev.priv;
  priv.crw.push(word);
  if (priv.crwTrigger !== null) vfioCore(vdev.world).signal(priv.crwTrigger);
}

const clearSchDrvdata = defineStep("vfio_ccw.sch_remove.clear", (world, a: { sch: number }) => {
  world.device(a.sch).driverData = undefined;
  world.log(`vfio_ccw: unbound from subchannel ${world.device(a.sch).name}`);
});
