/**
 * Running a kernel path that may sleep from a command: when it sleeps, say
 * so on stderr (the kernel would block the writer) and succeed.
 *
 * @module
 */
import type { Step } from "../../lib/core/task.ts";
import type { World } from "../../lib/core/world.ts";
import { err } from "../output.ts";

/** Tells the user a teardown waits for the last VFIO handle (exit status stays 0). */
export function reportPending(operation: string): void {
  err(
    `mdevsim: ${operation}: pending: a VFIO handle is open; the kernel would block here, ` +
      `so the teardown completes when the last handle closes`,
  );
}

/** Runs the steps as a task; returns true (after telling the user) when the teardown is pending. */
export function runTask(world: World, title: string, steps: Step[], operation: string): boolean {
  const pending = world.tasks.run(title, steps) !== undefined;
  if (pending) reportPending(operation);
  return pending;
}
