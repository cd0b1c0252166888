// client.whiteboard: the channel's shared whiteboard (docs/whiteboard-and-chat.md). Content lives in the channel's
// yjs document (src/collab/doc.ts); this class is the API over it, and the <agora-whiteboard> element draws it.
import type * as Y from 'yjs';
import { yjs } from '../yjs.js';
import { AgoraError, assertType } from '../../client/errors.js';
import { Emitter } from '../../client/emitter.js';
import {
  FILES,
  ITEMS,
  META,
  Tools,
  readItem,
  type ItemMap,
  type Tool,
  type WhiteboardItem,
} from './model.js';
import { drawItem, hits } from './render.js';
import type { YDocSink } from './ydoc.js';
import { MAX_PDF_PAGES, decode, fileBytes, pdfPageCount, readFile, storeFile } from './files.js';

export type { Tool, WhiteboardItem } from './model.js';
export { YDocSink } from './ydoc.js';
export { useYjs } from '../yjs.js';

/** Origin of this client's own edits: the undo manager tracks only these, so undo never touches others' work. */
const LOCAL = Symbol('local');
/** Clearing is for everyone and not undoable. */
const CLEAR = Symbol('clear');
/** Most points in one stroke (longer strokes end and a new one continues). */
export const MAX_POINTS = 4000;
/** Longest text item. */
export const MAX_TEXT = 1000;

export interface WhiteboardEvents {
  /**
   * The content changed (anyone's edit, a join, a clear): redraw. `local`: this client's edit. `added`: items other
   * members added (for unread counts).
   */
  change: { type: 'change'; local: boolean; added: number };
}

export interface StyleOptions {
  /** CSS colour; default '#1f1f1f'. */
  color?: string;
  /** Width in board units (text: font size); default 4 (highlighter 16, text 24). */
  width?: number;
  /** Page; default the current page. */
  page?: number;
}

/** A stroke being drawn: add points as the pointer moves; everyone sees them as they come. */
export interface LiveStroke {
  readonly id: string;
  /** Adds a point (board coordinates, pressure 0..1, 0.5 when the device has none). */
  add(x: number, y: number, pressure?: number): void;
  /** The pointer went up. */
  end(): void;
}

function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/**
 * The channel's whiteboard: strokes, shapes and text on numbered pages, shared with everyone in the channel and
 * with whoever joins later. Usable between join and leave.
 *
 * @example
 * const wb = await client.openWhiteboard();
 * const s = wb.beginStroke('pen', 10, 10, 0.5, { color: '#d00' });
 * s.add(40, 30); s.add(80, 35); s.end();
 * wb.undo(); // removes that stroke (only this user's own strokes are undone)
 */
export class Whiteboard extends Emitter<WhiteboardEvents> {
  private items: Y.Array<ItemMap> | null = null;
  private meta: Y.Map<unknown> | null = null;
  private undoManager: Y.UndoManager | null = null;
  private doc: Y.Doc | null = null;
  private files: Y.Map<Y.Map<unknown>> | null = null;
  /** Decoded backgrounds by file and PDF page. */
  private backgrounds = new Map<string, Promise<ImageBitmap | null>>();
  private currentPage = 0;
  private seq = 0;

  /** @internal The Client creates it; `uid()` is this member's uid, `joined()` whether it is in a channel. */
  constructor(
    shared: YDocSink,
    private readonly uid: () => number,
    private readonly joined: () => boolean,
  ) {
    super();
    shared.onDoc((doc) => this.attach(doc));
  }

  /** A new document at each join; null after leave. */
  private attach(doc: Y.Doc | null): void {
    this.undoManager?.destroy();
    this.undoManager = null;
    this.doc = doc;
    this.backgrounds.clear();
    this.currentPage = 0;
    if (!doc) {
      this.items = this.meta = this.files = null;
      this.emit('change', { type: 'change', local: false, added: 0 });
      return;
    }
    this.items = doc.getArray<ItemMap>(ITEMS);
    this.meta = doc.getMap(META);
    this.files = doc.getMap<Y.Map<unknown>>(FILES);
    this.backgrounds.clear();
    this.files.observeDeep((_e, tx) =>
      this.emit('change', { type: 'change', local: tx.origin === LOCAL, added: 0 }),
    );
    this.undoManager = new (yjs().UndoManager)(this.items, {
      trackedOrigins: new Set([LOCAL]),
      // One stroke is one undo step however long it takes; beginStroke starts a new step.
      captureTimeout: 24 * 3600_000,
    });
    this.currentPage = 0;
    const items = this.items;
    items.observeDeep((events, tx) => {
      const local = tx.origin === LOCAL;
      let added = 0;
      for (const e of events)
        if (e.target === items && !local) for (const d of e.changes.delta) added += d.insert?.length ?? 0;
      this.emit('change', { type: 'change', local, added });
    });
    this.meta.observe((_e, tx) =>
      this.emit('change', { type: 'change', local: tx.origin === LOCAL, added: 0 }),
    );
    this.emit('change', { type: 'change', local: false, added: 0 });
  }

