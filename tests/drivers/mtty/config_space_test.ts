import assert from "node:assert/strict";
import fc from "fast-check";
import {
  MTTY_CONFIG_SIZE,
  MttyConfigSpace,
  type MttyConfigSpaceSnapshot,
} from "../../../lib/drivers/mtty/config_space.ts";

/** The bytes `mtty_create_config_space` sets (§2.2); all others are 0. */
function expectedImage(nrPorts: 1 | 2): Uint8Array {
  const image = new Uint8Array(256);
  image.set([0x48, 0x43, 0x53, 0x32, 0x01, 0x00, 0x00, 0x02, 0x10, 0x02, 0x00, 0x07], 0x00);
  image.set([0x01, 0x00, 0x00, 0x00], 0x10);
  if (nrPorts === 2) image.set([0x01, 0x00, 0x00, 0x00], 0x14);
  image.set([0x48, 0x43, 0x53, 0x32], 0x2c);
  image[0x3d] = 0x01;
  image.set([0x23, 0x00, 0x00, 0x80, 0x23, 0x00, 0x00, 0x00, 0x23, 0x00, 0x00, 0x00, 0x23], 0x40);
  image.set(new TextEncoder().encode("PCI Serial/UART"), 0x60);
  return image;
}

// Offsets whose writes change something; every other starting offset is ignored.
const HANDLED_OFFSETS = new Set([0x10, 0x14, 0x18, 0x1c, 0x20, 0x3c]);

Deno.test("MTTY_CONFIG_SIZE is the 0xFF bytes the sample reports", () => {
  assert.equal(MTTY_CONFIG_SIZE, 0xff);
});

Deno.test("MttyConfigSpace.read() answers the T1 dwords", () => {
  for (const nrPorts of [1, 2] as const) {
    const config = new MttyConfigSpace(nrPorts);
    assert.deepEqual(
      [0x00, 0x04, 0x08, 0x2c, 0x3c, 0x40].map((offset) => config.read(offset, 4)),
      [0x32534348, 0x02000001, 0x07000210, 0x32534348, 0x00000100, 0x80000023],
    );
    const name = Array.from({ length: 15 }, (_, i) => config.read(0x60 + i, 1));
    assert.equal(String.fromCharCode(...name), "PCI Serial/UART");
    assert.equal(config.read(0x6f, 1), 0, "no NUL written, but the byte is zero");
  }
});

Deno.test("MttyConfigSpace.bytes holds exactly the mtty_create_config_space image", () => {
  assert.deepEqual(new MttyConfigSpace(1).bytes, expectedImage(1));
  assert.deepEqual(new MttyConfigSpace(2).bytes, expectedImage(2));
});

Deno.test("MttyConfigSpace.bytes starts like the README's lspci dump of an mtty-2 device", () => {
  const bytes = new MttyConfigSpace(2).bytes;
  assert.deepEqual(
    Array.from(bytes.subarray(0, 12)),
    [0x48, 0x43, 0x53, 0x32, 0x01, 0x00, 0x00, 0x02, 0x10, 0x02, 0x00, 0x07],
  );
  assert.equal(bytes.length, 256);
  assert.equal(bytes[0xff], 0);
});

Deno.test("MttyConfigSpace.bytes is a copy that cannot alter the config space", () => {
  const config = new MttyConfigSpace(2);
  config.bytes[0x3c] = 0x55;
  assert.equal(config.read(0x3c, 1), 0);
});

Deno.test("MttyConfigSpace.read() is little-endian for 1-, 2- and 4-byte accesses", () => {
  const config = new MttyConfigSpace(2);
  assert.deepEqual(
    [config.read(0x00, 1), config.read(0x01, 1), config.read(0x02, 2), config.read(0x06, 2)],
    [0x48, 0x43, 0x3253, 0x0200],
  );
  assert.equal(config.read(0x00, 4), 0x32534348);
});

Deno.test("MttyConfigSpace.read() answers 0 for bytes at 0xFF and beyond", () => {
  const config = new MttyConfigSpace(2);
  assert.equal(config.read(0xff, 1), 0);
  assert.equal(config.read(0xfe, 2), 0);
  assert.equal(config.read(0xfc, 4), 0);
  assert.equal(config.read(0x100, 4), 0);
  assert.equal(config.read(2 ** 39, 4), 0);
});

