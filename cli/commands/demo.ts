/**
 * `mdevsim demo [--out DIR]`: the guided tour. It runs the real commands, in
 * order, against a fresh state root of its own (your state root is not
 * touched), prints each as `$ mdevsim …` with its output, and ends with a
 * summary: load every module, create a device of every type, bind a
 * subchannel to vfio_ccw and run a channel program, loop bytes through mtty
 * with interrupts, remove a device while a handle holds it, draw on mdpy and
 * mbochs and save PNGs to DIR, list and remove everything.
 *
 * @module
 */
import { moduleDefinition } from "../../lib/core/module.ts";
import { KernelError, strerror } from "../../lib/errno.ts";
import { captureOutput, out, outJson } from "../output.ts";
import type { GlobalOptions } from "../session.ts";

const U = (n: number) => `83b8f4f2-509f-382f-3c1e-e6bfe0fa10${n.toString().padStart(2, "0")}`;

/** One step of the tour: the command line shown and the command run. */
interface Step {
  readonly line: string;
  run(root: string): Promise<void>;
}

/**
 * The tour's channel programs: SEEK to block 1 and WRITE 4 KiB from guest 0x10000; then SEEK
 * and READ the block back into guest 0x20000 (same handle, so both land in one guest RAM).
 */
function ccwProgram(command: "write" | "read"): string {
  const cmd = command === "write" ? "01" : "02";
  return JSON.stringify({
    ram: 1048576,
    orb: "11223344 00 C2 80 00 00001000",
    memory: [
      {
        addr: "0x1000",
        hex: `07 40 0004 00002000  ${cmd} 20 1000 000${command === "write" ? 1 : 2}0000`,
      },
      { addr: "0x2000", hex: "00000001" },
      ...(command === "write"
        ? [{ addr: "0x10000", hex: "6d646576 73696d20 76666c6f 2d636377".repeat(4) }]
        : []),
    ],
  });
}

const MTTY_LOOP = [
  "ioctl info",
  "irq arm 0",
  "w8 bar0 2 0x07   # FCR: FIFO on, cleared",
  "w8 bar0 1 0x01   # IER: interrupt on received data",
  ..."mdev".split("").map((c) => `w8 bar0 0 0x${c.charCodeAt(0).toString(16)}   # THR '${c}'`),
  "r8 bar0 5        # LSR: data ready",
  ..."mdev".split("").map(() => "r8 bar0 0        # RBR"),
  "irq count 0      # one interrupt: the first byte; INTx is auto-masked",
].join("\n");