  /** The page this client shows (local: each member picks its own). */
  get page(): number {
    return this.currentPage;
  }

  set page(n: number) {
    assertType(Number.isInteger(n), 'whiteboard.page must be an integer.');
    if (n < 0 || n >= this.pageCount)
      throw new AgoraError(
        'ERR_INVALID_ARGUMENT',
        `There is no page ${n}; pages are 0 to ${this.pageCount - 1}.`,
      );
    this.currentPage = n;
    this.emit('change', { type: 'change', local: true, added: 0 });
  }

  /** Pages of the board (at least 1). */
  get pageCount(): number {
    return Math.max(1, Number(this.meta?.get('pages')) || 1);
  }

  /** Adds a page at the end for everyone and returns its number. */
  addPage(): number {
    const meta = this.writable().meta!;
    const n = this.pageCount;
    this.doc!.transact(() => meta.set('pages', n + 1), LOCAL);
    return n;
  }

  /** The items of a page (default: the current page), in drawing order. */
  getItems(page = this.currentPage): WhiteboardItem[] {
    assertType(Number.isInteger(page), 'getItems(page): page must be an integer.');
    const out: WhiteboardItem[] = [];
    for (const m of this.items?.toArray() ?? []) {
      const item = readItem(m);
      if (item && item.page === page) out.push(item);
    }
    return out;
  }

  /**
   * Starts a pen or highlighter stroke at (x, y); the others see it grow as points are added.
   */
  beginStroke(
    tool: 'pen' | 'highlighter',
    x: number,
    y: number,
    pressure = 0.5,
    style: StyleOptions = {},
  ): LiveStroke {
    assertType(
      tool === 'pen' || tool === 'highlighter',
      "beginStroke(tool): tool must be 'pen' or 'highlighter'.",
    );
    assertType(isNum(x) && isNum(y) && isNum(pressure), 'beginStroke(tool, x, y, pressure?): numbers.');
    const { items, doc } = this.writable();
    const map = this.newItem(tool, style, tool === 'highlighter' ? 16 : 4);
    const points = new (yjs().Array)<number>();
    points.push([x, y, pressure]);
    map.set('points', points);
    map.set('live', true);
    this.undoManager!.stopCapturing();
    doc!.transact(() => items!.push([map]), LOCAL);
    let ended = false;
    return {
      id: String(map.get('id')),
      add: (px: number, py: number, p = 0.5) => {
        assertType(isNum(px) && isNum(py) && isNum(p), 'stroke.add(x, y, pressure?): numbers.');
        if (ended || map.doc !== doc || points.length >= MAX_POINTS * 3) return;
        doc!.transact(() => points.push([px, py, p]), LOCAL);
      },
      end: () => {
        if (ended) return;
        ended = true;
        if (map.doc === doc) doc!.transact(() => map.set('live', false), LOCAL);
      },
    };
  }

  /** A line, arrow, rectangle or ellipse from (x0, y0) to (x1, y1). Returns its id. */
  addShape(
    tool: 'line' | 'arrow' | 'rect' | 'ellipse',
    x0: number,
    y0: number,
    x1: number,
    y1: number,
    style: StyleOptions = {},
  ): string {
    assertType(
      ['line', 'arrow', 'rect', 'ellipse'].includes(tool),
      'addShape(tool): line, arrow, rect or ellipse.',
    );
    assertType([x0, y0, x1, y1].every(isNum), 'addShape(tool, x0, y0, x1, y1): numbers.');
    const { items, doc } = this.writable();
    const map = this.newItem(tool, style, 4);
    map.set('points', yjs().Array.from([x0, y0, x1, y1]));
    this.undoManager!.stopCapturing();
    doc!.transact(() => items!.push([map]), LOCAL);
    return String(map.get('id'));
  }

