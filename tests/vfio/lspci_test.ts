/**
 * `mdevsim vfio config UUID --lspci` read back by the real `lspci -vv -F`
 * (cli.md §5): for every sample type, lspci must decode the vendor:device,
 * class and revision of samples.md §2.2, §3.2 and §4.2, and its BARs'
 * kinds and sizes.
 *
 * A config-space dump carries no BAR sizes (lspci prints `[size=…]` only
 * when the access method reports them, and the dump method never does),
 * so the dump is taken after the BARs are sized the way an OS sizes them
 * (all ones written): lspci shows the read-back value as the region's
 * address, and the size is 2^32 minus it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { mdevsim, type Run, tempRoot } from "../mdevctl/_fixture.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

/** One BAR as lspci decodes it. */
interface Region {
  index: number;
  kind: "I/O ports" | "Memory";
  /** lspci's parenthesised memory attributes, e.g. `32-bit, prefetchable`; "" for I/O. */
  attributes: string;
  size: number;
}

/** What a sample type's config space must decode to. */
interface Expected {
  module: string;
  parent: string;
  type: string;
  vendorDevice: string;
  classCode: string;
  revision: string;
  regions: Region[];
}

const ioBar = (index: number): Region => ({ index, kind: "I/O ports", attributes: "", size: 8 });
const memBar = (index: number, size: number, prefetchable = true): Region => ({
  index,
  kind: "Memory",
  attributes: prefetchable ? "32-bit, prefetchable" : "32-bit, non-prefetchable",
  size,
});

const mtty = (type: string, regions: Region[]): Expected => ({
  module: "mtty",
  parent: "mtty",
  type,
  vendorDevice: "4348:3253",
  classCode: "0700",
  revision: "10",
  regions,
});
const mdpy = (type: string, framebuffer: number): Expected => ({
  module: "mdpy",
  parent: "mdpy",
  type,
  vendorDevice: "1b36:000f",
  classCode: "0380",
  revision: "01",
  regions: [memBar(0, framebuffer)],
});
const mbochs = (type: string, vram: number): Expected => ({
  module: "mbochs",
  parent: "mbochs",
  type,
  vendorDevice: "1234:1111",
  classCode: "0380",
  revision: "01",
  // BAR2: the MMIO registers, one page.
  regions: [memBar(0, vram), memBar(2, 4 * KiB, false)],
});

/** samples.md §2.2 (mtty), §3.1–3.2 (mdpy), §4.1–4.2 (mbochs). */
const TYPES: Expected[] = [
  // The 1-port type stores 0 for any write to BAR1, so lspci shows no region 1.
  mtty("mtty-1", [ioBar(0)]),
  mtty("mtty-2", [ioBar(0), ioBar(1)]),
  mdpy("mdpy-vga", 2 * MiB),
  mdpy("mdpy-xga", 4 * MiB),
  mdpy("mdpy-hd", 8 * MiB),
  mbochs("mbochs-small", 4 * MiB),
  mbochs("mbochs-medium", 16 * MiB),
  mbochs("mbochs-large", 64 * MiB),
];

/** The six BAR registers written with all ones: what an OS does to size them. */
const SIZE_BARS = [0x10, 0x14, 0x18, 0x1c, 0x20, 0x24]
  .map((offset) => `w32 config 0x${offset.toString(16)} 0xffffffff\n`).join("");

function lspciMissing(): string | undefined {
  try {
    const run = new Deno.Command("lspci", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync();
    return run.success ? undefined : "lspci --version failed";
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "lspci (pciutils) is not installed";
    throw error;
  }
}

function assertOk(run: Run, what: string): Run {
  assert.equal(run.code, 0, `${what} failed: ${run.stderr}`);
  return run;
}

const root = tempRoot();
const missing = lspciMissing();
const unloadable = new Map<string, string>();
if (missing === undefined) {
  for (const module of new Set(TYPES.map((t) => t.module))) {
    const run = await mdevsim(root, ["modprobe", module]);
    if (run.code !== 0) unloadable.set(module, run.stderr.trim());
  }
}

/** `lspci -nn -vv -F` of the device's current `vfio config --lspci` dump. */
async function lspciOf(uuid: string): Promise<string> {
  const dump = assertOk(await mdevsim(root, ["vfio", "config", uuid, "--lspci"]), "vfio config");
  const file = `${tempRoot()}/config.txt`;
  Deno.writeTextFileSync(file, dump.stdout);
  const lspci = await new Deno.Command("lspci", {
    args: ["-nn", "-vv", "-F", file],
    stdout: "piped",
    stderr: "piped",
  }).output();
  // stderr may say that libkmod has nothing to say about a dump; only the exit code matters.
  assert.equal(lspci.code, 0, new TextDecoder().decode(lspci.stderr));
  return new TextDecoder().decode(lspci.stdout);
}

/** The `Region N: …` lines, with the size an all-ones read-back value stands for. */
function sizedRegions(lspci: string): Region[] {
  const lines = lspci.matchAll(
    /^\tRegion (\d): (I\/O ports|Memory) at ([0-9a-f]+)(?: \(([^)]*)\))?/gm,
  );
  return [...lines].map(([, index, kind, address, attributes]) => ({
    index: Number(index),
    kind: kind as Region["kind"],
    attributes: attributes ?? "",
    size: 2 ** 32 - parseInt(address!, 16),
  }));
}

if (missing !== undefined) console.log(`lspci_test: skipped: ${missing}`);
for (const [module, reason] of unloadable) {
  console.log(`lspci_test: ${module} types skipped: ${reason}`);
}

for (const expected of TYPES) {
  const reason = missing ?? unloadable.get(expected.module);
  const { vendorDevice, classCode, revision } = expected;
  Deno.test({
    name: `vfio config --lspci of ${expected.type} decodes in lspci as [${vendorDevice}], ` +
      `class ${classCode}, rev ${revision}, with its BARs' kinds and sizes`,
    ignore: reason !== undefined,
    async fn() {
      const created = await mdevsim(root, ["create", "-p", expected.parent, "-t", expected.type]);
      const uuid = assertOk(created, `create ${expected.type}`).stdout.trim();

      const sizing = await mdevsim(root, ["vfio", "run", uuid, "--strict"], SIZE_BARS);
      assertOk(sizing, "sizing the BARs");
      const lspci = await lspciOf(uuid);
      const header = lspci.split("\n")[0]!;
      assert.match(header, new RegExp(`^00:00\\.0 .*\\[${classCode}\\]: .*\\[${vendorDevice}\\]`));
      assert.match(header, new RegExp(`\\(rev ${revision}\\)`));
      assert.deepEqual(sizedRegions(lspci), expected.regions);
    },
  });
}
