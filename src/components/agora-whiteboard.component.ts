import { LitElement, css, html } from 'lit';
import type { Client, LiveStroke, Tool, Whiteboard, WhiteboardItem } from '../index.js';
import { drawItem } from '../collab/whiteboard/render.js';
import { theme } from './theme.styles.js';

type Mode = Tool | 'eraser' | 'pan';

const COLORS = ['#1f1f1f', '#dc2626', '#2563eb', '#16a34a', '#f59e0b', '#ffffff'];
const TOOLS: Array<[Mode, string]> = [
  ['pen', 'Pen'],
  ['highlighter', 'Highlighter'],
  ['line', 'Line'],
  ['arrow', 'Arrow'],
  ['rect', 'Rectangle'],
  ['ellipse', 'Ellipse'],
  ['text', 'Text'],
  ['eraser', 'Eraser'],
  ['pan', 'Pan'],
];

/**
 * The channel's shared whiteboard of a Client (`client.openWhiteboard()`, which the element calls when given the
 * client, downloading the whiteboard's code the first time): pen and highlighter with pressure,
 * lines, arrows, rectangles, ellipses, text, eraser, colours and widths, undo/redo of one's own work, clear (after a
 * confirmation), pages, pan (Pan tool, or middle button) and zoom (wheel, pinch), PNG export. Mouse, touch and pen.
 *
 * @example
 * html`<agora-whiteboard .client=${client}></agora-whiteboard>`
 *
 * @csspart toolbar - The tool row.
 * @csspart canvas - The drawing surface.
 */
export class AgoraWhiteboardElement extends LitElement {
  static override styles = [
    theme,
    css`
      :host {
        display: flex;
        flex-direction: column;
        min-height: 240px;
        background: var(--_surface);
        border-radius: var(--_radius);
        overflow: hidden;
      }
      [part='toolbar'] {
        display: flex;
        flex-wrap: wrap;
        gap: 4px;
        padding: 6px;
        align-items: center;
      }
      button {
        font: inherit;
        font-size: 0.85em;
        border: 0;
        border-radius: 6px;
        padding: 4px 8px;
        background: var(--_surface-2);
        color: var(--_text);
      }
      button[aria-pressed='true'] {
        background: var(--_accent);
        color: var(--_accent-text);
      }
      .file {
        font-size: 0.85em;
        padding: 4px 8px;
        border-radius: 6px;
        background: var(--_surface-2);
        cursor: pointer;
      }
      .file input {
        position: absolute;
        width: 1px;
        height: 1px;
        opacity: 0;
      }
      .swatch {
        width: 22px;
        height: 22px;
        padding: 0;
        border: 2px solid var(--_surface-2);
      }
      .danger {
        background: var(--_danger);
        color: #fff;
      }
      .board {
        position: relative;
        flex: 1;
        min-height: 0;
        background: #fff;
      }
      canvas {
        position: absolute;
        inset: 0;
        width: 100%;
        height: 100%;
        touch-action: none;
      }
      .textbox {
        position: absolute;
        font: inherit;
      }
      :focus-visible {
        outline: 2px solid var(--_focus);
        outline-offset: 2px;
      }
    `,
  ];

  static override properties = {
    client: { attribute: false },
    tool: { reflect: true },
    color: {},
    width: { type: Number },
    confirming: { state: true },
    textAt: { state: true },
    fileError: { state: true },
  };

  /** The joined Client whose channel's whiteboard this shows. */
  client: Client | null = null;
  /** The current tool. */
  tool: Mode = 'pen';
  /** The current colour (CSS). */
  color = COLORS[0]!;
  /** The current width in board units (text: font size is 6× this). */
  width = 4;
  confirming = false;
  fileError = '';
  textAt: { x: number; y: number; sx: number; sy: number } | null = null;

  /** View: board point (0, 0) sits at screen (panX, panY); one board unit is `zoom` CSS pixels. */
  private panX = 0;
  private panY = 0;
  private zoom = 1;
  private bound: Client | null = null;
  /** The bound client's whiteboard, once opened. */
  private board: Whiteboard | null = null;
  private frame = 0;
  private stroke: LiveStroke | null = null;
  private shape: { x0: number; y0: number; x1: number; y1: number } | null = null;
  private panning: { x: number; y: number } | null = null;
  private pointers = new Map<number, { x: number; y: number }>();
  private pinch: { d: number; zoom: number } | null = null;
  private resize = new ResizeObserver(() => this.redraw());
  /** The current page's background, once decoded. */
  private bg: { page: number; img: ImageBitmap | null } = { page: -1, img: null };
  private readonly onChange = () => {
    this.redraw();
    this.requestUpdate();
  };

