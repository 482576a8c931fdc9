/**
 * mdevsim's command tree. Only composes: every command's body lives in
 * cli/commands/ and is imported when that command runs, so a command loads
 * only what it uses.
 *
 * @module
 */
import type { Command as CommandType } from "@commander-js/extra-typings";
import { MdevctlError } from "../lib/mdevctl/error.ts";
import { EXIT, report } from "./errors.ts";
import { err, outJson } from "./output.ts";
import { parseFastList } from "./fast_path.ts";
import type { GlobalOptions } from "./session.ts";

const VERSION = "0.1.0";

/** Runs one command body and turns any failure into the contract's output and exit code. */
async function run(
  operation: string,
  json: boolean | undefined,
  body: () => Promise<void>,
): Promise<void> {
  try {
    await body();
  } catch (error) {
    const r = report(operation, error);
    if (json) outJson(r.json);
    else err(r.stderr);
    Deno.exit(r.exitCode);
  }
}

/**
 * Runs an mdevctl-compatible command (list, define, undefine, modify, start,
 * stop, start-parent-mdevs). Its own failures are printed in mdevctl's words
 * — anyhow's `Error: <message>` with an indented `Caused by:` OS error, exit
 * 1, or clap's `error: <message>` with `For more information try --help`,
 * exit 2 — and not in the `mdevsim: <operation>: …` form: cli.md §3 makes
 * mdevctl.md's messages the contract for these commands, and libvirt copies
 * mdevctl's stderr into its own errors. `--json` prints the usual error
 * document with the same message. Every other failure is reported by `run`.
 */
function runMdevctl(
  operation: string,
  json: boolean | undefined,
  body: () => Promise<void>,
): Promise<void> {
  return run(operation, json, async () => {
    try {
      await body();
    } catch (error) {
      if (!(error instanceof MdevctlError)) throw error;
      if (json) outJson(error.toJson());
      else err(error.render());
      Deno.exit(error.exitCode);
    }
  });
}

type Opts = GlobalOptions & Record<string, unknown>;
const globals = (cmd: { optsWithGlobals(): unknown }) => cmd.optsWithGlobals() as Opts;

