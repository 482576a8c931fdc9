/**
 * `define`, `undefine`, `modify`, `start`, `stop` and the hidden
 * `start-parent-mdevs` (cli.md §3): mdevctl 1.2.0's persistent-config
 * commands on the state root's `etc/mdevctl.d`. Output is mdevctl's; a
 * failure is an MdevctlError, which cli/main.ts prints in mdevctl's words.
 *
 * @module
 */
import type { World } from "../../lib/core/world.ts";
import { parseIndexArg, parseUuidArg } from "../../lib/mdevctl/args.ts";
import * as mdevctl from "../../lib/mdevctl/commands.ts";
import { MdevctlError } from "../../lib/mdevctl/error.ts";
import { out, outJson } from "../output.ts";
import { type GlobalOptions, withWorld } from "../session.ts";
import { reportPending } from "./_task.ts";
import { mdevctlWarn } from "./_mdevctl_log.ts";

export { mdevctlWarn };

/**
 * Runs a command body under the lock and prints its stdout. A runtime
 * MdevctlError leaves the body as a value, so the world is saved first:
 * a failed create write must persist what it consumed (an injected fault,
 * log lines), as every kernel failure does (cli/session.ts). A usage error
 * (exit 2) saves nothing.
 */
async function runCommand(
  options: GlobalOptions,
  operation: string,
  body: (world: World, root: string, hooks: mdevctl.MdevctlHooks) => string,
  jsonDocument: (stdout: string) => unknown,
): Promise<void> {
  const hooks = { warn: mdevctlWarn, pending: () => reportPending(operation) };
  const outcome = await withWorld(options, ({ world, store }) => {
    try {
      return { stdout: body(world, store.root, hooks) };
    } catch (error) {
      if (error instanceof MdevctlError && error.exitCode === 1) return { error };
      throw error;
    }
  });
  if ("error" in outcome) throw outcome.error;
  if (options.json) outJson(jsonDocument(outcome.stdout));
  else out(outcome.stdout);
}

/** The UUID a command worked on: the one given, else the one it printed. */
function uuidDocument(given: string | undefined): (stdout: string) => { uuid: string } {
  return (stdout) => ({ uuid: given ?? stdout.trim() });
}

function optionalUuid(text: string | undefined): string | undefined {
  return text === undefined ? undefined : parseUuidArg(text);
}

/** `mdevsim define [-u U] [-p P] [-t T] [-a] [--jsonfile FILE]`. */
export async function define(
  options: GlobalOptions & {
    uuid?: string;
    parent?: string;
    type?: string;
    auto?: boolean;
    jsonfile?: string;
  },
): Promise<void> {
  const uuid = optionalUuid(options.uuid);
  const args = { ...argsOf(options), uuid, auto: options.auto ?? false };
  await runCommand(
    options,
    "define",
    (world, root, hooks) => mdevctl.define(world, root, { ...args, ...hooks }),
    uuidDocument(uuid),
  );
}

/** `mdevsim undefine -u U [-p P]`. */
export async function undefine(
  options: GlobalOptions & { uuid?: string; parent?: string },
): Promise<void> {
  const uuid = requiredUuid(options.uuid);
  await runCommand(
    options,
    "undefine",
    (world, root, hooks) =>
      mdevctl.undefine(world, root, { uuid, parent: options.parent, ...hooks }),
    uuidDocument(uuid),
  );
}

/** `mdevsim modify -u U [-p P] [-t T] [--addattr N --value V | --delattr] [-i I] [-a | -m]`. */
export async function modify(
  options: GlobalOptions & {
    uuid?: string;
    parent?: string;
    type?: string;
    addattr?: string;
    value?: string;
    delattr?: boolean;
    index?: string;
    auto?: boolean;
    manual?: boolean;
  },
): Promise<void> {
  const uuid = requiredUuid(options.uuid);
  const index = options.index === undefined ? undefined : parseIndexArg(options.index);
  if (options.addattr !== undefined && options.value === undefined) {
    throw new MdevctlError(
      "The following required arguments were not provided:\n    --value <attr_value>",
      { exitCode: 2 },
    );
  }
  const args = {
    ...argsOf(options),
    uuid,
    addattr: options.addattr,
    value: options.value,
    delattr: options.delattr ?? false,
    index,
    auto: options.auto ?? false,
    manual: options.manual ?? false,
  };
  await runCommand(
    options,
    "modify",
    (world, root, hooks) => mdevctl.modify(world, root, { ...args, ...hooks }),
    uuidDocument(uuid),
  );
}

/** `mdevsim start [-u U] [-p P] [-t T | --jsonfile FILE]`. */
export async function start(
  options: GlobalOptions & { uuid?: string; parent?: string; type?: string; jsonfile?: string },
): Promise<void> {
  const uuid = optionalUuid(options.uuid);
  const args = { ...argsOf(options), uuid };
  await runCommand(
    options,
    "start",
    (world, root, hooks) => mdevctl.start(world, root, { ...args, ...hooks }),
    uuidDocument(uuid),
  );
}

/** `mdevsim stop -u U`. */
export async function stop(options: GlobalOptions & { uuid?: string }): Promise<void> {
  const uuid = requiredUuid(options.uuid);
  await runCommand(
    options,
    "stop",
    (world, root, hooks) => mdevctl.stop(world, root, { uuid, ...hooks }),
    uuidDocument(uuid),
  );
}

/** `mdevsim start-parent-mdevs PARENT` (hidden, as in mdevctl: udev's entry point). */
export async function startParentMdevs(options: GlobalOptions, parent: string): Promise<void> {
  await runCommand(
    options,
    "start-parent-mdevs",
    (world, root, hooks) => mdevctl.startParentMdevs(world, root, { parent, ...hooks }),
    () => ({ parent }),
  );
}

/** The options every command passes through unchanged. */
function argsOf(options: { parent?: string; type?: string; jsonfile?: string }) {
  return { parent: options.parent, type: options.type, jsonfile: options.jsonfile };
}

/** clap's required `--uuid`, parsed. */
function requiredUuid(text: string | undefined): string {
  if (text === undefined) {
    throw new MdevctlError(
      "The following required arguments were not provided:\n    --uuid <UUID>",
      { exitCode: 2 },
    );
  }
  return parseUuidArg(text);
}
