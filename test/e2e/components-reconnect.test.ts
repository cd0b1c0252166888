// <agora-call> while the signaling server is killed and restarted mid-call: the reconnecting banner appears,
// the picture keeps coming, the banner goes once the SDK is back, and the call goes on (a newcomer joins).
import { expect, test } from 'vitest';
import { until } from './harness.js';
import { outageSuite } from './setup.js';
import { SHOTS, callAttrs, callPage, myUid, remoteUids, tileFrames } from './components-helpers.js';

const suite = outageSuite();

test('server killed and restarted: the reconnecting banner appears and goes, video keeps flowing, the call goes on', async () => {
  const attrs = (name: string) =>
    callAttrs('outage', name, {
      autojoin: true,
      lang: 'en',
      'signaling-url': suite.signaling.wsUrl,
    });
  const a = await callPage(suite.browser, suite.pages.url, attrs('Ada'));
  const b = await callPage(suite.browser, suite.pages.url, attrs('Grace'));
  await until(
    async () => (await remoteUids(a)).length === 1 && (await remoteUids(b)).length === 1,
    20_000,
    'call',
  );
  const uidA = await myUid(a);
  const banner = b.locator('[data-banner="reconnecting"]');
  expect(await banner.count()).toBe(0);
  // The picture flows before the outage: a server killed while the peers still exchange candidates leaves them
  // without a connection, which is not what this test is about.
  await until(async () => (await tileFrames(b, uidA, 1000)).frames > 3, 20_000, 'picture before the outage');

  await suite.signaling.kill();
  await banner.waitFor({ timeout: 5_000 });
  expect(await banner.textContent()).toContain('Reconnecting');
  // A small spinner before the words (it once stretched across the banner as a rotating arc). It turns: its box is
  // 20 px square at rest, up to 28 px on the diagonal.
  const spinner = (await banner.locator('.spinner').boundingBox())!;
  const words = (await banner.getByText('Reconnecting').boundingBox())!;
  expect(spinner.width).toBeLessThanOrEqual(30);
  expect(words.x - (spinner.x + spinner.width / 2)).toBeLessThanOrEqual(30);
  expect(await b.evaluate(() => document.querySelector('agora-call')!.callState)).toBe('reconnecting');
  await b.screenshot({ path: `${SHOTS}/reconnecting-1280.png` });
  // Picture keeps coming while the server is down (sampled for up to 5 s: a loaded machine can stall a second).
  await until(
    async () => (await tileFrames(b, uidA, 1000)).frames > 3,
    5_000,
    'picture while the server is down',
  );

  await suite.signaling.start();
  await banner.waitFor({ state: 'detached', timeout: 15_000 });
  expect(await b.evaluate(() => document.querySelector('agora-call')!.callState)).toBe('connected');
  expect(await remoteUids(b)).toEqual([uidA]);

  // The call goes on: a newcomer sees both.
  const c = await callPage(suite.browser, suite.pages.url, attrs('Alan'));
  await until(async () => (await remoteUids(c)).length === 2, 20_000, 'newcomer sees both');
  expect((await tileFrames(c, uidA)).frames).toBeGreaterThan(3);
  for (const p of [a, b, c]) await p.context().close();
});
