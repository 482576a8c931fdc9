/**
 * The test patterns `mdevsim fb draw DEVICE pattern NAME` paints, as data: what every pixel of a
 * W × H framebuffer becomes (0xRRGGBB, X byte 0), so tests can check any pixel.
 *
 * @module
 */

/** Pattern names. */
export const PATTERN_NAMES = ["bars", "gradient", "checker"] as const;

/** A pattern name. */
export type PatternName = typeof PATTERN_NAMES[number];

/** The eight full-intensity colour bars, left to right. */
export const BAR_COLORS = [
  0xffffff,
  0xffff00,
  0x00ffff,
  0x00ff00,
  0xff00ff,
  0xff0000,
  0x0000ff,
  0x000000,
] as const;

/** Side of a checker square in pixels. */
export const CHECKER_SIZE = 32;
/** The checker's colour where (column + row) of the square is even, and where it is odd. */
export const CHECKER_COLORS = [0xc0c0c0, 0x404040] as const;

/** Bar i covers columns ⌊i·W/8⌋ up to (excluding) ⌊(i+1)·W/8⌋. */
export function barBounds(i: number, width: number): [number, number] {
  return [Math.floor((i * width) / 8), Math.floor(((i + 1) * width) / 8)];
}

/** The gradient's column colour: red rises left to right as blue falls, green stays 0x40. */
export function gradientColor(x: number, width: number): number {
  const red = width === 1 ? 0 : Math.floor((x * 255) / (width - 1));
  return (red << 16) | (0x40 << 8) | (255 - red);
}

/** The colour of pixel (x, y) of a pattern on a `width`-pixel-wide framebuffer. */
export function patternPixel(name: PatternName, x: number, y: number, width: number): number {
  switch (name) {
    case "bars": {
      let i = 0;
      while (barBounds(i, width)[1] <= x) i++;
      return BAR_COLORS[i]!;
    }
    case "gradient":
      return gradientColor(x, width);
    case "checker":
      return CHECKER_COLORS[(Math.floor(x / CHECKER_SIZE) + Math.floor(y / CHECKER_SIZE)) % 2]!;
  }
}
