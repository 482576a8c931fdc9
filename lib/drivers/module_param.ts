/**
 * Module parameters of type `int` as kernel/params.c parses them (param_set_int), for the
 * samples' `count=` parameters.
 *
 * @module
 */
import { kstrtoul } from "../mdev/kstrtoul.ts";

const INT_MAX = 0x7fffffffn;

/**
 * kstrtoint(val, 0): an optional `-` (or `+`), a decimal, `0x` hex or `0` octal number, at most
 * one trailing newline, within the range of an int.
 *
 * @returns the value, or undefined where the kernel refuses the parameter (EINVAL / ERANGE)
 */
export function parseIntParam(text: string): number | undefined {
  const negative = text.startsWith("-");
  if (negative && text[1] === "+") return undefined;
  const magnitude = kstrtoul(negative ? text.slice(1) : text);
  if (magnitude === undefined || magnitude > (negative ? INT_MAX + 1n : INT_MAX)) return undefined;
  return Number(negative ? -magnitude : magnitude);
}