  private get canvas(): HTMLCanvasElement | null {
    return this.renderRoot?.querySelector('canvas') ?? null;
  }

  protected override willUpdate(): void {
    if (this.client === this.bound) return;
    this.board?.off('change', this.onChange);
    this.board = null;
    const client = (this.bound = this.client);
    client?.openWhiteboard().then(
      (board) => {
        if (this.bound !== client) return;
        this.board = board;
        board.on('change', this.onChange);
        this.onChange();
      },
      // The whiteboard's code could not load: the element stays empty; the next client given tries again.
      () => undefined,
    );
    this.redraw();
  }

  protected override firstUpdated(): void {
    this.resize.observe(this.canvas!);
    this.redraw();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.board?.off('change', this.onChange);
    this.board = null;
    this.bound = null;
    this.resize.disconnect();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.hasUpdated) {
      this.resize.observe(this.canvas!);
      this.requestUpdate();
    }
  }

  /** Draws the current page on the next animation frame (one redraw however many changes arrive). */
  redraw(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.paint();
    });
  }

  private paint(): void {
    const canvas = this.canvas;
    if (!canvas) return;
    const dpr = devicePixelRatio || 1;
    const w = Math.round(canvas.clientWidth * dpr);
    const h = Math.round(canvas.clientHeight * dpr);
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
    }
    const ctx = canvas.getContext('2d')!;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, w, h);
    ctx.setTransform(dpr * this.zoom, 0, 0, dpr * this.zoom, dpr * this.panX, dpr * this.panY);
    const wb = this.board;
    if (wb) {
      const page = wb.page;
      void wb.getBackground(page).then((img) => {
        if (this.bg.page !== page || this.bg.img !== img) {
          this.bg = { page, img };
          this.redraw();
        }
      });
      if (this.bg.page === page && this.bg.img) ctx.drawImage(this.bg.img, 0, 0);
    }
    const items = wb?.getItems() ?? [];
    for (const it of items) drawItem(ctx, it);
    if (this.shape && this.tool !== 'pen') {
      const preview: WhiteboardItem = {
        id: '',
        page: 0,
        tool: this.tool as Tool,
        color: this.color,
        width: this.width,
        by: 0,
        points: [this.shape.x0, this.shape.y0, this.shape.x1, this.shape.y1],
        live: true,
      };
      drawItem(ctx, preview);
    }
  }

  /** Screen (CSS px relative to the canvas) → board coordinates. */
  private toBoard(e: PointerEvent | WheelEvent): { x: number; y: number; sx: number; sy: number } {
    const r = this.canvas!.getBoundingClientRect();
    const sx = e.clientX - r.left;
    const sy = e.clientY - r.top;
    return { x: (sx - this.panX) / this.zoom, y: (sy - this.panY) / this.zoom, sx, sy };
  }

  private onDown(e: PointerEvent): void {
    const wb = this.board;
    if (!wb) return;
    this.canvas!.setPointerCapture(e.pointerId);
    this.pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (this.pointers.size === 2) {
      // Two fingers: pinch zoom and pan, and whatever the first finger began is dropped.
      this.stroke?.end();
      this.stroke = null;
      this.shape = null;
      const [a, b] = [...this.pointers.values()];
      this.pinch = { d: Math.hypot(a!.x - b!.x, a!.y - b!.y), zoom: this.zoom };
      this.panning = { x: (a!.x + b!.x) / 2, y: (a!.y + b!.y) / 2 };
      return;
    }
    const p = this.toBoard(e);
    if (this.tool === 'pan' || e.button === 1) {
      this.panning = { x: e.clientX, y: e.clientY };
      return;
    }
    try {
      if (this.tool === 'pen' || this.tool === 'highlighter') {
        const width = this.tool === 'highlighter' ? this.width * 4 : this.width;
        this.stroke = wb.beginStroke(this.tool, p.x, p.y, this.pressure(e), { color: this.color, width });
      } else if (this.tool === 'eraser') {
        wb.eraseAt(p.x, p.y, 8 / this.zoom);
      } else if (this.tool === 'text') {
        // Keeps the press from moving focus to the page, which would close the text box as it opens.
        e.preventDefault();
        this.textAt = p;
        void this.updateComplete.then(() =>
          this.renderRoot.querySelector<HTMLInputElement>('.textbox')?.focus(),
        );
      } else {
        this.shape = { x0: p.x, y0: p.y, x1: p.x, y1: p.y };
      }
    } catch {
      // Not in a channel yet: nothing to draw on.
    }
  }

  private pressure(e: PointerEvent): number {
    // Mouse reports 0.5 while pressed; pens report real pressure; touch often 0 or 1 (no real value).
    return e.pointerType === 'pen' && e.pressure > 0 ? e.pressure : 0.5;
  }

  private onMove(e: PointerEvent): void {
    if (!this.pointers.has(e.pointerId)) return;
    this.pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (this.pinch && this.pointers.size === 2) {
      const [a, b] = [...this.pointers.values()];
      const mid = { x: (a!.x + b!.x) / 2, y: (a!.y + b!.y) / 2 };
      this.zoomAt(mid.x, mid.y, (this.pinch.zoom * Math.hypot(a!.x - b!.x, a!.y - b!.y)) / this.pinch.d);
      this.panBy(mid.x - this.panning!.x, mid.y - this.panning!.y);
      this.panning = mid;
      return;
    }
    if (this.panning) {
      this.panBy(e.clientX - this.panning.x, e.clientY - this.panning.y);
      this.panning = { x: e.clientX, y: e.clientY };
      return;
    }
    const events = e.getCoalescedEvents?.() ?? [e];
    if (this.stroke) {
      for (const ev of events.length ? events : [e]) {
        const p = this.toBoard(ev);
        this.stroke.add(p.x, p.y, this.pressure(ev));
      }
    } else if (this.tool === 'eraser' && e.buttons) {
      const p = this.toBoard(e);
      this.board?.eraseAt(p.x, p.y, 8 / this.zoom);
    } else if (this.shape) {
      const p = this.toBoard(e);
      this.shape.x1 = p.x;
      this.shape.y1 = p.y;
      this.redraw();
    }
  }

  private onUp(e: PointerEvent): void {
    this.pointers.delete(e.pointerId);
    if (this.pointers.size < 2) this.pinch = null;
    if (this.pointers.size === 0) this.panning = null;
    this.stroke?.end();
    this.stroke = null;
    const s = this.shape;
    this.shape = null;
    if (s && (s.x0 !== s.x1 || s.y0 !== s.y1) && this.tool !== 'text') {
      const tool = this.tool as 'line' | 'arrow' | 'rect' | 'ellipse';
      this.board?.addShape(tool, s.x0, s.y0, s.x1, s.y1, {
        color: this.color,
        width: this.width,
      });
    }
    this.redraw();
  }

  private onWheel(e: WheelEvent): void {
    e.preventDefault();
    // Wheel zooms about the pointer; shift+wheel pans sideways.
    if (e.shiftKey) this.panBy(-e.deltaX - e.deltaY, 0);
    else this.zoomAt(e.clientX, e.clientY, this.zoom * Math.exp(-e.deltaY / 300));
  }

  private zoomAt(clientX: number, clientY: number, zoom: number): void {
    const r = this.canvas!.getBoundingClientRect();
    const z = Math.min(8, Math.max(0.2, zoom));
    const sx = clientX - r.left;
    const sy = clientY - r.top;
    this.panX = sx - ((sx - this.panX) / this.zoom) * z;
    this.panY = sy - ((sy - this.panY) / this.zoom) * z;
    this.zoom = z;
    this.redraw();
  }

  private panBy(dx: number, dy: number): void {
    this.panX += dx;
    this.panY += dy;
    this.redraw();
  }

  private commitText(e: KeyboardEvent | FocusEvent): void {
    const input = e.target as HTMLInputElement;
    if (e instanceof KeyboardEvent && e.key === 'Escape') {
      this.textAt = null;
      return;
    }
    if (e instanceof KeyboardEvent && e.key !== 'Enter') return;
    const at = this.textAt;
    this.textAt = null;
    if (at && input.value.trim())
      this.board?.addText(at.x, at.y, input.value, { color: this.color, width: this.width * 6 });
  }

  private async exportPng(): Promise<void> {
    const wb = this.board;
    if (!wb) return;
    const url = URL.createObjectURL(await wb.exportPNG());
    const a = document.createElement('a');
    a.href = url;
    a.download = `whiteboard-page-${wb.page + 1}.png`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  private async openFile(e: Event): Promise<void> {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file || !this.board) return;
    try {
      this.fileError = '';
      await this.board.openFile(file);
    } catch (err) {
      this.fileError = err instanceof Error ? err.message : String(err);
    }
  }

  private act(fn: () => unknown): void {
    try {
      fn();
    } catch {
      // Not in a channel: the buttons do nothing.
    }
    this.redraw();
    this.requestUpdate();
  }

  protected override render() {
    const wb = this.board;
    const page = wb?.page ?? 0;
    const pages = wb?.pageCount ?? 1;
    return html`<div part="toolbar" role="toolbar" aria-label="Whiteboard tools">
        ${TOOLS.map(
          ([t, label]) =>
            html`<button aria-pressed=${this.tool === t} data-tool=${t} @click=${() => (this.tool = t)}>
              ${label}
            </button>`,
        )}
        ${COLORS.map(
          (c) =>
            html`<button
              class="swatch"
              style="background:${c}"
              aria-label="Colour ${c}"
              aria-pressed=${this.color === c}
              @click=${() => (this.color = c)}
            ></button>`,
        )}
        <input
          type="color"
          aria-label="Custom colour"
          .value=${this.color}
          @input=${(e: Event) => (this.color = (e.target as HTMLInputElement).value)}
        />
        <input
          type="range"
          min="1"
          max="24"
          aria-label="Width"
          .value=${String(this.width)}
          @input=${(e: Event) => (this.width = Number((e.target as HTMLInputElement).value))}
        />
        <button data-act="undo" ?disabled=${!wb?.canUndo} @click=${() => this.act(() => wb?.undo())}>
          Undo
        </button>
        <button data-act="redo" ?disabled=${!wb?.canRedo} @click=${() => this.act(() => wb?.redo())}>
          Redo
        </button>
        ${
          this.confirming
            ? html`<span role="alert">Clear this page for everyone?</span>
                <button
                  class="danger"
                  data-act="confirm-clear"
                  @click=${() => this.act(() => ((this.confirming = false), wb?.clear()))}
                >
                  Clear
                </button>
                <button data-act="cancel-clear" @click=${() => (this.confirming = false)}>Cancel</button>`
            : html`<button data-act="clear" @click=${() => (this.confirming = true)}>Clear…</button>`
        }
        <button
          data-act="prev"
          ?disabled=${page === 0}
          @click=${() => this.act(() => wb && (wb.page = page - 1))}
        >
          ‹
        </button>
        <span aria-live="polite">Page ${page + 1} / ${pages}</span>
        <button
          data-act="next"
          ?disabled=${page >= pages - 1}
          @click=${() => this.act(() => wb && (wb.page = page + 1))}
        >
          ›
        </button>
        <button data-act="add-page" @click=${() => this.act(() => wb && (wb.page = wb.addPage()))}>
          + Page
        </button>
        <label class="file">
          <input
            type="file"
            accept="image/png,image/jpeg,image/gif,image/webp,application/pdf"
            @change=${this.openFile}
          />Open file…
        </label>
        <button data-act="export" @click=${this.exportPng}>PNG</button>
        ${this.fileError ? html`<span role="alert">${this.fileError}</span>` : ''}
      </div>
      <div class="board">
        <canvas
          part="canvas"
          aria-label="Whiteboard"
          @pointerdown=${this.onDown}
          @pointermove=${this.onMove}
          @pointerup=${this.onUp}
          @pointercancel=${this.onUp}
          @wheel=${this.onWheel}
        ></canvas>
        ${
          this.textAt
            ? html`<input
                class="textbox"
                aria-label="Text"
                style="left:${this.textAt.sx}px;top:${this.textAt.sy - 16}px"
                @keydown=${this.commitText}
                @blur=${() => (this.textAt = null)}
              />`
            : ''
        }
      </div>`;
  }
}
