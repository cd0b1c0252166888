// Several Janus instances (SFU_URLS with two URLs): a channel is pinned to one; when that Janus dies mid-call,
// the server moves the channel's room to the other and the members publish and subscribe again by themselves.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { APP_ID, until, videoFrames } from './harness.js';
import { browserSuite } from './setup.js';
import { startJanus, type JanusProcess } from './janus.js';

let first: JanusProcess;
let second: JanusProcess;
beforeAll(async () => {
  // One API secret for both, as an operator would configure them.
  first = await startJanus({ apiSecret: 'failover secret' });
  second = await startJanus({ apiSecret: 'failover secret' });
});
afterAll(async () => {
  await first?.stop();
  await second?.stop();
});

describe('two Janus instances', () => {
  const suite = browserSuite([], {
    get sfu() {
      return { urls: [first.url, second.url], apiSecret: 'failover secret', meshMax: 0 };
    },
  });

  test('the Janus carrying a call is killed: media comes back through the other one', async () => {
    const a = await suite.user();
    const b = await suite.user();
    const uidA = await a.evaluate((appId) => window.T.join(appId, 'failover', 0), APP_ID);
    const uidB = await b.evaluate((appId) => window.T.join(appId, 'failover', 0), APP_ID);
    for (const [page, uid] of [
      [b, uidA],
      [a, uidB],
    ] as const) {
      expect((await videoFrames(page, `#remote-${uid} video`, 1500, 30_000)).frames).toBeGreaterThan(3);
    }
    // Remember the receiving tracks, to tell later whether new ones (from a new connection) replaced them.
    const sameTrack = (page: typeof a, uid: number, remember: boolean) =>
      page.evaluate(
        ([uid, remember]) => {
          const v = document.querySelector(`#remote-${uid} video`) as HTMLVideoElement | null;
          const t = (v?.srcObject as MediaStream | null)?.getVideoTracks()[0] ?? null;
          const w = window as unknown as { before?: MediaStreamTrack | null };
          if (remember) w.before = t;
          return t !== null && t === w.before;
        },
        [uid, remember] as const,
      );
    await sameTrack(b, uidA, true);
    await sameTrack(a, uidB, true);
    // With no room anywhere yet, the first channel went to the first URL.
    await first.kill();
    for (const [page, uid] of [
      [b, uidA],
      [a, uidB],
    ] as const) {
      await until(
        async () => (await videoFrames(page, `#remote-${uid} video`, 1500, 2000)).frames > 3,
        60_000,
        `video of ${uid} back through the second Janus`,
      );
    }
    // New tracks from a new connection (to the second Janus) replaced the dead ones.
    expect(await sameTrack(b, uidA, false)).toBe(false);
    expect(await sameTrack(a, uidB, false)).toBe(false);
    // The call never left the channel: no peer-leave, no stream-removed.
    for (const page of [a, b]) {
      expect(await page.evaluate(() => window.T.has('peer-leave') || window.T.has('stream-removed'))).toBe(
        false,
      );
    }
    await Promise.all([a.context().close(), b.context().close()]);
  });
});
