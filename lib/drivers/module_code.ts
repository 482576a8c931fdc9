/**
 * Loads driver modules' code on demand: a saved world needs only the modules
 * it has loaded, and `modprobe X` only X — so `mdevsim list` does not parse
 * every driver (start-up time is a requirement of the CLI).
 *
 * @module
 */

const LOADERS: Readonly<Record<string, () => Promise<unknown>>> = {
  mtty: () => import("./mtty/module.ts"),
  mdpy: () => import("./mdpy/module.ts"),
  mbochs: () => import("./mbochs/module.ts"),
  vfio_ccw: () => import("./vfio_ccw/module.ts"),
};

/** Imports the code of the named modules (unknown names are left to modprobe's ENOENT). */
export async function loadModuleCode(names: Iterable<string>): Promise<void> {
  await Promise.all([...names].map((name) => LOADERS[name]?.()));
}