Deno.test("MttyConfigSpace BAR0 sizing reads 0xFFFFFFF9 and an address keeps the I/O bit (T2)", () => {
  const config = new MttyConfigSpace(2);
  config.write(0x10, 4, 0xffffffff);
  assert.equal(config.read(0x10, 4), 0xfffffff9);
  config.write(0x10, 4, 0xc150);
  assert.equal(config.read(0x10, 4), 0x0000c151);
});

Deno.test("MttyConfigSpace stores 0 for BAR1 of mtty-1 and sizes it on mtty-2 (T3)", () => {
  const single = new MttyConfigSpace(1);
  single.write(0x14, 4, 0xffffffff);
  assert.equal(single.read(0x14, 4), 0x00000000);
  single.write(0x14, 4, 0xc158);
  assert.equal(single.read(0x14, 4), 0x00000000);
  const dual = new MttyConfigSpace(2);
  dual.write(0x14, 4, 0xffffffff);
  assert.equal(dual.read(0x14, 4), 0xfffffff9);
  dual.write(0x14, 4, 0xc158);
  assert.equal(dual.read(0x14, 4), 0xc159);
});

Deno.test("MttyConfigSpace ORs the current low 2 BAR bits into every address (bit 1 sticky)", () => {
  const config = new MttyConfigSpace(2);
  config.write(0x10, 4, 0xc152);
  assert.equal(config.read(0x10, 4), 0xc153);
  config.write(0x10, 4, 0xc150);
  assert.equal(config.read(0x10, 4), 0xc153);
  config.write(0x10, 4, 0xffffffff);
  assert.equal(config.read(0x10, 4), 0xfffffffb);
});

Deno.test("MttyConfigSpace ignores command and status writes (T4)", () => {
  const config = new MttyConfigSpace(2);
  config.write(0x04, 4, 0x00000007);
  assert.equal(config.read(0x04, 4), 0x02000001);
  config.write(0x04, 2, 0x0007);
  config.write(0x06, 2, 0xffff);
  assert.equal(config.read(0x04, 4), 0x02000001);
});

Deno.test("MttyConfigSpace stores the interrupt line and ignores the interrupt pin (T5)", () => {
  const config = new MttyConfigSpace(2);
  config.write(0x3c, 1, 0x0a);
  config.write(0x3d, 1, 0x05);
  assert.equal(config.read(0x3c, 1), 0x0a);
  assert.equal(config.read(0x3d, 1), 0x01);
});

Deno.test("MttyConfigSpace stores only the first byte of a wider interrupt-line write", () => {
  const config = new MttyConfigSpace(2);
  config.write(0x3c, 4, 0xffff050b);
  assert.equal(config.read(0x3c, 4), 0x0000010b);
  config.write(0x3c, 2, 0x0a0c);
  assert.equal(config.read(0x3c, 2), 0x010c);
});

Deno.test("MttyConfigSpace stores 0 for BAR2..BAR4 and ignores BAR5 and ROM (T6)", () => {
  const config = new MttyConfigSpace(2);
  for (const offset of [0x18, 0x1c, 0x20, 0x24, 0x30]) config.write(offset, 4, 0x1234);
  assert.deepEqual(
    [0x18, 0x1c, 0x20, 0x24, 0x30].map((offset) => config.read(offset, 4)),
    [0, 0, 0, 0, 0],
  );
});

Deno.test("MttyConfigSpace takes all 4 bytes of the value for a narrow BAR write", () => {
  const config = new MttyConfigSpace(2);
  config.write(0x10, 1, 0xc150);
  assert.equal(config.read(0x10, 4), 0xc151);
  config.write(0x14, 2, 0xffffffff);
  assert.equal(config.read(0x14, 4), 0xfffffff9);
});

Deno.test("MttyConfigSpace dispatches on the exact starting offset only", () => {
  const config = new MttyConfigSpace(2);
  config.write(0x12, 2, 0xffff); // upper half of BAR0
  config.write(0x11, 1, 0xc1);
  config.write(0x0c, 4, 0xffffffff); // spans nothing the handler knows
  assert.deepEqual(config.bytes, expectedImage(2));
});

Deno.test("MttyConfigSpace.write() truncates the offset to u16 like handle_pci_cfg_write", () => {
  const config = new MttyConfigSpace(2);
  config.write(0x1003c, 1, 0x0a);
  assert.equal(config.read(0x3c, 1), 0x0a);
  config.write(0x100, 4, 0xffffffff);
  assert.equal(config.read(0x100, 4), 0);
  assert.deepEqual(config.bytes.subarray(0x40), expectedImage(2).subarray(0x40));
});

