// Draws whiteboard items on a 2D canvas: the <agora-whiteboard> element and exportPNG share it. Pen and
// highlighter strokes are pressure-smoothed outlines from perfect-freehand, filled.
import { getStroke } from 'perfect-freehand';
import type { WhiteboardItem } from './model.js';

type Ctx = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

function outline(item: WhiteboardItem): Path2D {
  const pts: number[][] = [];
  for (let i = 0; i + 2 < item.points.length; i += 3)
    pts.push([item.points[i]!, item.points[i + 1]!, item.points[i + 2] ?? 0.5]);
  const stroke = getStroke(pts, {
    size: item.width,
    thinning: item.tool === 'highlighter' ? 0 : 0.6,
    smoothing: 0.5,
    streamline: 0.5,
    simulatePressure: pts.every((p) => p[2] === 0.5),
    last: !item.live,
  });
  const path = new Path2D();
  if (stroke.length === 0) return path;
  path.moveTo(stroke[0]![0]!, stroke[0]![1]!);
  for (let i = 1; i < stroke.length; i++) {
    const [x0, y0] = stroke[i - 1]!;
    const [x1, y1] = stroke[i]!;
    path.quadraticCurveTo(x0!, y0!, (x0! + x1!) / 2, (y0! + y1!) / 2);
  }
  path.closePath();
  return path;
}

export function drawItem(ctx: Ctx, item: WhiteboardItem): void {
  ctx.save();
  ctx.fillStyle = ctx.strokeStyle = item.color;
  ctx.lineWidth = item.width;
  ctx.lineCap = ctx.lineJoin = 'round';
  const [x0 = 0, y0 = 0, x1 = 0, y1 = 0] = item.points;
  switch (item.tool) {
    case 'highlighter':
      ctx.globalAlpha = 0.35;
      ctx.fill(outline(item));
      break;
    case 'pen':
      ctx.fill(outline(item));
      break;
    case 'line':
    case 'arrow': {
      ctx.beginPath();
      ctx.moveTo(x0, y0);
      ctx.lineTo(x1, y1);
      if (item.tool === 'arrow') {
        const a = Math.atan2(y1 - y0, x1 - x0);
        const h = Math.max(8, item.width * 3);
        for (const d of [-0.5, 0.5]) {
          ctx.moveTo(x1, y1);
          ctx.lineTo(x1 - h * Math.cos(a + d), y1 - h * Math.sin(a + d));
        }
      }
      ctx.stroke();
      break;
    }
    case 'rect':
      ctx.strokeRect(Math.min(x0, x1), Math.min(y0, y1), Math.abs(x1 - x0), Math.abs(y1 - y0));
      break;
    case 'ellipse':
      ctx.beginPath();
      ctx.ellipse(
        (x0 + x1) / 2,
        (y0 + y1) / 2,
        Math.abs(x1 - x0) / 2,
        Math.abs(y1 - y0) / 2,
        0,
        0,
        Math.PI * 2,
      );
      ctx.stroke();
      break;
    case 'text':
      // fillText draws the characters as they are: markup in the text is never interpreted.
      ctx.font = `${item.width}px sans-serif`;
      ctx.textBaseline = 'alphabetic';
      ctx.fillText(item.text ?? '', x0, y0);
      break;
  }
  ctx.restore();
}

/** Board-space bounding box of an item, for the eraser's hit test. */
export function bounds(item: WhiteboardItem): { x0: number; y0: number; x1: number; y1: number } {
  const xs: number[] = [];
  const ys: number[] = [];
  const step = item.tool === 'pen' || item.tool === 'highlighter' ? 3 : 2;
  for (let i = 0; i + 1 < item.points.length; i += step) {
    xs.push(item.points[i]!);
    ys.push(item.points[i + 1]!);
  }
  if (item.tool === 'text') {
    const w = (item.text?.length ?? 0) * item.width * 0.6;
    return { x0: xs[0]!, y0: ys[0]! - item.width, x1: xs[0]! + w, y1: ys[0]! };
  }
  const pad = item.width / 2;
  return {
    x0: Math.min(...xs) - pad,
    y0: Math.min(...ys) - pad,
    x1: Math.max(...xs) + pad,
    y1: Math.max(...ys) + pad,
  };
}

/** Does a circle at (x, y) of radius r touch the item? Strokes: near a point; shapes and text: inside the box. */
export function hits(item: WhiteboardItem, x: number, y: number, r: number): boolean {
  if (item.tool === 'pen' || item.tool === 'highlighter') {
    const reach = (r + item.width / 2) ** 2;
    for (let i = 0; i + 1 < item.points.length; i += 3) {
      const dx = item.points[i]! - x;
      const dy = item.points[i + 1]! - y;
      if (dx * dx + dy * dy <= reach) return true;
    }
    return false;
  }
  const b = bounds(item);
  return x >= b.x0 - r && x <= b.x1 + r && y >= b.y0 - r && y <= b.y1 + r;
}
