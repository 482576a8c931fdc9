import assert from "node:assert/strict";
import { type CliRun, mdevsim, tempRoot } from "./_cli.ts";

const U1 = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001";
const PLATFORM = "/sys/bus/platform";

function assertOk(run: CliRun): CliRun {
  assert.equal(run.code, 0, run.stderr);
  return run;
}

function assertErrno(run: CliRun, errno: string): void {
  assert.equal(run.code, 1, run.stdout);
  assert.match(run.stderr, new RegExp(`\\(${errno}\\)`));
}

/** Runs the commands one after the other (their order matters), each expected to succeed. */
async function steps(root: string, ...commands: string[][]): Promise<void> {
  for (const args of commands) assertOk(await mdevsim(root, ...args));
}

/** The driver a platform device is bound to, or undefined when its `driver` link is absent. */
async function boundTo(root: string, device: string): Promise<string | undefined> {
  const run = await mdevsim(root, "sysfs", "readlink", `${PLATFORM}/devices/${device}/driver`);
  if (run.code === 1 && run.stderr.includes("(ENOENT)")) return undefined;
  return assertOk(run).stdout.trim().split("/").at(-1);
}

/** A root with devices foo0 and bar0 and driver fdrv matching `foo*` (which autoprobe bound). */
async function platformRoot(): Promise<string> {
  const root = await tempRoot();
  await steps(
    root,
    ["platform", "add-device", "foo0"],
    ["platform", "add-device", "bar0"],
    ["platform", "add-driver", "fdrv", "--match", "foo*"],
  );
  return root;
}

Deno.test("platform add-driver --match autoprobes the matching devices only", async () => {
  const root = await platformRoot();
  const [link, bar, listing] = await Promise.all([
    mdevsim(root, "sysfs", "readlink", `${PLATFORM}/devices/foo0/driver`),
    boundTo(root, "bar0"),
    mdevsim(root, "sysfs", "ls", "-l", `${PLATFORM}/drivers/fdrv`),
  ]);
  assert.equal(assertOk(link).stdout, "../../../bus/platform/drivers/fdrv\n");
  assert.equal(bar, undefined);
  assert.ok(
    assertOk(listing).stdout.includes("foo0 -> ../../../../devices/platform/foo0\n"),
    listing.stdout,
  );
});

Deno.test("unbind releases the driver and a bind write rebinds it, returning the count", async () => {
  const root = await platformRoot();
  assertOk(await mdevsim(root, "unbind", "platform", "foo0"));
  assert.equal(await boundTo(root, "foo0"), undefined);
  assertErrno(await mdevsim(root, "unbind", "platform", "foo0"), "ENODEV");
  const write = await mdevsim(
    root,
    "--json",
    "sysfs",
    "write",
    `${PLATFORM}/drivers/fdrv/bind`,
    "foo0",
  );
  assert.equal(JSON.parse(assertOk(write).stdout).count, "foo0\n".length);
  assert.equal(await boundTo(root, "foo0"), "fdrv");
  assertOk(await mdevsim(root, "unbind", "platform", "foo0"));
  assertOk(await mdevsim(root, "bind", "platform", "foo0", "fdrv"));
  assert.equal(await boundTo(root, "foo0"), "fdrv");
});

Deno.test("bind of a bound device fails with EBUSY", async () => {
  const root = await platformRoot();
  const bind = await mdevsim(root, "bind", "platform", "foo0", "fdrv");
  assert.equal(bind.code, 1);
  assert.equal(
    bind.stderr,
    "mdevsim: bind: /sys/bus/platform/drivers/fdrv/bind: Device or resource busy (EBUSY)\n",
  );
});

Deno.test("an injected ENOMEM probe makes bind fail once with ENOMEM, then bind succeeds", async () => {
  const root = await platformRoot();
  await steps(
    root,
    ["unbind", "platform", "foo0"],
    ["inject", "platform", "fdrv", "--probe", "ENOMEM"],
  );
  assertErrno(await mdevsim(root, "bind", "platform", "foo0", "fdrv"), "ENOMEM");
  assert.equal(await boundTo(root, "foo0"), undefined);
  assertOk(await mdevsim(root, "bind", "platform", "foo0", "fdrv"));
  assert.equal(await boundTo(root, "foo0"), "fdrv");
});

Deno.test("an injected EPROBE_DEFER reaches a bind writer as EAGAIN and queues no retry", async () => {
  const root = await platformRoot();
  await steps(
    root,
    ["platform", "add-driver", "bdrv", "--match", "bar*"],
    ["unbind", "platform", "foo0"],
    ["unbind", "platform", "bar0"],
    ["inject", "platform", "fdrv", "--probe", "EPROBE_DEFER", "--times", "2"],
  );
  const text = await mdevsim(root, "bind", "platform", "foo0", "fdrv");
  assertErrno(text, "EAGAIN");
  assert.doesNotMatch(text.stderr, /517|EPROBE_DEFER/);
  const json = await mdevsim(root, "--json", "bind", "platform", "foo0", "fdrv");
  assert.equal(json.code, 1);
  assert.doesNotMatch(json.stdout, /517|EPROBE_DEFER/);
  assert.deepEqual(
    { errno: JSON.parse(json.stdout).error.errno, code: JSON.parse(json.stdout).error.code },
    { errno: "EAGAIN", code: 11 },
  );
  // A sysfs bind never puts the device on the deferred list (§3.3), so another device's
  // successful binding (a deferred-probe trigger) leaves foo0 unbound.
  assertOk(await mdevsim(root, "bind", "platform", "bar0", "bdrv"));
  assert.equal(await boundTo(root, "foo0"), undefined);
});

