// Chat and whiteboard in real Chromium pages over the real server: what each member sees, live, after a late
// join, after undo and clear, and in an encrypted channel (docs/whiteboard-and-chat.md).
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { browserSuite } from './setup.js';
import { APP_ID, openPage, until } from './harness.js';
import { SHOTS, axeViolations, callAttrs, callPage } from './components-helpers.js';
import { inked, items, joinCollab, messages, shownTexts, type ShownMessage } from './collab-helpers.js';

const suite = browserSuite();

async function member(channel: string, opts: { name?: string; secret?: string } = {}) {
  const page = await openPage(suite.browser, `${suite.server.url}/test-pages/collab.html`);
  return { page, uid: await joinCollab(page, APP_ID, channel, opts) };
}

describe('chat', () => {
  it('messages arrive in order on every page (own too), <script> shows as text, and a late joiner gets the history', async () => {
    const a = await member('chat room', { name: 'Ann' });
    const b = await member('chat room', { name: 'Bob' });
    const evil = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2"><b>bold?</b>';
    await a.page.evaluate(async (evil) => {
      const c = (window as unknown as { C: { client: { sendMessage(t: string): Promise<unknown> } } }).C
        .client;
      await Promise.all([c.sendMessage('one'), c.sendMessage('two'), c.sendMessage(evil)]);
    }, evil);
    await b.page.evaluate(() =>
      (
        window as unknown as { C: { client: { sendMessage(t: string): Promise<unknown> } } }
      ).C.client.sendMessage('from Bob'),
    );
    const want = ['one', 'two', evil, 'from Bob'];
    for (const p of [a.page, b.page])
      await until(async () => (await messages(p)).length === 4, 10_000, 'four messages');
    const atA = await messages(a.page);
    const atB = await messages(b.page);
    expect(atA.map((m) => m.text)).toEqual(want);
    expect(atB).toEqual(atA);
    expect(atA.map((m) => [m.uid, m.name])).toEqual([
      [a.uid, 'Ann'],
      [a.uid, 'Ann'],
      [a.uid, 'Ann'],
      [b.uid, 'Bob'],
    ]);
    expect(atA.every((m, i) => i === 0 || m.ts >= atA[i - 1]!.ts)).toBe(true);

    // What the user sees: the markup as characters, nothing run, no element made from it.
    await until(async () => (await shownTexts(b.page)).length === 4, 5000, 'chat list');
    expect(await shownTexts(b.page)).toEqual(want);
    expect(
      await b.page.evaluate(() => {
        const list = document.getElementById('chat')!.shadowRoot!.querySelector('ol')!;
        return {
          pwned: (window as unknown as { pwned?: number }).pwned,
          made: list.querySelectorAll('.text *').length,
        };
      }),
    ).toEqual({ pwned: undefined, made: 0 });

    // Typed in the element's box by a user.
    const input = b.page.locator('agora-chat input');
    await input.fill('typed');
    await input.press('Enter');
    await until(async () => (await messages(a.page)).length === 5, 10_000, 'typed message');
    expect((await messages(a.page))[4]).toMatchObject({ uid: b.uid, name: 'Bob', text: 'typed' });

    const late = await member('chat room', { name: 'Cy' });
    await until(async () => (await messages(late.page)).length === 5, 10_000, 'history');
    const history = await messages(late.page);
    expect(history.map((m) => m.text)).toEqual([...want, 'typed']);
    expect(history.every((m) => m.history === true)).toBe(true);
    expect(
      await late.page.evaluate(() =>
        (window as unknown as { C: { client: { getMessages(): ShownMessage[] } } }).C.client
          .getMessages()
          .map((m) => m.text),
      ),
    ).toEqual([...want, 'typed']);
    expect(await shownTexts(late.page)).toEqual([...want, 'typed']);
    for (const p of [a.page, b.page, late.page]) await p.context().close();
  });

  it('sendMessage checks its argument: TypeError, empty or too long (2), not in a channel (3)', async () => {
    const a = await member('chat args');
    const outcomes = await a.page.evaluate(async () => {
      const c = (
        window as unknown as {
          C: { client: { sendMessage(t: unknown): Promise<unknown>; leave(): Promise<void> } };
        }
      ).C.client;
      const out: Array<string | number> = [];
      for (const arg of [42, '', '   ', 'x'.repeat(2001)]) {
        try {
          await c.sendMessage(arg);
          out.push('ok');
        } catch (e) {
          out.push(e instanceof TypeError ? 'TypeError' : (e as { code: number }).code);
        }
      }
      await c.leave();
      try {
        await c.sendMessage('after leave');
        out.push('ok');
      } catch (e) {
        out.push((e as { code: number }).code);
      }
      return out;
    });
    expect(outcomes).toEqual(['TypeError', 2, 2, 2, 3]);
    await a.page.context().close();
  });
});

