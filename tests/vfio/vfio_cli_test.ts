import assert from "node:assert/strict";
import fc from "fast-check";
import { parseScript } from "../../lib/vfio/script.ts";

const DEV2 = "11111111-2222-3333-4444-555555555555";
const DEV1 = "66666666-7777-8888-9999-aaaaaaaaaaaa";
const LAUNCHER = new URL("../../mdevsim", import.meta.url).pathname;
const roots: string[] = [];
globalThis.addEventListener("unload", () => {
  for (const root of roots) Deno.removeSync(root, { recursive: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI against `root`, feeding `stdin` as the script when given. */
async function cli(root: string, args: string[], stdin = ""): Promise<Run> {
  const child = new Deno.Command(LAUNCHER, {
    args,
    env: { MDEVSIM_ROOT: root, NO_COLOR: "1" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

/** A fresh state root with mtty loaded and an mtty-2 (and optionally an mtty-1) created. */
async function freshRoot(withSinglePort = false): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "mdevsim-vfio-" });
  roots.push(root);
  assert.equal((await cli(root, ["modprobe", "mtty"])).code, 0);
  assert.equal((await cli(root, ["create", "-p", "mtty", "-t", "mtty-2", "-u", DEV2])).code, 0);
  if (withSinglePort) {
    assert.equal((await cli(root, ["create", "-p", "mtty", "-t", "mtty-1", "-u", DEV1])).code, 0);
  }
  return root;
}

/** Runs a script on DEV2 (or `device`) and returns its output lines. */
async function script(root: string, source: string, device = DEV2): Promise<string[]> {
  const r = await cli(root, ["vfio", "run", device], source);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trimEnd().split("\n");
}

Deno.test("vfio run reads mtty's config space (samples T1) and sizes BAR0 (T2)", async () => {
  const root = await freshRoot();
  const out = await script(
    root,
    [
      "r32 config 0x00",
      "r32 config 0x04",
      "r32 config 0x08",
      "r32 config 0x2c",
      "r32 config 0x3c",
      "r32 config 0x40",
      "rb config 0x60 15",
      "w32 config 0x10 0xffffffff",
      "r32 config 0x10",
      "w32 config 0x10 0xc150",
      "r32 config 0x10",
    ].join("\n"),
  );
  assert.deepEqual(out, [
    "0x32534348",
    "0x02000001",
    "0x07000210",
    "0x32534348",
    "0x00000100",
    "0x80000023",
    new TextEncoder().encode("PCI Serial/UART").reduce(
      (s, b) => s + b.toString(16).padStart(2, "0"),
      "",
    ),
    "ok",
    "0xfffffff9",
    "ok",
    "0x0000c151",
  ]);
});

Deno.test("vfio run reports region and IRQ info with mtty's GET_INFO quirk (T7, T8)", async () => {
  const root = await freshRoot(true);
  const out = await script(
    root,
    [
      "ioctl irq 0",
      "ioctl region 0",
      "ioctl region 1",
      "ioctl region 7",
      "ioctl region 2",
      "ioctl region 9",
      "ioctl info",
      "ioctl irq 0",
      "ioctl irq 1",
      "ioctl irq 2",
    ].join("\n"),
    DEV1,
  );
  assert.deepEqual(out, [
    "error EINVAL",
    "index=0 flags=0x3 size=0x8 offset=0x0",
    "index=1 flags=0x3 size=0x0 offset=0x10000000000",
    "index=7 flags=0x3 size=0xff offset=0x70000000000",
    "index=2 flags=0x3 size=0x0 offset=0x20000000000",
    "error EINVAL",
    "flags=0x2 num_regions=9 num_irqs=5",
    "index=0 flags=0x7 count=1",
    "index=1 flags=0x9 count=1",
    "error EINVAL",
  ]);
});

Deno.test("vfio run drives the UART registers through bar0 (T9-T12)", async () => {
  const root = await freshRoot();
  const t9 = ["r8 bar0 1", "r8 bar0 2", "r8 bar0 3", "r8 bar0 4", "r8 bar0 5", "r8 bar0 6"]
    .concat("r8 bar0 7");
  const t10 = ["w8 bar0 2 0x07", "w8 bar0 2 0x01", "w8 bar0 0 0x41", "w8 bar0 0 0x42"]
    .concat("r8 bar0 5", "r8 bar0 0", "r8 bar0 0", "r8 bar0 5");
  const t11 = ["w8 bar0 2 0x07", "w8 bar0 2 0x01"]
    .concat(Array.from({ length: 17 }, (_, i) => `w8 bar0 0 ${i}`))
    .concat("r8 bar0 5", ...Array.from({ length: 16 }, () => "r8 bar0 0"))
    .concat("r8 bar0 5", "w8 bar0 0 0x55", "r8 bar0 5");
  // T12 starts from an empty FIFO: FCR 0x07 clears what T11 left, then FCR 0 shrinks it to 1.
  const t12 = [
    "w8 bar0 2 0x07",
    "w8 bar0 2 0x00",
    "w8 bar0 0 0x11",
    "w8 bar0 0 0x22",
    "r8 bar0 5",
    "r8 bar0 0",
  ];
  const out = await script(root, [...t9, ...t10, ...t11, ...t12].join("\n"));
  const hex = (v: number) => "0x" + v.toString(16).padStart(2, "0");
  assert.deepEqual(out.slice(0, 7), ["0x00", "0xc1", "0x00", "0x00", "0x60", "0xb3", "0x00"]);
  assert.deepEqual(out.slice(11, 15), ["0x01", "0x41", "0x42", "0x60"]);
  const t11Out = out.slice(15 + 19);
  assert.equal(t11Out[0], "0x03");
  assert.deepEqual(t11Out.slice(1, 17), Array.from({ length: 16 }, (_, i) => hex(i)));
  assert.deepEqual(t11Out.slice(17, 20), ["0x62", "ok", "0x01"]);
  assert.deepEqual(out.slice(-2), ["0x03", "0x11"]);
});

Deno.test("vfio run counts auto-masked INTx events and drops them while masked", async () => {
  const root = await freshRoot();
  const out = await script(
    root,
    [
      "ioctl info",
      "irq arm 0",
      "w8 bar0 1 0x02 # THRI with an empty FIFO interrupts",
      "irq count 0",
      "w8 bar0 1 0x00",
      "w8 bar0 1 0x02 # masked: dropped, not latched",
      "irq count 0",
      "irq unmask 0",
      "w8 bar0 1 0x00",
      "w8 bar0 1 0x02",
      "irq count 0",
      "irq disarm 0",
      "irq count 0",
    ].join("\n"),
  );
  assert.deepEqual(out.slice(1), [
    "ok",
    "ok",
    "1",
    "ok",
    "ok",
    "1",
    "ok",
    "ok",
    "ok",
    "2",
    "ok",
    "error EINVAL",
  ]);
});

Deno.test("vfio run continues past malformed lines and --strict stops with exit 1", async () => {
  const root = await freshRoot();
  const source = "r8 bar0 5\nfrob 1\n\n# comment\nw8 bar0 7 0x100\nr8 bar2 0\nr8 bar0 7\n";
  assert.deepEqual(await script(root, source), [
    "0x60",
    "error EINVAL",
    "error EINVAL",
    "error EFAULT",
    "0x00",
  ]);
  const strict = await cli(root, ["vfio", "run", DEV2, "--strict"], source);
  assert.equal(strict.code, 1);
  assert.equal(strict.stdout, "0x60\n");
  assert.equal(strict.stderr.trim(), "mdevsim: vfio run: line 2: Invalid argument (EINVAL)");
  const json = await cli(root, ["--json", "vfio", "run", DEV2], "r8 bar0 5\nfrob\n");
  assert.deepEqual(JSON.parse(json.stdout), [
    { line: 1, op: "r8 bar0 5", result: "0x60" },
    { line: 2, op: "frob", error: "EINVAL" },
  ]);
});

Deno.test("vfio run never crashes on arbitrary script text", async () => {
  const root = await freshRoot();
  const lines = fc.sample(
    fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.constantFrom("r8", "w64", "irq", "ioctl", "bar0", "config", "0x", "#", "-1", " ").chain(
        (word) => fc.array(fc.constantFrom(word, "1", "0xff", "bar1", "count"), { maxLength: 4 }),
      ).map((words) => words.join(" ")),
    ).map((line) => line.replaceAll("\n", " ")),
    { numRuns: 60, seed: 42 },
  );
  const source = lines.join("\n");
  const r = await cli(root, ["vfio", "run", DEV2], source);
  assert.equal(r.code, 0, r.stderr);
  const printed = r.stdout === "" ? [] : r.stdout.trimEnd().split("\n");
  assert.equal(printed.length, parseScript(source).length);
});

Deno.test("vfio info and vfio config decode the device and dump config space", async () => {
  const root = await freshRoot();
  const info = await cli(root, ["vfio", "info", DEV2]);
  assert.equal(info.code, 0, info.stderr);
  const lines = info.stdout.trimEnd().split("\n");
  assert.equal(lines[0], "info flags=0x2 num_regions=9 num_irqs=5");
  assert.equal(lines.length, 1 + 9 + 5);
  assert.equal(lines[8], "region index=7 flags=0x3 size=0xff offset=0x70000000000");
  assert.equal(lines[10], "irq index=0 flags=0x7 count=1");
  assert.equal(lines[12], "irq index=2 error EINVAL");
  const config = await cli(root, ["vfio", "config", DEV2, "--lspci"]);
  assert.equal(config.code, 0, config.stderr);
  const dump = config.stdout.split("\n");
  assert.equal(dump[0], "00:00.0 Serial controller: Device 4348:3253 (rev 10)");
  assert.equal(dump[1], "00: 48 43 53 32 01 00 00 02 10 02 00 07 00 00 00 00");
  assert.equal(dump[16], "f0: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
  assert.equal(dump.length, 19);
  assert.ok(config.stdout.endsWith("\n\n"));
  const unknown = await cli(root, ["vfio", "open", DEV1]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, new RegExp(`/sys/bus/mdev/devices/${DEV1}: .*\\(ENOENT\\)`));
});

Deno.test("vfio handles persist, hold a removal pending and the last close completes it", async () => {
  const root = await freshRoot();
  const opened = await cli(root, ["vfio", "open", DEV2]);
  assert.equal(opened.code, 0, opened.stderr);
  const handle = opened.stdout.trim();
  assert.match(handle, /^[0-9]+$/);
  const listed = JSON.parse((await cli(root, ["--json", "vfio", "handles"])).stdout);
  assert.deepEqual(listed.handles, [
    { handle: Number(handle), device: DEV2, vfio: "vfio0", group: 0, open_count: 1 },
  ]);
  const run1 = await cli(root, ["vfio", "run", DEV2, "--handle", handle], "w8 bar0 7 0x5a\n");
  assert.equal(run1.stdout, "ok\n");
  const run2 = await cli(root, ["vfio", "run", DEV2, "--handle", handle], "r8 bar0 7\n");
  assert.equal(run2.stdout, "0x5a\n");
  const wrong = await cli(root, ["vfio", "run", DEV1, "--handle", handle], "r8 bar0 7\n");
  assert.equal(wrong.code, 1);
  const removed = await cli(root, ["remove", DEV2]);
  assert.equal(removed.code, 0);
  assert.match(removed.stderr, /pending/);
  const reopen = await cli(root, ["vfio", "open", DEV2]);
  assert.equal(reopen.code, 1);
  // ENODEV, not ENOENT: the mdev still exists, only its VFIO device left the group.
  assert.match(reopen.stderr, /\(ENODEV\)/);
  const closed = await cli(root, ["vfio", "close", handle]);
  assert.equal(closed.code, 0, closed.stderr);
  assert.match(closed.stderr, /completed/);
  assert.equal((await cli(root, ["list"])).stdout.trim(), "");
  const types = (await cli(root, ["types"])).stdout;
  assert.match(types, /mtty-1\n {4}Available instances: 24/);
  assert.match(types, /mtty-2\n {4}Available instances: 12/);
  assert.deepEqual(JSON.parse((await cli(root, ["--json", "vfio", "handles"])).stdout), {
    handles: [],
  });
});
