import assert from "node:assert/strict";
import { mdevsim, mdevsimWith, tempRoot } from "../../cli/_cli.ts";

const DEV = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001";

/** A fresh root with mbochs loaded (with `params`) and one device of `type`. */
async function rootWith(type: string, ...params: string[]): Promise<string> {
  const root = await tempRoot();
  assert.equal((await mdevsim(root, "modprobe", "mbochs", ...params)).code, 0);
  const created = await mdevsim(root, "create", "-p", "mbochs", "-t", type, "-u", DEV);
  assert.equal(created.code, 0, created.stderr);
  return root;
}

async function script(root: string, lines: string[], ...flags: string[]): Promise<string[]> {
  const run = await mdevsimWith(root, ["vfio", "run", DEV, ...flags], {
    stdin: lines.join("\n"),
  });
  assert.equal(run.code, 0, run.stderr);
  return run.stdout.trimEnd().split("\n");
}

Deno.test("vfio run reads mbochs' config space and sizes BAR0 and BAR2", async () => {
  for (
    const [type, sizing] of [
      ["mbochs-small", "0xffc00008"],
      ["mbochs-medium", "0xff000008"],
      ["mbochs-large", "0xfc000008"],
    ] as const
  ) {
    const root = await rootWith(type);
    const out = await script(root, [
      "r32 config 0x00",
      "r32 config 0x04",
      "r32 config 0x08",
      "r32 config 0x2c",
      "w32 config 0x10 0xffffffff",
      "w32 config 0x18 0xffffffff",
      "r32 config 0x10",
      "r32 config 0x18",
      "r32 config 0x14",
    ]);
    assert.deepEqual(out, [
      "0x11111234",
      "0x00000003",
      "0x03800001",
      "0x11001af4",
      "ok",
      "ok",
      sizing,
      "0xfffff000",
      "0x00000000",
    ], type);
  }
});

Deno.test("vfio run shows mbochs' ten regions, the EDID region and IRQ info without GET_INFO", async () => {
  const root = await rootWith("mbochs-small");
  const out = await script(root, [
    "ioctl irq 0",
    "ioctl info",
    "ioctl region 0",
    "ioctl region 2",
    "ioctl region 7",
    "ioctl region 9",
    "ioctl region 1",
    "ioctl region 10",
  ]);
  assert.deepEqual(out, [
    "index=0 flags=0x0 count=0",
    "flags=0x2 num_regions=10 num_irqs=5",
    "index=0 flags=0x7 size=0x400000 offset=0x3000",
    "index=2 flags=0x3 size=0x1000 offset=0x1000",
    "index=7 flags=0x3 size=0xff offset=0x0",
    "index=9 flags=0xb size=0x1000 offset=0x2000",
    "index=1 flags=0x0 size=0x0 offset=0x0",
    "error EINVAL",
  ]);
});

Deno.test("vfio run drives the DISPI registers with 2-byte accesses only", async () => {
  const root = await rootWith("mbochs-large");
  const out = await script(root, [
    "r16 bar2 0x500",
    "r16 bar2 0x514",
    "r32 bar2 0x500",
    "r8 bar2 0x500",
    "w16 bar2 0x502 1024",
    "r16 bar2 0x502",
    "w32 bar2 0x504 768",
    "r16 bar2 0x504",
    "r8 bar2 0x41a",
    "r16 bar2 0x600",
    "ioctl reset",
    "r16 bar2 0x502",
  ]);
  assert.deepEqual(out, [
    "0xb0c5",
    "0x0400",
    "0x00000000",
    "0x00",
    "ok",
    "0x0400",
    "ok",
    "0x0000",
    "0x00",
    "0x0000",
    "ok",
    "0x0000",
  ]);
});

Deno.test("vfio run programs the EDID region and the guest sees the blob once the link is up", async () => {
  const root = await rootWith("mbochs-medium");
  const out = await script(root, [
    "r32 edid 0",
    "r32 edid 4",
    "r32 edid 12",
    "r32 edid 16",
    "r32 edid 20",
    "w32 edid 20 2",
    "w32 edid 8 8",
    "wb edid 0x800 00ffffffffffff00",
    "rb bar2 0 8",
    "w32 edid 20 1",
    "rb bar2 0 8",
    "w32 edid 0 0x100",
    "r32 edid 0",
  ]);
  assert.deepEqual(out, [
    "0x00000800",
    "0x00000400",
    "0x00000780",
    "0x000005a0",
    "0x00000000",
    "ok",
    "ok",
    "ok",
    "0000000000000000",
    "ok",
    "00ffffffffffff00",
    "ok",
    "0x00000800",
  ]);
});

Deno.test("mbochs VRAM lasts while a handle is open and is dropped on the last close", async () => {
  const root = await rootWith("mbochs-small");
  assert.deepEqual(await script(root, ["w32 bar0 0x2000 0x12345678", "r32 bar0 0x2000"]), [
    "ok",
    "0x12345678",
  ]);
  assert.deepEqual(await script(root, ["r32 bar0 0x2000"]), ["0x00000000"]);
  const handle = (await mdevsim(root, "vfio", "open", DEV)).stdout.trim();
  await script(root, ["w32 bar0 0x2000 0x12345678", "w16 bar2 0x502 640"], "--handle", handle);
  assert.deepEqual(await script(root, ["r32 bar0 0x2000"], "--handle", handle), ["0x12345678"]);
  assert.equal((await mdevsim(root, "vfio", "close", handle)).code, 0);
  assert.deepEqual(await script(root, ["r32 bar0 0x2000", "r16 bar2 0x502"]), [
    "0x00000000",
    "0x0280",
  ]);
});

Deno.test("modprobe mbochs count=N and mem=N set the budget; sysfs shows it", async () => {
  const root = await rootWith("mbochs-small", "count=20");
  const types = "/sys/class/mdev_bus/mbochs/mdev_supported_types";
  const cat = async (path: string) => (await mdevsim(root, "sysfs", "cat", path)).stdout;
  assert.equal(await cat(`${types}/mbochs-small/available_instances`), "4\n");
  assert.equal(await cat(`${types}/mbochs-medium/available_instances`), "1\n");
  assert.equal(await cat(`/sys/bus/mdev/devices/${DEV}/vendor/memory`), "4 MB\n");
  const full = await mdevsim(
    root,
    "create",
    "-p",
    "mbochs",
    "-t",
    "mbochs-large",
    "-u",
    "83b8f4f2-509f-382f-3c1e-e6bfe0fa1002",
  );
  assert.equal(full.code, 1);
  assert.match(full.stderr, /\(ENOSPC\)/);
  const mem = await tempRoot();
  assert.equal((await mdevsim(mem, "modprobe", "mbochs", "mem=64")).code, 0);
  assert.equal(
    (await mdevsim(mem, "sysfs", "cat", `${types}/mbochs-large/available_instances`)).stdout,
    "1\n",
  );
});
