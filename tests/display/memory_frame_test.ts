import assert from "node:assert/strict";
import fc from "fast-check";
import { World } from "../../lib/core/world.ts";
import { DeviceMemory } from "../../lib/drivers/device_memory.ts";
import { scanoutFrame } from "../../lib/display/memory_frame.ts";
import { loadFbCore } from "../../lib/wasm/fb.ts";
import { FbReference } from "../../lib/wasm/fb_reference.ts";

const core = await loadFbCore();
const ENGINES = [core, new FbReference()];

function patterned(size: number): DeviceMemory {
  return new DeviceMemory(new World(), "test.mem", size, (bytes) => {
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) & 0xff;
  });
}

Deno.test("scanoutFrame() moves the memory into a frame where the scan-out is a rectangle", () => {
  for (const engine of ENGINES) {
    const memory = patterned(1 << 16);
    const { frame, rect } = scanoutFrame(engine, memory, {
      offset: 200,
      width: 30,
      height: 10,
      stride: 160,
    });
    assert.equal(memory.homed, true);
    assert.equal(frame.stride, 160);
    // Pixel (x, y) of the scan-out is memory byte offset + y·stride + 4x.
    const pixel = (x: number, y: number) => frame.pixels[(rect.y + y) * 40 + rect.x + x]!;
    const at = 200 + 3 * 160 + 4 * 5;
    const bytes = memory.read();
    assert.equal(pixel(5, 3), new DataView(bytes.buffer, bytes.byteOffset).getUint32(at, true));
    assert.equal(bytes[at], (at * 7) & 0xff, "contents moved unchanged");
  }
});

Deno.test("scanoutFrame() keeps the frame for the same stride and relays the memory for another", () => {
  const memory = patterned(1 << 16);
  const first = scanoutFrame(core, memory, { offset: 0, width: 16, height: 16, stride: 64 });
  const again = scanoutFrame(core, memory, { offset: 640, width: 8, height: 8, stride: 64 });
  assert.equal(again.frame, first.frame);
  assert.equal(again.rect.y, 10);
  const before = memory.read().slice();
  const other = scanoutFrame(core, memory, { offset: 4, width: 8, height: 8, stride: 96 });
  assert.notEqual(other.frame, first.frame);
  assert.deepEqual(memory.read(), before);
  assert.throws(() => first.frame.bytes, TypeError, "the old frame was freed");
});

Deno.test("scanoutFrame() refuses a scan-out that does not fit the memory", () => {
  const memory = patterned(4096);
  assert.throws(
    () => scanoutFrame(core, memory, { offset: 0, width: 32, height: 33, stride: 128 }),
    RangeError,
  );
  assert.throws(
    () => scanoutFrame(core, memory, { offset: 0, width: 33, height: 1, stride: 128 }),
    RangeError,
  );
});

Deno.test("scanoutFrame() places any valid scan-out on whole rows of its frame", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 64 }),
      fc.integer({ min: 0, max: 16 }),
      fc.integer({ min: 1, max: 16 }),
      fc.integer({ min: 0, max: 2048 }),
      (width, extra, height, offsetWords) => {
        const stride = (width + extra) * 4;
        const offset = offsetWords * 4;
        fc.pre(offset + stride * height <= 16384);
        const memory = patterned(16384);
        const { frame, rect } = scanoutFrame(core, memory, { offset, width, height, stride });
        const memoryStart = memory.read().byteOffset - frame.bytes.byteOffset;
        assert.equal(rect.y * stride, memoryStart + offset);
        assert.equal(rect.x, 0);
        memory.free();
      },
    ),
    { numRuns: 200 },
  );
});
