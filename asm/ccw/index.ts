// The ccw core's exports: the memory-map constants the glue reads at load time and one verb per
// vfio-ccw entry point (a whole channel program per call, never a CCW).

/** Version of this export set and memory map; the glue refuses a module with another one. */
export const CCW_ABI_VERSION: u32 = 1;

export {
  GUEST_BASE,
  KIND_TIC,
  MAPPING_ENTRY_SIZE,
  MAPPINGS_BASE,
  MAX_MAPPINGS,
  MAX_SEGMENT_CCWS,
  MAX_SEGMENTS,
  META_ENTRY_SIZE,
  META_IDAWS,
  META_KIND,
  META_PINNED,
  META_TIC_OFFSET,
  META_TIC_SEGMENT,
  META_VALUES,
  PAGE_SIZE,
  REQ_HOST_ORB,
  REQ_INITIALIZED,
  REQ_LPM,
  REQ_MAPPING_COUNT,
  REQ_ORB,
  REQ_PIN_COUNTS,
  REQ_RAM_SIZE,
  REQ_SCSW,
  REQ_SEGMENT_COUNT,
  SEG_HOST,
  SEG_IOVA,
  SEG_LEN,
  SEG_META,
  SEGMENT_ENTRY_SIZE,
  SEGMENTS_BASE,
  VALUES_BASE,
  WORKSPACE_BASE,
  WORKSPACE_END,
} from "./layout";
export { freeProgram, iovaPinned, translate } from "./program";
export { updateScsw } from "./scsw";

/** End of the module's static data; the glue checks that it lies below the workspace. */
export function staticDataEnd(): usize {
  return __heap_base;
}
