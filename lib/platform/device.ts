/**
 * Platform devices (`mdevsim platform add-device NAME`), at /sys/devices/platform/NAME.
 *
 * @module
 */
import { Device } from "../core/device.ts";
import type { World } from "../core/world.ts";

/** A `struct platform_device`; its release (platform_device_release) just frees. */
export class PlatformDevice extends Device {
  override get kind(): string {
    return "platform";
  }

  constructor(world: World, name: string, id?: number) {
    super(world, { name, bus: world.bus("platform")! }, id);
  }

  protected override release(): void {}
}