describe('whiteboard', () => {
  it('two pages draw at once and converge; strokes show live; a late joiner sees all; undo is own-only; clear is for all', async () => {
    const a = await member('board');
    const b = await member('board');
    // Both draw at the same time, interleaved point by point.
    const draw = (p: Page, y: number) =>
      p.evaluate(async (y) => {
        const wb = (
          window as unknown as {
            C: {
              client: {
                whiteboard: {
                  beginStroke(
                    t: string,
                    x: number,
                    y: number,
                  ): { add(x: number, y: number): void; end(): void };
                };
              };
            };
          }
        ).C.client.whiteboard;
        const s = wb.beginStroke('pen', 20, y);
        for (let i = 1; i <= 40; i++) {
          s.add(20 + i * 10, y + Math.sin(i / 3) * 20);
          await new Promise((r) => setTimeout(r, 5));
        }
        s.end();
      }, y);
    await Promise.all([draw(a.page, 100), draw(b.page, 200)]);
    await until(
      async () => (await items(a.page)).length === 2 && (await items(b.page)).length === 2,
      10_000,
      'both strokes',
    );
    await until(
      async () => JSON.stringify(await items(a.page)) === JSON.stringify(await items(b.page)),
      10_000,
      'same strokes on both pages',
    );
    const both = await items(a.page);
    expect(both.map((i) => [i.by, i.n, i.live]).sort()).toEqual(
      [
        [a.uid, 123, false],
        [b.uid, 123, false],
      ].sort(),
    );

    // Live: B sees A's stroke grow before A lifts the pen.
    await a.page.evaluate(() => {
      const w = window as unknown as {
        C: { client: { whiteboard: { beginStroke(t: string, x: number, y: number): unknown } } };
        live: { add(x: number, y: number): void; end(): void };
      };
      w.live = w.C.client.whiteboard.beginStroke('highlighter', 300, 300) as typeof w.live;
      for (let i = 1; i <= 5; i++) w.live.add(300 + i * 10, 300);
    });
    const seenLive = await until(
      async () => (await items(b.page)).find((i) => i.tool === 'highlighter' && i.live && i.n === 18),
      10_000,
      'live stroke at B',
    );
    expect(seenLive!.by).toBe(a.uid);
    await a.page.evaluate(() => (window as unknown as { live: { end(): void } }).live.end());

    // A user draws with the mouse on B's element; a shape and text through the API.
    const box = (await b.page.locator('agora-whiteboard canvas').boundingBox())!;
    await b.page.mouse.move(box.x + 50, box.y + 300);
    await b.page.mouse.down();
    for (let i = 1; i <= 10; i++) await b.page.mouse.move(box.x + 50 + i * 15, box.y + 300 + i * 3);
    await b.page.mouse.up();
    await b.page.evaluate(() => {
      const wb = (
        window as unknown as {
          C: {
            client: { whiteboard: { addShape(...a: unknown[]): string; addText(...a: unknown[]): string } };
          };
        }
      ).C.client.whiteboard;
      wb.addShape('rect', 400, 50, 500, 120, { color: '#2563eb' });
      wb.addText(400, 200, '<b>label</b>');
    });
    await until(async () => (await items(a.page)).length === 6, 10_000, 'six items at A');
    const all = await items(a.page);
    expect(
      all
        .filter((i) => i.by === b.uid)
        .map((i) => i.tool)
        .sort(),
    ).toEqual(['pen', 'pen', 'rect', 'text']);
    expect(all.find((i) => i.tool === 'text')!.text).toBe('<b>label</b>');

    // The late joiner gets everything, and its canvas shows ink.
    const late = await member('board');
    await until(async () => (await items(late.page)).length === 6, 10_000, 'late joiner has all items');
    expect(await items(late.page)).toEqual(await items(a.page));
    await until(async () => (await inked(late.page)) > 500, 5000, 'ink on the late joiner canvas');
    await late.page.locator('agora-whiteboard').screenshot({ path: `${SHOTS}/whiteboard-late-joiner.png` });

    // Undo on A removes A's last own item (the highlighter) everywhere, and nothing of B's; redo brings it back.
    const before = await items(b.page);
    await a.page.locator('agora-whiteboard button[data-act=undo]').click();
    const afterUndo = before.filter((i) => i.tool !== 'highlighter');
    for (const p of [a.page, b.page, late.page])
      await until(
        async () => JSON.stringify(await items(p)) === JSON.stringify(afterUndo),
        10_000,
        'undo everywhere',
      );
    await a.page.evaluate(() =>
      (
        window as unknown as { C: { client: { whiteboard: { undo(): boolean } } } }
      ).C.client.whiteboard.undo(),
    );
    await until(async () => (await items(b.page)).length === 4, 10_000, 'second undo');
    expect((await items(b.page)).every((i) => i.by === b.uid)).toBe(true);
    // A has nothing left to undo: B's work is not A's to undo.
    expect(
      await a.page.evaluate(() =>
        (
          window as unknown as { C: { client: { whiteboard: { undo(): boolean } } } }
        ).C.client.whiteboard.undo(),
      ),
    ).toBe(false);
    expect((await items(b.page)).length).toBe(4);

    // Clear asks first; confirmed, it empties the page for everyone.
    await late.page.locator('agora-whiteboard button[data-act=clear]').click();
    expect(await late.page.locator('agora-whiteboard [role=alert]').textContent()).toContain('everyone');
    await late.page.locator('agora-whiteboard button[data-act=confirm-clear]').click();
    for (const p of [a.page, b.page, late.page])
      await until(async () => (await items(p)).length === 0, 10_000, 'cleared everywhere');
    await until(async () => (await inked(a.page)) === 0, 5000, 'blank canvas at A');

    // Pages: a page added by one member exists for all; items stay on their page.
    await a.page.evaluate(() => {
      const wb = (
        window as unknown as {
          C: {
            client: { whiteboard: { addPage(): number; page: number; addShape(...a: unknown[]): string } };
          };
        }
      ).C.client.whiteboard;
      wb.page = wb.addPage();
      wb.addShape('ellipse', 10, 10, 60, 60);
    });
    await until(async () => (await items(b.page, 1)).length === 1, 10_000, 'item on page 2');
    expect(await items(b.page, 0)).toEqual([]);

    // Export: a PNG of the page.
    const png = await a.page.evaluate(async () => {
      const blob = await (
        window as unknown as {
          C: { client: { whiteboard: { exportPNG(): Promise<Blob> } } };
        }
      ).C.client.whiteboard.exportPNG();
      const head = new Uint8Array(await blob.slice(0, 8).arrayBuffer());
      return { type: blob.type, size: blob.size, head: [...head] };
    });
    expect(png.type).toBe('image/png');
    expect(png.head).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    for (const p of [a.page, b.page, late.page]) await p.context().close();
  });
});

