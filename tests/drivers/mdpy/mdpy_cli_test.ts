import assert from "node:assert/strict";
import { mdevsim, mdevsimWith, tempRoot } from "../../cli/_cli.ts";

const DEV = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001";

/** A fresh root with mdpy loaded and one device of `type`. */
async function rootWith(type: string): Promise<string> {
  const root = await tempRoot();
  assert.equal((await mdevsim(root, "modprobe", "mdpy")).code, 0);
  const created = await mdevsim(root, "create", "-p", "mdpy", "-t", type, "-u", DEV);
  assert.equal(created.code, 0, created.stderr);
  return root;
}

async function script(root: string, lines: string[]): Promise<string[]> {
  const run = await mdevsimWith(root, ["vfio", "run", DEV], { stdin: lines.join("\n") });
  assert.equal(run.code, 0, run.stderr);
  return run.stdout.trimEnd().split("\n");
}

Deno.test("vfio run reads mdpy's config space and sizes BAR0 for every type", async () => {
  for (
    const [type, sizing, w, h] of [
      ["mdpy-vga", "0xffe00008", 640, 480],
      ["mdpy-xga", "0xffc00008", 1024, 768],
      ["mdpy-hd", "0xff800008", 1920, 1080],
    ] as const
  ) {
    const root = await rootWith(type);
    const out = await script(root, [
      "r32 config 0x00",
      "r32 config 0x04",
      "r32 config 0x08",
      "r32 config 0x10",
      "r32 config 0x2c",
      "r8 config 0x34",
      "r32 config 0x40",
      "r32 config 0x44",
      "r32 config 0x48",
      "r32 config 0x4c",
      "w32 config 0x10 0xffffffff",
      "r32 config 0x10",
      "w32 config 0x10 0xfd000000",
      "r32 config 0x10",
      "w16 config 0x04 0x0007",
      "r16 config 0x04",
    ]);
    const hex8 = (v: number) => `0x${v.toString(16).padStart(8, "0")}`;
    assert.deepEqual(out, [
      "0x000f1b36",
      "0x00100003",
      "0x03800001",
      "0x00000008",
      "0x11001af4",
      "0x40",
      "0x00100009",
      "0x34325258",
      hex8(w),
      hex8(h),
      "ok",
      sizing,
      "ok",
      "0xfd000008",
      "ok",
      "0x0003",
    ], type);
  }
});

Deno.test("vfio run shows mdpy's regions, the display region 16 and the IRQ quirk", async () => {
  const root = await rootWith("mdpy-vga");
  const out = await script(root, [
    "ioctl irq 0",
    "ioctl info",
    "ioctl region 0",
    "ioctl region 7",
    "ioctl region 16",
    "ioctl region 1",
    "ioctl region 9",
    "ioctl irq 0",
    "ioctl irq 5",
    "irq arm 0",
    "ioctl reset",
  ]);
  assert.deepEqual(out, [
    "error EINVAL",
    "flags=0x2 num_regions=9 num_irqs=5",
    "index=0 flags=0x7 size=0x200000 offset=0x1000",
    "index=7 flags=0x3 size=0xff offset=0x0",
    "index=16 flags=0x7 size=0x200000 offset=0x1000",
    "index=1 flags=0x0 size=0x0 offset=0x0",
    "error EINVAL",
    "index=0 flags=0x0 count=0",
    "error EINVAL",
    "error EINVAL",
    "ok",
  ]);
});

Deno.test("vfio run reaches mdpy's framebuffer at the right offsets through BAR0 and region 16", async () => {
  const root = await rootWith("mdpy-vga");
  const out = await script(root, [
    "r32 bar0 0",
    "r32 bar0 0x96000",
    "r32 bar0 0x12c000",
    "w32 bar0 0x100 0xcafef00d",
    "r32 16 0x100",
    "r32 bar0 0",
    "r8 bar0 0x1fffff",
    "r32 bar0 0x1ffffe",
  ]);
  assert.deepEqual(out, [
    "0x00000000",
    "0x7f7f7f7f", // row 240 of 480: ⌊240·255/480⌋ = 127
    "0x00000000", // past the 480 rows
    "ok",
    "0xcafef00d",
    "0x00000000",
    "0x00",
    "error EFAULT",
  ]);
  const again = await script(root, ["r32 bar0 0x100"]);
  assert.deepEqual(again, ["0xcafef00d"], "the framebuffer persists between commands");
});

Deno.test("sysfs shows mdpy's types, shared instance count and vendor/resolution", async () => {
  const root = await rootWith("mdpy-hd");
  const types = "/sys/class/mdev_bus/mdpy/mdev_supported_types";
  const cat = async (path: string) => (await mdevsim(root, "sysfs", "cat", path)).stdout;
  assert.equal(await cat(`${types}/mdpy-vga/available_instances`), "3\n");
  assert.equal(
    await cat(`${types}/mdpy-xga/description`),
    "virtual display, 1024x768 framebuffer\n",
  );
  assert.equal(await cat(`/sys/bus/mdev/devices/${DEV}/vendor/resolution`), "1920x1080\n");
});
