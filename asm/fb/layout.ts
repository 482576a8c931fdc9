// The fb core's memory map: the one place that places anything in linear memory.
//
// The host owns the memory (stub runtime, nothing is allocated in WebAssembly): it grows the
// exported `memory` and hands out page-aligned frames from FRAMES_BASE upwards.
//
//   0x0000 ┌──────────────────────────────────────────┐ HEADER_OFFSET
//          │ header page (HEADER_SIZE bytes)          │ address 0 is never a frame; the module's
//          │                                          │ static data, if any, must end below
//   0x1000 ├──────────────────────────────────────────┤ FRAMES_BASE
//          │ frame: stride × height bytes, rounded up │
//          │ to whole pages                           │
//          ├──────────────────────────────────────────┤ FRAME_ALIGN-aligned
//          │ next frame …                             │
//          └──────────────────────────────────────────┘ memory.size() × 64 KiB
//
// One frame, 32-bit XRGB8888 pixels, `stride` bytes per row (stride ≥ width × BYTES_PER_PIXEL):
//
//   frame ──► ┌──── width × 4 bytes ─────┬── padding ──┐
//             │ row 0                     │             │ ◄── pixel (x, y) at
//             │ row 1                     │             │     frame + y × stride + x × 4
//             │ …                         │             │
//             └───────────────────────────┴─────────────┘ height rows
//
// Frames are page-aligned because row copies between two frames whose distance is not a multiple
// of 4096 bytes ran up to 7× slower (4K aliasing); see shared/spec/toolchain.md.

/** Bytes per pixel (XRGB8888). */
export const BYTES_PER_PIXEL: u32 = 4;
/** Alignment of every frame, in bytes. */
export const FRAME_ALIGN: u32 = 4096;
/** Start of the header page. */
export const HEADER_OFFSET: u32 = 0;
/** Size of the header page. */
export const HEADER_SIZE: u32 = FRAME_ALIGN;
/** Lowest address a frame may start at. */
export const FRAMES_BASE: u32 = HEADER_OFFSET + HEADER_SIZE;
