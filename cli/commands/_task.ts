/**
 * Running a kernel path that may sleep from a command: when it sleeps, say
 * so on stderr (the kernel would block the writer) and succeed.
 *
 * @module
 */
import type { Step } from "../../lib/core/task.ts";
import type { World } from "../../lib/core/world.ts";
import { err } from "../output.ts";

/** Runs the steps as a task; returns true when the teardown is pending. */
export function runTask(world: World, title: string, steps: Step[], operation: string): boolean {
  const task = world.tasks.run(title, steps);
  if (task === undefined) return false;
  err(
    `mdevsim: ${operation}: pending: a VFIO handle is open; the kernel would block here, ` +
      `so the teardown completes when the last handle closes (${task.waitingOn})`,
  );
  return true;
}
