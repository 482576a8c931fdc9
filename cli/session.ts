/**
 * One command's run against the state root: take the lock, load the world
 * (a fresh machine on first use), run, settle deferred probing, save
 * atomically, release the lock.
 *
 * @module
 */
import type { World } from "../lib/core/world.ts";
import { KernelError } from "../lib/errno.ts";
import { loadModuleCode } from "../lib/drivers/module_code.ts";
import { bootWorld, loadWorld, saveWorld, type WorldSnapshot } from "../lib/machine_core.ts";
import { mdevCore } from "../lib/mdev/core.ts";
import { resolveStateRoot } from "../lib/state/root.ts";
import { StateError } from "../lib/state/state_error.ts";
import { StateStore } from "../lib/state/store.ts";

/** Global options every command accepts. */
export interface GlobalOptions {
  root?: string;
  json?: boolean;
  color?: boolean;
}

/** What a command body gets. */
export interface Session {
  readonly world: World;
  readonly store: StateStore;
  readonly json: boolean;
}

/**
 * Runs `body` with the world loaded under the exclusive lock. The world is
 * saved afterwards unless `readOnly`, also after a KernelError (see below).
 */
export async function withWorld<T>(
  options: GlobalOptions,
  body: (session: Session) => T | Promise<T>,
  { readOnly = false }: { readOnly?: boolean } = {},
): Promise<T> {
  const store = await StateStore.open(resolveStateRoot(options.root));
  try {
    const saved = store.load() as WorldSnapshot | undefined;
    let world: World;
    try {
      if (saved !== undefined) await loadModuleCode((saved.modules ?? []).map((m) => m.name));
      world = saved === undefined ? bootWorld() : loadWorld(saved);
    } catch (error) {
      throw new StateError(
        `Cannot load state file "${store.root}/state.json": ${(error as Error).message}`,
        {
          file: `${store.root}/state.json`,
          hint: "it does not describe a valid world; run `mdevsim reset` to start over",
        },
      );
    }
    world.blobs.attach(store);
    // udev's 60-mdevctl.rules: parents registered by this command get
    // `mdevctl start-parent-mdevs` once the command's own work is done.
    const registeredParents: string[] = [];
    mdevCore(world).parentRegisteredHooks.push((parent) => registeredParents.push(parent.dev.name));
    const session: Session = { world, store, json: options.json ?? false };
    const save = () => {
      if (readOnly && saved !== undefined) return;
      world.settle();
      world.blobs.flush();
      store.save(saveWorld(world));
    };
    let result: T;
    try {
      result = await body(session);
      if (registeredParents.length > 0) {
        const { udevStartParentMdevs } = await import("../lib/mdevctl/commands.ts");
        udevStartParentMdevs(world, store.root, registeredParents);
      }
    } catch (error) {
      // A simulated-kernel failure is an outcome, not bad input: the kernel paths unwind
      // themselves, and what they consumed (an injected fault, log lines) must persist.
      // Usage and internal errors save nothing.
      if (error instanceof KernelError) save();
      throw error;
    }
    save();
    return result;
  } finally {
    store.close();
  }
}