  /** Text at (x, y) (its baseline start), drawn as plain text. Returns its id. */
  addText(x: number, y: number, text: string, style: StyleOptions = {}): string {
    assertType(
      isNum(x) && isNum(y) && typeof text === 'string',
      'addText(x, y, text): numbers and a string.',
    );
    if (text.trim() === '' || text.length > MAX_TEXT)
      throw new AgoraError('ERR_INVALID_ARGUMENT', `addText: the text must be 1 to ${MAX_TEXT} characters.`);
    const { items, doc } = this.writable();
    const map = this.newItem('text', style, 24);
    map.set('points', yjs().Array.from([x, y]));
    map.set('text', text);
    this.undoManager!.stopCapturing();
    doc!.transact(() => items!.push([map]), LOCAL);
    return String(map.get('id'));
  }

  /**
   * Opens an image (PNG, JPEG, GIF, WebP) or a PDF as background of `page` (default: the current one) for
   * everyone; a PDF's pages become backgrounds of consecutive pages, added as needed. At most 5 MB; the content must
   * be the kind the file claims. Resolves with the pages that got a background once the file is sent.
   *
   * @example
   * input.onchange = () => client.whiteboard.openFile(input.files[0]);
   */
  async openFile(file: Blob, page = this.currentPage): Promise<number[]> {
    assertType(file instanceof Blob, 'openFile(file): file must be a File or Blob.');
    assertType(Number.isInteger(page) && page >= 0, 'openFile(file, page?): page must be an integer ≥ 0.');
    this.writable();
    const { kind, bytes } = await readFile(file);
    const count = kind === 'application/pdf' ? Math.min(MAX_PDF_PAGES, await pdfPageCount(bytes)) : 1;
    const { meta, doc } = this.writable();
    const id = `${this.uid()}-${Date.now().toString(36)}-${++this.seq}`;
    storeFile(doc!, this.files!, id, kind, bytes, LOCAL);
    const pages = Array.from({ length: count }, (_, i) => page + i);
    doc!.transact(() => {
      if (page + count > this.pageCount) meta!.set('pages', page + count);
      for (const [i, p] of pages.entries()) meta!.set(`bg:${p}`, { file: id, pdfPage: i });
    }, LOCAL);
    return pages;
  }

  /** The background of a page (default: the current one) as an image, or null when it has none (or not yet all). */
  getBackground(page = this.currentPage): Promise<ImageBitmap | null> {
    assertType(Number.isInteger(page), 'getBackground(page?): page must be an integer.');
    const bg = this.meta?.get(`bg:${page}`) as { file?: unknown; pdfPage?: unknown } | undefined;
    if (!bg || typeof bg.file !== 'string') return Promise.resolve(null);
    const pdfPage = Number(bg.pdfPage) || 0;
    const key = `${bg.file}#${pdfPage}`;
    let p = this.backgrounds.get(key);
    if (!p) {
      const file = fileBytes(this.files?.get(bg.file));
      if (!file) return Promise.resolve(null);
      p = decode(file, pdfPage).catch(() => null);
      this.backgrounds.set(key, p);
    }
    return p;
  }

  /** Removes the items touching a circle at (x, y) on the current page (anyone's: the eraser). Returns how many. */
  eraseAt(x: number, y: number, radius = 8): number {
    assertType(isNum(x) && isNum(y) && isNum(radius), 'eraseAt(x, y, radius?): numbers.');
    const { items, doc } = this.writable();
    const list = items!.toArray();
    const doomed: number[] = [];
    list.forEach((m, i) => {
      const item = readItem(m);
      if (item && item.page === this.currentPage && hits(item, x, y, radius)) doomed.push(i);
    });
    if (doomed.length === 0) return 0;
    this.undoManager!.stopCapturing();
    doc!.transact(() => {
      for (const i of doomed.reverse()) items!.delete(i, 1);
    }, LOCAL);
    return doomed.length;
  }

  /** Removes one item by id (anyone's). */
  remove(id: string): boolean {
    assertType(typeof id === 'string', 'remove(id): id must be a string.');
    const { items, doc } = this.writable();
    const i = items!.toArray().findIndex((m) => m.get('id') === id);
    if (i < 0) return false;
    this.undoManager!.stopCapturing();
    doc!.transact(() => items!.delete(i, 1), LOCAL);
    return true;
  }

