// diff(): damage detection between two frames of the same size, as dirty rectangles.
//
// The algorithm (the TypeScript reference implements the same one, so both return the same list):
//  1. The frame is cut into DIFF_TILE × DIFF_TILE tiles from (0, 0); tiles on the right and bottom
//     edges are clipped to the frame. A tile is dirty when any pixel in it differs (all 32 bits).
//  2. Per band (one row of tiles), each maximal run of adjacent dirty tiles is one rectangle.
//  3. A run whose first column and width equal those of a rectangle that ended at the band above
//     extends that rectangle downwards; otherwise it starts a new rectangle.
// Rectangles come out ordered by their top edge, then left edge; they never overlap, cover every
// changed pixel, and every tile inside them holds a changed pixel. Equal frames give none.

import { BYTES_PER_PIXEL, DIFF_TILE, diffOpenOffset, diffTilesX, RECT_BYTES } from "./layout";

/** Whether `bytes` bytes (a multiple of 4) at `a` and `b` differ; 64 bytes per iteration. */
function spansDiffer(a: usize, b: usize, bytes: usize): bool {
  let offset: usize = 0;
  while (bytes - offset >= 64) {
    const x0 = v128.xor(v128.load(a + offset), v128.load(b + offset));
    const x1 = v128.xor(v128.load(a + offset, 16), v128.load(b + offset, 16));
    const x2 = v128.xor(v128.load(a + offset, 32), v128.load(b + offset, 32));
    const x3 = v128.xor(v128.load(a + offset, 48), v128.load(b + offset, 48));
    if (v128.any_true(v128.or(v128.or(x0, x1), v128.or(x2, x3)))) return true;
    offset += 64;
  }
  while (bytes - offset >= 16) {
    if (v128.any_true(v128.xor(v128.load(a + offset), v128.load(b + offset)))) return true;
    offset += 16;
  }
  while (offset < bytes) {
    if (load<u32>(a + offset) != load<u32>(b + offset)) return true;
    offset += 4;
  }
  return false;
}

/**
 * Compares the w × h frames at `a` and `b` (rows `aStride` and `bStride` bytes apart) and writes
 * the dirty rectangles to the start of the diff workspace at `work` (see layout.ts). Returns how
 * many rectangles it wrote.
 */
export function diff(
  a: usize,
  aStride: u32,
  b: usize,
  bStride: u32,
  w: u32,
  h: u32,
  work: usize,
): u32 {
  const tilesX = diffTilesX(w);
  const rects = work;
  let openAbove = work + (diffOpenOffset(w, h) as usize);
  let openHere = openAbove + (tilesX as usize) * 4;
  const dirty = openHere + (tilesX as usize) * 4;
  memory.fill(openAbove, 0, (tilesX as usize) * 4);
  let count: u32 = 0;
  for (let top: u32 = 0; top < h; top += DIFF_TILE) {
    const rows = min(DIFF_TILE, h - top);
    memory.fill(dirty, 0, tilesX);
    // Rows top to bottom; a tile already dirty is skipped, and the band ends once all are.
    let clean = tilesX;
    for (let r: u32 = 0; r < rows && clean > 0; r++) {
      const rowA = a + ((top + r) as usize) * aStride;
      const rowB = b + ((top + r) as usize) * bStride;
      for (let t: u32 = 0; t < tilesX; t++) {
        if (load<u8>(dirty + t)) continue;
        const left = (t * DIFF_TILE) as usize;
        const span = (min(DIFF_TILE, w - t * DIFF_TILE) as usize) * BYTES_PER_PIXEL;
        if (spansDiffer(rowA + left * BYTES_PER_PIXEL, rowB + left * BYTES_PER_PIXEL, span)) {
          store<u8>(dirty + t, 1);
          clean--;
        }
      }
    }
    memory.fill(openHere, 0, (tilesX as usize) * 4);
    let t: u32 = 0;
    while (t < tilesX) {
      if (!load<u8>(dirty + t)) {
        t++;
        continue;
      }
      const first = t;
      while (t < tilesX && load<u8>(dirty + t)) t++;
      const x = first * DIFF_TILE;
      const width = min(t * DIFF_TILE, w) - x;
      const above = load<u32>(openAbove + (first as usize) * 4);
      const aboveRect = rects + ((above - 1) as usize) * RECT_BYTES;
      if (above != 0 && load<u32>(aboveRect, 8) == width) {
        store<u32>(aboveRect, load<u32>(aboveRect, 12) + rows, 12);
        store<u32>(openHere + (first as usize) * 4, above);
      } else {
        const rect = rects + (count as usize) * RECT_BYTES;
        store<u32>(rect, x);
        store<u32>(rect, top, 4);
        store<u32>(rect, width, 8);
        store<u32>(rect, rows, 12);
        count++;
        store<u32>(openHere + (first as usize) * 4, count);
      }
    }
    const swap = openAbove;
    openAbove = openHere;
    openHere = swap;
  }
  return count;
}