/** The demo command. */
export async function demo(options: GlobalOptions & { out?: string }): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "mdevsim-demo-" });
  const outDir = options.out ?? await Deno.makeTempDir({ prefix: "mdevsim-demo-out-" });
  await Deno.mkdir(outDir, { recursive: true });
  const files = await Deno.makeTempDir({ prefix: "mdevsim-demo-files-" });
  const scriptFile = `${files}/mtty.script`;
  await Deno.writeTextFile(scriptFile, MTTY_LOOP + "\n");
  await Deno.writeTextFile(`${files}/write.json`, ccwProgram("write"));
  await Deno.writeTextFile(`${files}/read.json`, ccwProgram("read"));

  const o = (root: string) => ({ root, json: false });
  const modules = await import("./modules.ts");
  const mdev = await import("./mdev.ts");
  const vfio = await import("./vfio.ts");
  const fb = await import("./fb.ts");
  const driverCore = await import("./driver_core.ts");
  const withCcw = moduleDefinition("vfio_ccw") !== undefined ||
    (await import("../../lib/drivers/modules.ts")).MODULE_NAMES.includes("vfio_ccw" as never);
  const ccw = withCcw ? await import("./ccw.ts") : undefined;

  const handles = new Map<number, string>();
  let blockMatches = false;
  const openHandle = (n: number, note = ""): Step => ({
    line: `vfio open ${U(n)}${note}`,
    run: async (r) => {
      const stopCapture = captureOutput();
      try {
        await vfio.open(o(r), U(n));
      } finally {
        const printed = stopCapture().stdout;
        handles.set(n, printed.trim());
        out(printed);
      }
    },
  });
  const closeHandle = (n: number): Step => ({
    line: `vfio close <handle of ${U(n).slice(-4)}>`,
    run: (r) => vfio.close(o(r), handles.get(n) ?? "0"),
  });
  const create = (parent: string, type: string, n: number): Step => ({
    line: `create -p ${parent} -t ${type} -u ${U(n)}`,
    run: (r) => mdev.create({ ...o(r), parent, type, uuid: U(n) }),
  });
  const steps: Step[] = [
    ...["mtty", "mdpy", "mbochs", ...(withCcw ? ["vfio_ccw"] : [])].map((m) => ({
      line: `modprobe ${m}`,
      run: (r: string) => modules.modprobe(o(r), m, []),
    })),
    { line: "lsmod", run: (r) => modules.lsmod(o(r)) },
    { line: "types", run: (r) => mdev.types(o(r)) },
    create("mtty", "mtty-1", 1),
    create("mtty", "mtty-2", 2),
    create("mdpy", "mdpy-vga", 3),
    create("mdpy", "mdpy-xga", 4),
    create("mdpy", "mdpy-hd", 5),
    create("mbochs", "mbochs-small", 6),
    create("mbochs", "mbochs-medium", 7),
    ...(ccw === undefined ? [] : [
      {
        line: "unbind css 0.0.0001",
        run: (r: string) => driverCore.unbind(o(r), "css", "0.0.0001"),
      },
      {
        line: "bind css 0.0.0001 vfio_ccw",
        run: (r: string) => driverCore.bind(o(r), "css", "0.0.0001", "vfio_ccw"),
      },
      {
        line: "types -p 0.0.0001",
        run: (r: string) => mdev.types({ ...o(r), parent: "0.0.0001" }),
      },
      create("0.0.0001", "vfio_ccw-io", 8),
      openHandle(8),
      {
        line: `ccw run ${U(8)} write.json --handle <it>`,
        run: (r: string) =>
          ccw.run({ ...o(r), handle: handles.get(8) }, U(8), `${files}/write.json`),
      },
      {
        line: `ccw run ${U(8)} read.json --handle <it>`,
        run: (r: string) =>
          ccw.run({ ...o(r), handle: handles.get(8) }, U(8), `${files}/read.json`),
      },
      {
        line: `vfio run ${U(8)} --handle <it>   # mem read 0x10000 4096; mem read 0x20000 4096`,
        run: async (r: string) => {
          const script = `${files}/compare.script`;
          await Deno.writeTextFile(script, "mem read 0x10000 4096\nmem read 0x20000 4096\n");
          const stopCapture = captureOutput();
          try {
            await vfio.runScript({ ...o(r), handle: handles.get(8), script }, U(8));
          } finally {
            const [written, read] = stopCapture().stdout.trim().split("\n");
            blockMatches = written !== undefined && written === read && /[1-9a-f]/.test(written);
            out(
              `written ${written?.slice(0, 32)}…\nread    ${read?.slice(0, 32)}…\n` +
                `the block read back matches: ${blockMatches ? "yes" : "NO"}\n`,
            );
          }
        },
      },
      closeHandle(8),
    ]),
    { line: "list", run: (r) => mdev.list(o(r)) },
    {
      line: `vfio run ${U(2)} --script mtty.script`,
      run: (r) => vfio.runScript({ ...o(r), script: scriptFile }, U(2)),
    },
    openHandle(2),
    {
      line: `remove ${U(2)}   # the handle holds it: pending`,
      run: (r) => mdev.remove(o(r), U(2)),
    },
    closeHandle(2),
    ...[3, 4, 5].flatMap((n) => [
      {
        line: `fb draw ${U(n)} pattern bars`,
        run: (r: string) => fb.draw(o(r), U(n), "pattern", ["bars"]),
      },
      {
        line: `fb snapshot ${U(n)} --out ${outDir}/mdpy-${["vga", "xga", "hd"][n - 3]}.png`,
        run: (r: string) =>
          fb.snapshot({ ...o(r), out: `${outDir}/mdpy-${["vga", "xga", "hd"][n - 3]}.png` }, U(n)),
      },
    ]),
    openHandle(6, "   # mbochs keeps VRAM only while a handle is open"),
    { line: `fb mode ${U(6)} 800x600x32`, run: (r) => fb.mode(o(r), U(6), "800x600x32") },
    {
      line: `fb draw ${U(6)} pattern gradient`,
      run: (r) => fb.draw(o(r), U(6), "pattern", ["gradient"]),
    },
    {
      line: `fb draw ${U(6)} fill 100 100 200 120 0xffcc00`,
      run: (r) => fb.draw(o(r), U(6), "fill", ["100", "100", "200", "120", "0xffcc00"]),
    },
    {
      line: `fb snapshot ${U(6)} --out ${outDir}/mbochs.png`,
      run: (r) => fb.snapshot({ ...o(r), out: `${outDir}/mbochs.png` }, U(6)),
    },
    { line: `fb damage ${U(6)}`, run: (r) => fb.damage(o(r), U(6)) },
    closeHandle(6),
    ...[1, 3, 4, 5, 6, 7, ...(ccw ? [8] : [])].map((n) => ({
      line: `remove ${U(n)}`,
      run: (r: string) => mdev.remove(o(r), U(n)),
    })),
    ...[...(withCcw ? ["vfio_ccw"] : []), "mbochs", "mdpy", "mtty"].map((m) => ({
      line: `rmmod ${m}`,
      run: (r: string) => modules.rmmod(o(r), m, false),
    })),
    { line: "list", run: (r) => mdev.list(o(r)) },
  ];

  const stop = options.json ? captureOutput() : undefined;
  const failures: string[] = [];
  try {
    for (const step of steps) {
      out(`$ mdevsim ${step.line}\n`);
      try {
        await step.run(root);
      } catch (error) {
        const text = error instanceof KernelError
          ? `${strerror(error.errno)} (${error.errno})`
          : (error as Error).message;
        failures.push(`${step.line}: ${text}`);
        out(`!! ${text}\n`);
      }
    }
  } finally {
    const transcript = stop?.();
    await Deno.remove(root, { recursive: true });
    await Deno.remove(files, { recursive: true });
    const pngs = [...Deno.readDirSync(outDir)].filter((e) => e.name.endsWith(".png")).map((e) =>
      e.name
    ).sort();
    const summary = {
      steps: steps.length,
      failures,
      pngs,
      outDir,
      vfioCcw: ccw !== undefined,
      blockMatches,
    };
    if (options.json) outJson({ summary, transcript: transcript?.stdout ?? "" });
    else {
      out(
        `\nsummary: ${steps.length} commands, ${failures.length} failed; ` +
          `${pngs.length} PNGs in ${outDir} (${pngs.join(", ")})` +
          `${
            ccw
              ? `; 4 KiB written to DASD 0.0.1001 through vfio-ccw and read back: ${
                blockMatches ? "identical" : "MISMATCH"
              }`
              : ""
          }\n`,
      );
    }
  }
  if (failures.length > 0) {
    throw new KernelError("EIO", { path: "demo", detail: failures.join("; ") });
  }
}
