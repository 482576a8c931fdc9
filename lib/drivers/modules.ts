/**
 * Every loadable module mdevsim knows. Importing this file makes them
 * available to `modprobe` and to restoring a saved world.
 *
 * @module
 */
import "./mtty/module.ts";
import "./mdpy/module.ts";
import "./mbochs/module.ts";
import "./vfio_ccw/module.ts";

/** Names `mdevsim modprobe` accepts, in the order `lsmod --all` would list them. */
export const MODULE_NAMES = ["mtty", "mdpy", "mbochs", "vfio_ccw"] as const;
