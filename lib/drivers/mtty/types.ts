/**
 * The mtty sample's types as data (`mtty_types` in samples/vfio-mdev/mtty.c).
 *
 * @module
 */
import type { MdevTypeInfo } from "../../mdev/type.ts";

/** Ports shared by all mtty devices (MAX_MTTYS). */
export const MAX_MTTYS = 24;

/** Per-type data: how many serial ports a device of the type has. */
export interface MttyTypeData {
  readonly ports: 1 | 2;
}

/** `mtty-1` and `mtty-2`. */
export const MTTY_TYPES: readonly MdevTypeInfo<MttyTypeData>[] = [
  { sysfsName: "1", prettyName: "Single port serial", data: { ports: 1 } },
  { sysfsName: "2", prettyName: "Dual port serial", data: { ports: 2 } },
];