describe('<agora-whiteboard> tools', () => {
  it('text, rectangle, eraser and zoom through the element reach the other page in board coordinates', async () => {
    const a = await member('tools');
    const b = await member('tools');
    const canvas = a.page.locator('agora-whiteboard canvas');
    const box = (await canvas.boundingBox())!;
    const tool = (t: string) => a.page.locator(`agora-whiteboard button[data-tool=${t}]`).click();
    const itemsAt = async (p: Page) =>
      p.evaluate(() =>
        (
          window as unknown as {
            C: {
              client: {
                whiteboard: { getItems(): Array<{ tool: string; points: number[]; text?: string }> };
              };
            };
          }
        ).C.client.whiteboard
          .getItems()
          .map((i) => ({ tool: i.tool, points: i.points.map(Math.round), text: i.text })),
      );

    await tool('text');
    await a.page.mouse.click(box.x + 100, box.y + 150);
    await a.page.locator('agora-whiteboard input.textbox').fill('hello board');
    await a.page.locator('agora-whiteboard input.textbox').press('Enter');
    await tool('rect');
    await a.page.mouse.move(box.x + 300, box.y + 100);
    await a.page.mouse.down();
    await a.page.mouse.move(box.x + 350, box.y + 150, { steps: 5 });
    await a.page.mouse.move(box.x + 400, box.y + 200, { steps: 5 });
    await a.page.mouse.up();
    await until(async () => (await itemsAt(b.page)).length === 2, 10_000, 'text and rect at B');
    expect(await itemsAt(b.page)).toEqual([
      { tool: 'text', points: [100, 150], text: 'hello board' },
      { tool: 'rect', points: [300, 100, 400, 200], text: undefined },
    ]);

    // The wheel zooms 2× about the pointer (the canvas corner): board (300, 100) is now at screen (~600, ~200).
    await a.page.mouse.move(box.x + 1, box.y + 1);
    await a.page.mouse.wheel(0, -300 * Math.log(2));
    await tool('eraser');
    await a.page.mouse.move(box.x + 600, box.y + 200);
    await a.page.mouse.down();
    await a.page.mouse.move(box.x + 610, box.y + 210, { steps: 3 });
    await a.page.mouse.up();
    await until(async () => (await itemsAt(b.page)).length === 1, 10_000, 'rectangle erased at B');
    expect((await itemsAt(b.page))[0]!.tool).toBe('text');
    for (const p of [a.page, b.page]) await p.context().close();
  });
});

