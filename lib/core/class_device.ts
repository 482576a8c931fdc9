/**
 * Devices created by device_create() in a class without a bus (the mtty,
 * mdpy and mbochs sample parents): they live in /sys/devices/virtual/<class>/.
 *
 * @module
 */
import { Device } from "./device.ts";
import type { World } from "./world.ts";

/** A class device; its release is device_create_release (just frees). */
export class ClassDevice extends Device {
  override get kind(): string {
    return "class";
  }

  constructor(world: World, options: { name: string; className: string }, id?: number) {
    super(world, options, id);
  }

  protected override release(): void {}
}
