/**
 * The failure of an mdevctl-compatible command, carrying mdevctl 1.2.0's
 * own message and exit code (mdevctl.md §1.6): 1 for a runtime error, shown
 * in anyhow's form with an optional OS cause, 2 for a usage error, shown in
 * clap's form.
 *
 * @module
 */
import { KernelError, strerror } from "../errno.ts";

/** mdevctl's exit codes: 1 runtime error (anyhow), 2 usage error (clap). */
export type MdevctlExitCode = 1 | 2;

/** Options of {@linkcode MdevctlError}. */
export interface MdevctlErrorOptions {
  /**
   * 2 for what clap rejects before the command runs.
   * @default 1
   */
  exitCode?: MdevctlExitCode;
  /** The OS error underneath (a failed sysfs write, an unreadable file), shown as `Caused by:`. */
  cause?: KernelError | Error;
}

/**
 * An mdevctl failure. `message` is mdevctl's text without the `Error: `
 * prefix; {@linkcode MdevctlError.render} gives what mdevctl prints on stderr.
 *
 * @example A failed create write, as mdevctl prints it
 * ```ts
 * import assert from "node:assert/strict";
 * import { KernelError } from "../errno.ts";
 * import { MdevctlError } from "./error.ts";
 * const error = new MdevctlError("Failed to create mdev U, type mtty-1 on mtty", {
 *   cause: new KernelError("EINVAL"),
 * });
 * assert.equal(
 *   error.render(),
 *   "Error: Failed to create mdev U, type mtty-1 on mtty\n\nCaused by:\n    Invalid argument (os error 22)",
 * );
 * ```
 */
export class MdevctlError extends Error {
  readonly exitCode: MdevctlExitCode;

  constructor(message: string, options: MdevctlErrorOptions = {}) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.name = "MdevctlError";
    this.exitCode = options.exitCode ?? 1;
  }

  /** The simulated-kernel failure underneath, if any. */
  get kernelError(): KernelError | undefined {
    return this.cause instanceof KernelError ? this.cause : undefined;
  }

  /** The cause as Rust's io::Error displays it (`No such file or directory (os error 2)`). */
  get causeText(): string | undefined {
    const cause = this.cause;
    if (cause instanceof KernelError) return `${strerror(cause.errno)} (os error ${cause.code})`;
    if (cause instanceof Error) return osErrorText(cause);
    return undefined;
  }

  /**
   * The `{"error": …}` document of cli.md §1 for `--json`: the errno of the
   * kernel failure underneath, else null with the exit code as `code`.
   */
  toJson(): {
    error: { errno: string | null; code: number; message: string; path: string | null };
  } {
    const kernel = this.kernelError;
    const cause = this.causeText;
    return {
      error: {
        errno: kernel?.errno ?? null,
        code: kernel?.code ?? this.exitCode,
        message: cause === undefined ? this.message : `${this.message}: ${cause}`,
        path: kernel?.path ?? null,
      },
    };
  }

  /** The stderr text without a final newline: anyhow's `Error:` form, or clap's `error:` form. */
  render(): string {
    if (this.exitCode === 2) return `error: ${this.message}\n\nFor more information try --help`;
    const cause = this.causeText;
    return `Error: ${this.message}` + (cause === undefined ? "" : `\n\nCaused by:\n    ${cause}`);
  }
}

/**
 * Deno's errors end their OS text with `(os error N)` followed by the call
 * (`No such file or directory (os error 2): readfile '/x'`); Rust shows only
 * the part up to the number.
 */
function osErrorText(error: Error): string {
  const os = /^(.*?\(os error \d+\))/.exec(error.message);
  return os === null ? error.message : os[1]!;
}
