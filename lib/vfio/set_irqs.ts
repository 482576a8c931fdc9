/**
 * vfio_set_irqs_validate_and_prepare() (drivers/vfio/vfio_main.c): the core's
 * checks of a VFIO_DEVICE_SET_IRQS argument before the driver sees it.
 *
 * @module
 */
import { neg } from "../errno.ts";
import {
  IRQ_SET,
  IRQ_SET_ACTION_TYPE_MASK,
  IRQ_SET_DATA_TYPE_MASK,
  IRQ_SET_HEADER,
  type IrqSet,
} from "./uapi.ts";

const U32_MAX = 0xffff_ffff;

/**
 * Validates a vfio_irq_set against the device's IRQ count for the index.
 *
 * @returns the data size in bytes (count × element size), or a negative errno
 */
export function validateIrqSet(set: IrqSet, numIrqs: number, maxIrqType: number): number {
  if (
    set.argsz < IRQ_SET_HEADER || set.index >= maxIrqType || set.count >= U32_MAX - set.start ||
    (set.flags & ~(IRQ_SET_DATA_TYPE_MASK | IRQ_SET_ACTION_TYPE_MASK)) !== 0
  ) return neg("EINVAL");
  let size: number;
  switch (set.flags & IRQ_SET_DATA_TYPE_MASK) {
    case IRQ_SET.DATA_NONE:
      size = 0;
      break;
    case IRQ_SET.DATA_BOOL:
      size = 1;
      break;
    case IRQ_SET.DATA_EVENTFD:
      size = 4;
      break;
    default:
      return neg("EINVAL");
  }
  if (set.start >= numIrqs || set.start + set.count > numIrqs) return neg("EINVAL");
  if (size > 0 && set.argsz - IRQ_SET_HEADER < set.count * size) return neg("EINVAL");
  return set.count * size;
}
