/**
 * Rendering: text or one JSON document on stdout, colour only on a TTY and
 * never with NO_COLOR or --no-color.
 *
 * @module
 */

const encoder = new TextEncoder();

/** Writes text to stdout exactly as given. */
export function out(text: string): void {
  Deno.stdout.writeSync(encoder.encode(text));
}

/** Writes one line (plus `\n`) to stderr. */
export function err(line: string): void {
  Deno.stderr.writeSync(encoder.encode(line + "\n"));
}

/** Prints one JSON document (2-space indent) and a newline. */
export function outJson(value: unknown): void {
  out(
    JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? `0x${v.toString(16)}` : v), 2) + "\n",
  );
}

/** Whether colour may be used for stdout. */
export function useColor(flag: boolean | undefined): boolean {
  if (flag === false || Deno.env.get("NO_COLOR") !== undefined) return false;
  return Deno.stdout.isTerminal();
}
