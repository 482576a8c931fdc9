/**
 * kstrtoul(s, 0): the kernel's strict unsigned-long parser used by `remove`.
 *
 * @module
 */

const ULONG_MAX = (1n << 64n) - 1n;

/**
 * Parses like kstrtoul() with base 0: an optional `+`, then `0x`/`0X` hex,
 * a leading `0` for octal, or decimal, and at most one trailing newline.
 *
 * @returns the value, or undefined where the kernel returns -EINVAL / -ERANGE
 */
export function kstrtoul(s: string): bigint | undefined {
  let text = s.endsWith("\n") ? s.slice(0, -1) : s;
  if (text.startsWith("+")) text = text.slice(1);
  let digits: RegExp;
  let prefix = "";
  if (/^0[xX]/.test(text)) {
    text = text.slice(2);
    digits = /^[0-9a-fA-F]+$/;
    prefix = "0x";
  } else if (text.startsWith("0") && text.length > 1) {
    text = text.slice(1);
    digits = /^[0-7]+$/;
    prefix = "0o";
  } else {
    digits = /^[0-9]+$/;
  }
  if (!digits.test(text)) return undefined;
  const value = BigInt(prefix + text);
  return value > ULONG_MAX ? undefined : value;
}
