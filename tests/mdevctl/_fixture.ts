/**
 * Fixtures of the mdevctl tests: a booted world with the real mtty module
 * loaded, temporary state roots (deleted when the test file ends), and the
 * `./mdevsim` launcher run as a subprocess with optional stdin.
 *
 * @module
 */
import type { World } from "../../lib/core/world.ts";
import { bootWorld } from "../../lib/machine.ts";

const LAUNCHER = new URL("../../mdevsim", import.meta.url).pathname;
const roots: string[] = [];
globalThis.addEventListener("unload", () => {
  for (const root of roots) Deno.removeSync(root, { recursive: true });
});

/** A fresh, empty directory, deleted when the test file ends. */
export function tempRoot(): string {
  const root = Deno.makeTempDirSync({ prefix: "mdevsim-mdevctl-" });
  roots.push(root);
  return root;
}

/** A booted machine with `modprobe mtty` done: parent `mtty`, types mtty-1 (24) and mtty-2 (12). */
export function mttyWorld(): World {
  const world = bootWorld();
  world.modules.load("mtty", {});
  return world;
}

/** What one CLI invocation produced. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `./mdevsim args…` with `MDEVSIM_ROOT=root`, feeding `stdin` when given. */
export async function mdevsim(root: string, args: string[], stdin?: string): Promise<Run> {
  const child = new Deno.Command(LAUNCHER, {
    args,
    env: { MDEVSIM_ROOT: root, NO_COLOR: "1" },
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}
