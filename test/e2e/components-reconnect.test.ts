// <agora-call> while the signaling server is killed and restarted mid-call: the reconnecting banner appears,
// the picture keeps coming, the banner goes once the SDK is back, and the call goes on (a newcomer joins).
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Browser } from 'playwright-core';
import { ServerProcess, freePort, launchBrowser, serve, until } from './harness.js';
import type { RunningServer } from '../../server/app.js';
import { SHOTS, callAttrs, callPage, myUid, remoteUids, tileFrames } from './components-helpers.js';

let pages: RunningServer;
let signaling: ServerProcess;
let browser: Browser;

beforeAll(async () => {
  pages = await serve({ staticDirs: { '/test-pages/': 'test/e2e/pages' } });
  signaling = new ServerProcess(await freePort());
  await signaling.start();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await signaling?.kill();
  await pages?.close();
});

test('server killed and restarted: the reconnecting banner appears and goes, video keeps flowing, the call goes on', async () => {
  const attrs = (name: string) =>
    callAttrs('outage', name, {
      autojoin: true,
      lang: 'en',
      'signaling-url': `ws://127.0.0.1:${signaling.port}/agora-signal`,
    });
  const a = await callPage(browser, pages.url, attrs('Ada'));
  const b = await callPage(browser, pages.url, attrs('Grace'));
  await until(
    async () => (await remoteUids(a)).length === 1 && (await remoteUids(b)).length === 1,
    20_000,
    'call',
  );
  const uidA = await myUid(a);
  const banner = b.locator('[data-banner="reconnecting"]');
  expect(await banner.count()).toBe(0);

  await signaling.kill();
  await banner.waitFor({ timeout: 5_000 });
  expect(await banner.textContent()).toContain('Reconnecting');
  expect(await b.evaluate(() => document.querySelector('agora-call')!.callState)).toBe('reconnecting');
  await b.screenshot({ path: `${SHOTS}/reconnecting-1280.png` });
  // Picture keeps coming while the server is down (sampled for up to 5 s: a loaded machine can stall a second).
  await until(
    async () => (await tileFrames(b, uidA, 1000)).frames > 3,
    5_000,
    'picture while the server is down',
  );

  await signaling.start();
  await banner.waitFor({ state: 'detached', timeout: 15_000 });
  expect(await b.evaluate(() => document.querySelector('agora-call')!.callState)).toBe('connected');
  expect(await remoteUids(b)).toEqual([uidA]);

  // The call goes on: a newcomer sees both.
  const c = await callPage(browser, pages.url, attrs('Alan'));
  await until(async () => (await remoteUids(c)).length === 2, 20_000, 'newcomer sees both');
  expect((await tileFrames(c, uidA)).frames).toBeGreaterThan(3);
  for (const p of [a, b, c]) await p.context().close();
});
