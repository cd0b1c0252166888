// Statistics and network quality in real calls: a 2-page call's numbers both ways, and a user whose network really
// degrades (its UDP goes through a relay that starts dropping and delaying packets, see lossy-link.ts) scoring worse
// within seconds while a clean pair in the same run stays excellent.
import { describe, expect, test } from 'vitest';
import { APP_ID, PAIRINGS, run, until, type Evaluator } from './harness.js';
import { LossyLink } from './lossy-link.js';
import { browserSuite, crossBrowserSuite, outcome } from './setup.js';

const suite = browserSuite();

interface Remote {
  uid: number;
  recvBitrateKbps: number;
  recvFrameRateFps: number;
  recvWidthPx: number;
  recvHeightPx: number;
  rttMs: number;
  packetLossPercent: number;
  audioCodec: string;
  videoCodec: string;
}
interface Stats {
  local: {
    sendBitrateKbps: number;
    sendFrameRateFps: number;
    sendWidthPx: number;
    sendHeightPx: number;
    audioLevel: number;
    videoCodec: string;
  };
  remotes: Remote[];
}
interface Quality {
  t: number;
  up: number;
  down: number;
  users: { uid: number; uplinkNetworkQuality: number; downlinkNetworkQuality: number }[];
}

type W = { T: { client: { getStats(): Promise<Stats>; on(ev: string, f: (e: unknown) => void): void } } };

async function join(p: Evaluator, channel: string, profile = '480P'): Promise<number> {
  return run(
    p,
    ([appId, channel, profile]) =>
      (
        window as unknown as { T: { join(a: string, c: string, u: number, o: object): Promise<number> } }
      ).T.join(appId, channel, 0, { profile }),
    [APP_ID, channel, profile] as const,
  );
}

const stats = (p: Evaluator) => run(p, () => (window as unknown as W).T.client.getStats(), undefined);

/** Start recording network-quality events in window.quality. */
function recordQuality(p: Evaluator) {
  return run(
    p,
    () => {
      const w = window as unknown as W & { quality: Quality[] };
      w.quality = [];
      w.T.client.on('network-quality', (e) => {
        const q = e as {
          uplinkNetworkQuality: number;
          downlinkNetworkQuality: number;
          users: Quality['users'];
        };
        w.quality.push({
          t: Date.now(),
          up: q.uplinkNetworkQuality,
          down: q.downlinkNetworkQuality,
          users: q.users,
        });
      });
    },
    undefined,
  );
}
const quality = (p: Evaluator) =>
  run(p, () => (window as unknown as { quality: Quality[] }).quality, undefined);

describe('statistics', () => {
  test('a 2-page 480P call shows bitrates, frame rates and 640x480 both ways', async () => {
    const a = await suite.user();
    const b = await suite.user();
    const channel = `stats ${Math.random()}`;
    await join(a, channel);
    await join(b, channel);
    for (const p of [a, b]) {
      const s = (await until(
        async () => {
          const s = await stats(p);
          const r = s.remotes[0];
          const l = s.local;
          const full =
            l.sendWidthPx === 640 &&
            l.sendBitrateKbps > 0 &&
            l.sendFrameRateFps > 0 &&
            r &&
            r.recvWidthPx === 640 &&
            r.recvBitrateKbps > 0 &&
            r.recvFrameRateFps > 0 &&
            r.rttMs > 0;
          return full ? s : null;
        },
        30_000,
        'stats with media both ways at 640x480',
      ))!;
      expect(s.local.sendBitrateKbps).toBeGreaterThan(0);
      expect(s.local.sendFrameRateFps).toBeGreaterThan(0);
      expect(s.local.sendHeightPx).toBe(480);
      expect(s.local.videoCodec).not.toBe('');
      const r = s.remotes[0]!;
      expect(r.recvBitrateKbps).toBeGreaterThan(0);
      expect(r.recvFrameRateFps).toBeGreaterThan(0);
      expect(r.recvHeightPx).toBe(480);
      expect(r.rttMs).toBeGreaterThan(0);
      expect(r.audioCodec).toBe('opus');
    }
    await Promise.all([a.context().close(), b.context().close()]);
  });

  test('getStats takes a callback and validates it; outside a channel it fails with ERR_NOT_READY', async () => {
    const a = await suite.user();
    expect(await outcome(a, 'AgoraRTC.createRtcClient().getStats(42)')).toBe('TypeError');
    const outside = `const c = AgoraRTC.createRtcClient(); await c.init('${APP_ID}'); await c.getStats();`;
    expect(await outcome(a, outside)).toBe(3);
    const viaCallback = await a.evaluate(async (appId) => {
      const w = window as unknown as {
        AgoraRTC: {
          createRtcClient(): {
            init(a: string): Promise<void>;
            getStats(cb: null, fail: (e: { code: number }) => void): Promise<unknown>;
          };
        };
      };
      const client = w.AgoraRTC.createRtcClient();
      await client.init(appId);
      return new Promise<number>(
        (resolve) => void client.getStats(null, (e) => resolve(e.code)).catch(() => 0),
      );
    }, APP_ID);
    expect(viaCallback).toBe(3);
    await a.context().close();
  });
});

