// Media through Janus (MESH_MAX=0: every channel is on the SFU from the start) with Firefox in the channel: a
// Firefox-only pair and a Firefox ↔ Chromium pair decode each other, the mute events and unsubscribe behave as in
// Chromium, an encrypted channel decodes with the same secret in both browsers, simulcast layers follow the
// viewer's size, and a screen shared from Firefox replaces its camera on the same stream. The Chromium-only
// behaviour (three users, the move, failover) is in sfu.test.ts and its siblings. Janus is the test's own
// (test/e2e/janus.ts), inside the run's network namespace.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { APP_ID, PAIRINGS, audioPeak, until, videoFrames, type UserPage } from './harness.js';
import { crossBrowserSuite } from './setup.js';
import { startJanus, type JanusProcess } from './janus.js';
import { screenThroughJanus, simulcastLayers, videoBytesFrom, videoBytesStop } from './sfu-helpers.js';
import { startXvfb, type Display } from './xvfb.js';

let janus: JanusProcess;

const has = (page: UserPage, ev: string, uid?: number, extra: Record<string, unknown> = {}) =>
  page.evaluate(([ev, uid, extra]) => window.T.has(ev, uid, extra), [ev, uid, extra] as const);

type Streams = { streams: Record<number, unknown> };
type Subscriber = { subscribe(s: unknown): Promise<void>; unsubscribe(s: unknown): Promise<void> };

/** The video codec of what this page receives through Janus. */
function receivedCodec(page: UserPage): Promise<string> {
  return page.evaluate(async () => {
    const pc = (
      window.T.client as unknown as { transport: { connections(): Map<number, RTCPeerConnection> } }
    ).transport
      .connections()
      .get(0);
    if (!pc) return '';
    const stats = await pc.getStats();
    let codec = '';
    stats.forEach((r: { type: string; kind?: string; codecId?: string }) => {
      if (r.type === 'inbound-rtp' && r.kind === 'video' && r.codecId)
        codec = (stats.get(r.codecId) as { mimeType?: string } | undefined)?.mimeType ?? codec;
    });
    return codec.toLowerCase();
  });
}

/** What each of the page's RTCPeerConnections does with video: 'sends', 'receives' (bytes so far), sorted. */
function connectionRoles(page: UserPage): Promise<string[]> {
  return page.evaluate(async () => {
    const t = (window.T.client as unknown as { transport: { connections(): Map<number, RTCPeerConnection> } })
      .transport;
    const roles: string[] = [];
    for (const pc of t.connections().values()) {
      let sent = 0;
      let received = 0;
      (await pc.getStats()).forEach(
        (r: { type: string; kind?: string; bytesSent?: number; bytesReceived?: number }) => {
          if (r.kind !== 'video') return;
          if (r.type === 'outbound-rtp') sent += r.bytesSent ?? 0;
          if (r.type === 'inbound-rtp') received += r.bytesReceived ?? 0;
        },
      );
      roles.push(sent > 0 && received === 0 ? 'sends' : received > 0 && sent === 0 ? 'receives' : 'mixed');
    }
    return roles.sort();
  });
}

const WITH_FIREFOX = PAIRINGS.filter((p) => p !== 'chromium');

