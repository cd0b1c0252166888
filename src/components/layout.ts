// Where the tiles of a call go: a grid that gives every tile the largest size that fits without scrolling, or,
// when someone shares a screen, the screen large beside (wide stage) or above (narrow stage) a strip of the rest.

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

const GAP = 8;
/** Tiles may be cropped between 3:4 (portrait phones) and 16:9; beyond that they get letterbox space instead. */
const WIDEST = 16 / 9;
const TALLEST = 3 / 4;

/** `n` tiles in the area `a`: columns chosen for the largest tile, the grid centred, the last row centred. */
export function grid(n: number, a: Rect): Rect[] {
  if (n <= 0 || a.w <= 0 || a.h <= 0) return [];
  let best = { cols: 1, rows: n, w: 0, h: 0 };
  for (let cols = 1; cols <= n; cols++) {
    const rows = Math.ceil(n / cols);
    let w = (a.w - GAP * (cols - 1)) / cols;
    let h = (a.h - GAP * (rows - 1)) / rows;
    if (w <= 0 || h <= 0) continue;
    if (w / h > WIDEST) w = h * WIDEST;
    else if (w / h < TALLEST) h = w / TALLEST;
    if (w * h > best.w * best.h) best = { cols, rows, w, h };
  }
  const { cols, rows, w, h } = best;
  const top = a.y + (a.h - (rows * h + (rows - 1) * GAP)) / 2;
  const out: Rect[] = [];
  for (let i = 0; i < n; i++) {
    const row = Math.floor(i / cols);
    const inRow = row === rows - 1 ? n - row * cols : cols;
    const left = a.x + (a.w - (inRow * w + (inRow - 1) * GAP)) / 2;
    out.push({ x: left + (i % cols) * (w + GAP), y: top + row * (h + GAP), w, h });
  }
  return out;
}

/**
 * Rectangles for `n` tiles on a `w`×`h` stage. With `spotlight` (a tile index), that tile takes most of the
 * stage and the others share a strip: on the right of a wide stage, below a narrow one.
 */
export function layout(n: number, w: number, h: number, spotlight = -1): Rect[] {
  const stage = { x: 0, y: 0, w, h };
  if (spotlight < 0 || spotlight >= n || n === 1) return grid(n, stage);
  const wide = w >= h;
  const strip = wide ? Math.min(260, w * 0.24) : Math.min(140, h * 0.22);
  const main: Rect = wide ? { x: 0, y: 0, w: w - strip - GAP, h } : { x: 0, y: 0, w, h: h - strip - GAP };
  const rest: Rect = wide ? { x: w - strip, y: 0, w: strip, h } : { x: 0, y: h - strip, w, h: strip };
  const others = grid(n - 1, rest);
  return Array.from({ length: n }, (_, i) => (i === spotlight ? main : others[i < spotlight ? i : i - 1]!));
}
