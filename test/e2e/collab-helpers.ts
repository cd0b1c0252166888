// What the chat and whiteboard tests do on test/e2e/pages/collab.html (window.C), in any browser (Playwright's
// Chromium page or a UserPage of Firefox): join, draw, send, and read back what the user sees.
import { run, until, type Evaluator } from './harness.js';

export interface ShownMessage {
  uid: number;
  name: string;
  text: string;
  ts: number;
  history?: boolean;
}
export interface ShownItem {
  id: string;
  by: number;
  tool: string;
  n: number;
  live: boolean;
  text?: string;
}

interface Whiteboard {
  beginStroke(t: string, x: number, y: number): { add(x: number, y: number): void; end(): void };
  getItems(): unknown[];
  openFile(f: Blob, page?: number): Promise<number[]>;
  getBackground(page: number): Promise<ImageBitmap | null>;
}
interface CollabWindow {
  collabLoaded?: boolean;
  pwned?: number;
  C: {
    client: { sendMessage(t: string): Promise<unknown>; whiteboard: Whiteboard };
    messages: ShownMessage[];
    join(app: string, ch: string, o: object): Promise<number>;
    items(page?: number): ShownItem[];
    inked(): number;
  };
}

/** Joins the page's client once the collab elements are loaded; its uid. */
export async function joinCollab(
  p: Evaluator,
  appId: string,
  channel: string,
  opts: { name?: string; secret?: string; signalingUrl?: string | string[] } = {},
): Promise<number> {
  await until(
    () => run(p, () => (window as unknown as CollabWindow).collabLoaded === true, null),
    20_000,
    'collab loaded',
  );
  return run(p, ([app, ch, o]) => (window as unknown as CollabWindow).C.join(app, ch, o), [
    appId,
    channel,
    opts,
  ] as const);
}

export const messages = (p: Evaluator) => run(p, () => (window as unknown as CollabWindow).C.messages, null);
/** The whiteboard's items on a page of the board (default: the one shown). */
export const items = (p: Evaluator, page?: number) =>
  run(p, (pg) => (window as unknown as CollabWindow).C.items(pg ?? undefined), page ?? null);
/** Non-white pixels of the whiteboard canvas. */
export const inked = (p: Evaluator) => run(p, () => (window as unknown as CollabWindow).C.inked(), null);
/** The texts shown in the page's <agora-chat>, as the user reads them. */
export const shownTexts = (p: Evaluator) =>
  run(
    p,
    () =>
      [...document.getElementById('chat')!.shadowRoot!.querySelectorAll('li .text')].map(
        (e) => e.textContent,
      ),
    null,
  );
/** Whether markup in a message ran or became elements in <agora-chat>. */
export const markupEffects = (p: Evaluator) =>
  run(
    p,
    () => ({
      pwned: (window as unknown as CollabWindow).pwned,
      made: document.getElementById('chat')!.shadowRoot!.querySelectorAll('ol .text *').length,
    }),
    null,
  );

export const send = (p: Evaluator, ...texts: string[]) =>
  run(
    p,
    async (texts) => {
      // One after the other: the order the user typed them.
      for (const t of texts) await (window as unknown as CollabWindow).C.client.sendMessage(t);
    },
    texts,
  );

/** A pen stroke of 41 points drawn over ~200 ms at height y. */
export const draw = (p: Evaluator, y: number) =>
  run(
    p,
    async (y) => {
      const s = (window as unknown as CollabWindow).C.client.whiteboard.beginStroke('pen', 20, y);
      for (let i = 1; i <= 40; i++) {
        s.add(20 + i * 10, y + Math.sin(i / 3) * 20);
        await new Promise((r) => setTimeout(r, 5));
      }
      s.end();
    },
    y,
  );

/**
 * Opens a w×h picture of random pixels as page 0's background: a PNG of about w·h·3 bytes, since noise does not
 * compress. Resolves with the PNG's size.
 */
export const openNoise = (p: Evaluator, w: number, h: number) =>
  run(
    p,
    async ([w, h]) => {
      const c = new OffscreenCanvas(w, h);
      const ctx = c.getContext('2d')!;
      const img = ctx.createImageData(w, h);
      // getRandomValues fills at most 64 KiB at a time.
      for (let at = 0; at < img.data.length; at += 65536)
        crypto.getRandomValues(img.data.subarray(at, at + 65536));
      for (let a = 3; a < img.data.length; a += 4) img.data[a] = 255;
      ctx.putImageData(img, 0, 0);
      const png = await c.convertToBlob({ type: 'image/png' });
      await (window as unknown as CollabWindow).C.client.whiteboard.openFile(new File([png], 'noise.png'), 0);
      return png.size;
    },
    [w, h] as const,
  );

/** Page 0's background as this page decodes it: its size and a digest of its pixels (null: none yet). */
export const background = (p: Evaluator) =>
  run(
    p,
    async () => {
      const img = await (window as unknown as CollabWindow).C.client.whiteboard.getBackground(0);
      if (!img) return null;
      const ctx = new OffscreenCanvas(img.width, img.height).getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      let digest = 0;
      for (const v of ctx.getImageData(0, 0, img.width, img.height).data) digest = (digest * 31 + v) >>> 0;
      return { w: img.width, h: img.height, digest };
    },
    null,
  );