/** Builds the root command. */
export async function buildProgram(): Promise<CommandType> {
  const { Command } = await import("@commander-js/extra-typings");
  const program = new Command("mdevsim")
    .description(
      "The Linux mediated-device world (driver core, mdev, VFIO, mtty/mdpy/mbochs, vfio-ccw) in userspace",
    )
    .version(VERSION, "-V, --version")
    .option("--root <dir>", "state root (default $MDEVSIM_ROOT, else $XDG_STATE_HOME/mdevsim)")
    .option("--json", "print one JSON document instead of text")
    .option("--no-color", "never use colour")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();

  program.command("modprobe").description("load a module (mtty, mdpy, mbochs, vfio_ccw)")
    .argument("<module>").argument("[params...]", "key=value module parameters")
    .action((name, params, _o, cmd) =>
      run(
        "modprobe",
        globals(cmd).json,
        async () => (await import("./commands/modules.ts")).modprobe(globals(cmd), name, params),
      )
    );
  program.command("rmmod").description(
    "unload a module (-f: force while in use; teardown then waits for handles)",
  )
    .argument("<module>").option("-f, --force", "force unload (CONFIG_MODULE_FORCE_UNLOAD)")
    .action((name, o, cmd) =>
      run(
        "rmmod",
        globals(cmd).json,
        async () =>
          (await import("./commands/modules.ts")).rmmod(globals(cmd), name, o.force ?? false),
      )
    );
  program.command("lsmod").description("loaded modules and what they registered")
    .action((_o, cmd) =>
      run(
        "lsmod",
        globals(cmd).json,
        async () => (await import("./commands/modules.ts")).lsmod(globals(cmd)),
      )
    );

  const platform = program.command("platform").description("the generic platform bus");
  platform.command("add-device").argument("<name>").description("add a platform device")
    .action((name, _o, cmd) =>
      run(
        "platform add-device",
        globals(cmd).json,
        async () => (await import("./commands/platform.ts")).addDevice(globals(cmd), name),
      )
    );
  platform.command("del-device").argument("<name>").description("unregister a platform device")
    .action((name, _o, cmd) =>
      run(
        "platform del-device",
        globals(cmd).json,
        async () => (await import("./commands/platform.ts")).delDevice(globals(cmd), name),
      )
    );
  platform.command("add-driver").argument("<name>").option(
    "--match <glob>",
    "device names it matches",
    "*",
  )
    .description("register a platform driver")
    .action((name, o, cmd) =>
      run(
        "platform add-driver",
        globals(cmd).json,
        async () => (await import("./commands/platform.ts")).addDriver(globals(cmd), name, o.match),
      )
    );
  platform.command("del-driver").argument("<name>").description("unregister a platform driver")
    .action((name, _o, cmd) =>
      run(
        "platform del-driver",
        globals(cmd).json,
        async () => (await import("./commands/platform.ts")).delDriver(globals(cmd), name),
      )
    );

  program.command("inject").description("make the next probes of a driver fail (fault injection)")
    .argument("[bus]").argument("[driver]")
    .option("--probe <errno>", "errno the probe returns (EPROBE_DEFER allowed)")
    .option("--times <n>", "how many probes (default 1)")
    .option("--clear", "drop every injection")
    .action((bus, driver, o, cmd) =>
      run(
        "inject",
        globals(cmd).json,
        async () =>
          (await import("./commands/platform.ts")).inject({ ...globals(cmd), ...o }, bus, driver),
      )
    );
  program.command("reset").description("delete the state root's contents and start over").option(
    "--yes",
    "do not ask",
  )
    .action((o, cmd) =>
      run(
        "reset",
        globals(cmd).json,
        async () => (await import("./commands/platform.ts")).reset({ ...globals(cmd), ...o }),
      )
    );
  program.command("dmesg").description("the simulated kernel log")
    .action((_o, cmd) =>
      run(
        "dmesg",
        globals(cmd).json,
        async () => (await import("./commands/platform.ts")).dmesg(globals(cmd)),
      )
    );

  program.command("types").description("supported types per parent (mdevctl types)")
    .option("-p, --parent <parent>").option("--dumpjson")
    .action((o, cmd) =>
      run(
        "types",
        globals(cmd).json,
        async () => (await import("./commands/mdev.ts")).types({ ...globals(cmd), ...o }),
      )
    );
  program.command("create").description("create an mdev (write a UUID to the type's create file)")
    .requiredOption("-p, --parent <parent>").requiredOption("-t, --type <type>").option(
      "-u, --uuid <uuid>",
    )
    .action((o, cmd) =>
      run(
        "create",
        globals(cmd).json,
        async () => (await import("./commands/mdev.ts")).create({ ...globals(cmd), ...o }),
      )
    );
  program.command("remove").description("remove an mdev (write 1 to its remove file)").argument(
    "<uuid>",
  )
    .action((uuid, _o, cmd) =>
      run(
        "remove",
        globals(cmd).json,
        async () => (await import("./commands/mdev.ts")).remove(globals(cmd), uuid),
      )
    );
  program.command("list").description("active or defined mdevs (mdevctl list)")
    .option("-p, --parent <parent>").option("-u, --uuid <uuid>").option("-d, --defined").option(
      "-v, --verbose",
    ).option("--dumpjson")
    .action((o, cmd) =>
      runMdevctl(
        "list",
        globals(cmd).json,
        async () => (await import("./commands/mdev.ts")).list({ ...globals(cmd), ...o }),
      )
    );

  program.command("define").description("define a persistent mdev (mdevctl define)")
    .option("-u, --uuid <uuid>").option("-p, --parent <parent>").option("-t, --type <type>")
    .option("-a, --auto", "start with its parent").option("--jsonfile <file>", "config as JSON")
    .action((o, cmd) =>
      runMdevctl(
        "define",
        globals(cmd).json,
        async () => (await import("./commands/mdevctl.ts")).define({ ...globals(cmd), ...o }),
      )
    );
  program.command("undefine").description("delete an mdev's config (mdevctl undefine)")
    .option("-u, --uuid <uuid>").option("-p, --parent <parent>")
    .action((o, cmd) =>
      runMdevctl(
        "undefine",
        globals(cmd).json,
        async () => (await import("./commands/mdevctl.ts")).undefine({ ...globals(cmd), ...o }),
      )
    );
  program.command("modify").description("change an mdev's config (mdevctl modify)")
    .option("-u, --uuid <uuid>").option("-p, --parent <parent>").option("-t, --type <type>")
    .option("--addattr <name>", "add an attribute").option("--value <value>", "its value")
    .option("--delattr", "delete an attribute").option("-i, --index <index>", "attribute index")
    .option("-a, --auto", "start with its parent").option("-m, --manual", "start on request")
    .action((o, cmd) =>
      runMdevctl(
        "modify",
        globals(cmd).json,
        async () => (await import("./commands/mdevctl.ts")).modify({ ...globals(cmd), ...o }),
      )
    );
  program.command("start").description("start a defined or transient mdev (mdevctl start)")
    .option("-u, --uuid <uuid>").option("-p, --parent <parent>").option("-t, --type <type>")
    .option("--jsonfile <file>", "config as JSON (/dev/stdin works)")
    .action((o, cmd) =>
      runMdevctl(
        "start",
        globals(cmd).json,
        async () => (await import("./commands/mdevctl.ts")).start({ ...globals(cmd), ...o }),
      )
    );
  program.command("stop").description("stop an mdev (mdevctl stop)").option("-u, --uuid <uuid>")
    .action((o, cmd) =>
      runMdevctl(
        "stop",
        globals(cmd).json,
        async () => (await import("./commands/mdevctl.ts")).stop({ ...globals(cmd), ...o }),
      )
    );
  program.command("start-parent-mdevs", { hidden: true }).argument("<parent>")
    .description("start a parent's auto-start mdevs (what udev runs)")
    .action((parent, _o, cmd) =>
      runMdevctl(
        "start-parent-mdevs",
        globals(cmd).json,
        async () => (await import("./commands/mdevctl.ts")).startParentMdevs(globals(cmd), parent),
      )
    );

  program.command("bind").description("write DEVICE to /sys/bus/BUS/drivers/DRIVER/bind")
    .argument("<bus>").argument("<device>").argument("<driver>")
    .action((bus, dev, drv, _o, cmd) =>
      run(
        "bind",
        globals(cmd).json,
        async () => (await import("./commands/driver_core.ts")).bind(globals(cmd), bus, dev, drv),
      )
    );
  program.command("unbind").description("write DEVICE to its driver's unbind file")
    .argument("<bus>").argument("<device>")
    .action((bus, dev, _o, cmd) =>
      run(
        "unbind",
        globals(cmd).json,
        async () => (await import("./commands/driver_core.ts")).unbind(globals(cmd), bus, dev),
      )
    );
  program.command("override").description("set or clear driver_override")
    .argument("<bus>").argument("<device>").argument("[driver]").option("--clear")
    .action((bus, dev, drv, o, cmd) =>
      run(
        "override",
        globals(cmd).json,
        async () =>
          (await import("./commands/driver_core.ts")).override(
            globals(cmd),
            bus,
            dev,
            drv,
            o.clear ?? false,
          ),
      )
    );
  program.command("probe").description("write DEVICE to /sys/bus/BUS/drivers_probe")
    .argument("<bus>").argument("<device>")
    .action((bus, dev, _o, cmd) =>
      run(
        "probe",
        globals(cmd).json,
        async () => (await import("./commands/driver_core.ts")).probe(globals(cmd), bus, dev),
      )
    );

  const sysfs = program.command("sysfs").description("the emulated sysfs");
  sysfs.command("ls").argument("<path>").option("-l", "show link targets")
    .action((path, o, cmd) =>
      run(
        "sysfs ls",
        globals(cmd).json,
        async () => (await import("./commands/sysfs.ts")).ls(globals(cmd), path, o.l ?? false),
      )
    );
  sysfs.command("cat").argument("<path>")
    .action((path, _o, cmd) =>
      run(
        "sysfs cat",
        globals(cmd).json,
        async () => (await import("./commands/sysfs.ts")).cat(globals(cmd), path),
      )
    );
  sysfs.command("write").argument("<path>").argument("<value>").option(
    "--raw",
    "write VALUE without the newline echo adds",
  )
    .action((path, value, o, cmd) =>
      run(
        "sysfs write",
        globals(cmd).json,
        async () =>
          (await import("./commands/sysfs.ts")).write(globals(cmd), path, value, o.raw ?? false),
      )
    );
  sysfs.command("readlink").argument("<path>")
    .action((path, _o, cmd) =>
      run(
        "sysfs readlink",
        globals(cmd).json,
        async () => (await import("./commands/sysfs.ts")).readlink(globals(cmd), path),
      )
    );
  sysfs.command("tree").argument("[path]", "start here", "/sys")
    .action((path, _o, cmd) =>
      run(
        "sysfs tree",
        globals(cmd).json,
        async () => (await import("./commands/sysfs.ts")).tree(globals(cmd), path),
      )
    );
  sysfs.command("export").argument("<dir>")
    .description("write the tree under DIR/sys, DIR/dev and DIR/etc/mdevctl.d (for real tools)")
    .option("--watch", "keep running: apply other programs' writes to DIR and follow the state")
    .action((dir, o, cmd) =>
      run("sysfs export", globals(cmd).json, async () => {
        const { exportTree, exportWatch } = await import("./commands/sysfs.ts");
        await (o.watch ? exportWatch : exportTree)(globals(cmd), dir);
      })
    );

  const vfio = program.command("vfio").description("VFIO access to an mdev");
  vfio.command("info").argument("<device>")
    .action((dev, _o, cmd) =>
      run(
        "vfio info",
        globals(cmd).json,
        async () => (await import("./commands/vfio.ts")).info(globals(cmd), dev),
      )
    );
  vfio.command("open").argument("<device>")
    .action((dev, _o, cmd) =>
      run(
        "vfio open",
        globals(cmd).json,
        async () => (await import("./commands/vfio.ts")).open(globals(cmd), dev),
      )
    );
  vfio.command("close").argument("<handle>")
    .action((h, _o, cmd) =>
      run(
        "vfio close",
        globals(cmd).json,
        async () => (await import("./commands/vfio.ts")).close(globals(cmd), h),
      )
    );
  vfio.command("handles")
    .action((_o, cmd) =>
      run(
        "vfio handles",
        globals(cmd).json,
        async () => (await import("./commands/vfio.ts")).handles(globals(cmd)),
      )
    );
  vfio.command("run").argument("<device>").option("--handle <h>").option("--script <file>").option(
    "--strict",
  )
    .action((dev, o, cmd) =>
      run(
        "vfio run",
        globals(cmd).json,
        async () => (await import("./commands/vfio.ts")).runScript({ ...globals(cmd), ...o }, dev),
      )
    );
  vfio.command("config").argument("<device>").option("--lspci", "lspci -x dump (the default)")
    .action((dev, _o, cmd) =>
      run(
        "vfio config",
        globals(cmd).json,
        async () => (await import("./commands/vfio.ts")).config(globals(cmd), dev),
      )
    );

  const fb = program.command("fb").description("framebuffers of mdpy and mbochs");
  fb.command("info").description("the primary plane QUERY_GFX_PLANE reports")
    .argument("<device>").option("--handle <h>", "use this open VFIO handle")
    .action((dev, o, cmd) =>
      run(
        "fb info",
        globals(cmd).json,
        async () => (await import("./commands/fb.ts")).info({ ...globals(cmd), ...o }, dev),
      )
    );
  fb.command("mode").description("program a mode as the guest driver does")
    .argument("<device>").argument("<mode>", "WxHxBPP, e.g. 1024x768x32")
    .option("--handle <h>", "use this open VFIO handle")
    .action((dev, mode, o, cmd) =>
      run(
        "fb mode",
        globals(cmd).json,
        async () => (await import("./commands/fb.ts")).mode({ ...globals(cmd), ...o }, dev, mode),
      )
    );
  fb.command("draw").description("guest-side drawing through BAR0")
    .argument("<device>").argument("<op>", "fill|copy|pattern|mono").argument("[args...]")
    .option("--handle <h>", "use this open VFIO handle")
    .allowUnknownOption()
    .action((dev, op, args, o, cmd) =>
      run(
        "fb draw",
        globals(cmd).json,
        async () =>
          (await import("./commands/fb.ts")).draw({ ...globals(cmd), ...o }, dev, op, args),
      )
    );
  fb.command("snapshot").description("the display refresh path into a PNG")
    .argument("<device>").requiredOption("--out <file>", "the PNG to write")
    .option("--handle <h>", "use this open VFIO handle")
    .action((dev, o, cmd) =>
      run(
        "fb snapshot",
        globals(cmd).json,
        async () => (await import("./commands/fb.ts")).snapshot({ ...globals(cmd), ...o }, dev),
      )
    );
  fb.command("damage").description("rectangles changed since the previous snapshot")
    .argument("<device>").option("--handle <h>", "use this open VFIO handle")
    .action((dev, o, cmd) =>
      run(
        "fb damage",
        globals(cmd).json,
        async () => (await import("./commands/fb.ts")).damage({ ...globals(cmd), ...o }, dev),
      )
    );
  const css = program.command("css").description("the s390 channel subsystem");
  css.command("list").description("subchannels and their devices")
    .action((_o, cmd) =>
      run(
        "css list",
        globals(cmd).json,
        async () => (await import("./commands/css.ts")).list(globals(cmd)),
      )
    );
  css.command("add").description("add an I/O subchannel with an emulated DASD").argument("<schid>")
    .option("--devno <devno>", "device number, e.g. 0.0.1004").option(
      "--type <type>",
      "device type",
      "3390",
    )
    .option("--size <mib>", "storage size in MiB", "64")
    .action((schid, o, cmd) =>
      run(
        "css add",
        globals(cmd).json,
        async () => (await import("./commands/css.ts")).add({ ...globals(cmd), ...o }, schid),
      )
    );
  css.command("remove").description("remove the device: the subchannel becomes not operational")
    .argument("<schid>")
    .action((schid, _o, cmd) =>
      run(
        "css remove",
        globals(cmd).json,
        async () => (await import("./commands/css.ts")).remove(globals(cmd), schid),
      )
    );
  css.command("chp").description("vary a channel path on or off (queues CRWs)").argument("<chpid>")
    .argument("<state>", "on|off")
    .action((chpid, state, _o, cmd) =>
      run(
        "css chp",
        globals(cmd).json,
        async () => (await import("./commands/css.ts")).chp(globals(cmd), chpid, state),
      )
    );
  const ccw = program.command("ccw").description("vfio-ccw channel programs");
  ccw.command("translate").description(
    "translate a program file as vfio-ccw does, without a device",
  )
    .argument("<file>").option("--engine <engine>", "wasm or ts", "wasm")
    .action((file, o, cmd) =>
      run(
        "ccw translate",
        globals(cmd).json,
        async () => (await import("./commands/ccw.ts")).translate({ ...globals(cmd), ...o }, file),
      )
    );
  ccw.command("run").description("the whole I/O path on a vfio-ccw device")
    .argument("<device>").argument("<file>").option("--handle <h>", "use this open handle")
    .action((dev, file, o, cmd) =>
      run(
        "ccw run",
        globals(cmd).json,
        async () => (await import("./commands/ccw.ts")).run({ ...globals(cmd), ...o }, dev, file),
      )
    );
  program.command("bench").description("benchmarks of the emulated paths").argument(
    "[group]",
    "ccw|fb|mdev|io|all",
    "all",
  )
    .option("--quick").action((group, o, cmd) =>
      run(
        "bench",
        globals(cmd).json,
        async () => (await import("./commands/bench.ts")).bench({ ...globals(cmd), ...o }, group),
      )
    );
  program.command("demo").description("the guided tour").option(
    "--out <dir>",
    "where to write artefacts",
  )
    .action((o, cmd) =>
      run(
        "demo",
        globals(cmd).json,
        async () => (await import("./commands/demo.ts")).demo({ ...globals(cmd), ...o }),
      )
    );
  return program as unknown as CommandType;
}

/** Entry point: parse argv; commander's own usage errors exit 2, help/version 0. */
export async function main(args: string[]): Promise<void> {
  const program = await buildProgram();
  const { CommanderError } = await import("@commander-js/extra-typings");
  try {
    await program.parseAsync(args, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      const ok = error.code === "commander.helpDisplayed" || error.code === "commander.version" ||
        error.code === "commander.help";
      Deno.exit(ok ? EXIT.OK : EXIT.USAGE);
    }
    throw error;
  }
}

if (import.meta.main) {
  const fast = parseFastList(Deno.args);
  if (fast !== undefined) {
    await runMdevctl(
      "list",
      fast.json as boolean,
      async () => (await import("./commands/mdev.ts")).list(fast),
    );
  } else await main(Deno.args);
}