describe('network quality', () => {
  test("a user's score drops within seconds when its network degrades; a clean pair stays excellent", async () => {
    // Pair 1: `a` with `bad`, whose WebRTC goes through a relay that starts clean and then degrades.
    // Pair 2: `c` and `d`, both clean, in the same run.
    const link = new LossyLink(0, 0);
    const badContext = await suite.browser.newContext({ permissions: ['camera', 'microphone'] });
    const bad = await badContext.newPage();
    await link.attach(bad);
    await bad.goto(`${suite.server.url}/test-pages/call.html`);
    const a = await suite.user();
    const c = await suite.user();
    const d = await suite.user();
    const ch1 = `nq bad ${Math.random()}`;
    const ch2 = `nq clean ${Math.random()}`;
    await join(a, ch1, '240P');
    const badUid = await join(bad, ch1, '240P');
    await join(c, ch2, '240P');
    const dUid = await join(d, ch2, '240P');
    await Promise.all([recordQuality(a), recordQuality(c)]);
    const scoreOf = (q: Quality, uid: number) =>
      q.users.find((u) => u.uid === uid)?.uplinkNetworkQuality ?? 0;

    await until(
      async () => (await quality(a)).some((q) => scoreOf(q, badUid) === 1),
      30_000,
      'an excellent score for the user while its link is still clean',
    );
    link.lossPercent = 15;
    link.delayMs = 150;
    const degradedAt = Date.now();
    const dropped = (await until(
      async () => (await quality(a)).find((q) => q.t > degradedAt && scoreOf(q, badUid) >= 4),
      15_000,
      "a's score for the degraded user to reach 4 (bad) or worse",
    ))!;
    console.log(
      `score ${scoreOf(dropped, badUid)} (was 1) ${dropped.t - degradedAt} ms after the link degraded`,
    );
    // Keep both pairs running a little longer: the bad score holds, the clean pair never left excellent.
    await new Promise((r) => setTimeout(r, 6000));
    const later = (await quality(a)).filter((q) => q.t > dropped.t);
    expect(later.length).toBeGreaterThanOrEqual(2);
    expect(later.every((q) => scoreOf(q, badUid) >= 3)).toBe(true);
    const clean = (await quality(c)).filter((q) => scoreOf(q, dUid) > 0);
    expect(clean.length).toBeGreaterThanOrEqual(5);
    expect(clean.map((q) => scoreOf(q, dUid))).toEqual(clean.map(() => 1));
    console.log(`relay: ${link.forwarded} packets forwarded, ${link.dropped} dropped`);
    expect(link.dropped).toBeGreaterThan(0);
    await Promise.all([a, bad, c, d].map((p) => p.context().close()));
    link.close();
  }, 240_000);
});

// Firefox's statistics differ from Chromium's in what they carry (no local microphone level on its media-source,
// RTCP round trips only on video): the same numbers must come out of getStats in a Firefox ↔ Chromium call, and
// each side scores the clean link excellent.
describe.runIf(PAIRINGS.includes('mixed'))('statistics and network quality, Firefox and Chromium', () => {
  const mixed = crossBrowserSuite('mixed');

  test('a 480P call shows bitrates, frame rates, 640x480, round trip and codecs both ways; network-quality scores the other excellent', async () => {
    const a = await mixed.user(); // Firefox
    const b = await mixed.user(); // Chromium
    const channel = `stats mixed ${Math.random()}`;
    await join(a, channel);
    await join(b, channel);
    await Promise.all([recordQuality(a), recordQuality(b)]);
    for (const p of [a, b]) {
      const s = (await until(
        async () => {
          const s = await stats(p);
          const r = s.remotes[0];
          const l = s.local;
          const full =
            l.sendWidthPx === 640 &&
            l.sendBitrateKbps > 0 &&
            l.sendFrameRateFps > 0 &&
            r &&
            r.recvWidthPx === 640 &&
            r.recvBitrateKbps > 0 &&
            r.recvFrameRateFps > 0 &&
            r.rttMs > 0;
          return full ? s : null;
        },
        30_000,
        `${p.browserName}: stats with media both ways at 640x480`,
      ))!;
      expect(s.local.sendHeightPx).toBe(480);
      expect(s.local.videoCodec).toBe('VP8');
      const r = s.remotes[0]!;
      expect(r.recvHeightPx).toBe(480);
      expect(r.audioCodec).toBe('opus');
      expect(r.videoCodec).toBe('VP8');
    }
    const [uidA, uidB] = await Promise.all(
      [a, b].map((p) =>
        run(
          p,
          () => (window as unknown as { T: { client: { currentUid: number } } }).T.client.currentUid,
          undefined,
        ),
      ),
    );
    for (const [p, other] of [
      [a, uidB],
      [b, uidA],
    ] as const) {
      await until(
        async () =>
          (await quality(p)).some((q) => q.users.find((u) => u.uid === other)?.uplinkNetworkQuality === 1),
        30_000,
        `${p.browserName}: an excellent score for the other user`,
      );
    }
    await Promise.all([a.close(), b.close()]);
  });
});
