/**
 * `vfio_ccw.ko` (vfio_ccw_drv.c: vfio_ccw_sch_init / vfio_ccw_sch_exit): init registers the mdev
 * driver `vfio_ccw_mdev`, then the css driver `vfio_ccw` (which binds any unbound I/O subchannel
 * whose driver_override names it); exit unregisters the css driver first — unbinding every
 * subchannel, whose mdev parent goes with its child — then the mdev driver.
 *
 * Parameter `engine=wasm|ts` picks the channel-program translator of devices created afterwards
 * (default: the WebAssembly core).
 *
 * @module
 */
import { cssCore } from "../../css/core.ts";
import { defineModule } from "../../core/module.ts";
import { driverRegister, driverUnregister } from "../../core/registration.ts";
import type { World } from "../../core/world.ts";
import { neg } from "../../errno.ts";
import { mdevRegisterDriver } from "../../mdev/driver.ts";
import { type HandleDma, installGuestRamSync, restoreDmaTable, saveDmaTable } from "./dma.ts";
import { VfioCcwMdevDriver } from "./mdev_driver.ts";
import { VFIO_CCW_MODULE } from "./ops.ts";
import { VfioCcwCssDriver } from "./parent.ts";

const ENGINES = ["wasm", "ts"];

/** What the module persists besides its drivers: the handles' DMA state. */
interface VfioCcwModuleSnapshot {
  dma: Array<{ handle: number } & HandleDma>;
}

function drivers(world: World) {
  return {
    css: world.driverOn(cssCore(world).bus.name, "vfio_ccw"),
    mdev: world.driverOn("mdev", "vfio_ccw_mdev"),
  };
}

/** `vfio_ccw.ko`. */
export const VFIO_CCW_KMOD = defineModule({
  name: VFIO_CCW_MODULE,
  description: "VFIO based Subchannel device driver",
  params: ["engine"],
  init(world, params) {
    if (params.engine !== undefined && !ENGINES.includes(params.engine)) return neg("EINVAL");
    const mdevDriver = new VfioCcwMdevDriver(world);
    let ret = mdevRegisterDriver(mdevDriver);
    if (ret < 0) return ret;
    ret = driverRegister(new VfioCcwCssDriver(world));
    if (ret < 0) {
      world.tasks.run("vfio_ccw init (unwind)", driverUnregister(mdevDriver));
      return ret;
    }
    installGuestRamSync(world);
    return 0;
  },
  exit(world) {
    const { css, mdev } = drivers(world);
    return [
      ...(css === undefined ? [] : driverUnregister(css)),
      ...(mdev === undefined ? [] : driverUnregister(mdev)),
    ];
  },
  save(world): VfioCcwModuleSnapshot {
    return { dma: saveDmaTable(world) };
  },
  restore(world, data) {
    for (const driver of [new VfioCcwMdevDriver(world), new VfioCcwCssDriver(world)]) {
      driver.bus.drivers.set(driver.name, driver);
    }
    restoreDmaTable(world, (data as VfioCcwModuleSnapshot).dma);
    installGuestRamSync(world);
  },
  describe(world) {
    const { css } = drivers(world);
    const bound = css?.bound.map((d) => d.name) ?? [];
    const engine = world.modules.loaded.get(VFIO_CCW_MODULE)?.params.engine ?? "wasm";
    return [
      `css driver vfio_ccw (${bound.length === 0 ? "no subchannel" : bound.join(", ")})`,
      "mdev driver vfio_ccw_mdev",
      `channel-program engine ${engine}`,
    ];
  },
});
