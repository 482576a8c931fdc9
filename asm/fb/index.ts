// The fb core's exports: the memory-map constants the glue reads at load time and the kernels.

/** Version of this export set and memory map; the glue refuses a module with another one. */
export const FB_ABI_VERSION: u32 = 1;

export { BYTES_PER_PIXEL, FRAME_ALIGN, FRAMES_BASE, HEADER_OFFSET, HEADER_SIZE } from "./layout";
export { fill } from "./fill";
export { copy } from "./copy";

/** End of the module's static data; the glue checks that it lies inside the header page. */
export function staticDataEnd(): usize {
  return __heap_base;
}
