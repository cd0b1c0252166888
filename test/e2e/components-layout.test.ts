// The call's layout as people see it, at a laptop (1280×800) and a phone (390×844) size, with 1, 2 and 5
// participants: every tile inside the viewport, none overlapping, no scroll bars, controls visible and big
// enough to touch. Screenshots are kept in test-results/components/ for people to judge.
import { expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { until } from './harness.js';
import { browserSuite } from './setup.js';
import { SHOTS, axeViolations, callAttrs, callPage, remoteUids } from './components-helpers.js';

const suite = browserSuite();
const SIZES = [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
];

type Box = { x: number; y: number; width: number; height: number };
const inside = (b: Box, v: { width: number; height: number }) =>
  b.x >= -0.5 && b.y >= -0.5 && b.x + b.width <= v.width + 0.5 && b.y + b.height <= v.height + 0.5;
const overlap = (a: Box, b: Box) =>
  a.x < b.x + b.width - 0.5 &&
  b.x < a.x + a.width - 0.5 &&
  a.y < b.y + b.height - 0.5 &&
  b.y < a.y + a.height - 0.5;

async function checkLayout(p: Page, n: number): Promise<void> {
  for (const size of SIZES) {
    await p.setViewportSize(size);
    await until(async () => (await p.locator('.tile').count()) === n, 10_000, `${n} tiles`);
    await p.waitForTimeout(400); // the tiles glide to their new places
    const tiles = await Promise.all((await p.locator('.tile').all()).map((t) => t.boundingBox()));
    for (const b of tiles) {
      expect(b, 'tile box').not.toBeNull();
      expect(inside(b!, size), `tile ${JSON.stringify(b)} inside ${size.width}×${size.height}`).toBe(true);
      expect(Math.min(b!.width, b!.height)).toBeGreaterThan(60);
    }
    for (let i = 0; i < tiles.length; i++)
      for (let j = i + 1; j < tiles.length; j++)
        expect(overlap(tiles[i]!, tiles[j]!), `tiles ${i}/${j}`).toBe(false);
    const controls = await Promise.all((await p.locator('.bar .control').all()).map((c) => c.boundingBox()));
    expect(controls.length).toBeGreaterThanOrEqual(4);
    for (const c of controls) {
      expect(inside(c!, size), `control ${JSON.stringify(c)}`).toBe(true);
      expect(c!.height).toBeGreaterThanOrEqual(44);
      expect(c!.width).toBeGreaterThanOrEqual(44);
      for (const t of tiles) expect(overlap(c!, t!)).toBe(false);
    }
    const scroll = await p.evaluate(() => {
      const root = document.scrollingElement!;
      return root.scrollHeight > innerHeight || root.scrollWidth > innerWidth;
    });
    expect(scroll, 'no scroll bars').toBe(false);
    await p.screenshot({ path: `${SHOTS}/call-${n}-${size.width}x${size.height}.png` });
  }
}

test('1, 2 and 5 participants at 1280×800 and 390×844: tiles inside and apart, controls reachable, no scrolling', async () => {
  const attrs = (name: string) =>
    callAttrs('layout', name, { autojoin: true, 'video-profile': '120P', lang: 'en' });
  const observer = await callPage(suite.browser, suite.server.url, attrs('Ada Lovelace'));
  await until(
    () => observer.evaluate(() => document.querySelector('agora-call')!.callState === 'connected'),
    15_000,
    'joined',
  );
  await checkLayout(observer, 1);

  const others: Page[] = [];
  const names = ['Grace Hopper', 'Alan Turing', '李雷', 'Katherine Johnson'];
  others.push(await callPage(suite.browser, suite.server.url, attrs(names[0]!), { width: 640, height: 480 }));
  await until(async () => (await remoteUids(observer)).length === 1, 20_000, '2 in the call');
  await checkLayout(observer, 2);

  for (const name of names.slice(1))
    others.push(await callPage(suite.browser, suite.server.url, attrs(name), { width: 640, height: 480 }));
  await until(async () => (await remoteUids(observer)).length === 4, 30_000, '5 in the call');
  // Someone turns the camera off: the layout keeps the tile, with the initials.
  await others[1]!.locator('[data-control="camera"]').click();
  await checkLayout(observer, 5);
  expect(await axeViolations(observer)).toEqual([]);
  for (const p of [observer, ...others]) await p.context().close();
});
