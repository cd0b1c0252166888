// The manual's `error` event: the server goes away during a call, the SDK says so, reconnects on its own and
// puts the user back with the same uid; media between the peers never stops.
import { describe, expect, test } from 'vitest';
import { APP_ID, PAIRINGS, openPage, run, until, videoFrames, type Evaluator } from './harness.js';
import { crossBrowserSuite, outageSuite } from './setup.js';

const suite = outageSuite();

interface Ev {
  ev: string;
  uid?: number;
  reason?: string;
  t: number;
}
const events = (p: Evaluator) => run(p, () => (window as unknown as { events: Ev[] }).events, undefined);
const state = (p: Evaluator) =>
  run(
    p,
    () => (window as unknown as { T: { client: { connectionState: string } } }).T.client.connectionState,
    undefined,
  );

async function join(p: Evaluator, publish: boolean, channel = 'outage'): Promise<number> {
  const signalingUrl = suite.signaling.wsUrl;
  return run(
    p,
    ([appId, signalingUrl, publish, channel]) =>
      (
        window as unknown as {
          T: { join(a: string, c: string, u: number, o: object): Promise<number> };
        }
      ).T.join(appId, channel, 0, { signalingUrl, publish }),
    [APP_ID, signalingUrl, publish, channel] as const,
  );
}

test('server killed and restarted: CONNECTION_INTERRUPTED, back in the channel with the same uid, media flowing; a long outage gives CONNECTION_LOST at ~10 s and recovers', async () => {
  const a = await openPage(suite.browser, `${suite.pages.url}/test-pages/call.html`);
  const b = await openPage(suite.browser, `${suite.pages.url}/test-pages/call.html`);
  const uidA = await join(a, true);
  const uidB = await join(b, true);
  await until(
    async () => (await events(b)).some((e) => e.ev === 'stream-subscribed' && e.uid === uidA),
    15_000,
    'B subscribed A',
  );
  await until(
    async () => (await events(a)).some((e) => e.ev === 'stream-subscribed' && e.uid === uidB),
    15_000,
    'A subscribed B',
  );

  // Short outage.
  await suite.signaling.kill();
  await until(
    async () => (await events(a)).some((e) => e.reason === 'CONNECTION_INTERRUPTED'),
    5_000,
    'A interrupted',
  );
  await until(
    async () => (await events(b)).some((e) => e.reason === 'CONNECTION_INTERRUPTED'),
    5_000,
    'B interrupted',
  );
  const during = await videoFrames(b, `#remote-${uidA} video`, 1000);
  expect(during.frames, 'media keeps flowing while the server is down').toBeGreaterThan(3);
  await suite.signaling.start();
  await until(
    async () => (await state(a)) === 'CONNECTED' && (await state(b)) === 'CONNECTED',
    10_000,
    'both reconnected',
  );

  // Back in the channel with the same uids: a newcomer sees both streams.
  const c = await openPage(suite.browser, `${suite.pages.url}/test-pages/call.html`);
  await join(c, false);
  await until(
    async () => {
      const ev = await events(c);
      return [uidA, uidB].every((u) => ev.some((e) => e.ev === 'stream-subscribed' && e.uid === u));
    },
    15_000,
    'newcomer sees A and B',
  );
  expect((await videoFrames(c, `#remote-${uidA} video`)).frames).toBeGreaterThan(3);
  // Nobody saw a duplicate user or a leave.
  for (const p of [a, b]) {
    const ev = await events(p);
    expect(ev.filter((e) => e.ev === 'peer-leave')).toEqual([]);
    expect(ev.filter((e) => e.ev === 'stream-added')).toHaveLength(1);
  }
  await c.close();

  // Long outage: CONNECTION_LOST about 10 s after the interruption; retries go on and succeed.
  await suite.signaling.kill();
  await until(
    async () => (await events(a)).filter((e) => e.reason === 'CONNECTION_INTERRUPTED').length === 2,
    5_000,
    'A interrupted again',
  );
  const lost = await until(
    async () => (await events(a)).find((e) => e.reason === 'CONNECTION_LOST'),
    15_000,
    'A lost',
  );
  const interrupted = (await events(a)).filter((e) => e.reason === 'CONNECTION_INTERRUPTED')[1]!;
  const gap = lost!.t - interrupted.t;
  expect(gap).toBeGreaterThan(9_000);
  expect(gap).toBeLessThan(12_000);
  expect((await videoFrames(b, `#remote-${uidA} video`, 1000)).frames, 'media still flows').toBeGreaterThan(
    3,
  );
  await suite.signaling.start();
  await until(
    async () => (await state(a)) === 'CONNECTED' && (await state(b)) === 'CONNECTED',
    10_000,
    'recovered',
  );
  const d = await openPage(suite.browser, `${suite.pages.url}/test-pages/call.html`);
  await join(d, false);
  await until(
    async () => (await events(d)).filter((e) => e.ev === 'stream-subscribed').length === 2,
    15_000,
    'newcomer sees both after recovery',
  );
  for (const p of [a, b]) expect((await events(p)).filter((e) => e.ev === 'peer-leave').length).toBe(1); // C left
  await Promise.all([a.close(), b.close(), d.close()]);
});

// Firefox ↔ Chromium: the same short outage with a Firefox user (A, and the newcomer C) and a Chromium user (B).
// The long outage's timing is the SDK's own timer, the same in every browser: it stays Chromium-only above.
describe.runIf(PAIRINGS.includes('mixed'))('Firefox and Chromium', () => {
  const { user } = crossBrowserSuite('mixed');

  test('server killed and restarted mid-call: both interrupted, media flows both ways meanwhile, both back with the same uids', async () => {
    const a = await user(); // Firefox
    const b = await user(); // Chromium
    const uidA = await join(a, true, 'outage mixed');
    const uidB = await join(b, true, 'outage mixed');
    const subscribed = (p: Evaluator, uid: number) => async () =>
      (await events(p)).some((e) => e.ev === 'stream-subscribed' && e.uid === uid);
    await until(subscribed(b, uidA), 20_000, 'Chromium subscribed Firefox');
    await until(subscribed(a, uidB), 20_000, 'Firefox subscribed Chromium');

    await suite.signaling.kill();
    for (const p of [a, b])
      await until(
        async () => (await events(p)).some((e) => e.reason === 'CONNECTION_INTERRUPTED'),
        5_000,
        `${p.browserName} interrupted`,
      );
    expect(
      (await videoFrames(b, `#remote-${uidA} video`, 1000)).frames,
      'Firefox → Chromium',
    ).toBeGreaterThan(3);
    expect(
      (await videoFrames(a, `#remote-${uidB} video`, 1000)).frames,
      'Chromium → Firefox',
    ).toBeGreaterThan(3);
    await suite.signaling.start();
    await until(
      async () => (await state(a)) === 'CONNECTED' && (await state(b)) === 'CONNECTED',
      10_000,
      'both reconnected',
    );

    const c = await user(); // Firefox
    await join(c, false, 'outage mixed');
    await until(
      async () => (await subscribed(c, uidA)()) && (await subscribed(c, uidB)()),
      20_000,
      'newcomer sees A and B',
    );
    expect((await videoFrames(c, `#remote-${uidB} video`)).frames).toBeGreaterThan(3);
    for (const p of [a, b]) {
      const ev = await events(p);
      expect(ev.filter((e) => e.ev === 'peer-leave')).toEqual([]);
      expect(ev.filter((e) => e.ev === 'stream-added')).toHaveLength(1);
    }
    await Promise.all([a.close(), b.close(), c.close()]);
  });
});
