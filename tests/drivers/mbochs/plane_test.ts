import assert from "node:assert/strict";
import fc from "fast-check";
import { vfioMmap } from "../../../lib/drivers/device_memory.ts";
import { DRM_PLANE_TYPE, GFX_PLANE_FLAGS } from "../../../lib/drivers/gfx_plane.ts";
import { VBE_DISPI_INDEX } from "../../../lib/drivers/mbochs/defs.ts";
import { Dispi } from "../../../lib/drivers/mbochs/dispi.ts";
import { closeDmaBufFile, dmaBufFile } from "../../../lib/drivers/mbochs/dmabuf.ts";
import { checkFramebuffer } from "../../../lib/drivers/mbochs/mode.ts";
import { readValue, writeValue } from "../../../lib/vfio/access.ts";
import type { VfioDevice } from "../../../lib/vfio/device.ts";
import {
  displayWorld,
  errnoOf,
  getDmabuf,
  openDisplay,
  query,
} from "../../display/_display_world.ts";

const MiB = 1024 * 1024;
const MMIO = { name: "bar2" } as const;
const { PROBE, DMABUF, REGION } = GFX_PLANE_FLAGS;

type Regs = Partial<Record<keyof typeof VBE_DISPI_INDEX, number>>;

/** Writes DISPI registers through BAR2, 2 bytes each. */
function program(vdev: VfioDevice, regs: Regs): void {
  for (const [name, value] of Object.entries(regs)) {
    const index = VBE_DISPI_INDEX[name as keyof typeof VBE_DISPI_INDEX];
    writeValue(vdev, MMIO, BigInt(0x500 + 2 * index), 2, BigInt(value));
  }
}

function dispiWith(regs: Regs, memSize = 4 * MiB): Dispi {
  const dispi = new Dispi(memSize);
  for (const [name, value] of Object.entries(regs)) {
    dispi.write(VBE_DISPI_INDEX[name as keyof typeof VBE_DISPI_INDEX], value);
  }
  return dispi;
}

const MODE_1024 = { ENABLE: 0x41, BPP: 32, XRES: 1024, YRES: 768, VIRT_WIDTH: 1024 };

Deno.test("checkFramebuffer() derives stride, size and offset from the DISPI registers", () => {
  const mode = checkFramebuffer(
    dispiWith({ ...MODE_1024, VIRT_WIDTH: 1100, X_OFFSET: 3, Y_OFFSET: 2 }),
    16 * MiB,
  );
  assert.deepEqual(mode, {
    drmFormat: 0x34325258,
    bytesPerPixel: 4,
    width: 1024,
    height: 768,
    stride: 4400,
    offset: 3 * 4 + 2 * 4400,
    size: 4400 * 768,
  });
  assert.equal(
    checkFramebuffer(dispiWith({ ...MODE_1024, VIRT_WIDTH: 10 }), 4 * MiB)?.stride,
    4096,
  );
});

Deno.test("checkFramebuffer() has no mode without ENABLE bit 0, at BPP ≠ 32, under 64×64, or overflowing", () => {
  const memSize = 4 * MiB;
  assert.equal(checkFramebuffer(dispiWith({ ...MODE_1024, ENABLE: 0x40 }), memSize), undefined);
  for (const bpp of [0, 8, 15, 16, 24]) {
    assert.equal(checkFramebuffer(dispiWith({ ...MODE_1024, BPP: bpp }), memSize), undefined);
  }
  assert.equal(checkFramebuffer(dispiWith({ ...MODE_1024, XRES: 63 }), memSize), undefined);
  assert.equal(checkFramebuffer(dispiWith({ ...MODE_1024, YRES: 63 }), memSize), undefined);
  assert.ok(checkFramebuffer(dispiWith({ ...MODE_1024, XRES: 64, YRES: 64 }), memSize));
  assert.equal(checkFramebuffer(dispiWith({ ...MODE_1024, Y_OFFSET: 257 }), memSize), undefined);
  assert.ok(checkFramebuffer(dispiWith({ ...MODE_1024, Y_OFFSET: 256 }), memSize));
  // ENABLE's other bits, BANK and VIRT_HEIGHT change nothing.
  const plain = checkFramebuffer(dispiWith(MODE_1024), memSize);
  const noisy = dispiWith({ ...MODE_1024, ENABLE: 0xe3, BANK: 5, VIRT_HEIGHT: 3 });
  assert.deepEqual(checkFramebuffer(noisy, memSize), plain);
});

