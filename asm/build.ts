/**
 * Builds every WebAssembly core under `asm/` into `asm/build/<core>.wasm` with AssemblyScript's
 * `asc`, run under Deno. The compiler options live in `asm/asconfig.json` (targets `release` and
 * `debug`). A core whose output is newer than all its inputs is skipped.
 *
 * ```sh
 * ./node_modules/.bin/deno run --allow-read --allow-write --allow-env --allow-run asm/build.ts
 * ./node_modules/.bin/deno run --allow-read --allow-write --allow-env --allow-run asm/build.ts --debug
 * ```
 *
 * `--debug` builds `asm/build/<core>.debug.wasm` plus its `.wat` text instead.
 *
 * @module
 */

/** The cores to build: each is `asm/<core>/index.ts`. */
const CORES = ["fb", "ccw"] as const;

const ASM_DIR = new URL("./", import.meta.url);
const ROOT_DIR = new URL("../", ASM_DIR);
const BUILD_DIR = new URL("build/", ASM_DIR);
const ASC = "node_modules/assemblyscript/bin/asc.js";

/** Files whose change affects every core: the options, this script and the compiler itself. */
const SHARED_INPUTS = [
  new URL("asconfig.json", ASM_DIR),
  new URL(import.meta.url),
  new URL("node_modules/assemblyscript/package.json", ROOT_DIR),
];

function parseTarget(args: readonly string[]): "release" | "debug" {
  const unknown = args.filter((arg) => arg !== "--debug");
  if (unknown.length > 0) {
    console.error(`Cannot build WebAssembly: unknown argument "${unknown[0]}" (usage: [--debug])`);
    Deno.exit(2);
  }
  return args.includes("--debug") ? "debug" : "release";
}

async function mtimeOf(url: URL): Promise<number> {
  const info = await Deno.stat(url);
  return info.mtime?.getTime() ?? Date.now();
}

async function* filesUnder(dir: URL): AsyncGenerator<URL> {
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.isDirectory ? `${entry.name}/` : entry.name, dir);
    if (entry.isDirectory) yield* filesUnder(url);
    else yield url;
  }
}

async function newestInput(core: string): Promise<number> {
  let newest = 0;
  for await (const file of filesUnder(new URL(`${core}/`, ASM_DIR))) {
    newest = Math.max(newest, await mtimeOf(file));
  }
  for (const file of SHARED_INPUTS) newest = Math.max(newest, await mtimeOf(file));
  return newest;
}

async function isUpToDate(core: string, output: URL): Promise<boolean> {
  try {
    return (await mtimeOf(output)) > (await newestInput(core));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Compiles one core; asc's diagnostics go straight to our stderr. Returns asc's exit code. */
async function compile(core: string, target: "release" | "debug"): Promise<number> {
  const suffix = target === "debug" ? ".debug" : "";
  const output = new URL(`${core}${suffix}.wasm`, BUILD_DIR);
  if (await isUpToDate(core, output)) {
    console.log(`asm/build/${core}${suffix}.wasm is up to date`);
    return 0;
  }
  // asc writes into a temporary name first so that a failed or concurrent build never leaves a
  // half-written module that looks newer than its sources.
  const temporary = `asm/build/.${core}${suffix}.${Deno.pid}.wasm`;
  const args = [
    "run",
    "-A",
    ASC,
    `asm/${core}/index.ts`,
    "--config",
    "asm/asconfig.json",
    "--target",
    target,
    "-o",
    temporary,
  ];
  if (target === "debug") args.push("-t", `asm/build/${core}${suffix}.wat`);
  const started = performance.now();
  const { code } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT_DIR,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) {
    await Deno.remove(new URL(temporary, ROOT_DIR)).catch(() => {});
    console.error(`Cannot build WebAssembly core "${core}": asc exited with code ${code}`);
    return code;
  }
  await Deno.rename(new URL(temporary, ROOT_DIR), output);
  const { size } = await Deno.stat(output);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`asm/build/${core}${suffix}.wasm built (${size} bytes, ${seconds} s)`);
  return 0;
}

const target = parseTarget(Deno.args);
await Deno.mkdir(BUILD_DIR, { recursive: true });
for (const core of CORES) {
  const code = await compile(core, target);
  if (code !== 0) Deno.exit(code);
}
