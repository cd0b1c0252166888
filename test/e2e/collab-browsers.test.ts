// Whiteboard and chat in Firefox, and between Firefox and Chromium (AGORA_BROWSERS picks the pairings): two pages
// draw at once and converge, chat arrives in order and shows as text, and a late joiner gets the strokes and the
// history. The full set of collab tests runs in Chromium (collab.test.ts); this is the core a user of either sees.
import { describe, expect, test } from 'vitest';
import { APP_ID, PAIRINGS, until } from './harness.js';
import { crossBrowserSuite } from './setup.js';
import {
  background,
  draw,
  inked,
  items,
  joinCollab,
  markupEffects,
  messages,
  openNoise,
  send,
  shownTexts,
} from './collab-helpers.js';

describe.each(PAIRINGS)('whiteboard and chat between two browsers (%s)', (pairing) => {
  // A low threshold, so that a few strokes make the server ask for a sealed snapshot.
  const suite = crossBrowserSuite(pairing, {
    server: { limits: { docCompactAfter: 6 } },
    // Users drawing at once in background tabs: without budget throttling Firefox clamps their timers to this one
    // (1 s by default), and strokes crawl. Only here: four Firefox users of a call decode worse with it (CI).
    firefoxPrefs: { 'dom.min_background_timeout_value_without_budget_throttling': 4 },
  });
  const user = (page: string) => suite.user(page);

  test('two pages draw at once and converge; chat in order, shown as text; a late joiner sees strokes and history', async () => {
    const a = await user('collab.html');
    const b = await user('collab.html');
    const uidA = await joinCollab(a, APP_ID, 'board', { name: 'Ann' });
    const uidB = await joinCollab(b, APP_ID, 'board', { name: 'Bob' });

    await Promise.all([draw(a, 100), draw(b, 200)]);
    const same = async () => {
      const [x, y] = [await items(a), await items(b)];
      return x.length === 2 && JSON.stringify(x) === JSON.stringify(y);
    };
    await until(same, 15_000, 'both strokes on both pages');
    expect((await items(a)).map((i) => [i.by, i.n, i.live]).sort()).toEqual(
      [
        [uidA, 123, false],
        [uidB, 123, false],
      ].sort(),
    );

    const evil = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2"><b>bold?</b>';
    await send(a, 'one', evil);
    await send(b, 'from Bob');
    const want = ['one', evil, 'from Bob'];
    for (const p of [a, b])
      await until(async () => (await messages(p)).length === 3, 15_000, 'three messages');
    const atA = await messages(a);
    expect(atA.map((m) => [m.uid, m.name, m.text])).toEqual([
      [uidA, 'Ann', 'one'],
      [uidA, 'Ann', evil],
      [uidB, 'Bob', 'from Bob'],
    ]);
    expect(await messages(b)).toEqual(atA);
    for (const p of [a, b]) {
      await until(async () => (await shownTexts(p)).length === 3, 10_000, 'chat list');
      expect(await shownTexts(p)).toEqual(want);
      expect(await markupEffects(p)).toEqual({ pwned: undefined, made: 0 });
    }

    const late = await user('collab.html');
    await joinCollab(late, APP_ID, 'board', { name: 'Cy' });
    await until(async () => (await items(late)).length === 2, 15_000, 'late joiner has the strokes');
    expect(await items(late)).toEqual(await items(a));
    await until(async () => (await inked(late)) > 500, 10_000, 'ink on the late joiner canvas');
    await until(async () => (await messages(late)).length === 3, 15_000, 'history');
    const history = await messages(late);
    expect(history.map((m) => m.text)).toEqual(want);
    expect(history.every((m) => m.history === true)).toBe(true);
    expect(await shownTexts(late)).toEqual(want);
    for (const p of [a, b, late]) await p.close();
  });

  test('an encrypted board is compacted by a member on request: the server keeps a few ciphertexts, a late joiner sees all', async () => {
    const a = await user('collab.html');
    const b = await user('collab.html');
    await joinCollab(a, APP_ID, 'sealed board', { secret: 'board secret' });
    await joinCollab(b, APP_ID, 'sealed board', { secret: 'board secret' });
    // ~8 updates per stroke (one per 25 ms): over 30 sealed updates in all.
    for (const y of [60, 120, 180]) await draw(a, y);
    await draw(b, 240);
    for (const p of [a, b]) await until(async () => (await items(p)).length === 4, 15_000, 'four strokes');
    const stored = () => suite.server.channelContent(APP_ID, 'sealed board')!.doc as string[];
    await until(() => stored().length <= 8, 15_000, 'compacted on the server');
    for (const e of stored())
      expect(Buffer.from(e, 'base64').toString('latin1')).not.toMatch(/pen|#[0-9a-f]{6}/);

    const late = await user('collab.html');
    await joinCollab(late, APP_ID, 'sealed board', { secret: 'board secret' });
    await until(async () => (await items(late)).length === 4, 15_000, 'late joiner has the strokes');
    expect(await items(late)).toEqual(await items(a));
    for (const p of [a, b, late]) await p.close();
  });

  test('an encrypted board with a picture larger than one frame is compacted in parts: a late joiner sees the picture and the strokes', async () => {
    const a = await user('collab.html');
    const b = await user('collab.html');
    await joinCollab(a, APP_ID, 'sealed picture', { secret: 'picture secret' });
    await joinCollab(b, APP_ID, 'sealed picture', { secret: 'picture secret' });
    // ~100 KB of picture (sent in pieces of at most 32 KB), then a stroke: the member who drew is asked for a
    // snapshot, which needs three parts of at most 46 KB.
    expect(await openNoise(a, 180, 180)).toBeGreaterThan(90_000);
    await draw(a, 60);
    await until(async () => (await background(b)) !== null, 15_000, 'picture at B');
    const stored = () => suite.server.channelContent(APP_ID, 'sealed picture')!.doc as string[];
    // An update is at most 32 KB (the server's limit), so stored entries larger than that are a snapshot's parts;
    // each is at most one frame.
    const sizes = () => stored().map((e) => Buffer.from(e, 'base64').length);
    await until(() => sizes().filter((n) => n > 32 * 1024 + 28).length >= 2, 15_000, 'compacted in parts');
    expect(Math.max(...sizes())).toBeLessThanOrEqual(46 * 1024);

    const late = await user('collab.html');
    await joinCollab(late, APP_ID, 'sealed picture', { secret: 'picture secret' });
    await until(async () => (await items(late)).length === 1, 15_000, 'late joiner has the stroke');
    expect(await items(late)).toEqual(await items(a));
    expect(await until(() => background(late), 15_000, 'picture at the late joiner')).toEqual(
      await background(a),
    );
    for (const p of [a, b, late]) await p.close();
  });
});
