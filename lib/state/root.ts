/**
 * Where the state store lives when the user does not say.
 *
 * @module
 */

import { StateError } from "./state_error.ts";

/**
 * The state root: `--root` (passed as `flag`), else `$MDEVSIM_ROOT`, else
 * `${XDG_STATE_HOME:-$HOME/.local/state}/mdevsim`.
 *
 * An empty value counts as unset, and a relative `XDG_STATE_HOME` is ignored, as the XDG Base
 * Directory specification asks. Needs `--allow-env` unless `flag` is given.
 *
 * @param flag The value of `--root`, if the user gave one.
 * @returns The state root directory (not created here: `StateStore.open` creates it).
 * @throws {StateError} When nothing names a root and `$HOME` is unset.
 *
 * @example The flag wins over the environment
 * ```ts
 * import { resolveStateRoot } from "./root.ts";
 *
 * console.assert(resolveStateRoot("/tmp/sim") === "/tmp/sim");
 * ```
 */
export function resolveStateRoot(flag?: string): string {
  if (flag) return flag;
  const explicit = Deno.env.get("MDEVSIM_ROOT");
  if (explicit) return explicit;
  const xdgStateHome = Deno.env.get("XDG_STATE_HOME");
  if (xdgStateHome?.startsWith("/")) return `${xdgStateHome}/mdevsim`;
  const home = Deno.env.get("HOME");
  if (home) return `${home}/.local/state/mdevsim`;
  throw new StateError("Cannot find a state root: $HOME is not set", {
    file: "$HOME/.local/state/mdevsim",
    hint: "pass --root DIR or set MDEVSIM_ROOT",
  });
}
