/**
 * mdevctl's WARN log line format (env_logger), for the mdevctl-compatible commands.
 *
 * @module
 */
import { err } from "../output.ts";

/** Prints one of mdevctl's WARN lines on stderr, in env_logger's default format. */
export function mdevctlWarn(message: string): void {
  const time = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  err(`[${time} WARN  mdevctl] ${message}`);
}
