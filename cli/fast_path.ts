/**
 * A commander-free path for `mdevsim list`: loading commander costs more
 * than the whole command (≈80 ms of ≈30 ms start-up), and `list` is what
 * scripts and mdevctl users poll. Only an argument vector made entirely of
 * `list`'s own flags takes this path; anything else — help, errors, unknown
 * flags — goes through the full command tree, so behaviour is identical.
 *
 * @module
 */

const VALUE_FLAGS = new Set(["-p", "--parent", "-u", "--uuid", "--root"]);
const BOOL_FLAGS = new Set([
  "-d",
  "--defined",
  "-v",
  "--verbose",
  "--dumpjson",
  "--json",
  "--no-color",
]);

/** Parsed `list` options, or undefined when the arguments need the full parser. */
export function parseFastList(
  args: readonly string[],
): Record<string, string | boolean> | undefined {
  if (args[0] !== "list") return undefined;
  const opts: Record<string, string | boolean> = {};
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    if (BOOL_FLAGS.has(a)) opts[a.replace(/^-+/, "")] = true;
    else if (VALUE_FLAGS.has(a) && i + 1 < args.length && !args[i + 1]!.startsWith("-")) {
      opts[a] = args[++i]!;
    } else return undefined;
  }
  const value = (short: string, long: string) => (opts[short] ?? opts[long]) as string | undefined;
  return {
    ...(value("-p", "--parent") !== undefined ? { parent: value("-p", "--parent")! } : {}),
    ...(value("-u", "--uuid") !== undefined ? { uuid: value("-u", "--uuid")! } : {}),
    ...(opts["--root"] !== undefined ? { root: opts["--root"] } : {}),
    defined: opts.d === true || opts.defined === true,
    verbose: opts.v === true || opts.verbose === true,
    dumpjson: opts.dumpjson === true,
    json: opts.json === true,
    color: opts["no-color"] !== true,
  };
}
