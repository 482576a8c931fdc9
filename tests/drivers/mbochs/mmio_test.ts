import assert from "node:assert/strict";
import fc from "fast-check";
import { Dispi } from "../../../lib/drivers/mbochs/dispi.ts";
import { Edid } from "../../../lib/drivers/mbochs/edid.ts";
import { mmioRead, mmioWrite } from "../../../lib/drivers/mbochs/mmio.ts";
import { readValue, regionRead, writeValue } from "../../../lib/vfio/access.ts";
import { reset } from "../../../lib/vfio/ioctl.ts";
import { displayWorld, openDisplay } from "../../display/_display_world.ts";

const MMIO = { name: "bar2" } as const;
const MiB = 1024 * 1024;

function target(memSize = 4 * MiB) {
  return { dispi: new Dispi(memSize), edid: new Edid(800, 600) };
}

Deno.test("mmioRead() shows ID 0xB0C5 and VIDEO_MEMORY_64K = memsize / 64 KiB after reset", () => {
  for (const [mbytes, blocks] of [[4, 64], [16, 256], [64, 1024]]) {
    const t = target(mbytes! * MiB);
    assert.equal(mmioRead(t, 0x500, 2), 0xb0c5);
    assert.equal(mmioRead(t, 0x514, 2), blocks);
    for (let index = 1; index < 10; index++) assert.equal(mmioRead(t, 0x500 + 2 * index, 2), 0);
  }
});

Deno.test("mmioWrite() stores any 16-bit value in any DISPI register, ID included", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 0xffff }), (i, v) => {
      const t = target();
      mmioWrite(t, 0x500 + 2 * i, 2, v);
      assert.equal(mmioRead(t, 0x500 + 2 * i, 2), v);
    }),
  );
});

Deno.test("mmioRead()/mmioWrite() of 1- or 4-byte DISPI pieces read 0 and change nothing", () => {
  const t = target();
  mmioWrite(t, 0x502, 4, 0x04000320);
  mmioWrite(t, 0x502, 1, 0x20);
  mmioWrite(t, 0x503, 1, 0x03);
  assert.equal(mmioRead(t, 0x502, 2), 0);
  assert.equal(mmioRead(t, 0x500, 4), 0);
  assert.equal(mmioRead(t, 0x500, 1), 0);
});

Deno.test("mmioRead() answers 0 for the VGA ports, 0x516–0x5FF, the extended registers and beyond", () => {
  const t = target();
  for (const offset of [0x400, 0x41a, 0x41e, 0x516, 0x5fe, 0x600, 0x604, 0x700, 0xffe]) {
    mmioWrite(t, offset, 2, 0xffff);
    assert.equal(mmioRead(t, offset, 2), 0, `0x${offset.toString(16)}`);
  }
  assert.deepEqual(t.dispi.values(), target().dispi.values());
});

Deno.test("mbochs BAR2 through the device file: 2-byte DISPI access only, odd offsets split", () => {
  const { vdev } = openDisplay(displayWorld(), "mbochs-medium");
  assert.equal(readValue(vdev, MMIO, 0x500n, 2), 0xb0c5n);
  assert.equal(readValue(vdev, MMIO, 0x514n, 2), 256n);
  assert.equal(readValue(vdev, MMIO, 0x500n, 4), 0n, "one 4-byte piece: unhandled");
  writeValue(vdev, MMIO, 0x502n, 2, 1280n);
  assert.equal(readValue(vdev, MMIO, 0x502n, 2), 1280n);
  writeValue(vdev, MMIO, 0x504n, 4, 0x03000400n);
  assert.equal(readValue(vdev, MMIO, 0x504n, 2), 0n, "a 4-byte write is ignored");
  // A 2-byte access at an odd offset arrives as two 1-byte pieces.
  writeValue(vdev, MMIO, 0x507n, 2, 0x2020n);
  assert.equal(readValue(vdev, MMIO, 0x506n, 2), 0n);
  assert.deepEqual(Array.from(regionRead(vdev, MMIO, 0x501n, 2)), [0, 0]);
  // Writable ID and VIDEO_MEMORY_64K, restored by VFIO_DEVICE_RESET.
  writeValue(vdev, MMIO, 0x500n, 2, 0x1234n);
  writeValue(vdev, MMIO, 0x514n, 2, 7n);
  assert.equal(readValue(vdev, MMIO, 0x500n, 2), 0x1234n);
  reset(vdev);
  assert.deepEqual(
    [0x500n, 0x502n, 0x514n].map((o) => readValue(vdev, MMIO, o, 2)),
    [0xb0c5n, 0n, 256n],
  );
});
