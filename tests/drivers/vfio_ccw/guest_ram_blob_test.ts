import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeGuestRam, updateGuestRam } from "../../../lib/drivers/vfio_ccw/guest_ram_blob.ts";

const PAGES = 16;

/** A RAM of PAGES pages with the given bytes set. */
function ramWith(writes: ReadonlyArray<[number, number]>): Uint8Array {
  const ram = new Uint8Array(PAGES * 4096);
  for (const [at, value] of writes) ram[at] = value;
  return ram;
}

const writes = fc.array(
  fc.tuple(fc.integer({ min: 0, max: PAGES * 4096 - 1 }), fc.integer({ min: 0, max: 255 })),
  { maxLength: 40 },
);

Deno.test("updateGuestRam() of every page and decodeGuestRam() give the RAM back", () => {
  fc.assert(fc.property(writes, (w) => {
    const ram = ramWith(w);
    const blob = updateGuestRam(undefined, ram, Array.from({ length: PAGES }, (_, i) => i));
    const back = new Uint8Array(ram.length);
    decodeGuestRam(blob, back);
    assert.deepEqual(back, ram);
  }));
});

Deno.test("updateGuestRam() stores only non-zero pages", () => {
  const ram = ramWith([[5, 1], [3 * 4096 + 7, 2]]);
  const blob = updateGuestRam(undefined, ram, Array.from({ length: PAGES }, (_, i) => i));
  assert.equal(blob.length, 4 + 2 * (4 + 4096));
  const emptied = updateGuestRam(blob, new Uint8Array(ram.length), [0, 3]);
  assert.equal(emptied.length, 4);
});

Deno.test("updateGuestRam() rewrites the listed pages and keeps the others", () => {
  fc.assert(
    fc.property(writes, writes, fc.array(fc.integer({ min: 0, max: PAGES - 1 })), (a, b, pages) => {
      const before = ramWith(a);
      const blob = updateGuestRam(undefined, before, Array.from({ length: PAGES }, (_, i) => i));
      const after = ramWith(b);
      const updated = new Uint8Array(before.length);
      decodeGuestRam(updateGuestRam(blob, after, pages), updated);
      for (let page = 0; page < PAGES; page++) {
        const source = pages.includes(page) ? after : before;
        assert.deepEqual(
          updated.subarray(page * 4096, (page + 1) * 4096),
          source.subarray(page * 4096, (page + 1) * 4096),
        );
      }
    }),
  );
});

Deno.test("decodeGuestRam() refuses a truncated blob", () => {
  assert.throws(() => decodeGuestRam(new Uint8Array(4 + 100), new Uint8Array(4096)), RangeError);
});
