/**
 * Runs the real `./mdevsim` launcher as a subprocess against a temporary
 * state root, so the CLI tests see exactly what a shell user sees: exit code,
 * stdout and stderr.
 *
 * @module
 */

const LAUNCHER = new URL("../../mdevsim", import.meta.url).pathname;
const roots: string[] = [];
globalThis.addEventListener("unload", () => {
  for (const root of roots) Deno.removeSync(root, { recursive: true });
});

/** What one CLI invocation produced. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Extra settings of {@linkcode mdevsimWith}. */
export interface CliOptions {
  /** Bytes fed on stdin (none: stdin is closed at once). */
  stdin?: string;
  /** Working directory of the child (default: the test's). */
  cwd?: string;
}

/** A fresh, empty state root, deleted when the test file ends. */
export async function tempRoot(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "mdevsim-cli-" });
  roots.push(root);
  return root;
}

/** The launcher as a `Deno.Command` with `MDEVSIM_ROOT=root` and colour off. */
function command(root: string, args: string[], options: CliOptions = {}): Deno.Command {
  return new Deno.Command(LAUNCHER, {
    args,
    env: { MDEVSIM_ROOT: root, NO_COLOR: "1" },
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
}

/** Runs `./mdevsim args…` with `MDEVSIM_ROOT=root` and waits for it. */
export function mdevsim(root: string, ...args: string[]): Promise<CliRun> {
  return mdevsimWith(root, args);
}

/** Runs `./mdevsim args…` with stdin and/or a working directory. */
export async function mdevsimWith(
  root: string,
  args: string[],
  options: CliOptions = {},
): Promise<CliRun> {
  const child = command(root, args, options).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

/** Starts `./mdevsim args…` without waiting, for tests that kill it midway. */
export function spawnMdevsim(root: string, ...args: string[]): Deno.ChildProcess {
  return command(root, args).spawn();
}