Deno.test("MttyConfigSpace.write() leaves every unhandled offset unchanged", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0x1ffff }).filter((o) => !HANDLED_OFFSETS.has(o & 0xffff)),
      fc.constantFrom(1 as const, 2 as const, 4 as const),
      fc.integer({ min: 0, max: 0xffffffff }),
      (offset, size, value) => {
        const config = new MttyConfigSpace(2);
        config.write(offset, size, value);
        assert.deepEqual(config.bytes, expectedImage(2));
      },
    ),
  );
});

Deno.test("MttyConfigSpace rejects a port count other than 1 or 2 with RangeError", () => {
  assert.throws(() => new MttyConfigSpace(3 as 1), RangeError);
});

Deno.test("MttyConfigSpace rejects invalid offsets, sizes and values with RangeError", () => {
  const config = new MttyConfigSpace(2);
  assert.throws(() => config.read(-1, 4), RangeError);
  assert.throws(() => config.read(1.5, 1), RangeError);
  assert.throws(() => config.read(0, 3 as 4), RangeError);
  assert.throws(() => config.write(0x3c, 8 as 4, 0), RangeError);
  assert.throws(() => config.write(0x10, 4, -1), RangeError);
  assert.throws(() => config.write(0x10, 4, 2 ** 32), RangeError);
});

Deno.test("MttyConfigSpace.toSnapshot() writes the 256 bytes as lowercase hex", () => {
  const config = new MttyConfigSpace(1);
  const snapshot = config.toSnapshot();
  assert.equal(snapshot.nrPorts, 1);
  assert.match(snapshot.bytes, /^[0-9a-f]{512}$/);
  assert.equal(snapshot.bytes.slice(0, 8), "48435332");
});

Deno.test("MttyConfigSpace snapshot round-trips exactly and the restored copy continues identically", () => {
  const write = fc.record({
    offset: fc.oneof(
      fc.constantFrom(0x04, 0x10, 0x14, 0x18, 0x1c, 0x20, 0x24, 0x3c, 0x3d),
      fc.integer({ min: 0, max: 0x1ff }),
    ),
    size: fc.constantFrom(1 as const, 2 as const, 4 as const),
    value: fc.oneof(fc.constant(0xffffffff), fc.integer({ min: 0, max: 0xffffffff })),
  });
  fc.assert(
    fc.property(
      fc.constantFrom(1 as const, 2 as const),
      fc.array(write, { maxLength: 30 }),
      fc.array(write, { maxLength: 30 }),
      (nrPorts, prefix, suffix) => {
        const config = new MttyConfigSpace(nrPorts);
        for (const { offset, size, value } of prefix) config.write(offset, size, value);
        const snapshot = config.toSnapshot();
        const clone = MttyConfigSpace.fromSnapshot(JSON.parse(JSON.stringify(snapshot)));
        assert.deepEqual(clone.toSnapshot(), snapshot);
        for (const { offset, size, value } of suffix) {
          config.write(offset, size, value);
          clone.write(offset, size, value);
          assert.equal(clone.read(offset, size), config.read(offset, size));
        }
        assert.deepEqual(clone.bytes, config.bytes);
        assert.equal(config.bytes[0xff], 0);
      },
    ),
  );
});

Deno.test("MttyConfigSpace.fromSnapshot() throws TypeError on a malformed snapshot", () => {
  const valid = new MttyConfigSpace(2).toSnapshot();
  const broken: Array<[string, unknown]> = [
    ["not an object", undefined],
    ["three ports", { ...valid, nrPorts: 3 }],
    ["bytes missing", { nrPorts: 2 }],
    ["short bytes", { ...valid, bytes: valid.bytes.slice(2) }],
    ["not hex", { ...valid, bytes: "zz" + valid.bytes.slice(2) }],
    ["byte 0xFF set", { ...valid, bytes: valid.bytes.slice(0, -2) + "01" }],
  ];
  for (const [label, snapshot] of broken) {
    assert.throws(
      () => MttyConfigSpace.fromSnapshot(snapshot as MttyConfigSpaceSnapshot),
      TypeError,
      label,
    );
  }
});
