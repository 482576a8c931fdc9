/**
 * Bus ids of the channel subsystem as Linux prints them: a subchannel id
 * `0.<ssid>.<sch_no>` (`0.0.0001`) and a device number `0.<ssid>.<devno>`
 * (`0.0.1000`), both with four lower-case hex digits.
 *
 * @module
 */

/** A parsed `cssid.ssid.number` triple (the css id is always 0 here: one channel subsystem). */
export interface BusId {
  readonly ssid: number;
  readonly number: number;
}

const BUS_ID = /^0\.([0-3])\.([0-9a-fA-F]{4})$/;

/**
 * Parses `0.S.NNNN` (S = subchannel set 0–3, NNNN = four hex digits, either
 * case); undefined for anything else.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseBusId } from "./ids.ts";
 * assert.deepEqual(parseBusId("0.0.000A"), { ssid: 0, number: 10 });
 * assert.equal(parseBusId("0.0.1"), undefined);
 * ```
 */
export function parseBusId(text: string): BusId | undefined {
  const m = BUS_ID.exec(text);
  return m === null ? undefined : { ssid: Number(m[1]), number: parseInt(m[2]!, 16) };
}

/** Prints a bus id as Linux does (`0.0.000a`). */
export function formatBusId(id: BusId): string {
  return `0.${id.ssid}.${id.number.toString(16).padStart(4, "0")}`;
}

/** Orders bus ids by subchannel set, then number. */
export function compareBusIds(a: BusId, b: BusId): number {
  return a.ssid - b.ssid || a.number - b.number;
}