describe('<agora-whiteboard> touch', () => {
  it('a finger draws a stroke (touch events through Pointer Events), seen on the other page', async () => {
    const a = await member('touch');
    const context = await suite.browser.newContext({ hasTouch: true });
    const t = await context.newPage();
    await t.goto(`${suite.server.url}/test-pages/collab.html`);
    await t.waitForFunction(() => (window as unknown as { collabLoaded?: boolean }).collabLoaded === true);
    await t.evaluate(
      (app) =>
        (window as unknown as { C: { join(a: string, c: string): Promise<number> } }).C.join(app, 'touch'),
      APP_ID,
    );
    const box = (await t.locator('agora-whiteboard canvas').boundingBox())!;
    const cdp = await context.newCDPSession(t);
    const touch = (type: 'touchStart' | 'touchMove' | 'touchEnd', x: number, y: number) =>
      cdp.send('Input.dispatchTouchEvent', {
        type,
        touchPoints: type === 'touchEnd' ? [] : [{ x: box.x + x, y: box.y + y }],
      });
    await touch('touchStart', 50, 50);
    for (let i = 1; i <= 10; i++) await touch('touchMove', 50 + i * 20, 50 + i * 5);
    await touch('touchEnd', 0, 0);
    const seen = await until(
      () =>
        a.page
          .evaluate(() =>
            (
              window as unknown as {
                C: {
                  client: {
                    whiteboard: { getItems(): Array<{ tool: string; points: number[]; live: boolean }> };
                  };
                };
              }
            ).C.client.whiteboard.getItems(),
          )
          .then((items) => (items.length === 1 && !items[0]!.live ? items[0] : null)),
      10_000,
      'touch stroke at A',
    );
    expect(seen!.tool).toBe('pen');
    expect(seen!.points.length / 3).toBeGreaterThanOrEqual(5);
    expect(Math.round(seen!.points[0]!)).toBe(50);
    await a.page.context().close();
    await context.close();
  });
});