// A suite even when AGORA_BROWSERS leaves Firefox out (then skipped), and Janus only when it runs.
describe.runIf(WITH_FIREFOX.length > 0)('the SFU with Firefox', () => {
  beforeAll(async () => {
    janus = await startJanus();
  });
  afterAll(async () => {
    await janus?.stop();
  });

  describe.each(WITH_FIREFOX)('media through the SFU (Janus) with Firefox (%s)', (pairing) => {
    const { user } = crossBrowserSuite(pairing, {
      server: {
        get sfu() {
          return { urls: [janus.url], apiSecret: janus.apiSecret, meshMax: 0 };
        },
      },
    });

    test('both decode and hear each other through Janus (VP8/Opus), one connection up and one down each; mute events, unsubscribe stops the feed, subscribing brings it back, peer-leave', async () => {
      const a = await user();
      const b = await user();
      const channel = `sfu ${pairing}`;
      const join = (p: UserPage) =>
        p.evaluate(([appId, ch]) => window.T.join(appId, ch, 0), [APP_ID, channel] as const);
      const uidA = await join(a);
      const uidB = await join(b);
      for (const [p, uid, who] of [
        [a, uidB, 'A'],
        [b, uidA, 'B'],
      ] as const) {
        await until(() => has(p, 'stream-subscribed', uid), 30_000, `${who} (${p.browserName}) subscribed`);
        const v = await videoFrames(p, `#remote-${uid} video`, 1500, 30_000);
        expect(v.width, `${who} (${p.browserName}) sees the other`).toBeGreaterThan(0);
        expect(v.frames, `${who} (${p.browserName}) decodes the other`).toBeGreaterThan(3);
        expect(await receivedCodec(p)).toBe('video/vp8');
        expect(
          await audioPeak(p, `#remote-${uid} video`),
          `${who} (${p.browserName}) hears the other`,
        ).toBeGreaterThan(0.01);
      }
      // Media goes through Janus: one connection sends (to Janus), one receives (from Janus).
      for (const p of [a, b]) expect(await connectionRoles(p), p.browserName).toEqual(['receives', 'sends']);

      await a.evaluate(() => window.T.local.disableVideo());
      await until(() => has(b, 'peer-mute-video', uidA, { muted: true }), 10_000, 'peer-mute-video true');
      await a.evaluate(() => window.T.local.enableVideo());
      await until(() => has(b, 'peer-mute-video', uidA, { muted: false }), 10_000, 'peer-mute-video false');
      await a.evaluate(() => window.T.local.disableAudio());
      await until(() => has(b, 'peer-mute-audio', uidA, { muted: true }), 10_000, 'peer-mute-audio true');
      await a.evaluate(() => window.T.local.enableAudio());
      await until(() => has(b, 'peer-mute-audio', uidA, { muted: false }), 10_000, 'peer-mute-audio false');
      expect((await videoFrames(b, `#remote-${uidA} video`, 1500, 20_000)).frames).toBeGreaterThan(3);

      // Unsubscribed: Janus stops sending A's video to B (its byte count stops growing).
      await b.evaluate(
        (uid) =>
          (window.T.client as unknown as Subscriber).unsubscribe(
            (window.T as unknown as Streams).streams[uid],
          ),
        uidA,
      );
      const stoppedAt = await videoBytesStop(b, uidA);
      // A still receives and decodes B meanwhile (waited for: a loaded machine can stall a page for a moment).
      const fromB = await videoBytesFrom(a, uidB);
      await until(async () => (await videoBytesFrom(a, uidB)) > fromB, 20_000, "B's video still reaching A");
      await until(
        async () => (await videoFrames(a, `#remote-${uidB} video`, 1000)).frames > 3,
        20_000,
        'A decoding B',
      );

      await b.evaluate(() => (window.events.length = 0));
      await b.evaluate(
        (uid) =>
          (window.T.client as unknown as Subscriber).subscribe((window.T as unknown as Streams).streams[uid]),
        uidA,
      );
      await until(() => has(b, 'stream-subscribed', uidA), 30_000, 'B subscribed to A again');
      await until(async () => (await videoBytesFrom(b, uidA)) > stoppedAt, 20_000, 'bytes flowing again');
      expect((await videoFrames(b, `#remote-${uidA} video`, 1500, 30_000)).frames).toBeGreaterThan(3);

      await a.evaluate(() => window.T.client.leave());
      await until(() => has(b, 'peer-leave', uidA), 10_000, 'peer-leave on B');
      await Promise.all([a.close(), b.close()]);
    });

    test('encrypted channel through Janus: the same secret decodes both ways; another secret decodes nothing and gets crypt-error', async () => {
      const a = await user();
      const b = await user();
      const c = await user();
      const channel = `sfu secret ${pairing}`;
      const join = (p: UserPage, secret: string, publish = true) =>
        p.evaluate(([appId, ch, secret, publish]) => window.T.join(appId, ch, 0, { secret, publish }), [
          APP_ID,
          channel,
          secret,
          publish,
        ] as const);
      const uidA = await join(a, 'same secret');
      const uidB = await join(b, 'same secret');
      for (const [p, uid, who] of [
        [a, uidB, 'A'],
        [b, uidA, 'B'],
      ] as const) {
        const v = await videoFrames(p, `#remote-${uid} video`, 1500, 30_000);
        expect(v.width, `${who} (${p.browserName}) sees the other`).toBeGreaterThan(0);
        expect(v.frames, `${who} (${p.browserName}) decodes the other`).toBeGreaterThan(3);
        expect(await p.evaluate(() => window.T.has('crypt-error'))).toBe(false);
      }
      // C has another secret.
      await join(c, 'other secret', false);
      await until(() => has(c, 'crypt-error', uidA), 30_000, 'crypt-error on C');
      const none = await videoFrames(c, `#remote-${uidA} video`, 1500, 4000);
      expect(none.frames).toBe(0);
      await Promise.all([a.close(), b.close(), c.close()]);
    });

    // Firefox sends 480P as 640x480, 320x240, 160x120 (its fake camera starts at 320x240 and ramps up to the
    // profile's size); Chromium sends 720P as 1280x720, 640x360, 320x180.
    const SENDERS = {
      firefox: { profile: '480P', small: 120, half: 240 },
      chromium: { profile: '720P', small: 180, half: 360 },
    } as const;
    test.each(pairing === 'mixed' ? (['firefox', 'chromium'] as const) : (['firefox'] as const))(
      'simulcast from %s: the viewer receives the layer that fits the size it shows the video at',
      async (sender) => {
        const { profile, small, half } = SENDERS[sender];
        const [first, second] = [await user(), await user()];
        const [a, b] = first.browserName === sender ? [first, second] : [second, first];
        const channel = `sfu layers ${pairing} from ${sender}`;
        const uidA = await a.evaluate(([appId, ch, profile]) => window.T.join(appId, ch, 0, { profile }), [
          APP_ID,
          channel,
          profile,
        ] as const);
        await b.evaluate(([appId, ch]) => window.T.join(appId, ch, 0, { publish: false }), [
          APP_ID,
          channel,
        ] as const);
        // The heights B received, in order (for the failure message).
        const seen: number[] = [];
        const received = async () => {
          const h = await b.evaluate(
            (sel) => (document.querySelector(sel) as HTMLVideoElement | null)?.videoHeight ?? 0,
            `#remote-${uidA} video`,
          );
          if (seen.at(-1) !== h) seen.push(h);
          return h;
        };
        const waitFor = (ok: (h: number) => boolean, what: string, ms = 30_000) =>
          until(async () => ok(await received()), ms, what).catch((e: Error) => {
            throw new Error(`${e.message}; heights seen: ${seen.join(', ')}`);
          });
        const show = (h: number) =>
          b.evaluate(
            ([uid, h]) => {
              const box = document.getElementById(`remote-${uid}`)!;
              box.style.height = `${h}px`;
              box.style.width = `${(h * 4) / 3}px`;
            },
            [uidA, h] as const,
          );
        await until(
          async () => (await simulcastLayers(a)).length === 3,
          30_000,
          `three layers set up by ${sender}`,
        );
        expect(await simulcastLayers(a)).toEqual(['h', 'l', 'm']);
        // The page shows remote video 120 px high: the quarter-size layer.
        await waitFor((h) => h === small, `the ${small}p layer on ${b.browserName}`, 60_000);
        // 240 px high: the half-size layer (not the full one, which a loaded machine decodes late).
        await show(240);
        await waitFor((h) => h === half, `the ${half}p layer for a larger box`);
        await show(120);
        await waitFor((h) => h === small, `the ${small}p layer again`);
        expect((await videoFrames(b, `#remote-${uidA} video`)).frames).toBeGreaterThan(3);
        await Promise.all([a.close(), b.close()]);
      },
    );
  });

  // Firefox shares a screen only with a window: on a virtual display, whose one 1280x720 screen it picks.
  describe.each(WITH_FIREFOX)('screen sharing from Firefox through Janus (%s)', (pairing) => {
    let display: Display | undefined;
    beforeAll(async () => {
      display = await startXvfb();
    });
    afterAll(async () => {
      await display?.stop();
    });
    const { user } = crossBrowserSuite(pairing, {
      firefoxDisplay: () => display!.name,
      server: {
        get sfu() {
          return { urls: [janus.url], apiSecret: janus.apiSecret, meshMax: 0 };
        },
      },
    });

    test('the viewer sees the 1280x720 screen, then the camera again, on one stream', async () => {
      const a = await user(); // Firefox in both pairings
      const b = await user();
      expect(a.browserName).toBe('firefox');
      await screenThroughJanus(a, b, `sfu screen ${pairing}`);
      await Promise.all([a.close(), b.close()]);
    });
  });
});
