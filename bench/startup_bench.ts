/**
 * `./mdevsim list` wall time against an empty `deno run --no-check` script, side by side in one
 * run (the target: within 3×). Both are spawned as processes, as a user runs them.
 *
 * @module
 */
const root = await Deno.makeTempDir({ prefix: "mdevsim-bench-startup-" });
const empty = `${root}/empty.ts`;
await Deno.writeTextFile(empty, "");
const env = { MDEVSIM_ROOT: root, NO_COLOR: "1" };
const run = (cmd: string, args: string[]) =>
  new Deno.Command(cmd, { args, env, stdout: "null", stderr: "null" }).output();
await run("./mdevsim", ["modprobe", "mtty"]);
for (let i = 0; i < 4; i++) await run("./mdevsim", ["create", "-p", "mtty", "-t", "mtty-1"]);

Deno.bench({
  name: "deno run (empty script)",
  group: "startup",
  baseline: true,
  fn: async () => void await run("./node_modules/.bin/deno", ["run", "--no-check", empty]),
});
Deno.bench({
  name: "mdevsim list",
  group: "startup",
  fn: async () => void await run("./mdevsim", ["list"]),
});
