/**
 * `mdevsim demo`: the guided tour of what exists so far. It runs in a fresh
 * in-memory machine (your state root is not touched): load mtty, create one
 * device of each type, open it through its VFIO group, loop bytes through
 * the UART with interrupts, remove a device while it is open (pending), close
 * (completes), list and remove everything, and print a summary.
 *
 * @module
 */
import { bootWorld } from "../../lib/machine.ts";
import { mdevCore } from "../../lib/mdev/core.ts";
import { mdevCreate, mdevRemoveStore } from "../../lib/mdev/device.ts";
import { formatList, formatTypes } from "../../lib/mdevctl/format.ts";
import { activeRows, typeRows } from "../../lib/mdevctl/rows.ts";
import { vfioClose, vfioCore, vfioOpen } from "../../lib/vfio/core.ts";
import type { VfioDevice } from "../../lib/vfio/device.ts";
import { encodeIrqSet, IRQ_SET, PCI_IRQ, putU32, VFIO } from "../../lib/vfio/uapi.ts";
import { out, outJson } from "../output.ts";
import type { GlobalOptions } from "../session.ts";

/** The demo command. */
export function demo(options: GlobalOptions & { out?: string }): Promise<void> {
  const world = bootWorld();
  const log: string[] = [];
  const say = (line: string) => log.push(line);

  world.modules.load("mtty", {});
  say("$ mdevsim modprobe mtty\n");
  say("$ mdevsim types\n" + formatTypes(typeRows(world)));

  const parent = mdevCore(world).parentNamed("mtty")!;
  const uuids = ["83b8f4f2-509f-382f-3c1e-e6bfe0fa1001", "83b8f4f2-509f-382f-3c1e-e6bfe0fa1002"];
  mdevCreate(parent.type("mtty-1")!, uuids[0]!);
  mdevCreate(parent.type("mtty-2")!, uuids[1]!);
  say(`$ mdevsim create -p mtty -t mtty-1 / mtty-2\n${uuids.join("\n")}\n`);
  say("$ mdevsim list\n" + formatList(activeRows(world), false));

  const vdev = mdevCore(world).list.get(uuids[1]!)!.driverData as VfioDevice;
  const handle = vfioOpen(world, vdev.group!, uuids[1]!, `/dev/vfio/${vdev.group}`);
  const info = new Uint8Array(16);
  putU32(info, 0, 16);
  vdev.ops.ioctl!(vdev, VFIO.DEVICE_GET_INFO, info);
  const fd = vfioCore(world).eventfd();
  handle.eventfds[PCI_IRQ.INTX] = fd;
  const fdBytes = new Uint8Array(4);
  new DataView(fdBytes.buffer).setInt32(0, fd, true);
  vdev.ops.ioctl!(
    vdev,
    VFIO.DEVICE_SET_IRQS,
    encodeIrqSet({
      flags: IRQ_SET.DATA_EVENTFD | IRQ_SET.ACTION_TRIGGER,
      index: 0,
      start: 0,
      count: 1,
      data: fdBytes,
    }),
  );
  const text = "hello, mdev";
  const bar0 = 0n;
  vdev.ops.write!(vdev, bar0 + 2n, new Uint8Array([0x07])); // FCR: enable and clear the FIFO
  vdev.ops.write!(vdev, bar0 + 1n, new Uint8Array([0x01])); // IER: RDI
  let echoed = "";
  for (const ch of text) {
    vdev.ops.write!(vdev, bar0, new Uint8Array([ch.charCodeAt(0)]));
    echoed += String.fromCharCode((vdev.ops.read!(vdev, bar0, 1) as Uint8Array)[0]!);
  }
  const interrupts = vfioCore(world).eventfds.get(fd);
  say(
    `$ vfio run ${
      uuids[1]
    }: wrote "${text}" to THR, read back "${echoed}" from RBR; INTx fired ${interrupts}× (auto-masked)\n`,
  );

  const pendingTask = world.tasks.run(
    `remove ${uuids[1]}`,
    mdevRemoveStore(mdevCore(world).list.get(uuids[1]!)!, "1") as never,
  );
  say(
    `$ mdevsim remove ${uuids[1]}   # handle ${handle.id} open → ${
      pendingTask ? "pending" : "done"
    }\n`,
  );
  vfioClose(world, handle.id);
  say(
    `$ mdevsim vfio close ${handle.id}   # removal completes: ${
      mdevCore(world).list.has(uuids[1]!) ? "no" : "yes"
    }\n`,
  );
  world.tasks.run(
    `remove ${uuids[0]}`,
    mdevRemoveStore(mdevCore(world).list.get(uuids[0]!)!, "1") as never,
  );
  world.tasks.run("rmmod mtty", world.modules.unloadSteps("mtty", false));
  const summary = {
    devicesCreated: 2,
    bytesLooped: text.length,
    echoOk: echoed === text,
    interrupts,
    pendingRemovalCompleted: !mdevCore(world).list.has(uuids[1]!),
    leaks: world.leaks().length,
    warnings: world.warnings,
    modulesLeft: world.modules.loaded.size,
  };
  if (options.json) outJson({ steps: log, summary });
  else {
    out(log.join("\n") + "\n");
    out(
      `summary: ${summary.devicesCreated} mdevs created and removed, ${summary.bytesLooped} bytes looped ` +
        `(${
          summary.echoOk ? "echo ok" : "ECHO MISMATCH"
        }), ${summary.interrupts} interrupts, pending removal ` +
        `${
          summary.pendingRemovalCompleted ? "completed on close" : "NOT completed"
        }, ${summary.leaks} leaks, ` +
        `${summary.warnings} warnings\n`,
    );
  }
  return Promise.resolve();
}
