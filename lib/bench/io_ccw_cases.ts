/**
 * `io.ccw_ssch read4k`: one 4 KiB read from the emulated DASD through
 * vfio-ccw, end to end — the I/O region write (FSM, translation in
 * WebAssembly, SSCH), the channel executing the host program, the interrupt
 * path mapping the CPA back, and the IRB read. The program is put in guest
 * RAM once, as a guest's channel program sits in its memory.
 *
 * @module
 */
import { parseProgramFile } from "../ccw/program_file.ts";
import { deviceDriverAttach, deviceReleaseDriver } from "../core/binding.ts";
import { cssCore } from "../css/core.ts";
import { loadProgram, startIo } from "../drivers/vfio_ccw/run_program.ts";
import { bootWorld } from "../machine.ts";
import { mdevCore } from "../mdev/core.ts";
import { mdevCreate } from "../mdev/device.ts";
import { vfioOpen } from "../vfio/core.ts";
import type { VfioDevice } from "../vfio/device.ts";
import type { BenchCase } from "./mdev_cases.ts";

const SCHID = "0.0.0001";
const UUID = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001";

/** SEEK to block 1, then READ 4 KiB into guest 0x10000 (Format-1, prefetch, 64-bit IDAWs). */
const READ_4K = JSON.stringify({
  ram: 1048576,
  orb: "11223344 00 C2 80 00 00001000",
  memory: [{ addr: "0x1000", hex: "07 40 0004 00002000  02 20 1000 00010000" }, {
    addr: "0x2000",
    hex: "00000001",
  }],
});

/** The `io.ccw_ssch` case on the WebAssembly translator. */
export const IO_CCW_CASES: readonly BenchCase[] = [{
  name: "io.ccw_ssch",
  case: "read4k",
  engine: "wasm",
  setup() {
    const world = bootWorld();
    world.modules.load("vfio_ccw", {});
    const sch = cssCore(world).subchannel(SCHID)!;
    world.tasks.run(`unbind ${SCHID}`, deviceReleaseDriver(sch));
    const ret = deviceDriverAttach(world.driverOn("css", "vfio_ccw")!, sch);
    if (ret < 0) throw new Error(`Cannot bind ${SCHID} to vfio_ccw: ${ret}`);
    const type = mdevCore(world).parentNamed(SCHID)!.type("vfio_ccw-io")!;
    if (mdevCreate(type, UUID) < 0) throw new Error("Cannot create the vfio-ccw mdev");
    const vdev = mdevCore(world).list.get(UUID)!.driverData as VfioDevice;
    const handle = vfioOpen(world, vdev.group!, UUID, `/dev/vfio/${vdev.group}`);
    const program = parseProgramFile(READ_4K);
    // The program sits in guest RAM once; every op is the I/O itself, as a guest's SSCH is.
    const ccw = loadProgram(world, handle.id, program);
    return Promise.resolve(() => {
      const { retCode, irb } = startIo(ccw, program.orb, program.scsw);
      // Channel end + device end, or the benchmark would time a failure path.
      if (retCode !== 0 || irb[8] !== 0x0c) throw new Error(`ccw read failed: ${retCode}`);
    });
  },
}];
