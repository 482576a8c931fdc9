/**
 * Bytes as lower-case hex strings, the way css snapshots persist small
 * buffers (sense bytes).
 *
 * @module
 */

/** `Uint8Array.of(0xab, 1)` → `"ab01"`. */
export function toHex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** `"ab01"` → the bytes; a trailing odd digit is ignored. */
export function fromHex(text: string): Uint8Array {
  return Uint8Array.from(text.match(/[0-9a-fA-F]{2}/g) ?? [], (h) => parseInt(h, 16));
}
