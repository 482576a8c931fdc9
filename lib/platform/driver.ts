/**
 * User-defined platform drivers (`mdevsim platform add-driver NAME --match GLOB`):
 * probe succeeds unless a fault is injected; remove does nothing.
 *
 * @module
 */
import { Driver } from "../core/driver.ts";
import type { World } from "../core/world.ts";

/** Converts a shell glob (`*`, `?`, `[…]`) to an anchored RegExp. */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") re += ".*";
    else if (c === "?") re += ".";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 1);
      if (end < 0) re += "\\[";
      else {
        const body = glob.slice(i + 1, end).replace(/\\/g, "\\\\");
        re += `[${body.startsWith("!") ? "^" + body.slice(1) : body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/** A data-only driver on the platform bus. */
export class PlatformDriver extends Driver {
  readonly glob: string;
  readonly #re: RegExp;

  constructor(world: World, name: string, glob = "*") {
    super(world, name, world.bus("platform")!);
    this.glob = glob;
    this.#re = globToRegExp(glob);
  }

  /** True when a device name matches the glob. */
  matches(name: string): boolean {
    return this.#re.test(name);
  }
}
