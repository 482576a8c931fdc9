/**
 * sysfs attributes as the layers declare them (the `struct device_attribute`
 * analogue). Layers declare; lib/sysfs resolves, dispatches and renders.
 *
 * @module
 */

/** One sysfs attribute file. `store` returns the number of bytes consumed or throws KernelError. */
export interface Attribute {
  readonly name: string;
  /** Permission bits, e.g. 0o444, 0o200, 0o644. */
  readonly mode: number;
  show?(): string;
  store?(buf: string): number;
}

/** A named attribute group (a subdirectory, like mtty's `vendor/`) or the unnamed top level. */
export interface AttributeGroup {
  readonly name?: string;
  readonly attrs: readonly Attribute[];
}

/** A read-only (0444) attribute. */
export function roAttr(name: string, show: () => string): Attribute {
  return { name, mode: 0o444, show };
}

/** A write-only (0200) attribute. */
export function woAttr(name: string, store: (buf: string) => number): Attribute {
  return { name, mode: 0o200, store };
}

/** A read-write (0644) attribute. */
export function rwAttr(
  name: string,
  show: () => string,
  store: (buf: string) => number,
): Attribute {
  return { name, mode: 0o644, show, store };
}

/**
 * sysfs_streq(): equal, ignoring one trailing newline on either side (how
 * bind/unbind/drivers_probe match a device name).
 */
export function sysfsStreq(a: string, b: string): boolean {
  const strip = (s: string) => (s.endsWith("\n") ? s.slice(0, -1) : s);
  return strip(a) === strip(b);
}
