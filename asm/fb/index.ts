// The fb core's exports: the memory-map constants the glue reads at load time and the kernels.

/** Version of this export set and memory map; the glue refuses a module with another one. */
export const FB_ABI_VERSION: u32 = 2;

export {
  BYTES_PER_PIXEL,
  DIFF_TILE,
  diffWorkspaceBytes,
  FRAME_ALIGN,
  FRAMES_BASE,
  HEADER_OFFSET,
  HEADER_SIZE,
  RECT_BYTES,
  RGB565_BYTES_PER_PIXEL,
} from "./layout";
export { fill } from "./fill";
export { copy } from "./copy";
export { mono } from "./mono";
export { rgb565ToXrgb8888, xrgb8888ToRgb565, xrgb8888ToRgba } from "./convert";
export { diff } from "./diff";
export { checksum } from "./checksum";

/** End of the module's static data; the glue checks that it lies inside the header page. */
export function staticDataEnd(): usize {
  return __heap_base;
}