Deno.test("checkFramebuffer() never yields a framebuffer past the VRAM", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 11, maxLength: 11 }),
      (values) => {
        const dispi = Dispi.fromValues(values);
        const mode = checkFramebuffer(dispi, 4 * MiB);
        if (mode !== undefined) {
          assert.ok(mode.offset + mode.size <= 4 * MiB);
          assert.ok(mode.width >= 64 && mode.height >= 64 && mode.stride >= mode.width * 4);
        }
      },
    ),
  );
});

Deno.test("mbochs QUERY_GFX_PLANE probes only PROBE|DMABUF and answers only DMABUF", () => {
  const { vdev } = openDisplay(displayWorld(), "mbochs-small");
  assert.equal(errnoOf(() => query(vdev, PROBE | DMABUF)), undefined);
  for (const flags of [PROBE, PROBE | REGION, REGION, 0, DMABUF | REGION]) {
    assert.equal(errnoOf(() => query(vdev, flags)), "EINVAL", `flags ${flags}`);
  }
  assert.equal(errnoOf(() => query(vdev, DMABUF, DRM_PLANE_TYPE.PRIMARY, 59)), "EINVAL");
});

Deno.test("mbochs QUERY_GFX_PLANE succeeds with zeros without a mode, and for cursor planes", () => {
  const { vdev } = openDisplay(displayWorld(), "mbochs-small");
  const none = query(vdev, DMABUF);
  assert.deepEqual([none.drmFormat, none.width, none.height, none.stride, none.size, none.id], [
    0,
    0,
    0,
    0,
    0,
    0,
  ]);
  program(vdev, MODE_1024);
  assert.equal(errnoOf(() => query(vdev, DMABUF)), "ENOMEM");
  for (const type of [DRM_PLANE_TYPE.CURSOR, DRM_PLANE_TYPE.OVERLAY]) {
    const plane = query(vdev, DMABUF, type);
    assert.deepEqual([plane.drmFormat, plane.size, plane.id], [0, 0, 0]);
  }
});

Deno.test("mbochs QUERY_GFX_PLANE fails once with ENOMEM for each new mode (the sample's bug)", () => {
  const { vdev } = openDisplay(displayWorld(), "mbochs-small");
  program(vdev, MODE_1024);
  assert.equal(errnoOf(() => query(vdev, DMABUF)), "ENOMEM");
  const first = query(vdev, DMABUF);
  assert.deepEqual(
    [first.drmFormat, first.width, first.height, first.stride, first.size, first.id],
    [0x34325258, 1024, 768, 4096, 3145728, 1],
  );
  assert.deepEqual([first.drmFormatMod, first.xPos, first.yPos, first.xHot, first.yHot], [
    0n,
    0,
    0,
    0,
    0,
  ]);
  program(vdev, { Y_OFFSET: 1 });
  assert.equal(errnoOf(() => query(vdev, DMABUF)), "ENOMEM", "a new offset is a new mode");
  assert.equal(query(vdev, DMABUF).id, 2);
  program(vdev, { Y_OFFSET: 0 });
  assert.equal(query(vdev, DMABUF).id, 1, "a known mode finds its descriptor at once");
});

