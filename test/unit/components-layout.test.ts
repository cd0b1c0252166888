// The call's tile layout: every tile inside the stage, none overlapping, at phone and laptop sizes.
import { describe, expect, it } from 'vitest';
import { layout, type Rect } from '../../src/components/layout.js';

const overlap = (a: Rect, b: Rect) =>
  a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

describe('tile layout', () => {
  for (const [w, h] of [
    [1280, 700],
    [390, 700],
    [700, 390],
  ] as const) {
    for (const n of [1, 2, 3, 4, 5, 9, 12]) {
      for (const spot of [-1, n - 1]) {
        it(`${n} tiles on ${w}×${h}${spot >= 0 ? ' with a spotlight' : ''}: inside, no overlap, usable size`, () => {
          const rects = layout(n, w, h, spot);
          expect(rects).toHaveLength(n);
          for (const r of rects) {
            expect(r.x).toBeGreaterThanOrEqual(-0.01);
            expect(r.y).toBeGreaterThanOrEqual(-0.01);
            expect(r.x + r.w).toBeLessThanOrEqual(w + 0.01);
            expect(r.y + r.h).toBeLessThanOrEqual(h + 0.01);
            expect(Math.min(r.w, r.h)).toBeGreaterThan(40);
          }
          for (let i = 0; i < n; i++)
            for (let j = i + 1; j < n; j++) expect(overlap(rects[i]!, rects[j]!)).toBe(false);
        });
      }
    }
  }

  it('4 tiles on a laptop make a 2×2 grid; 2 on a phone stack vertically', () => {
    const four = layout(4, 1280, 700);
    expect(new Set(four.map((r) => Math.round(r.x))).size).toBe(2);
    expect(new Set(four.map((r) => Math.round(r.y))).size).toBe(2);
    const two = layout(2, 390, 700);
    expect(two[0]!.x).toBe(two[1]!.x);
    expect(two[1]!.y).toBeGreaterThan(two[0]!.y);
  });

  it('the spotlight tile is larger than every other tile', () => {
    const rects = layout(5, 1280, 700, 2);
    for (const [i, r] of rects.entries())
      if (i !== 2) expect(r.w * r.h).toBeLessThan((rects[2]!.w * rects[2]!.h) / 4);
  });
});
