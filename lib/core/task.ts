/**
 * Kernel tasks that can sleep.
 *
 * A one-shot CLI cannot block inside a kernel path the way a `remove` writer
 * blocks in vfio_unregister_group_dev() while a VFIO fd is open. So every
 * teardown path that may sleep is written as a list of named steps with plain
 * data arguments. A step may expand into further steps or ask to wait on a
 * key; a waiting task is persisted with the steps it has left and resumes,
 * in order, when the key is woken (the last VFIO close, an up_read, …).
 *
 * @module
 */
import type { World } from "./world.ts";

/** Plain, persistable step arguments. */
export type StepArgs = Readonly<Record<string, number | string>>;

/** One step of a kernel path: the name of a registered step function and its arguments. */
export interface Step {
  readonly fn: string;
  readonly args: StepArgs;
}

/** A step either finishes, expands into steps run before the rest, or waits on a key. */
export type StepResult = void | Step[] | { wait: string };

/** The body of a step. */
export type StepFn = (world: World, args: StepArgs) => StepResult;

const STEP_FNS = new Map<string, StepFn>();

/**
 * Registers a step function under a unique name and returns a builder for
 * steps that call it.
 */
export function defineStep<A extends StepArgs>(
  name: string,
  fn: (world: World, args: A) => StepResult,
): (args: A) => Step {
  if (STEP_FNS.has(name)) throw new TypeError(`Cannot define step "${name}": already defined`);
  STEP_FNS.set(name, fn as StepFn);
  return (args: A) => ({ fn: name, args });
}

/** A sleeping or running kernel path. */
export interface Task {
  id: number;
  /** What started it, e.g. `remove 83b8…` (shown by `mdevsim vfio handles` and `lsmod`). */
  title: string;
  steps: Step[];
  /** The key the task sleeps on, or null while it runs. */
  waitingOn: string | null;
}

/** Runs tasks and keeps the sleeping ones. */
export class TaskRunner {
  readonly #world: World;
  #nextId = 1;
  /** Sleeping tasks in creation order. */
  readonly sleeping: Task[] = [];

  constructor(world: World) {
    this.#world = world;
  }

  /** Runs a kernel path to completion or until it sleeps; returns the task if it sleeps. */
  run(title: string, steps: Step[]): Task | undefined {
    const task: Task = { id: this.#nextId++, title, steps: [...steps], waitingOn: null };
    return this.#advance(task) ? undefined : task;
  }

  /** Wakes every task sleeping on `key`, in creation order. */
  wake(key: string): void {
    const woken = this.sleeping.filter((t) => t.waitingOn === key);
    for (const task of woken) {
      this.sleeping.splice(this.sleeping.indexOf(task), 1);
      task.waitingOn = null;
      this.#advance(task);
    }
  }

  /** True when some task sleeps on `key`. */
  isWaitedOn(key: string): boolean {
    return this.sleeping.some((t) => t.waitingOn === key);
  }

  /** Returns true when the task finished; false when it went to sleep. */
  #advance(task: Task): boolean {
    while (task.steps.length > 0) {
      const step = task.steps[0]!;
      const fn = STEP_FNS.get(step.fn);
      if (fn === undefined) throw new TypeError(`Cannot run step "${step.fn}": not defined`);
      const result = fn(this.#world, step.args);
      if (result !== undefined && !Array.isArray(result)) {
        // The step runs again on wake-up: waiting is a condition re-checked, as in wait_event().
        task.waitingOn = result.wait;
        this.sleeping.push(task);
        return false;
      }
      task.steps.shift();
      if (result !== undefined) task.steps.unshift(...result);
    }
    return true;
  }

  /** Named-field snapshot of the sleeping tasks. */
  toSnapshot(): { nextId: number; sleeping: Task[] } {
    return { nextId: this.#nextId, sleeping: this.sleeping.map((t) => ({ ...t })) };
  }

  /** Restores what {@linkcode toSnapshot} wrote. */
  restore(s: { nextId: number; sleeping: Task[] }): void {
    this.#nextId = s.nextId;
    this.sleeping.splice(0, this.sleeping.length, ...s.sleeping.map((t) => ({ ...t })));
  }
}
