/**
 * The one place that turns failures into messages and exit codes:
 * KernelError → 1, usage → 2, state store → 3 (cli.md §1).
 *
 * @module
 */
import { KernelError, strerror } from "../lib/errno.ts";
import { StateError } from "../lib/state/state_error.ts";

/** Exit codes of the contract. */
export const EXIT = { OK: 0, KERNEL: 1, USAGE: 2, STATE: 3 } as const;

/** A usage problem found after parsing (bad UUID value, conflicting flags, …). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** What the CLI prints for a failure, and its exit code. */
export interface Report {
  exitCode: number;
  stderr: string;
  json: unknown;
}

/** Maps any thrown value to the report the contract asks for. */
export function report(operation: string, error: unknown): Report {
  if (error instanceof KernelError) {
    const text = strerror(error.errno);
    const where = error.path === undefined ? "" : `${error.path}: `;
    const detail = error.message !== text ? `: ${error.message}` : "";
    return {
      exitCode: EXIT.KERNEL,
      stderr: `mdevsim: ${operation}: ${where}${text} (${error.errno})${detail}`,
      json: {
        error: {
          errno: error.errno,
          code: error.code,
          message: error.message !== text ? `${text}: ${error.message}` : text,
          path: error.path ?? null,
        },
      },
    };
  }
  if (error instanceof UsageError) {
    return {
      exitCode: EXIT.USAGE,
      stderr:
        `mdevsim: ${operation}: ${error.message}\n(run 'mdevsim ${operation} --help' for usage)`,
      json: { error: { errno: null, code: EXIT.USAGE, message: error.message, path: null } },
    };
  }
  if (error instanceof StateError) {
    return {
      exitCode: EXIT.STATE,
      stderr: `mdevsim: ${operation}: ${error.message}; ${error.hint}`,
      json: { error: { errno: null, code: EXIT.STATE, message: error.message, path: error.file } },
    };
  }
  // Anything else is a defect in mdevsim; still one line, never a stack trace.
  // First line only: some runtime messages (a missing module) carry a stack frame after it.
  const message = (error instanceof Error ? error.message : String(error)).split("\n")[0]!;
  return {
    exitCode: EXIT.KERNEL,
    stderr: `mdevsim: ${operation}: internal error: ${message}`,
    json: { error: { errno: "EIO", code: 5, message, path: null } },
  };
}
