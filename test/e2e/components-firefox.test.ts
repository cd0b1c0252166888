// <agora-call> in Firefox: a Firefox page and a Chromium page in one call, each seeing what a person would see of
// the other (decoded video in the tile, the name, the muted mark).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser as FirefoxBrowser } from 'puppeteer-core';
import { PAIRINGS, launchFirefox, until } from './harness.js';
import { browserSuite } from './setup.js';
import {
  callAttrs,
  callPage,
  callView,
  clickControl,
  firefoxCallPage,
  myUid,
  tileFrames,
} from './components-helpers.js';

describe.runIf(PAIRINGS.includes('mixed'))('<agora-call> between Firefox and Chromium', () => {
  const suite = browserSuite();
  let firefox: FirefoxBrowser;
  beforeAll(async () => {
    firefox = await launchFirefox();
  });
  afterAll(async () => {
    await firefox?.close();
  });

  test('two autojoin pages: each decodes the other, shows the name, and the muted mark comes and goes both ways', async () => {
    const a = await firefoxCallPage(
      firefox,
      suite.server.url,
      callAttrs('ff call', 'Ada Lovelace', { autojoin: true }),
    );
    const b = await callPage(
      suite.browser,
      suite.server.url,
      callAttrs('ff call', '<b>Grace</b>', { autojoin: true }),
    );
    await until(
      async () => (await callView(a)).length === 1 && (await callView(b)).length === 1,
      30_000,
      'both tiles',
    );
    const [uidA, uidB] = [await myUid(a), await myUid(b)];
    expect((await callView(a)).map((t) => t.uid)).toEqual([uidB]);
    expect((await callView(b)).map((t) => t.uid)).toEqual([uidA]);

    const seenByB = await tileFrames(b, uidA);
    expect(seenByB.width).toBeGreaterThan(0);
    expect(seenByB.frames).toBeGreaterThan(3);
    const seenByA = await tileFrames(a, uidB);
    expect(seenByA.width).toBeGreaterThan(0);
    expect(seenByA.frames).toBeGreaterThan(3);
    await until(async () => (await callView(b))[0]?.label === 'Ada Lovelace', 10_000, "A's name on B");
    await until(
      async () => (await callView(a))[0]?.label === '<b>Grace</b>',
      10_000,
      "B's name on A, as text",
    );

    for (const [who, viewer] of [
      [a, b],
      [b, a],
    ] as const) {
      const muted = async () => (await callView(viewer))[0]?.marks.includes('muted');
      await clickControl(who, 'microphone');
      await until(muted, 10_000, 'muted mark');
      await clickControl(who, 'microphone');
      await until(async () => !(await muted()), 10_000, 'muted mark gone');
    }
    await Promise.all([a.close(), b.context().close()]);
  });
});
