import assert from "node:assert/strict";
import fc from "fast-check";
import { MdpyConfigSpace } from "../../../lib/drivers/mdpy/config_space.ts";
import { MDPY_TYPES, mdpyFbSize, type MdpyTypeData } from "../../../lib/drivers/mdpy/defs.ts";

const VGA = MDPY_TYPES[0]!.data;
const XGA = MDPY_TYPES[1]!.data;
const HD = MDPY_TYPES[2]!.data;

function configOf(type: MdpyTypeData): MdpyConfigSpace {
  return new MdpyConfigSpace(type, mdpyFbSize(type));
}

Deno.test("mdpyFbSize() rounds width × height × 4 up to a power of two", () => {
  assert.deepEqual([VGA, XGA, HD].map(mdpyFbSize), [0x200000, 0x400000, 0x800000]);
});

Deno.test("MdpyConfigSpace.read() answers the dwords of samples.md §3.2", () => {
  const config = configOf(XGA);
  const dwords = [0x00, 0x04, 0x08, 0x10, 0x2c, 0x34, 0x3c, 0x40, 0x44, 0x48, 0x4c];
  assert.deepEqual(dwords.map((offset) => config.read(offset, 4)), [
    0x000f1b36,
    0x00100003,
    0x03800001,
    0x00000008,
    0x11001af4,
    0x00000040,
    0x00000000,
    0x00100009,
    0x34325258,
    1024,
    768,
  ]);
  for (const offset of [0x14, 0x18, 0x1c, 0x20, 0x24]) assert.equal(config.read(offset, 4), 0);
});

Deno.test("MdpyConfigSpace.bytes holds only what mdpy_create_config_space sets", () => {
  const expected = new Uint8Array(256);
  expected.set([0x36, 0x1b, 0x0f, 0x00, 0x03, 0x00, 0x10, 0x00, 0x01, 0x00, 0x80, 0x03], 0);
  expected[0x10] = 0x08;
  expected.set([0xf4, 0x1a, 0x00, 0x11], 0x2c);
  expected[0x34] = 0x40;
  expected.set([0x09, 0x00, 0x10, 0x00, 0x58, 0x52, 0x32, 0x34], 0x40);
  expected.set([0x80, 0x02, 0, 0, 0xe0, 0x01, 0, 0], 0x48);
  assert.deepEqual(configOf(VGA).bytes, expected);
});

Deno.test("MdpyConfigSpace.write() of all-ones to BAR0 gives each type's sizing read", () => {
  const reads = [VGA, XGA, HD].map((type) => {
    const config = configOf(type);
    config.write(0x10, 4, 0xffffffff);
    return config.read(0x10, 4);
  });
  assert.deepEqual(reads, [0xffe00008, 0xffc00008, 0xff800008]);
});

Deno.test("MdpyConfigSpace.write() to BAR0 keeps the address bits and the type nibble 0x8", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xfffffffe }), (value) => {
      const config = configOf(VGA);
      config.write(0x10, 4, value);
      assert.equal(config.read(0x10, 4), ((value & 0xfffffff0) | 0x8) >>> 0);
    }),
  );
});

Deno.test("MdpyConfigSpace.write() ignores every offset but 0x10", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0xfe }).filter((offset) => offset !== 0x10),
      fc.constantFrom(1 as const, 2 as const, 4 as const),
      fc.integer({ min: 0, max: 0xffffffff }),
      (offset, size, value) => {
        const config = configOf(HD);
        const before = config.bytes;
        config.write(offset, size, value);
        assert.deepEqual(config.bytes, before);
      },
    ),
  );
});

Deno.test("MdpyConfigSpace.read() returns 0 for bytes from 0xFF on", () => {
  const config = configOf(VGA);
  assert.equal(config.read(0xff, 1), 0);
  assert.equal(config.read(0xfc, 4), 0);
});

Deno.test("MdpyConfigSpace.fromSnapshot() restores the bytes toSnapshot() wrote", () => {
  const config = configOf(HD);
  config.write(0x10, 4, 0xe0000000);
  const restored = MdpyConfigSpace.fromSnapshot(HD, config.toSnapshot());
  assert.deepEqual(restored.bytes, config.bytes);
  restored.write(0x10, 4, 0xffffffff);
  assert.equal(restored.read(0x10, 4), 0xff800008);
});
