/**
 * `modprobe`, `rmmod`, `lsmod`.
 *
 * @module
 */
import { loadModuleCode } from "../../lib/drivers/module_code.ts";
import { MODULE_NAMES } from "../../lib/drivers/modules.ts";
import { UsageError } from "../errors.ts";
import { err, out, outJson } from "../output.ts";
import { type GlobalOptions, withWorld } from "../session.ts";
import { runTask } from "./_task.ts";

/** Parses `key=value` module parameters. */
export function parseParams(args: string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (const arg of args) {
    const eq = arg.indexOf("=");
    if (eq <= 0) throw new UsageError(`module parameter '${arg}' is not key=value`);
    params[arg.slice(0, eq)] = arg.slice(eq + 1);
  }
  return params;
}

/** `mdevsim modprobe MODULE [key=value…]`. */
export async function modprobe(
  options: GlobalOptions,
  name: string,
  args: string[],
): Promise<void> {
  const params = parseParams(args);
  await loadModuleCode([name]);
  await withWorld(options, ({ world, json }) => {
    const loaded = world.modules.load(name, params);
    if (json) outJson({ module: name, loaded, params });
    else if (!loaded) err(`mdevsim: modprobe: ${name} is already loaded`);
  });
}

/** `mdevsim rmmod [-f] MODULE`. */
export async function rmmod(options: GlobalOptions, name: string, force: boolean): Promise<void> {
  await withWorld(options, ({ world, json }) => {
    const steps = world.modules.unloadSteps(name, force);
    const pending = runTask(world, `rmmod ${name}`, steps, "rmmod");
    if (json) outJson({ module: name, unloaded: !pending, pending });
  });
}

/** `mdevsim lsmod`. */
export async function lsmod(options: GlobalOptions): Promise<void> {
  await withWorld(options, ({ world, json }) => {
    const rows = [...world.modules.loaded.values()].map((m) => ({
      module: m.name,
      refs: m.refs,
      state: m.state,
      params: m.params,
      registered: world.modules.definition(m.name).describe(world),
    }));
    if (json) return outJson({ modules: rows, available: MODULE_NAMES });
    let text = "Module                  Used by  State\n";
    for (const r of rows) {
      text += `${r.module.padEnd(24)}${String(r.refs).padEnd(9)}${r.state}\n`;
      for (const line of r.registered) text += `  ${line}\n`;
    }
    out(text);
  }, { readOnly: true });
}
