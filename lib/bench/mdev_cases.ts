/**
 * Benchmark cases for the mdev and VFIO paths, as data: `bench/mdev_bench.ts`
 * registers them with `Deno.bench` and `mdevsim bench` times them itself.
 *
 * @module
 */
import { bootWorld } from "../machine.ts";
import { mdevCore } from "../mdev/core.ts";
import { mdevCreate, mdevRemoveStore } from "../mdev/device.ts";
import { vfioOpen } from "../vfio/core.ts";
import type { VfioDevice } from "../vfio/device.ts";
import type { Step } from "../core/task.ts";
import { mttyPool } from "../drivers/mtty/pool.ts";

/** One benchmark case (same shape as the framebuffer cases). */
export interface BenchCase {
  readonly name: string;
  readonly case: string;
  readonly engine: string;
  /** Prepares the state and returns the operation to time; one call is one op. */
  setup(): Promise<() => void>;
}

function createRemove(present: number): BenchCase {
  return {
    name: "mdev.create_remove",
    case: `n=${present}`,
    engine: "ts",
    setup() {
      const world = bootWorld();
      world.modules.load("mtty", {});
      // The sample's pool holds 24 ports; the benchmark widens it so `present` devices fit
      // (the create/remove path is the same, only the pool bound differs).
      mttyPool(world).available = present + 24;
      const type = mdevCore(world).parentNamed("mtty")!.type("mtty-1")!;
      for (let i = 0; i < present; i++) {
        if (mdevCreate(type, crypto.randomUUID()) < 0) {
          throw new Error("Cannot prepare the benchmark devices");
        }
      }
      let n = 0;
      return Promise.resolve(() => {
        const uuid = `00000000-0000-4000-8000-${(n++ % 1e12).toString(16).padStart(12, "0")}`;
        if (mdevCreate(type, uuid) < 0) throw new Error("Cannot create during the benchmark");
        world.tasks.run("remove", mdevRemoveStore(mdevCore(world).list.get(uuid)!, "1") as Step[]);
      });
    },
  };
}

function mttyByte(): BenchCase {
  return {
    name: "io.mtty_byte",
    case: "loopback",
    engine: "ts",
    setup() {
      const world = bootWorld();
      world.modules.load("mtty", {});
      const type = mdevCore(world).parentNamed("mtty")!.type("mtty-1")!;
      const uuid = crypto.randomUUID();
      mdevCreate(type, uuid);
      const vdev = mdevCore(world).list.get(uuid)!.driverData as VfioDevice;
      vfioOpen(world, vdev.group!, uuid, "/dev/vfio/0");
      const thr = new Uint8Array([0x41]);
      const bar0 = 0n; // region index 0 << 40
      return Promise.resolve(() => {
        vdev.ops.write!(vdev, bar0, thr);
        vdev.ops.read!(vdev, bar0, 1);
      });
    },
  };
}

/** `mdev.create_remove` at n=10 and n=10000, `io.mtty_byte`. */
export const MDEV_CASES: readonly BenchCase[] = [
  createRemove(10),
  createRemove(10_000),
  mttyByte(),
];
