import assert from "node:assert/strict";
import { MdpyConfigSpace } from "../../lib/drivers/mdpy/config_space.ts";
import type { MdpyState } from "../../lib/drivers/mdpy/device.ts";
import { mdpyFbProbe } from "../../lib/display/mdpy_fb.ts";
import type { VfioDevice } from "../../lib/vfio/device.ts";
import { displayWorld, errnoOf, openDisplay } from "./_display_world.ts";

/** Gives an mdpy device a config space built for other type data (what the guest would read). */
function withConfig(vdev: VfioDevice, change: Partial<MdpyState["type"]>): void {
  const state = (vdev as VfioDevice<MdpyState>).priv;
  const type = { ...state.type, ...change };
  (vdev as VfioDevice<MdpyState>).priv = { ...state, config: new MdpyConfigSpace(type, 1 << 21) };
}

Deno.test("mdpyFbProbe() sets up a framebuffer over all of BAR0 at the type's mode", () => {
  const expected = {
    "mdpy-vga": [640, 480, 2560, 0x200000],
    "mdpy-xga": [1024, 768, 4096, 0x400000],
    "mdpy-hd": [1920, 1080, 7680, 0x800000],
  };
  for (const [typeId, [width, height, lineLength, smemLen]] of Object.entries(expected)) {
    const { vdev } = openDisplay(displayWorld(), typeId);
    assert.deepEqual(mdpyFbProbe(vdev), { width, height, lineLength, smemLen });
  }
});

Deno.test("mdpyFbProbe() does not bind to a device with other PCI ids (ENODEV)", () => {
  const { vdev } = openDisplay(displayWorld(), "mbochs-small");
  assert.equal(errnoOf(() => mdpyFbProbe(vdev)), "ENODEV");
});

Deno.test("mdpyFbProbe() refuses another format and sizes outside 100..10000 with EINVAL", () => {
  for (
    const [change, errno] of [
      [{ format: 0x36314752 }, "EINVAL"],
      [{ width: 99 }, "EINVAL"],
      [{ height: 10001 }, "EINVAL"],
      [{ width: 100, height: 10000 }, undefined],
    ] as const
  ) {
    const { vdev } = openDisplay(displayWorld(), "mdpy-vga");
    withConfig(vdev, change);
    assert.equal(errnoOf(() => mdpyFbProbe(vdev)), errno, JSON.stringify(change));
  }
});
