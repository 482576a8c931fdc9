// The fb core's memory map: the one place that places anything in linear memory.
//
// The host owns the memory (stub runtime, nothing is allocated in WebAssembly): it grows the
// exported `memory` and hands out page-aligned blocks from FRAMES_BASE upwards. A block is a frame
// (XRGB8888 or RGB565) or one of the host's scratch blocks, whose formats are drawn below.
//
//   0x0000 ┌──────────────────────────────────────────┐ HEADER_OFFSET
//          │ header page (HEADER_SIZE bytes)          │ address 0 is never a frame; the module's
//          │                                          │ static data, if any, must end below
//   0x1000 ├──────────────────────────────────────────┤ FRAMES_BASE
//          │ block: a frame, stride × height bytes,   │
//          │ or a scratch block; rounded up to whole  │
//          │ pages                                    │
//          ├──────────────────────────────────────────┤ FRAME_ALIGN-aligned
//          │ next block …                             │
//          └──────────────────────────────────────────┘ memory.size() × 64 KiB
//
// One frame, `stride` bytes per row (stride ≥ width × bytes per pixel); XRGB8888 frames have
// BYTES_PER_PIXEL-byte pixels (u32 0xXXRRGGBB, little-endian: bytes B, G, R, X), RGB565 frames
// RGB565_BYTES_PER_PIXEL-byte pixels (u16 RRRRRGGG GGGBBBBB, little-endian):
//
//   frame ──► ┌──── width × bpp bytes ────┬── padding ──┐
//             │ row 0                     │             │ ◄── pixel (x, y) at
//             │ row 1                     │             │     frame + y × stride + x × bpp
//             │ …                         │             │
//             └───────────────────────────┴─────────────┘ height rows
//
// Frames are page-aligned because row copies between two frames whose distance is not a multiple
// of 4096 bytes ran up to 7× slower (4K aliasing); see shared/spec/toolchain.md.
//
// Scratch blocks, one of each kind at most, kept by the host and grown when too small:
//
//   bitmap (mono) ──► ┌── pitch = ceil(w / 8) bytes ──┐  1-bit image as fbcon hands it to
//                     │ row 0: bit 7 of byte 0 is     │  sys_imageblit: rows byte-aligned,
//                     │ pixel 0 (MSB first)           │  1 → foreground, 0 → background
//                     │ …                             │
//                     └───────────────────────────────┘ h rows
//
//   rgba (PNG) ──► width × height × 4 bytes: R, G, B, 255 per pixel, rows packed (no padding)
//
//   diff workspace ──► diffWorkspaceBytes(width, height) bytes:
//
//     +0                 rects: tiles × RECT_BYTES ─ the result, RECT_BYTES per rectangle:
//                        ┌──────┬──────┬───────┬────────┐
//                        │ x u32│ y u32│ w u32 │ h u32  │  (pixels, inside the frame)
//                        └──────┴──────┴───────┴────────┘
//     +rects             open (previous band): tilesX × u32 ─ per tile column, 1 + index of the
//                        rectangle whose run started there in the band above, else 0
//     +rects+4·tilesX    open (current band): tilesX × u32
//     +rects+8·tilesX    dirty: tilesX × u8 ─ 1 when the tile of this column in the band differs
//
//   where tilesX = ceil(width / DIFF_TILE), tiles = tilesX × ceil(height / DIFF_TILE).

/** Bytes per pixel (XRGB8888). */
export const BYTES_PER_PIXEL: u32 = 4;
/** Bytes per pixel of RGB565 frames. */
export const RGB565_BYTES_PER_PIXEL: u32 = 2;
/** Alignment of every frame, in bytes. */
export const FRAME_ALIGN: u32 = 4096;
/** Start of the header page. */
export const HEADER_OFFSET: u32 = 0;
/** Size of the header page. */
export const HEADER_SIZE: u32 = FRAME_ALIGN;
/** Lowest address a frame may start at. */
export const FRAMES_BASE: u32 = HEADER_OFFSET + HEADER_SIZE;
/** Side of the square tiles damage detection compares, in pixels. */
export const DIFF_TILE: u32 = 64;
/** Bytes per rectangle in the diff workspace: x, y, width, height as u32. */
export const RECT_BYTES: u32 = 16;

/** Tile columns of a frame `width` pixels wide. */
export function diffTilesX(width: u32): u32 {
  return (width + DIFF_TILE - 1) / DIFF_TILE;
}

/** Byte offset of the `open` arrays in the diff workspace (the rectangles come first). */
export function diffOpenOffset(width: u32, height: u32): u32 {
  return diffTilesX(width) * ((height + DIFF_TILE - 1) / DIFF_TILE) * RECT_BYTES;
}

/** Size of the diff workspace for frames of `width` × `height` pixels. */
export function diffWorkspaceBytes(width: u32, height: u32): u32 {
  return diffOpenOffset(width, height) + diffTilesX(width) * (4 + 4 + 1);
}
