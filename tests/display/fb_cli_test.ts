import assert from "node:assert/strict";
import { decode } from "fast-png";
import { patternPixel } from "../../lib/display/patterns.ts";
import { mdevsim, tempRoot } from "../cli/_cli.ts";

const DEV = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001";

/** A fresh root with `module` loaded and one device of `type`. */
async function rootWith(module: string, type: string): Promise<string> {
  const root = await tempRoot();
  assert.equal((await mdevsim(root, "modprobe", module)).code, 0);
  const created = await mdevsim(root, "create", "-p", module, "-t", type, "-u", DEV);
  assert.equal(created.code, 0, created.stderr);
  return root;
}

/** Runs an `fb` command that must succeed; returns its stdout. */
async function fb(root: string, ...args: string[]): Promise<string> {
  const run = await mdevsim(root, "fb", ...args);
  assert.equal(run.code, 0, `fb ${args.join(" ")}: ${run.stderr}`);
  return run.stdout;
}

/** `fb snapshot` into a file of the root; the decoded image and an RGBA pixel reader. */
async function snapshot(root: string, ...flags: string[]) {
  const out = `${root}/shot.png`;
  await fb(root, "snapshot", DEV, "--out", out, ...flags);
  const image = decode(await Deno.readFile(out));
  const pixel = (x: number, y: number) => {
    const at = (y * image.width + x) * 4;
    return Array.from(image.data.subarray(at, at + 4));
  };
  return { image, pixel };
}

const opaque = (c: number) => [(c >> 16) & 0xff, (c >> 8) & 0xff, c & 0xff, 255];

Deno.test("fb snapshot of every mdpy type writes a PNG of its gradient", async () => {
  for (
    const [type, width, height] of [["mdpy-vga", 640, 480], ["mdpy-xga", 1024, 768], [
      "mdpy-hd",
      1920,
      1080,
    ]] as const
  ) {
    const root = await rootWith("mdpy", type);
    const { image, pixel } = await snapshot(root);
    assert.deepEqual([image.width, image.height, image.channels], [width, height, 4]);
    for (const y of [0, height >> 1, height - 1]) {
      const g = Math.floor((y * 255) / height);
      assert.deepEqual(pixel(width - 1, y), [g, g, g, 255], `${type} row ${y}`);
    }
  }
});

Deno.test("fb draw on mdpy shows in the next snapshot and in fb damage", async () => {
  const root = await rootWith("mdpy", "mdpy-vga");
  await snapshot(root);
  assert.equal(await fb(root, "damage", DEV), "");
  await fb(root, "draw", DEV, "fill", "-8", "-8", "40", "24", "0xff0000");
  await fb(root, "draw", DEV, "mono", "100", "200", "8", "2", "0x00ff00", "0x0000ff", "3c42");
  assert.equal(
    await fb(root, "damage", DEV),
    "x=0 y=0 width=64 height=64\nx=64 y=192 width=64 height=64\n",
  );
  const { pixel } = await snapshot(root);
  assert.deepEqual(pixel(0, 0), opaque(0xff0000));
  assert.deepEqual(pixel(31, 15), opaque(0xff0000));
  assert.deepEqual(pixel(32, 15), [7, 7, 7, 255]);
  assert.deepEqual(pixel(102, 200), opaque(0x00ff00));
  assert.deepEqual(pixel(100, 200), opaque(0x0000ff));
  assert.equal(await fb(root, "damage", DEV), "");
});

Deno.test("fb info reports mdpy's region plane and mbochs' dma-buf plane", async () => {
  const mdpy = await rootWith("mdpy", "mdpy-xga");
  assert.equal(
    await fb(mdpy, "info", DEV),
    "mode=region width=1024 height=768 stride=4096 fourcc=XR24 format=0x34325258 offset=0x0 " +
      "size=4194304 region_index=16\n",
  );
  const mbochs = await rootWith("mbochs", "mbochs-small");
  assert.equal(
    await fb(mbochs, "info", DEV),
    "mode=dmabuf width=0 height=0 stride=0 fourcc=- format=0x0 offset=- size=0 dmabuf_id=0\n",
  );
  await fb(mbochs, "mode", DEV, "1024x768x32");
  const json = JSON.parse(await fb(mbochs, "--json", "info", DEV));
  assert.deepEqual(json, {
    device: DEV,
    mode: "dmabuf",
    width: 1024,
    height: 768,
    stride: 4096,
    fourcc: "XR24",
    drm_format: 0x34325258,
    offset: 0,
    size: 3145728,
    dmabuf_id: 1,
  });
});

