/**
 * One command's run against the state root: take the lock, load the world
 * (a fresh machine on first use), run, settle deferred probing, save
 * atomically, release the lock.
 *
 * @module
 */
import type { World } from "../lib/core/world.ts";
import { bootWorld, loadWorld, saveWorld, type WorldSnapshot } from "../lib/machine.ts";
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
 * saved afterwards unless `readOnly`; a body that throws saves nothing.
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
    const session: Session = { world, store, json: options.json ?? false };
    // A failing command saves nothing, so bad input never changes the state.
    const result = await body(session);
    if (!readOnly || saved === undefined) {
      world.settle();
      store.save(saveWorld(world));
    }
    return result;
  } finally {
    store.close();
  }
}