/** A 2-page PDF (200×200 pt): page 1 filled red, page 2 filled blue. */
function twoPagePdf(): number[] {
  const stream = (ops: string) => `<< /Length ${ops.length} >>\nstream\n${ops}\nendstream`;
  const objs = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 5 0 R /Resources << >> >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 6 0 R /Resources << >> >>',
    stream('1 0 0 rg 0 0 200 200 re f'),
    stream('0 0 1 rg 0 0 200 200 re f'),
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objs.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) out += `${String(off).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return [...Buffer.from(out, 'latin1')];
}

describe('files', () => {
  it('an image and a 2-page PDF opened on one page appear as backgrounds on the other; wrong or oversized files are refused', async () => {
    const a = await member('files');
    const b = await member('files');
    const pdfRequests: string[] = [];
    b.page.on('request', (r) => r.url().includes('agora-rtc-pdf') && pdfRequests.push(r.url()));
    type Wb = {
      openFile(f: Blob, page?: number): Promise<number[]>;
      getBackground(p: number): Promise<ImageBitmap | null>;
      pageCount: number;
    };
    const opened = await a.page.evaluate(async () => {
      const wb = (window as unknown as { C: { client: { whiteboard: Wb } } }).C.client.whiteboard;
      const c = new OffscreenCanvas(100, 80);
      const ctx = c.getContext('2d')!;
      ctx.fillStyle = '#00ff00';
      ctx.fillRect(0, 0, 100, 80);
      const png = await c.convertToBlob({ type: 'image/png' });
      return wb.openFile(new File([png], 'green.png', { type: 'image/png' }));
    });
    expect(opened).toEqual([0]);
    /** Colour at (x, y) of page `p`'s background as the other member decodes it, and its size. */
    const bgAt = (p: Page, page: number, x: number, y: number) =>
      p.evaluate(
        async ({ page, x, y }) => {
          const wb = (window as unknown as { C: { client: { whiteboard: Wb } } }).C.client.whiteboard;
          const img = await wb.getBackground(page);
          if (!img) return null;
          const c = new OffscreenCanvas(img.width, img.height);
          const ctx = c.getContext('2d')!;
          ctx.drawImage(img, 0, 0);
          return { w: img.width, h: img.height, rgb: [...ctx.getImageData(x, y, 1, 1).data.slice(0, 3)] };
        },
        { page, x, y },
      );
    expect(await until(() => bgAt(b.page, 0, 50, 40), 10_000, 'image background at B')).toEqual({
      w: 100,
      h: 80,
      rgb: [0, 255, 0],
    });
    // What B's user sees: the element's canvas shows the green background.
    await until(
      () =>
        b.page.evaluate(() => {
          const canvas = document.getElementById('wb')!.shadowRoot!.querySelector('canvas')!;
          const [r, g, bl] = canvas.getContext('2d')!.getImageData(50, 40, 1, 1).data;
          return r === 0 && g === 255 && bl === 0;
        }),
      10_000,
      'green background on the canvas at B',
    );
    expect(pdfRequests).toEqual([]);

    const pdf = twoPagePdf();
    const pdfPages = await a.page.evaluate(async (bytes) => {
      const wb = (window as unknown as { C: { client: { whiteboard: Wb } } }).C.client.whiteboard;
      return wb.openFile(new File([new Uint8Array(bytes)], 'two.pdf', { type: 'application/pdf' }), 1);
    }, pdf);
    expect(pdfPages).toEqual([1, 2]);
    expect(await until(() => bgAt(b.page, 1, 150, 150), 20_000, 'PDF page 1 at B')).toEqual({
      w: 300,
      h: 300,
      rgb: [255, 0, 0],
    });
    expect((await bgAt(b.page, 2, 150, 150))!.rgb).toEqual([0, 0, 255]);
    expect(
      await b.page.evaluate(
        () => (window as unknown as { C: { client: { whiteboard: Wb } } }).C.client.whiteboard.pageCount,
      ),
    ).toBe(3);
    expect(pdfRequests.length).toBeGreaterThan(0);

    const refused = await a.page.evaluate(async (pdf) => {
      const wb = (window as unknown as { C: { client: { whiteboard: Wb } } }).C.client.whiteboard;
      const out: Array<string | number> = [];
      const files = [
        new File([new Uint8Array(pdf)], 'fake.png', { type: 'image/png' }),
        new File(['<html>hello</html>'], 'page.html', { type: 'text/html' }),
        new File([new Uint8Array(6 * 1024 * 1024)], 'big.png', { type: 'image/png' }),
        new File([], 'empty.png'),
      ];
      for (const f of files) {
        try {
          await wb.openFile(f);
          out.push('ok');
        } catch (e) {
          out.push((e as { code: number }).code);
        }
      }
      try {
        await wb.openFile('not a file' as unknown as Blob);
      } catch (e) {
        out.push(e instanceof TypeError ? 'TypeError' : 'other');
      }
      return out;
    }, pdf);
    expect(refused).toEqual([2, 2, 2, 2, 'TypeError']);
    for (const p of [a.page, b.page]) await p.context().close();
  });
});

describe('encrypted channel', () => {
  it('chat and whiteboard reach members with the secret; the server holds only ciphertext; another secret reads nothing', async () => {
    const channel = 'sealed board';
    const a = await member(channel, { secret: 'open sesame' });
    const b = await member(channel, { secret: 'open sesame' });
    await a.page.evaluate(async () => {
      const c = (
        window as unknown as {
          C: {
            client: {
              sendMessage(t: string): Promise<unknown>;
              whiteboard: { addText(...a: unknown[]): string };
            };
          };
        }
      ).C.client;
      await c.sendMessage('top secret plan');
      c.whiteboard.addText(10, 40, 'whiteboard secret');
    });
    await until(async () => (await messages(b.page)).length === 1, 10_000, 'message at B');
    expect((await messages(b.page))[0]!.text).toBe('top secret plan');
    await until(async () => (await items(b.page)).length === 1, 10_000, 'text at B');
    expect((await items(b.page))[0]!.text).toBe('whiteboard secret');

    const stored = suite.server.channelContent(APP_ID, channel)!;
    const chatStored = JSON.stringify(stored.chat);
    expect(chatStored).not.toContain('top secret');
    expect(Array.isArray(stored.doc)).toBe(true);
    const docStored = (stored.doc as string[])
      .map((u) => Buffer.from(u, 'base64').toString('latin1'))
      .join('');
    expect(docStored).not.toContain('whiteboard secret');
    expect(docStored.length).toBeGreaterThan(0);

    const wrong = await member(channel, { secret: 'wrong guess' });
    await until(
      async () =>
        (await wrong.page.evaluate(
          () => (window as unknown as { C: { cryptErrors: unknown[] } }).C.cryptErrors.length,
        )) > 0,
      10_000,
      'crypt-error at the member with another secret',
    );
    expect(await messages(wrong.page)).toEqual([]);
    expect(await items(wrong.page)).toEqual([]);
    for (const p of [a.page, b.page, wrong.page]) await p.context().close();
  });
});

describe('<agora-call>', () => {
  it('has chat and whiteboard buttons with unread counts; the panel module loads only when first opened', async () => {
    const attrs = (name: string) =>
      callAttrs('call with chat', name, { autojoin: true, lang: 'en', 'no-stats': true });
    const a = await callPage(suite.browser, suite.server.url, attrs('Ada'));
    const b = await callPage(suite.browser, suite.server.url, attrs('Grace'));
    const collabRequests: string[] = [];
    a.on('request', (r) => r.url().includes('agora-collab.js') && collabRequests.push(r.url()));
    for (const p of [a, b])
      await until(
        () => p.evaluate(() => document.querySelector('agora-call')!.callState === 'connected'),
        20_000,
      );
    await b.evaluate(async () => {
      const c = document.querySelector('agora-call')!.client;
      await c.sendMessage('hi <i>Ada</i>');
      await c.sendMessage('second');
      const s = (await c.openWhiteboard()).beginStroke('pen', 10, 10);
      s.add(60, 60);
      s.end();
    });
    const badge = (which: string) =>
      a.evaluate(
        (which) =>
          document.querySelector('agora-call')!.shadowRoot!.querySelector(`[data-control=${which}] .badge`)
            ?.textContent ?? '',
        which,
      );
    await until(async () => (await badge('chat')) === '2', 10_000, 'chat badge 2');
    await until(async () => (await badge('board')) === '1', 10_000, 'board badge 1');
    expect(collabRequests).toEqual([]);

    // No colour transitions while axe measures contrast.
    await a.emulateMedia({ reducedMotion: 'reduce' });
    await a.locator('agora-call [data-control=chat]').click();
    await until(
      () =>
        a.evaluate(() =>
          [
            ...(document
              .querySelector('agora-call')!
              .shadowRoot!.querySelector('agora-chat')
              ?.shadowRoot?.querySelectorAll('li .text') ?? []),
          ]
            .map((e) => e.textContent)
            .join('|'),
        ),
      10_000,
      'chat panel with the messages',
    ).then((texts) => expect(texts).toBe('hi <i>Ada</i>|second'));
    expect(collabRequests.length).toBe(1);
    expect(await badge('chat')).toBe('');
    expect(await axeViolations(a)).toEqual([]);
    await a.locator('agora-call [data-control=board]').click();
    await until(
      () =>
        a.evaluate(
          () => !!document.querySelector('agora-call')!.shadowRoot!.querySelector('agora-whiteboard'),
        ),
      10_000,
      'whiteboard panel',
    );
    expect(await badge('board')).toBe('');
    expect(await axeViolations(a)).toEqual([]);
    await a.screenshot({ path: `${SHOTS}/call-with-whiteboard.png` });

    // On a phone the panel goes below the people, inside the screen, and the people stay in view.
    await a.setViewportSize({ width: 390, height: 844 });
    await a.locator('agora-call [data-control=chat]').click();
    await a.locator('agora-call agora-chat').waitFor();
    const panel = (await a.locator('agora-call aside.side').boundingBox())!;
    const stage = (await a.locator('agora-call .stage').boundingBox())!;
    expect(panel.x).toBeGreaterThanOrEqual(0);
    expect(panel.x + panel.width).toBeLessThanOrEqual(390);
    expect(panel.y).toBeGreaterThanOrEqual(stage.y + stage.height);
    expect(stage.height).toBeGreaterThan(150);
    await a.screenshot({ path: `${SHOTS}/call-with-chat-390.png` });
    for (const p of [a, b]) await p.context().close();
  });
});
