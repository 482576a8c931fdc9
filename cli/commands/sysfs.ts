/**
 * `sysfs ls|cat|write|readlink|tree|export` (cli.md §4).
 *
 * @module
 */
import { ExportError, exportSysfs } from "../../lib/sysfs/export.ts";
import { readAttrBytes, readLink, writeAttr } from "../../lib/sysfs/io.ts";
import { renderList, renderTree } from "../../lib/sysfs/render.ts";
import { watchExport } from "../../lib/sysfs/watch.ts";
import { resolveStateRoot } from "../../lib/state/root.ts";
import { report, UsageError } from "../errors.ts";
import { err, out, outBytes, outJson } from "../output.ts";
import { type GlobalOptions, withWorld } from "../session.ts";
import { reportPending } from "./_task.ts";

const lines = (rows: string[]) => rows.map((r) => `${r}\n`).join("");

/** `sysfs ls [-l] PATH`. */
export function ls(options: GlobalOptions, path: string, long: boolean): Promise<void> {
  return withWorld(options, ({ world, json }) => {
    const rows = renderList(world, path, { long });
    if (json) outJson({ path, entries: rows });
    else out(lines(rows));
  }, { readOnly: true });
}

/** `sysfs cat PATH`: the attribute's bytes exactly. */
export function cat(options: GlobalOptions, path: string): Promise<void> {
  return withWorld(options, ({ world, json }) => {
    const bytes = readAttrBytes(world, path);
    if (json) outJson({ path, content: new TextDecoder().decode(bytes) });
    else outBytes(bytes);
  }, { readOnly: true });
}

/** `sysfs write PATH VALUE [--raw]`: VALUE plus `\n` as echo writes it, or exactly VALUE. */
export function write(
  options: GlobalOptions,
  path: string,
  value: string,
  raw: boolean,
): Promise<void> {
  return writeBytes(options, path, new TextEncoder().encode(raw ? value : `${value}\n`));
}

/** The one path of every sysfs write: `sysfs write` and the writes `export --watch` takes. */
function writeBytes(options: GlobalOptions, path: string, bytes: Uint8Array): Promise<void> {
  return withWorld(options, ({ world, json }) => {
    const { count, pending } = writeAttr(world, path, bytes);
    if (pending) reportPending("sysfs write");
    if (json) outJson({ path, count, pending });
  });
}

/** `sysfs readlink PATH`: the relative target. */
export function readlink(options: GlobalOptions, path: string): Promise<void> {
  return withWorld(options, ({ world, json }) => {
    const target = readLink(world, path);
    if (json) outJson({ path, target });
    else out(`${target}\n`);
  }, { readOnly: true });
}

/** `sysfs tree [PATH]`. */
export function tree(options: GlobalOptions, path: string): Promise<void> {
  return withWorld(options, ({ world, json }) => {
    const rows = renderTree(world, path);
    if (json) outJson({ path, tree: rows });
    else out(lines(rows));
  }, { readOnly: true });
}

/**
 * `sysfs export DIR`: the whole tree as real files under DIR (see
 * lib/sysfs/export.ts), with the state root's mdevctl configs. Prints
 * nothing on success; `--json` prints what was written.
 */
export function exportTree(options: GlobalOptions, dir: string): Promise<void> {
  return withWorld(options, ({ world, store, json }) => {
    try {
      const summary = exportSysfs(world, dir, { stateRoot: store.root });
      if (json) outJson(summary);
    } catch (error) {
      // A DIR that is not ours to replace, or one we cannot write, is the caller's to fix.
      if (error instanceof ExportError) throw new UsageError(error.message);
      throw error;
    }
  }, { readOnly: true });
}

const STOP_SIGNALS = ["SIGINT", "SIGTERM"] as const;

/**
 * `sysfs export --watch DIR`: export, then keep DIR in step with the world
 * until SIGINT or SIGTERM (see lib/sysfs/watch.ts). Prints `watching DIR`
 * (with `--json`, `{"dir":…,"watching":true}`) once ready; a write it takes
 * that fails is reported on stderr as `sysfs write` reports it.
 */
export async function exportWatch(options: GlobalOptions, dir: string): Promise<void> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  for (const signal of STOP_SIGNALS) Deno.addSignalListener(signal, onSignal);
  try {
    await watchExport(dir, {
      stateFile: `${resolveStateRoot(options.root)}/state.json`,
      exportTo: (staging) =>
        withWorld(options, ({ world, store }) => {
          exportSysfs(world, staging, { stateRoot: store.root });
        }, { readOnly: true }),
      applyWrite: (path, bytes) => writeBytes({ ...options, json: false }, path, bytes),
      onError: (operation, error) => err(report(operation, error).stderr),
    }, {
      signal: stop.signal,
      onReady: (watched) =>
        options.json ? outJson({ dir: watched, watching: true }) : out(`watching ${watched}\n`),
    });
  } catch (error) {
    if (error instanceof ExportError) throw new UsageError(error.message);
    throw error;
  } finally {
    for (const signal of STOP_SIGNALS) Deno.removeSignalListener(signal, onSignal);
  }
}
