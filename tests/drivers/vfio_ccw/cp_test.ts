import assert from "node:assert/strict";
import type { CcwEngine } from "../../../lib/ccw/engine.ts";
import { ChannelProgram, GUEST_RAM_SIZE } from "../../../lib/drivers/vfio_ccw/cp.ts";
import { hexBytes, orbAt } from "./_world.ts";

/** Puts V02 of vfio-ccw.md §5.2 (a write across a page) into a fresh engine's RAM. */
function loadV02(engine: CcwEngine): void {
  engine.host.set(hexBytes("01 00 0100 00010F80"), engine.guestBase + 0x1000);
}

function orb32(): Uint8Array {
  const orb = new Uint8Array(32);
  orb.set(orbAt(0x1000));
  return orb;
}

Deno.test("ChannelProgram builds its engine only when first used", () => {
  let built = 0;
  const cp = new ChannelProgram("ts", () => built++);
  assert.equal(cp.built, false);
  assert.equal(cp.initialized, false);
  assert.equal(cp.iovaPinned(0, 4096), false);
  cp.free();
  assert.equal(built, 0);
  assert.equal(cp.engine.ramSize, GUEST_RAM_SIZE);
  assert.equal(built, 1);
});

Deno.test("ChannelProgram.init() keeps a translated program until free()", () => {
  for (const kind of ["ts", "wasm"] as const) {
    const cp = new ChannelProgram(kind, loadV02);
    assert.equal(cp.init(orb32(), 0x80).rc, 0);
    assert.equal(cp.initialized, true);
    assert.deepEqual([...cp.engine.pinnedPages().keys()].sort(), [0x10, 0x11]);
    assert.equal(cp.iovaPinned(0x11000, 1), true);
    assert.equal(cp.iovaPinned(0x12000, 4096), false);
    cp.free();
    assert.equal(cp.initialized, false);
    assert.equal(cp.engine.pinnedPages().size, 0);
  }
});

Deno.test("ChannelProgram.fromSnapshot() translates a saved program again", () => {
  const cp = new ChannelProgram("wasm", loadV02);
  cp.init(orb32(), 0x80);
  const snapshot = JSON.parse(JSON.stringify(cp.toSnapshot()));
  const restored = ChannelProgram.fromSnapshot(snapshot, loadV02);
  assert.equal(restored.kind, "wasm");
  assert.equal(restored.initialized, true);
  assert.deepEqual(restored.engine.pinnedPages(), cp.engine.pinnedPages());
  // Freed before its engine is built: nothing to unpin, nothing re-translated.
  const unbuilt = ChannelProgram.fromSnapshot(snapshot, loadV02);
  unbuilt.free();
  assert.equal(unbuilt.initialized, false);
  assert.equal(unbuilt.built, false);
});
