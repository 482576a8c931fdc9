import assert from "node:assert/strict";
import { type CliRun, mdevsim, mdevsimWith, tempRoot } from "../../cli/_cli.ts";

const U = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001";
const SCH = "0.0.0001";

async function ok(root: string, ...args: string[]): Promise<CliRun> {
  const run = await mdevsim(root, ...args);
  assert.equal(run.code, 0, `${args.join(" ")}: ${run.stderr}`);
  return run;
}

/** A program file in a fresh temporary directory. */
async function programFile(program: unknown): Promise<string> {
  const dir = await tempRoot();
  const file = `${dir}/program.json`;
  await Deno.writeTextFile(file, JSON.stringify(program));
  return file;
}

/** A root with vfio_ccw loaded, 0.0.0001 handed to it the documented way, and U created. */
async function rootWithCcwDevice(): Promise<string> {
  const root = await tempRoot();
  await ok(root, "modprobe", "vfio_ccw");
  await ok(root, "unbind", "css", SCH);
  await ok(root, "override", "css", SCH, "vfio_ccw");
  await ok(root, "probe", "css", SCH);
  await ok(root, "create", "-p", SCH, "-t", "vfio_ccw-io", "-u", U);
  return root;
}

/** SEEK to block 7 command-chained to a 4 KiB WRITE or READ of 0x20000 (cli.md §6 file). */
function blockProgram(command: "01" | "02", data?: string) {
  return {
    orb: "11223344 00 C2 FF 00 00001000",
    memory: [
      { addr: "0x1000", hex: `07400004 00003000 ${command}001000 00020000` },
      { addr: "0x3000", hex: "00000007" },
      ...(data === undefined ? [] : [{ addr: "0x20000", hex: data }]),
    ],
  };
}

Deno.test("mdevsim hands a subchannel to vfio_ccw and back as the kernel documentation does", async () => {
  const root = await tempRoot();
  await ok(root, "modprobe", "vfio_ccw");
  await ok(root, "unbind", "css", SCH);
  await ok(root, "override", "css", SCH, "vfio_ccw");
  await ok(root, "probe", "css", SCH);
  const link = await ok(root, "sysfs", "readlink", `/sys/bus/css/devices/${SCH}/driver`);
  assert.match(link.stdout, /drivers\/vfio_ccw\n$/);
  const types = await ok(root, "types", "-p", SCH);
  assert.equal(
    types.stdout,
    `${SCH}\n  vfio_ccw-io\n    Available instances: 1\n    Device API: vfio-ccw\n` +
      "    Name: I/O subchannel (Non-QDIO)\n\n",
  );
  assert.equal(
    (await ok(root, "create", "-p", SCH, "-t", "vfio_ccw-io", "-u", U)).stdout,
    `${U}\n`,
  );
  const dir = await ok(root, "sysfs", "ls", `/sys/devices/css0/${SCH}`);
  for (const name of ["parent", U, "mdev_supported_types"]) {
    assert.ok(dir.stdout.split("\n").includes(name), name);
  }
  assert.match((await ok(root, "types", "-p", SCH)).stdout, /Available instances: 0/);
  // And the reverse.
  await ok(root, "remove", U);
  await ok(root, "unbind", "css", SCH);
  await ok(root, "override", "css", SCH, "--clear");
  await ok(root, "probe", "css", SCH);
  const back = await ok(root, "sysfs", "readlink", `/sys/bus/css/devices/${SCH}/driver`);
  assert.match(back.stdout, /drivers\/io_subchannel\n$/);
  await ok(root, "rmmod", "vfio_ccw");
  assert.doesNotMatch((await ok(root, "lsmod")).stdout, /vfio_ccw/);
});

Deno.test("mdevsim bind css binds a subchannel to vfio_ccw without an override", async () => {
  const root = await tempRoot();
  await ok(root, "modprobe", "vfio_ccw");
  await ok(root, "unbind", "css", SCH);
  await ok(root, "bind", "css", SCH, "vfio_ccw");
  assert.match((await ok(root, "types", "-p", SCH)).stdout, /vfio_ccw-io/);
});

Deno.test("mdevsim vfio run drives the regions of a vfio-ccw mdev", async () => {
  const root = await rootWithCcwDevice();
  const script = [
    "ioctl info",
    "ioctl region 2",
    "irq arm 0",
    "dma map 0 0x100000",
    "mem write 0x1000 0740000400003000 0100100000020000",
    "mem write 0x3000 00000007",
    "mem write 0x20000 cafe",
    "wb io 0 1122334400c2ff0000001000",
    "w32 io 12 0x00004400",
    "rb io 24 12",
    "r32 io 120",
    "irq count 0",
    "r16 schib 6",
    "r32 crw 0",
    "w32 schib 0 0",
  ].join("\n").replace(/(mem write 0x1000) (\w+) (\w+)/, "$1 $2$3");
  const run = await mdevsimWith(root, ["vfio", "run", U], { stdin: script });
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(run.stdout.trimEnd().split("\n"), [
    "flags=0x11 num_regions=4 num_irqs=3",
    "index=2 flags=0x9 size=0x34 offset=0x800",
    "ok",
    "ok",
    "ok",
    "ok",
    "ok",
    "ok",
    "ok",
    "00c04007000010100c000000",
    "0x00000000",
    "1",
    "0x1001",
    "0x00000000",
    "error EINVAL",
  ]);
});