Deno.test("the bochs modeset on mbochs-small gives the plane of samples.md §4.7", () => {
  const { vdev } = openDisplay(displayWorld(), "mbochs-small");
  program(vdev, { ENABLE: 0, BPP: 32, XRES: 1024, YRES: 768, BANK: 0, VIRT_WIDTH: 1024 });
  program(vdev, { VIRT_HEIGHT: (4 * MiB) / 4096, X_OFFSET: 0, Y_OFFSET: 0, ENABLE: 0x41 });
  assert.equal(readValue(vdev, MMIO, 0x50en, 2), 1024n);
  assert.equal(errnoOf(() => query(vdev, DMABUF)), "ENOMEM");
  const plane = query(vdev, DMABUF);
  assert.deepEqual([plane.width, plane.height, plane.stride, plane.size, plane.id], [
    1024,
    768,
    4096,
    3145728,
    1,
  ]);
  const fd = getDmabuf(vdev, 1);
  const buf = dmaBufFile(vdev.world, fd);
  assert.deepEqual([buf.mode.offset, buf.size / 4096], [0, 768]);
  closeDmaBufFile(vdev.world, fd);
});

Deno.test("mbochs GET_GFX_DMABUF: ENOENT for unknown ids, EINVAL unless page-aligned", () => {
  const { vdev } = openDisplay(displayWorld(), "mbochs-small");
  assert.equal(errnoOf(() => getDmabuf(vdev, 1)), "ENOENT");
  program(vdev, { ...MODE_1024, X_OFFSET: 1 });
  assert.equal(errnoOf(() => query(vdev, DMABUF)), "ENOMEM");
  assert.equal(errnoOf(() => getDmabuf(vdev, query(vdev, DMABUF).id)), "EINVAL");
  program(vdev, { X_OFFSET: 0, Y_OFFSET: 1 });
  assert.equal(errnoOf(() => query(vdev, DMABUF)), "ENOMEM");
  const fd = getDmabuf(vdev, query(vdev, DMABUF).id);
  assert.equal(dmaBufFile(vdev.world, fd).mode.offset, 4096);
  closeDmaBufFile(vdev.world, fd);
});

Deno.test("mbochs dma-bufs are views of the live VRAM pages; each call opens a new fd", () => {
  const world = displayWorld();
  const { vdev } = openDisplay(world, "mbochs-small");
  program(vdev, { ...MODE_1024, Y_OFFSET: 2 });
  assert.equal(errnoOf(() => query(vdev, DMABUF)), "ENOMEM");
  const id = query(vdev, DMABUF).id;
  const [a, b] = [getDmabuf(vdev, id), getDmabuf(vdev, id)];
  assert.notEqual(a, b);
  assert.equal(dmaBufFile(world, a), dmaBufFile(world, b), "the same buffer");
  writeValue(vdev, { name: "bar0" }, 2n * 4096n + 8n, 4, 0x00abcdefn);
  const view = dmaBufFile(world, a).mmap(true);
  assert.ok(view instanceof Uint8Array);
  assert.equal(view.length, 4096 * 768);
  assert.deepEqual(Array.from(view.subarray(8, 12)), [0xef, 0xcd, 0xab, 0x00]);
  assert.equal(dmaBufFile(world, a).mmap(false), -22, "MAP_SHARED only");
  closeDmaBufFile(world, a);
  closeDmaBufFile(world, b);
  assert.equal(errnoOf(() => dmaBufFile(world, a)), "EBADF");
});

Deno.test("mbochs mmap accepts only the VRAM BAR at 0x3000, shared, up to memsize", () => {
  const { vdev } = openDisplay(displayWorld(), "mbochs-small");
  const map = (offset: bigint, length: number, shared = true) =>
    vfioMmap(vdev, { offset, length, shared });
  assert.equal(typeof map(0x3000n, 4 * MiB), "object");
  assert.equal(map(0x3000n, 4 * MiB + 1), -22);
  assert.equal(map(0x3000n, 4096, false), -22);
  assert.equal(map(0x1000n, 4096), -22);
  assert.equal(map(0x4000n, 4096), -22);
});