Deno.test("fb snapshot of mbochs at two modes shows the guest's drawing through an open handle", async () => {
  const root = await rootWith("mbochs", "mbochs-medium");
  const handle = (await mdevsim(root, "vfio", "open", DEV)).stdout.trim();
  await fb(root, "mode", DEV, "800x600x32");
  await fb(root, "draw", DEV, "pattern", "bars");
  const bars = await snapshot(root);
  assert.deepEqual([bars.image.width, bars.image.height], [800, 600]);
  for (const x of [0, 100, 250, 799]) {
    assert.deepEqual(bars.pixel(x, 10), opaque(patternPixel("bars", x, 10, 800)));
  }
  await fb(root, "mode", DEV, "1280x1024x32");
  await fb(root, "draw", DEV, "pattern", "checker", "--handle", handle);
  await fb(root, "draw", DEV, "fill", "1000", "1000", "300", "300", "0x00ffff");
  const checker = await snapshot(root);
  assert.deepEqual([checker.image.width, checker.image.height], [1280, 1024]);
  assert.deepEqual(checker.pixel(33, 1), opaque(patternPixel("checker", 33, 1, 1280)));
  assert.deepEqual(checker.pixel(1279, 1023), opaque(0x00ffff));
  assert.deepEqual(checker.pixel(999, 1023), opaque(patternPixel("checker", 999, 1023, 1280)));
});

Deno.test("fb draw on mbochs without an open handle warns that the VRAM is dropped", async () => {
  const root = await rootWith("mbochs", "mbochs-small");
  await fb(root, "mode", DEV, "640x480x32");
  const run = await mdevsim(root, "fb", "draw", DEV, "fill", "0", "0", "640", "480", "0xffffff");
  assert.equal(run.code, 0);
  assert.match(run.stderr, /drops its VRAM/);
  const { pixel } = await snapshot(root);
  assert.deepEqual(pixel(0, 0), [0, 0, 0, 255]);
});

Deno.test("fb mode accepts only mdpy's fixed mode and bochs' 32 bpp modes that fit (EINVAL)", async () => {
  const mdpy = await rootWith("mdpy", "mdpy-vga");
  assert.equal((await mdevsim(mdpy, "fb", "mode", DEV, "640x480x32")).code, 0);
  const other = await mdevsim(mdpy, "fb", "mode", DEV, "800x600x32");
  assert.equal(other.code, 1);
  assert.match(other.stderr, /\(EINVAL\)/);
  assert.equal((await mdevsim(mdpy, "fb", "mode", DEV, "640x480")).code, 2);
  const mbochs = await rootWith("mbochs", "mbochs-small");
  for (const mode of ["1024x768x16", "2048x1536x32"]) {
    const run = await mdevsim(mbochs, "fb", "mode", DEV, mode);
    assert.equal(run.code, 1, mode);
    assert.match(run.stderr, /\(EINVAL\)/);
  }
});

Deno.test("fb snapshot and damage without a mode fail with ENODATA; bad draw input exits 2", async () => {
  const root = await rootWith("mbochs", "mbochs-small");
  const shot = await mdevsim(root, "fb", "snapshot", DEV, "--out", `${root}/x.png`);
  assert.equal(shot.code, 1);
  assert.match(shot.stderr, /\(ENODATA\)/);
  assert.equal((await mdevsim(root, "fb", "damage", DEV)).code, 1);
  for (
    const args of [["fill", "1", "2"], ["fill", "0", "0", "1", "1", "red"], ["spray"], [
      "pattern",
      "plaid",
    ]]
  ) {
    assert.equal((await mdevsim(root, "fb", "draw", DEV, ...args)).code, 2, args.join(" "));
  }
  const unknown = await mdevsim(root, "fb", "info", "83b8f4f2-509f-382f-3c1e-e6bfe0fa1999");
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /\(ENOENT\)/);
});
