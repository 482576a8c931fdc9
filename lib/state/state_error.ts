/**
 * The error class of the durable state store.
 *
 * @module
 */

/** Where a state-store problem happened and what the user can do about it. */
export interface StateErrorOptions {
  /** The file or directory the problem concerns (state file, lock file, blob, root). */
  file: string;
  /** One sentence telling the user what to do next. */
  hint: string;
  /** The underlying error, when one was caught. */
  cause?: unknown;
}

/**
 * A state-store problem: the lock was not obtained, the state file is corrupt, truncated or
 * written by a newer schema, or the file system refused an operation. The CLI maps it to exit
 * code 3 and prints the message, then the hint.
 *
 * @example Reporting a corrupt state file
 * ```ts
 * import { StateError } from "./state_error.ts";
 *
 * const error = new StateError('Cannot load state file "/r/state.json": it is not valid JSON', {
 *   file: "/r/state.json",
 *   hint: "restore it from a backup, or run `mdevsim reset` to start over",
 * });
 * console.assert(error.file === "/r/state.json");
 * ```
 */
export class StateError extends Error {
  /** The file or directory the problem concerns. */
  readonly file: string;
  /** What the user can do about it. */
  readonly hint: string;

  /**
   * Creates a state-store error.
   *
   * @param message What failed and why, naming the file, e.g. `Cannot load state file "…": …`.
   * @param options The file concerned, the hint, and the underlying error if any.
   */
  constructor(message: string, options: StateErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "StateError";
    this.file = options.file;
    this.hint = options.hint;
  }
}
