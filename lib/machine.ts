/**
 * The simulated machine with every driver module's code loaded: what library
 * users and tests import. The CLI uses lib/machine_core.ts and loads only the
 * modules a command needs (lib/drivers/module_code.ts).
 *
 * @module
 */
import "./drivers/modules.ts";
export * from "./machine_core.ts";
