/**
 * Loadable modules (kernel/module analogue): init registers drivers and
 * devices; exit is a kernel path that may sleep; a reference count pins a
 * module while something uses it (an open VFIO file pins its driver's
 * module, so a plain rmmod then fails with EAGAIN, "Module … is in use").
 *
 * @module
 */
import { KernelError } from "../errno.ts";
import { defineStep, type Step } from "./task.ts";
import type { World } from "./world.ts";

/** A module's code, as the module table knows it. */
export interface KernelModule {
  readonly name: string;
  readonly description: string;
  /** Parameter names it accepts (`mbochs count=`), with aliases resolved by the module. */
  readonly params: readonly string[];
  /** module_init: 0 or a negative errno (and then nothing stays registered). */
  init(world: World, params: Readonly<Record<string, string>>): number;
  /** module_exit: the teardown as steps (may sleep on open VFIO files). */
  exit(world: World): Step[];
  /** Re-creates the module's drivers and private objects when a saved world loads. */
  restore(world: World, data: unknown): void;
  /** Named-field snapshot of the module's private state. */
  save(world: World): unknown;
  /** What lsmod shows the module registered. */
  describe(world: World): string[];
}

/** A loaded module's bookkeeping. */
export interface LoadedModule {
  readonly name: string;
  readonly params: Readonly<Record<string, string>>;
  refs: number;
  state: "live" | "going";
}

const DEFINITIONS = new Map<string, KernelModule>();

/** Makes a module loadable (each driver package registers its module at import). */
export function defineModule(mod: KernelModule): KernelModule {
  DEFINITIONS.set(mod.name, mod);
  return mod;
}

/** The module definition for a name, or undefined. */
export function moduleDefinition(name: string): KernelModule | undefined {
  return DEFINITIONS.get(name);
}

/** Loaded modules of a world, in load order. */
export class ModuleTable {
  readonly #world: World;
  readonly loaded = new Map<string, LoadedModule>();

  constructor(world: World) {
    this.#world = world;
  }

  /** modprobe: a loaded module is a no-op (returns false); ENOENT for an unknown name. */
  load(name: string, params: Readonly<Record<string, string>>): boolean {
    const mod = DEFINITIONS.get(name);
    if (mod === undefined) {
      throw new KernelError("ENOENT", { path: name, detail: `Module ${name} not found` });
    }
    const loaded = this.loaded.get(name);
    if (loaded?.state === "live") return false;
    if (loaded !== undefined) {
      throw new KernelError("EEXIST", { path: name, detail: "Module is being unloaded" });
    }
    for (const key of Object.keys(params)) {
      if (!mod.params.includes(key)) {
        throw new KernelError("EINVAL", { path: name, detail: `Unknown parameter '${key}'` });
      }
    }
    this.loaded.set(name, { name, params: { ...params }, refs: 0, state: "live" });
    const ret = mod.init(this.#world, params);
    if (ret < 0) {
      this.loaded.delete(name);
      throw new KernelError(errnoFrom(ret), { path: name });
    }
    this.#world.log(`${name}: loaded`);
    return true;
  }

  /**
   * delete_module: EAGAIN while referenced unless forced (`rmmod -f`,
   * CONFIG_MODULE_FORCE_UNLOAD), EBUSY while already going; then module_exit
   * as a task. Returns the steps to run.
   */
  unloadSteps(name: string, force: boolean): Step[] {
    const loaded = this.loaded.get(name);
    if (loaded === undefined) {
      throw new KernelError("ENOENT", {
        path: name,
        detail: `Module ${name} is not currently loaded`,
      });
    }
    if (loaded.state === "going") throw new KernelError("EBUSY", { path: name });
    if (loaded.refs > 0 && !force) {
      throw new KernelError("EAGAIN", { path: name, detail: `Module ${name} is in use` });
    }
    loaded.state = "going";
    return [...DEFINITIONS.get(name)!.exit(this.#world), unloaded({ module: name })];
  }

  /** try_module_get(): fails once the module is going. */
  tryGet(name: string): boolean {
    const loaded = this.loaded.get(name);
    if (loaded === undefined || loaded.state !== "live") return false;
    loaded.refs++;
    return true;
  }

  /** module_put(). */
  put(name: string): void {
    const loaded = this.loaded.get(name);
    if (loaded !== undefined && loaded.refs > 0) loaded.refs--;
  }

  /** The definition of a loaded module. */
  definition(name: string): KernelModule {
    return DEFINITIONS.get(name)!;
  }
}

const unloaded = defineStep("module.unloaded", (world, a: { module: string }) => {
  world.modules.loaded.delete(a.module);
  world.log(`${a.module}: unloaded`);
});

function errnoFrom(ret: number) {
  return KernelError.fromReturn(ret).errno;
}
