/**
 * UUID text rules of the kernel's lib/uuid.c (uuid_is_valid / guid_parse) and
 * the canonical `%pUl` form mdev device names use.
 *
 * @module
 */

/** Length of a UUID string without a terminator (UUID_STRING_LEN). */
export const UUID_STRING_LEN = 36;

const HEX = /^[0-9a-fA-F]$/;

/**
 * uuid_is_valid(): positions 8, 13, 18, 23 are `-`, every other of the 36
 * characters a hex digit of either case. Only the first 36 characters count.
 */
export function uuidIsValid(text: string): boolean {
  if (text.length < UUID_STRING_LEN) return false;
  for (let i = 0; i < UUID_STRING_LEN; i++) {
    const c = text[i]!;
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== "-") return false;
    } else if (!HEX.test(c)) return false;
  }
  return true;
}

/** The canonical lower-case form (`%pUl`) of a valid UUID's first 36 characters. */
export function canonicalUuid(text: string): string {
  return text.slice(0, UUID_STRING_LEN).toLowerCase();
}

/** A random (version 4) UUID in canonical form, as mdevctl generates when none is given. */
export function randomUuid(): string {
  return crypto.randomUUID();
}