  /** Undoes this client's last own edit (stroke, shape, text, erase); others' work is never touched. */
  undo(): boolean {
    this.writable();
    return this.undoManager!.undo() !== null;
  }

  redo(): boolean {
    this.writable();
    return this.redoable() && this.undoManager!.redo() !== null;
  }

  get canUndo(): boolean {
    return this.undoManager?.canUndo() ?? false;
  }

  get canRedo(): boolean {
    return this.redoable();
  }

  private redoable(): boolean {
    return this.undoManager?.canRedo() ?? false;
  }

  /**
   * Empties a page (default: the current page) for everyone. Not undoable: ask the user first (the
   * <agora-whiteboard> element does).
   */
  clear(page = this.currentPage): void {
    assertType(Number.isInteger(page), 'clear(page): page must be an integer.');
    const { items, doc } = this.writable();
    doc!.transact(() => {
      const list = items!.toArray();
      for (let i = list.length - 1; i >= 0; i--)
        if (Number(list[i]!.get('page')) === page) items!.delete(i, 1);
    }, CLEAR);
    this.undoManager!.clear();
  }

  /**
   * A page (default: the current page) as a PNG Blob, drawn on white at `scale` (default 1 board unit = 1 px). The
   * image covers the drawn items plus a margin.
   *
   * @example
   * const png = await client.whiteboard.exportPNG();
   * open(URL.createObjectURL(png));
   */
  async exportPNG(page = this.currentPage, scale = 1): Promise<Blob> {
    assertType(
      Number.isInteger(page) && isNum(scale) && scale > 0,
      'exportPNG(page?, scale?): integer, number > 0.',
    );
    const items = this.getItems(page);
    const bg = await this.getBackground(page);
    let x0 = 0;
    let y0 = 0;
    let x1 = Math.max(800, bg?.width ?? 0);
    let y1 = Math.max(600, bg?.height ?? 0);
    for (const it of items)
      for (let i = 0; i + 1 < it.points.length; i += it.tool === 'pen' || it.tool === 'highlighter' ? 3 : 2) {
        x0 = Math.min(x0, it.points[i]! - 50);
        y0 = Math.min(y0, it.points[i + 1]! - 50);
        x1 = Math.max(x1, it.points[i]! + 50);
        y1 = Math.max(y1, it.points[i + 1]! + 50);
      }
    const w = Math.min(8192, Math.ceil((x1 - x0) * scale));
    const h = Math.min(8192, Math.ceil((y1 - y0) * scale));
    const canvas = new OffscreenCanvas(w, h);
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, w, h);
    ctx.setTransform(scale, 0, 0, scale, -x0 * scale, -y0 * scale);
    if (bg) ctx.drawImage(bg, 0, 0);
    for (const it of items) drawItem(ctx, it);
    return canvas.convertToBlob({ type: 'image/png' });
  }

  private newItem(tool: Tool, style: StyleOptions, defaultWidth: number): ItemMap {
    const color = style.color ?? '#1f1f1f';
    const width = style.width ?? defaultWidth;
    const page = style.page ?? this.currentPage;
    assertType(typeof color === 'string' && color.length <= 64, 'style.color must be a CSS colour string.');
    assertType(isNum(width) && width > 0 && width <= 500, 'style.width must be a number from 0 to 500.');
    assertType(
      Number.isInteger(page) && page >= 0 && page < this.pageCount,
      'style.page must be an existing page.',
    );
    assertType(Tools.includes(tool), 'unknown tool');
    const map = new (yjs().Map)<unknown>();
    map.set('id', `${this.uid()}-${Date.now().toString(36)}-${++this.seq}`);
    map.set('tool', tool);
    map.set('page', page);
    map.set('color', color);
    map.set('width', width);
    map.set('by', this.uid());
    return map;
  }

  private writable(): { items: Y.Array<ItemMap> | null; meta: Y.Map<unknown> | null; doc: Y.Doc | null } {
    if (!this.joined() || !this.items)
      throw new AgoraError('ERR_NOT_READY', 'Join a channel before drawing on its whiteboard.');
    return { items: this.items, meta: this.meta, doc: this.doc };
  }
}
