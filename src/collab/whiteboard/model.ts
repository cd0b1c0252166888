// The whiteboard's content in the channel's yjs document. Every item (stroke, shape, text) is a Y.Map in the
// 'wb-items' array; a stroke's points are a Y.Array of numbers (x, y, pressure per point) that grows while the
// user draws, so the others see it live. Pages are numbered from 0; 'wb-meta' holds the page count.
import type * as Y from 'yjs';

/** What a whiteboard item is. */
export const Tools = ['pen', 'highlighter', 'line', 'arrow', 'rect', 'ellipse', 'text'] as const;
export type Tool = (typeof Tools)[number];

/** One item as the API returns it (a copy; change the board through the Whiteboard methods). */
export interface WhiteboardItem {
  id: string;
  page: number;
  tool: Tool;
  /** CSS colour. */
  color: string;
  /** Stroke width (text: font size), in board units. */
  width: number;
  /** uid of the member who drew it. */
  by: number;
  /**
   * Board coordinates: pen/highlighter x, y, pressure per point; line, arrow, rect, ellipse x0, y0, x1, y1; text x,
   * y (its baseline start).
   */
  points: number[];
  /** Text items: the text (plain text, drawn as text). */
  text?: string;
  /** The stroke is still being drawn. */
  live: boolean;
}

export const ITEMS = 'wb-items';
export const META = 'wb-meta';
/** File id → { type, size, chunks }: page backgrounds (src/collab/whiteboard/files.ts). */
export const FILES = 'wb-files';

export type ItemMap = Y.Map<unknown>;

export function readItem(m: ItemMap): WhiteboardItem | null {
  const points = m.get('points') as Y.Array<number> | undefined;
  const tool = m.get('tool') as Tool;
  if (!points || !Tools.includes(tool)) return null;
  const item: WhiteboardItem = {
    id: String(m.get('id')),
    page: Number(m.get('page')) || 0,
    tool,
    color: String(m.get('color') ?? '#000'),
    width: Number(m.get('width')) || 1,
    by: Number(m.get('by')) || 0,
    points: points.toArray(),
    live: m.get('live') === true,
  };
  const text = m.get('text');
  if (typeof text === 'string') item.text = text;
  return item;
}
