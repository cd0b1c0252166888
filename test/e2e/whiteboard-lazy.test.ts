// The whiteboard's code (agora-rtc-whiteboard.js) and yjs (agora-rtc-yjs.js) load on the first openWhiteboard(),
// not at join: a call that only joins and publishes never requests them, even while others draw; what they drew
// is told by `whiteboard-update` and applied, in order, when the board is opened (docs/whiteboard-and-chat.md).
// The SFU transport (agora-rtc-sfu.js) loads at join only when the server's hello says it has an SFU: this one has
// none.
// Pages use the ES module SDK (the classic script cannot split its code).
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { browserSuite } from './setup.js';
import { APP_ID, openPage, until } from './harness.js';

const suite = browserSuite();

interface W {
  W: {
    join(app: string, channel: string, o?: object): Promise<number>;
    client: {
      openWhiteboard(): Promise<Board>;
      readonly whiteboard: Board;
    };
    updates: number[];
    cryptErrors: string[];
    items(): Promise<string[]>;
    scripts(): string[];
  };
}
interface Board {
  beginStroke(t: string, x: number, y: number): { id: string; add(x: number, y: number): void; end(): void };
  addShape(t: string, x0: number, y0: number, x1: number, y1: number): string;
  addText(x: number, y: number, text: string): string;
  remove(id: string): boolean;
}

async function member(channel: string, opts: { secret?: string; publish?: boolean } = {}) {
  const page = await openPage(suite.browser, `${suite.server.url}/test-pages/whiteboard-lazy.html`);
  await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
  const uid = await page.evaluate(([app, ch, o]) => (window as unknown as W).W.join(app, ch, o), [
    APP_ID,
    channel,
    opts,
  ] as const);
  return { page, uid };
}

/** The whiteboard's chunks this page has requested. */
const boardCode = (p: Page) =>
  p.evaluate(() => (window as unknown as W).W.scripts().filter((f) => /agora-rtc-(whiteboard|yjs)/.test(f)));
const updates = (p: Page) => p.evaluate(() => (window as unknown as W).W.updates);
const items = (p: Page) => p.evaluate(() => (window as unknown as W).W.items());

describe('whiteboard loaded on first use', () => {
  it('a call that joins and publishes requests neither the whiteboard code nor yjs while others draw (nor the SFU code, on a server without one); opening applies what was drawn, in order, then live', async () => {
    const channel = 'lazy board';
    const a = await member(channel);
    const b = await member(channel);
    const scripts = await a.page.evaluate(() => (window as unknown as W).W.scripts());
    expect(scripts).toContain('/sdk/agora-rtc.js');
    expect(scripts).not.toContain('/sdk/agora-rtc-sfu.js');
    for (const m of [a, b]) expect(await boardCode(m.page)).toEqual([]);
    // Before it is opened, the whiteboard is not there: ERR_NOT_READY, with what to do.
    const early = await a.page.evaluate(() => {
      try {
        return (window as unknown as W).W.client.whiteboard && 'no error';
      } catch (e) {
        return `${(e as { name: string }).name}: ${(e as Error).message}`;
      }
    });
    expect(early).toMatch(/^ERR_NOT_READY: .*openWhiteboard/);

    // C draws, then removes its stroke: A, opening later, must end with what C sees.
    const c = await member(channel, { publish: false });
    await c.page.evaluate(async () => {
      const wb = await (window as unknown as W).W.client.openWhiteboard();
      const s = wb.beginStroke('pen', 10, 10);
      s.add(50, 50);
      s.end();
      wb.addShape('rect', 5, 5, 90, 90);
      await new Promise((r) => setTimeout(r, 100));
      wb.remove(s.id);
      wb.addText(20, 120, 'agenda');
    });
    await until(
      async () => (await updates(a.page)).filter((u) => u === c.uid).length >= 2,
      10_000,
      'whiteboard-update events from C at A',
    );
    for (const m of [a, b]) expect(await boardCode(m.page)).toEqual([]);

    // A opens the board: the chunks load now, and everything C drew is there.
    expect(await items(a.page)).toEqual(['rect', 'text:agenda']);
    expect((await boardCode(a.page)).sort()).toEqual([
      '/sdk/agora-rtc-whiteboard.js',
      '/sdk/agora-rtc-yjs.js',
    ]);
    const same = await a.page.evaluate(
      async () =>
        (await (window as unknown as W).W.client.openWhiteboard()) ===
        (window as unknown as W).W.client.whiteboard,
    );
    expect(same).toBe(true);
    // Live from then on, both ways.
    await c.page.evaluate(() =>
      (window as unknown as W).W.client.whiteboard.addShape('ellipse', 0, 0, 40, 40),
    );
    await until(async () => (await items(a.page)).length === 3, 10_000, 'the ellipse at A');
    await a.page.evaluate(() => (window as unknown as W).W.client.whiteboard.addShape('line', 0, 0, 9, 9));
    await until(async () => (await items(c.page)).length === 4, 10_000, 'the line at C');

    // A late joiner hears at join that the board has content (uid 0), without loading it, and opens it whole.
    const late = await member(channel, { publish: false });
    await until(async () => (await updates(late.page)).includes(0), 10_000, 'whiteboard-update 0 at join');
    expect(await boardCode(late.page)).toEqual([]);
    expect(await items(late.page)).toEqual(['rect', 'text:agenda', 'ellipse', 'line']);

    // B took part in the whole call and never opened the board.
    expect((await updates(b.page)).length).toBeGreaterThan(0);
    expect(await boardCode(b.page)).toEqual([]);
    for (const m of [a, b, c, late]) await m.page.context().close();
  });

  it('encrypted channel: updates held unopened are opened with the secret, and another secret is told at once', async () => {
    const channel = 'lazy sealed board';
    const a = await member(channel, { secret: 'open sesame', publish: false });
    const wrong = await member(channel, { secret: 'wrong guess', publish: false });
    const c = await member(channel, { secret: 'open sesame', publish: false });
    await c.page.evaluate(async () =>
      (await (window as unknown as W).W.client.openWhiteboard()).addText(10, 40, 'sealed'),
    );
    await until(async () => (await updates(a.page)).includes(c.uid), 10_000, 'whiteboard-update from C at A');
    await until(
      () => wrong.page.evaluate(() => (window as unknown as W).W.cryptErrors.includes('content-unreadable')),
      10_000,
      'crypt-error at the member with another secret',
    );
    for (const m of [a, wrong]) expect(await boardCode(m.page)).toEqual([]);
    expect(await items(a.page)).toEqual(['text:sealed']);
    expect(await items(wrong.page)).toEqual([]);
    for (const m of [a, wrong, c]) await m.page.context().close();
  });
});