Deno.test("mdevsim ccw translate prints the translation report (V01)", async () => {
  const file = await programFile({
    orb: "11223344 00 C2 FF 00 00001000",
    memory: [{ addr: "0x1000", hex: "02200050 00010000" }],
  });
  const root = await tempRoot();
  const json = await ok(root, "--json", "ccw", "translate", file);
  assert.deepEqual(JSON.parse(json.stdout), {
    rc: 0,
    errno: null,
    hostOrb: { byte4: "0x00", byte5: "0xc2", lpm: "0xff", byte7: "0x00" },
    segments: [{
      iova: "0x1000",
      ccws: [{
        cmd: "0x02",
        flags: "0x24",
        count: 80,
        tic: null,
        idaws: [{ value: "0x10000", pinned: true }],
      }],
    }],
  });
  const text = await ok(root, "ccw", "translate", file, "--engine", "ts");
  assert.equal(
    text.stdout,
    "rc 0\nhost ORB byte4=0x00 byte5=0xc2 lpm=0xff byte7=0x00\nsegment 0 iova=0x1000\n" +
      "  ccw  cmd   flags  count  tic  idaws\n  0    0x02  0x24   80     -    0x10000 pinned\n",
  );
});

Deno.test("mdevsim ccw translate reports a failed translation and exits 1 (V11)", async () => {
  const file = await programFile({
    orb: "11223344 00 C2 FF 00 00001000",
    memory: [{ addr: "0x1000", hex: "02000010 00100000" }],
  });
  const root = await tempRoot();
  const run = await mdevsim(root, "--json", "ccw", "translate", file);
  assert.equal(run.code, 1);
  assert.deepEqual(JSON.parse(run.stdout), {
    rc: -22,
    errno: "EINVAL",
    hostOrb: null,
    segments: [],
  });
  const text = await mdevsim(root, "ccw", "translate", file);
  assert.equal(text.code, 1);
  assert.equal(text.stdout, "rc -22 (EINVAL)\nhost ORB -\n");
});

Deno.test("mdevsim ccw translate refuses a malformed program file with the error document", async () => {
  const file = await programFile({ orb: "1122" });
  const root = await tempRoot();
  const run = await mdevsim(root, "--json", "ccw", "translate", file);
  assert.equal(run.code, 1);
  assert.equal(JSON.parse(run.stdout).error.errno, "EINVAL");
  const engine = await mdevsim(root, "ccw", "translate", file, "--engine", "asm");
  assert.equal(engine.code, 2);
});

Deno.test("mdevsim ccw run writes 4 KiB to the DASD and reads it back", async () => {
  const root = await rootWithCcwDevice();
  const data = "5a".repeat(4096);
  const write = await ok(root, "ccw", "run", U, await programFile(blockProgram("01", data)));
  assert.equal(
    write.stdout.split("\n").slice(0, 4).join("\n"),
    "ret_code 0\ninterrupts 1\n" +
      "scsw key=0 cc=0 fctl=start actl=- stctl=primary,secondary,status-pending\n" +
      "     cpa=0x1010 dstat=0x0c (CE,DE) cstat=0x00 (-) count=0",
  );
  const handle = (await ok(root, "vfio", "open", U)).stdout.trim();
  const read = await ok(
    root,
    "--json",
    "ccw",
    "run",
    U,
    await programFile(blockProgram("02")),
    "--handle",
    handle,
  );
  const result = JSON.parse(read.stdout);
  assert.equal(result.retCode, 0);
  assert.equal(result.irb.scsw.dstat, "0x0c");
  const back = await mdevsimWith(root, ["vfio", "run", U, "--handle", handle], {
    stdin: "mem read 0x20000 4096\n",
  });
  assert.equal(back.stdout, `${data}\n`);
  await ok(root, "vfio", "close", handle);
});

Deno.test("mdevsim ccw run prints a refused request with its ret_code and exits 1", async () => {
  const root = await rootWithCcwDevice();
  const program = { ...blockProgram("02"), orb: "11223344 00 C6 FF 00 00001000" };
  const run = await mdevsim(root, "ccw", "run", U, await programFile(program));
  assert.equal(run.code, 1);
  assert.match(run.stdout, /^ret_code -95 \(EOPNOTSUPP\)\ninterrupts 0\n/);
});

Deno.test("mdevsim rmmod and unbind wait for the last vfio-ccw handle", async () => {
  const root = await rootWithCcwDevice();
  const handle = (await ok(root, "vfio", "open", U)).stdout.trim();
  const busy = await mdevsim(root, "rmmod", "vfio_ccw");
  assert.equal(busy.code, 1);
  assert.match(busy.stderr, /EAGAIN/);
  const unbind = await ok(root, "unbind", "css", SCH);
  assert.match(unbind.stderr, /pending/);
  const entries = async () =>
    (await ok(root, "sysfs", "ls", `/sys/devices/css0/${SCH}`)).stdout.split("\n");
  // The mdev's device_del sleeps in the VFIO unregistration, so nothing is gone yet.
  assert.ok((await entries()).includes(U));
  assert.ok((await entries()).includes("parent"));
  await ok(root, "vfio", "close", handle);
  assert.ok(!(await entries()).includes(U));
  assert.ok(!(await entries()).includes("parent"));
  await ok(root, "rmmod", "vfio_ccw");
});
