import assert from "node:assert/strict";
import { MBOCHS_OPS } from "../../lib/drivers/mbochs/device.ts";
import {
  bochsHwInit,
  bochsScanout,
  bochsSetBase,
  bochsSetMode,
} from "../../lib/display/bochs_drm.ts";
import { readValue, writeValue } from "../../lib/vfio/access.ts";
import { displayWorld, errnoOf, openDisplay } from "./_display_world.ts";

const MMIO = { name: "bar2" } as const;
const MiB = 1024 * 1024;

/** The MMIO writes (offset inside BAR2, size, value) a call makes, in order. */
function mmioWrites(call: () => void): Array<[number, number, number]> {
  const writes: Array<[number, number, number]> = [];
  const write = MBOCHS_OPS.write!;
  MBOCHS_OPS.write = (v, pos, data) => {
    if (pos >= 0x1000n && pos < 0x2000n) {
      let value = 0;
      for (let i = data.length - 1; i >= 0; i--) value = value * 256 + data[i]!;
      writes.push([Number(pos) - 0x1000, data.length, value]);
    }
    return write(v, pos, data);
  };
  try {
    call();
  } finally {
    MBOCHS_OPS.write = write;
  }
  return writes;
}

Deno.test("bochsSetMode() writes the DISPI sequence of bochs_hw_setmode and setbase in order", () => {
  const { vdev } = openDisplay(displayWorld(), "mbochs-small");
  const writes = mmioWrites(() => bochsSetMode(vdev, 1024, 768));
  assert.deepEqual(writes, [
    [0x402, 1, 0x01],
    [0x400, 1, 0x20],
    [0x508, 2, 0x0000],
    [0x506, 2, 32],
    [0x502, 2, 1024],
    [0x504, 2, 768],
    [0x50a, 2, 0],
    [0x50c, 2, 1024],
    [0x50e, 2, 1024],
    [0x510, 2, 0],
    [0x512, 2, 0],
    [0x508, 2, 0x41],
    [0x50c, 2, 1024],
    [0x510, 2, 0],
    [0x512, 2, 0],
  ]);
});

Deno.test("bochsSetMode() truncates VIRT_HEIGHT = ⌊VRAM / pitch⌋ to 16 bits", () => {
  const { vdev } = openDisplay(displayWorld(), "mbochs-large");
  bochsSetMode(vdev, 64, 64);
  assert.equal(readValue(vdev, MMIO, 0x50en, 2), BigInt(((64 * MiB) / 256) & 0xffff));
  bochsSetMode(vdev, 1920, 1080);
  assert.equal(readValue(vdev, MMIO, 0x50en, 2), BigInt(Math.floor((64 * MiB) / 7680)));
});

Deno.test("bochsSetMode() refuses modes the driver's mode_valid and limits refuse", () => {
  const { vdev } = openDisplay(displayWorld(), "mbochs-small");
  assert.equal(errnoOf(() => bochsSetMode(vdev, 1024, 1025)), "EINVAL");
  assert.equal(errnoOf(() => bochsSetMode(vdev, 1024, 1024)), undefined, "exactly 4 MiB fits");
  assert.equal(errnoOf(() => bochsSetMode(vdev, 8193, 1)), "EINVAL");
  assert.equal(errnoOf(() => bochsSetMode(vdev, 0, 10)), "EINVAL");
});

Deno.test("bochsHwInit() checks the ID and takes the smaller of VIDEO_MEMORY_64K and BAR0", () => {
  const { vdev } = openDisplay(displayWorld(), "mbochs-medium");
  assert.deepEqual(bochsHwInit(vdev), { id: 0xb0c5, fbSize: 16 * MiB });
  writeValue(vdev, MMIO, 0x514n, 2, 32n);
  assert.equal(bochsHwInit(vdev).fbSize, 2 * MiB, "Size mismatch: min() is used");
  writeValue(vdev, MMIO, 0x500n, 2, 0xb0bfn);
  assert.equal(errnoOf(() => bochsHwInit(vdev)), "ENODEV");
  writeValue(vdev, MMIO, 0x500n, 2, 0xb0c0n);
  assert.equal(errnoOf(() => bochsHwInit(vdev)), undefined);
});

Deno.test("bochsScanout() reads the mode back; bochsSetBase() moves it like a page flip", () => {
  const { vdev } = openDisplay(displayWorld(), "mbochs-medium");
  bochsSetMode(vdev, 800, 600);
  assert.deepEqual(bochsScanout(vdev), {
    width: 800,
    height: 600,
    bpp: 32,
    pitch: 3200,
    offset: 0,
    enabled: true,
  });
  bochsSetBase(vdev, 4096, 8, 600);
  assert.deepEqual([bochsScanout(vdev).pitch, bochsScanout(vdev).offset], [4096, 600 * 4096 + 32]);
});
