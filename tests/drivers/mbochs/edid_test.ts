import assert from "node:assert/strict";
import { readValue, regionRead, regionWrite, writeValue } from "../../../lib/vfio/access.ts";
import { deviceIoctl, getRegionInfo } from "../../../lib/vfio/ioctl.ts";
import { putU32, u32, VFIO } from "../../../lib/vfio/uapi.ts";
import { displayWorld, errnoOf, openDisplay } from "../../display/_display_world.ts";

const EDID = { name: "edid" } as const;
const MMIO = { name: "bar2" } as const;
const HEADER = [0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00];

/** GET_REGION_INFO(9) with a given argsz: the bytes the caller gets back. */
function edidRegionInfo(vdev: Parameters<typeof getRegionInfo>[0], argsz: number): Uint8Array {
  const arg = new Uint8Array(48);
  putU32(arg, 0, argsz);
  putU32(arg, 8, 9);
  deviceIoctl(vdev, VFIO.DEVICE_GET_REGION_INFO, arg);
  return arg;
}

Deno.test("mbochs EDID region: 0x1000 bytes at 0x2000, R|W|CAPS, a GFX/EDID type capability", () => {
  const { vdev } = openDisplay(displayWorld(), "mbochs-small");
  const full = edidRegionInfo(vdev, 48);
  assert.deepEqual(
    [u32(full, 0), u32(full, 4), u32(full, 12)],
    [48, 0xb, 32],
    "argsz, flags, cap_offset",
  );
  assert.deepEqual(Array.from(full.subarray(32, 48)), [
    1,
    0,
    1,
    0,
    0,
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    1,
    0,
    0,
    0,
  ]);
  const info = getRegionInfo(vdev, 9);
  assert.deepEqual([info.size, info.offset], [0x1000n, 0x2000n]);
  // QEMU's first call with argsz 32 learns the size it needs and gets no capability bytes.
  const short = edidRegionInfo(vdev, 32);
  assert.equal(u32(short, 0), 48);
  assert.ok(short.subarray(32).every((b) => b === 0));
  assert.equal(errnoOf(() => edidRegionInfo(vdev, 49)), "EINVAL");
});

Deno.test("mbochs EDID registers start at 0x800, 0x400, 0, the type's maximum, link 0", () => {
  for (
    const [typeId, x, y] of [["mbochs-small", 800, 600], ["mbochs-medium", 1920, 1440], [
      "mbochs-large",
      0,
      0,
    ]] as const
  ) {
    const { vdev } = openDisplay(displayWorld(), typeId);
    const regs = [0, 4, 8, 12, 16, 20].map((o) => Number(readValue(vdev, EDID, BigInt(o), 4)));
    assert.deepEqual(regs, [0x800, 0x400, 0, x, y, 0], typeId);
  }
});

Deno.test("mbochs EDID registers: only aligned 4-byte accesses; only link_state and edid_size write", () => {
  const { vdev } = openDisplay(displayWorld(), "mbochs-small");
  for (const offset of [0, 4, 12, 16]) writeValue(vdev, EDID, BigInt(offset), 4, 0x1234n);
  writeValue(vdev, EDID, 8n, 4, 128n);
  writeValue(vdev, EDID, 20n, 4, 2n);
  const regs = [0, 4, 8, 12, 16, 20].map((o) => Number(readValue(vdev, EDID, BigInt(o), 4)));
  assert.deepEqual(regs, [0x800, 0x400, 128, 800, 600, 2]);
  assert.equal(readValue(vdev, EDID, 8n, 2), 0n, "2-byte reads are ignored and return 0");
  assert.equal(readValue(vdev, EDID, 12n, 1), 0n);
  writeValue(vdev, EDID, 20n, 2, 1n);
  assert.equal(readValue(vdev, EDID, 20n, 4), 2n, "2-byte writes are dropped");
  assert.equal(readValue(vdev, EDID, 24n, 4), 0n, "past the 24-byte struct");
});

Deno.test("mbochs EDID blob at region offset 0x800 holds 1 KiB; longer accesses are ignored", () => {
  const { vdev } = openDisplay(displayWorld(), "mbochs-small");
  regionWrite(vdev, EDID, 0x800n, new Uint8Array([1, 2, 3, 4, 5, 6, 7]));
  assert.deepEqual(Array.from(regionRead(vdev, EDID, 0x800n, 7)), [1, 2, 3, 4, 5, 6, 7]);
  writeValue(vdev, EDID, 0xbfcn, 4, 0x44332211n);
  assert.equal(readValue(vdev, EDID, 0xbfcn, 4), 0x44332211n);
  writeValue(vdev, EDID, 0xc00n, 4, 0xffffffffn);
  assert.equal(readValue(vdev, EDID, 0xc00n, 4), 0n);
});

Deno.test("the guest reads the EDID blob at MMIO 0x000 only while link_state is UP", () => {
  const { vdev } = openDisplay(displayWorld(), "mbochs-medium");
  // QEMU's update sequence (samples.md §5.2): link down, size, blob, then link up.
  writeValue(vdev, EDID, 20n, 4, 2n);
  writeValue(vdev, EDID, 8n, 4, 128n);
  const blob = new Uint8Array(128);
  blob.set(HEADER);
  blob[127] = 0x5a;
  regionWrite(vdev, EDID, 0x800n, blob);
  const guestHeader = () =>
    Array.from({ length: 8 }, (_, i) => Number(readValue(vdev, MMIO, BigInt(i), 1)));
  assert.deepEqual(guestHeader(), [0, 0, 0, 0, 0, 0, 0, 0], "link down: zeros");
  writeValue(vdev, EDID, 20n, 4, 1n);
  assert.deepEqual(guestHeader(), HEADER);
  assert.equal(readValue(vdev, MMIO, 127n, 1), 0x5an);
  assert.equal(readValue(vdev, MMIO, 128n, 1), 0n, "at or past edid_size: zeros");
  regionWrite(vdev, MMIO, 0n, new Uint8Array([9, 9]));
  assert.deepEqual(guestHeader(), HEADER, "guest writes are ignored");
});
