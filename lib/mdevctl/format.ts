/**
 * mdevctl 1.2.0's output formats for `types` and `list` (mdevctl.md §1.5),
 * byte for byte: sorted parents and names, a trailing blank line, `\n` when
 * empty, serde_json's pretty JSON for --dumpjson.
 *
 * @module
 */

/** One type as mdevctl reads it from sysfs. */
export interface TypeRow {
  parent: string;
  type: string;
  availableInstances: number;
  deviceApi: string;
  name: string;
  description: string;
}

/** One device as mdevctl lists it. */
export interface DeviceRow {
  uuid: string;
  parent: string;
  type: string;
  start: "auto" | "manual";
  attrs: Array<Record<string, string>>;
  /** ` (defined)` for active lists, ` (active)` for defined lists. */
  suffix: string;
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function groupByParent<T extends { parent: string }>(
  rows: T[],
  key: (row: T) => string,
): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (
    const row of [...rows].sort((a, b) => byString(a.parent, b.parent) || byString(key(a), key(b)))
  ) {
    const list = groups.get(row.parent) ?? [];
    list.push(row);
    groups.set(row.parent, list);
  }
  return groups;
}

/** `mdevctl types`. Description newlines become ", " (mdevctl trims and joins them). */
export function formatTypes(rows: TypeRow[]): string {
  let text = "";
  for (const [parent, types] of groupByParent(rows, (r) => r.type)) {
    text += `${parent}\n`;
    for (const t of types) {
      text +=
        `  ${t.type}\n    Available instances: ${t.availableInstances}\n    Device API: ${t.deviceApi}\n`;
      if (t.name !== "") text += `    Name: ${t.name}\n`;
      const description = t.description.trim().split("\n").join(", ");
      if (description !== "") text += `    Description: ${description}\n`;
    }
  }
  return text + "\n";
}

/** `mdevctl types --dumpjson`. */
export function formatTypesJson(rows: TypeRow[]): string {
  if (rows.length === 0) return "[]\n";
  const doc: Record<string, Array<Record<string, unknown>>> = {};
  for (const [parent, types] of groupByParent(rows, (r) => r.type)) {
    doc[parent] = types.map((t) => {
      const v: Record<string, unknown> = {
        available_instances: t.availableInstances,
        device_api: t.deviceApi,
      };
      if (t.name !== "") v.name = t.name;
      const description = t.description.trim().split("\n").join(", ");
      if (description !== "") v.description = description;
      return { [t.type]: v };
    });
  }
  return JSON.stringify([doc], null, 2) + "\n";
}

/** `mdevctl list` / `list -d`, optionally verbose. */
export function formatList(rows: DeviceRow[], verbose: boolean): string {
  let text = "";
  for (const [, devices] of groupByParent(rows, (r) => r.uuid)) {
    for (const d of devices) {
      text += `${d.uuid} ${d.parent} ${d.type} ${d.start}${d.suffix}\n`;
      if (verbose && d.attrs.length > 0) {
        text += "  Attrs:\n";
        // mdevctl formats the pair itself (`{"k":"v"}`, no JSON escaping).
        d.attrs.forEach((a, i) => {
          const [name, value] = Object.entries(a)[0]!;
          text += `    @{${i}}: {"${name}":"${value}"}\n`;
        });
      }
    }
  }
  return text + "\n";
}

/** `mdevctl list --dumpjson` in its three shapes. */
export function formatListJson(rows: DeviceRow[], byUuid: boolean): string {
  if (rows.length === 0) return "[]\n";
  const config = (d: DeviceRow) => ({ mdev_type: d.type, start: d.start, attrs: d.attrs });
  if (byUuid && rows.length === 1) return JSON.stringify(config(rows[0]!), null, 2) + "\n";
  const doc: Record<string, Array<Record<string, unknown>>> = {};
  for (const [parent, devices] of groupByParent(rows, (r) => r.uuid)) {
    doc[parent] = devices.map((d) => ({ [d.uuid]: config(d) }));
  }
  return JSON.stringify([doc], null, 2) + "\n";
}
