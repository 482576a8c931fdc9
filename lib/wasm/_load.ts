/**
 * Loads the WebAssembly cores that `asm/build.ts` writes to `asm/build/<core>.wasm`, once per
 * process: every caller of one core shares one instance and so one memory. A core whose state is
 * per object (one ccw channel program and guest RAM per engine) instantiates the shared compiled
 * module itself, one memory each.
 *
 * @module
 */

const CORE_NAME = /^[a-z][a-z0-9_]*$/;
const BUILD_DIR = new URL("../../asm/build/", import.meta.url);
const instances = new Map<string, Promise<WebAssembly.Instance>>();
const modules = new Map<string, Promise<WebAssembly.Module>>();

/**
 * Instantiates `asm/build/<core>.wasm` on the first call and returns the same instance afterwards.
 * The cores are built without imports (`--use abort=`), so none are supplied.
 *
 * @param core The core's folder name under `asm/`, e.g. `"fb"`.
 * @returns The shared instance.
 * @throws {TypeError} When `core` is not a plain lower-case name.
 * @throws {Error} When the module is missing (the message says to run `npm run build:wasm`).
 */
export function loadCore(core: string): Promise<WebAssembly.Instance> {
  if (!CORE_NAME.test(core)) {
    throw new TypeError(`Cannot load WebAssembly core "${core}": bad name`);
  }
  let instance = instances.get(core);
  if (instance === undefined) {
    instance = instantiate(core);
    instances.set(core, instance);
    // A failed load is not cached, so a later call succeeds once the module has been built.
    instance.catch(() => instances.delete(core));
  }
  return instance;
}

/**
 * Compiles `asm/build/<core>.wasm` on the first call and returns the same module afterwards; each
 * `WebAssembly.instantiate(module, {})` of it gets its own memory.
 *
 * @param core The core's folder name under `asm/`, e.g. `"ccw"`.
 * @returns The shared compiled module.
 * @throws {TypeError} When `core` is not a plain lower-case name.
 * @throws {Error} When the module is missing (the message says to run `npm run build:wasm`).
 */
export function compileCore(core: string): Promise<WebAssembly.Module> {
  if (!CORE_NAME.test(core)) {
    throw new TypeError(`Cannot load WebAssembly core "${core}": bad name`);
  }
  let module = modules.get(core);
  if (module === undefined) {
    module = compile(core);
    modules.set(core, module);
    module.catch(() => modules.delete(core));
  }
  return module;
}

async function instantiate(core: string): Promise<WebAssembly.Instance> {
  return await WebAssembly.instantiate(await compileCore(core), {});
}

async function compile(core: string): Promise<WebAssembly.Module> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = await Deno.readFile(new URL(`${core}.wasm`, BUILD_DIR));
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new Error(
      `Cannot load WebAssembly core "${core}": asm/build/${core}.wasm is missing, run \`npm run build:wasm\``,
      { cause: error },
    );
  }
  return await WebAssembly.compile(bytes);
}