Deno.test("a probe deferred during autoprobe is retried when another device binds", async () => {
  const root = await tempRoot();
  await steps(
    root,
    ["platform", "add-device", "bar0"],
    ["platform", "add-driver", "bdrv", "--match", "bar*"],
    ["unbind", "platform", "bar0"],
    ["platform", "add-driver", "fdrv", "--match", "foo*"],
    ["inject", "platform", "fdrv", "--probe", "EPROBE_DEFER"],
    ["platform", "add-device", "foo1"],
  );
  assert.equal(await boundTo(root, "foo1"), undefined);
  assertOk(await mdevsim(root, "bind", "platform", "bar0", "bdrv"));
  assert.equal(await boundTo(root, "foo1"), "fdrv");
});

Deno.test("override names the only driver a device matches and probe then binds it", async () => {
  const root = await platformRoot();
  const override = `${PLATFORM}/devices/bar0/driver_override`;
  assert.equal(assertOk(await mdevsim(root, "sysfs", "cat", override)).stdout, "(null)\n");
  assertOk(await mdevsim(root, "override", "platform", "bar0", "fdrv"));
  assert.equal(assertOk(await mdevsim(root, "sysfs", "cat", override)).stdout, "fdrv\n");
  // Setting an override never probes by itself.
  assert.equal(await boundTo(root, "bar0"), undefined);
  assertOk(await mdevsim(root, "probe", "platform", "bar0"));
  assert.equal(await boundTo(root, "bar0"), "fdrv");
  assertOk(await mdevsim(root, "override", "platform", "bar0", "--clear"));
  assert.equal(assertOk(await mdevsim(root, "sysfs", "cat", override)).stdout, "(null)\n");
  assert.equal(await boundTo(root, "bar0"), "fdrv", "clearing the override does not unbind");
});

Deno.test("writing 0 to drivers_autoprobe stops autoprobe but not an explicit probe", async () => {
  const root = await tempRoot();
  await steps(
    root,
    ["sysfs", "write", `${PLATFORM}/drivers_autoprobe`, "0"],
    ["platform", "add-driver", "fdrv", "--match", "foo*"],
    ["platform", "add-device", "foo0"],
  );
  const autoprobe = await mdevsim(root, "sysfs", "cat", `${PLATFORM}/drivers_autoprobe`);
  assert.equal(assertOk(autoprobe).stdout, "0\n");
  assert.equal(await boundTo(root, "foo0"), undefined);
  assertOk(await mdevsim(root, "probe", "platform", "foo0"));
  assert.equal(await boundTo(root, "foo0"), "fdrv");
  await steps(
    root,
    ["sysfs", "write", `${PLATFORM}/drivers_autoprobe`, "1"],
    ["platform", "add-device", "foo1"],
  );
  assert.equal(await boundTo(root, "foo1"), "fdrv");
});

Deno.test("bind on the mdev bus fails with ENODEV and says mdevs are bound by create", async () => {
  const root = await tempRoot();
  await steps(root, ["modprobe", "mtty"], ["create", "-p", "mtty", "-t", "mtty-1", "-u", U1]);
  const bind = await mdevsim(root, "bind", "mdev", U1, "mtty");
  assertErrno(bind, "ENODEV");
  assert.ok(bind.stderr.startsWith("mdevsim: bind: /sys/bus/mdev/drivers/mtty/bind: "));
  assert.match(bind.stderr, /create/);
});

Deno.test("override on the mdev bus fails with ENOENT: mdev has no driver_override", async () => {
  const root = await tempRoot();
  await steps(root, ["modprobe", "mtty"], ["create", "-p", "mtty", "-t", "mtty-1", "-u", U1]);
  const override = await mdevsim(root, "override", "mdev", U1, "mtty");
  assertErrno(override, "ENOENT");
  assert.ok(override.stderr.includes(`/sys/bus/mdev/devices/${U1}/driver_override`));
});

Deno.test("platform del-driver unbinds the most recently bound device first", async () => {
  const root = await tempRoot();
  await steps(
    root,
    ["platform", "add-device", "foo0"],
    ["platform", "add-device", "foo1"],
    ["platform", "add-device", "foo2"],
    ["platform", "add-driver", "fdrv", "--match", "foo*"],
    // Rebinding foo0 makes the binding order foo1, foo2, foo0.
    ["unbind", "platform", "foo0"],
    ["bind", "platform", "foo0", "fdrv"],
    ["platform", "del-driver", "fdrv"],
  );
  const { log } = JSON.parse(assertOk(await mdevsim(root, "--json", "dmesg")).stdout) as {
    log: string[];
  };
  const unbound = log.map((line) => /^unbound platform device (\S+) from driver fdrv$/.exec(line))
    .filter((match) => match !== null).map((match) => match[1]);
  assert.deepEqual(unbound.slice(-3), ["foo0", "foo2", "foo1"]);
  const devices = assertOk(await mdevsim(root, "sysfs", "ls", `${PLATFORM}/devices`)).stdout;
  assert.equal(devices, "foo0\nfoo1\nfoo2\n");
  for (const device of ["foo0", "foo1", "foo2"]) {
    assert.equal(await boundTo(root, device), undefined);
  }
});
