/**
 * Rendering: text or one JSON document on stdout, colour only on a TTY and
 * never with NO_COLOR or --no-color.
 *
 * @module
 */

const encoder = new TextEncoder();

/** Where output goes instead of the terminal while a transcript is captured (the demo's --json). */
let capture: { stdout: string; stderr: string } | undefined;

/** Captures everything commands print until the returned function is called. */
export function captureOutput(): () => { stdout: string; stderr: string } {
  const previous = capture;
  const current = capture = { stdout: "", stderr: "" };
  return () => {
    capture = previous;
    return current;
  };
}

/** Writes text to stdout exactly as given. */
export function out(text: string): void {
  if (capture !== undefined) capture.stdout += text;
  else Deno.stdout.writeSync(encoder.encode(text));
}

/** Writes raw bytes to stdout (attribute contents). */
export function outBytes(bytes: Uint8Array): void {
  if (capture !== undefined) capture.stdout += new TextDecoder().decode(bytes);
  else Deno.stdout.writeSync(bytes);
}

/** Writes one line (plus `\n`) to stderr. */
export function err(line: string): void {
  if (capture !== undefined) capture.stderr += line + "\n";
  else Deno.stderr.writeSync(encoder.encode(line + "\n"));
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
