import assert from "node:assert/strict";
import fc from "fast-check";
import { MbochsConfigSpace } from "../../../lib/drivers/mbochs/config_space.ts";

const MiB = 1024 * 1024;

Deno.test("MbochsConfigSpace.read() answers the dwords of samples.md §4.2", () => {
  const config = new MbochsConfigSpace(4 * MiB);
  const dwords = [0x00, 0x04, 0x08, 0x10, 0x14, 0x18, 0x2c, 0x34, 0x3c];
  assert.deepEqual(dwords.map((offset) => config.read(offset, 4)), [
    0x11111234,
    0x00000003,
    0x03800001,
    0x00000008,
    0x00000000,
    0x00000000,
    0x11001af4,
    0,
    0,
  ]);
  assert.equal(config.read(0x08, 1), 0x01, "revision 1 keeps bochs off the extended registers");
});

Deno.test("MbochsConfigSpace.write() of all-ones gives the sizing reads per VRAM size and BAR2", () => {
  const reads = [4, 16, 64].map((mbytes) => {
    const config = new MbochsConfigSpace(mbytes * MiB);
    config.write(0x10, 4, 0xffffffff);
    config.write(0x18, 4, 0xffffffff);
    return [config.read(0x10, 4), config.read(0x18, 4)];
  });
  assert.deepEqual(reads, [
    [0xffc00008, 0xfffff000],
    [0xff000008, 0xfffff000],
    [0xfc000008, 0xfffff000],
  ]);
});

Deno.test("MbochsConfigSpace.write() to BAR0 and BAR2 keeps the address bits and type nibble", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xfffffffe }), (value) => {
      const config = new MbochsConfigSpace(16 * MiB);
      config.write(0x10, 4, value);
      config.write(0x18, 4, value);
      assert.equal(config.read(0x10, 4), ((value & 0xfffffff0) | 0x8) >>> 0);
      assert.equal(config.read(0x18, 4), (value & 0xfffffff0) >>> 0);
    }),
  );
});

Deno.test("MbochsConfigSpace.write() ignores every offset but 0x10 and 0x18", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0xfe }).filter((offset) => offset !== 0x10 && offset !== 0x18),
      fc.constantFrom(1 as const, 2 as const, 4 as const),
      fc.integer({ min: 0, max: 0xffffffff }),
      (offset, size, value) => {
        const config = new MbochsConfigSpace(4 * MiB);
        const before = config.bytes;
        config.write(offset, size, value);
        assert.deepEqual(config.bytes, before);
      },
    ),
  );
});

Deno.test("MbochsConfigSpace.fromSnapshot() restores the bytes toSnapshot() wrote", () => {
  const config = new MbochsConfigSpace(64 * MiB);
  config.write(0x18, 4, 0xfebf0000);
  const restored = MbochsConfigSpace.fromSnapshot(config.toSnapshot());
  assert.deepEqual(restored.bytes, config.bytes);
  restored.write(0x10, 4, 0xffffffff);
  assert.equal(restored.read(0x10, 4), 0xfc000008);
});
