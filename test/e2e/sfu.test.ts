// Media through Janus (MESH_MAX=0: every channel uses the SFU): the manual's API and events behave as in the
// mesh, each page uploads one stream, and an unsubscribed feed stops reaching the user. Janus is the test's own
// (test/e2e/janus.ts), inside the run's network namespace.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { APP_ID, until, videoFrames } from './harness.js';
import { browserSuite } from './setup.js';
import { SignalClient } from '../unit/signal-client.js';
import { startJanus, type JanusProcess } from './janus.js';
import {
  screenThroughJanus,
  simulcastLayers,
  videoBytesFrom,
  videoBytesStop,
  videoUploads,
} from './sfu-helpers.js';

let janus: JanusProcess;
beforeAll(async () => {
  janus = await startJanus();
});
afterAll(async () => {
  await janus?.stop();
});

const has = (page: Page, ev: string, uid?: number, extra: Record<string, unknown> = {}) =>
  page.evaluate(([ev, uid, extra]) => window.T.has(ev, uid, extra), [ev, uid, extra] as const);

describe('media through the SFU (Janus)', () => {
  const suite = browserSuite([], {
    get sfu() {
      return { urls: [janus.url], apiSecret: janus.apiSecret, meshMax: 0 };
    },
  });

  test('hello says this server has an SFU: the SDK fetches its SFU code at join, beside encryption', async () => {
    const c = await SignalClient.open(suite.server.url);
    expect(await c.hello(APP_ID)).toEqual({ t: 'ok', id: 1, result: { sfu: true } });
    c.ws.close();
  });

  test('three pages in one channel decode each other through Janus, each uploading one video stream', async () => {
    const pages = [await suite.user(), await suite.user(), await suite.user()];
    const uids: number[] = [];
    for (const p of pages)
      uids.push(await p.evaluate((appId) => window.T.join(appId, 'sfu three', 0), APP_ID));
    for (const [i, p] of pages.entries()) {
      for (const [j, uid] of uids.entries()) {
        if (i === j) continue;
        await until(() => has(p, 'stream-subscribed', uid), 30_000, `page ${i} subscribed to ${uid}`);
        const v = await videoFrames(p, `#remote-${uid} video`, 1500, 30_000);
        expect(v.width, `page ${i} sees ${uid}`).toBeGreaterThan(0);
        expect(v.frames, `page ${i} decodes ${uid}`).toBeGreaterThan(3);
      }
    }
    // Two receivers each, one upload each: the SFU fans out.
    for (const p of pages) expect(await videoUploads(p)).toBe(1);
    await Promise.all(pages.map((p) => p.context().close()));
  });

  test('mute events, unsubscribe stops the feed, subscribing again brings it back, peer-leave', async () => {
    const a = await suite.user();
    const b = await suite.user();
    const uidA = await a.evaluate((appId) => window.T.join(appId, 'sfu events', 0), APP_ID);
    await b.evaluate((appId) => window.T.join(appId, 'sfu events', 0, { publish: false }), APP_ID);
    await until(() => has(b, 'stream-subscribed', uidA), 30_000, 'B subscribed to A');
    expect((await videoFrames(b, `#remote-${uidA} video`, 1500, 30_000)).frames).toBeGreaterThan(3);

    await a.evaluate(() => window.T.local.disableVideo());
    await until(() => has(b, 'peer-mute-video', uidA, { muted: true }), 10_000, 'peer-mute-video true');
    await a.evaluate(() => window.T.local.enableVideo());
    await until(() => has(b, 'peer-mute-video', uidA, { muted: false }), 10_000, 'peer-mute-video false');
    await a.evaluate(() => window.T.local.disableAudio());
    await until(() => has(b, 'peer-mute-audio', uidA, { muted: true }), 10_000, 'peer-mute-audio true');
    await a.evaluate(() => window.T.local.enableAudio());
    await until(() => has(b, 'peer-mute-audio', uidA, { muted: false }), 10_000, 'peer-mute-audio false');
    expect((await videoFrames(b, `#remote-${uidA} video`)).frames).toBeGreaterThan(3);

    // Unsubscribed: Janus stops sending A's video to B (its byte count stops growing).
    await b.evaluate(
      (uid) =>
        (window.T.client as unknown as { unsubscribe(s: unknown): Promise<void> }).unsubscribe(
          (window.T as unknown as { streams: Record<number, unknown> }).streams[uid],
        ),
      uidA,
    );
    const stoppedAt = await videoBytesStop(b, uidA);

    await b.evaluate(() => (window.events.length = 0));
    await b.evaluate(
      (uid) =>
        (window.T.client as unknown as { subscribe(s: unknown): Promise<void> }).subscribe(
          (window.T as unknown as { streams: Record<number, unknown> }).streams[uid],
        ),
      uidA,
    );
    await until(() => has(b, 'stream-subscribed', uidA), 30_000, 'B subscribed to A again');
    await until(async () => (await videoBytesFrom(b, uidA)) > stoppedAt, 20_000, 'bytes flowing again');
    expect((await videoFrames(b, `#remote-${uidA} video`, 1500, 30_000)).frames).toBeGreaterThan(3);

    await a.evaluate(() => window.T.client.leave());
    await until(() => has(b, 'peer-leave', uidA), 10_000, 'peer-leave on B');
    await Promise.all([a.context().close(), b.context().close()]);
  });

  test('encrypted channel through Janus: same secret decodes; another secret decodes nothing and gets crypt-error; Janus refuses a publisher that does not encrypt', async () => {
    const [a, b, c, d] = [await suite.user(), await suite.user(), await suite.user(), await suite.user()];
    const uidA = await a.evaluate(
      (appId) => window.T.join(appId, 'sfu secret', 0, { secret: 'same secret' }),
      APP_ID,
    );
    await b.evaluate(
      (appId) => window.T.join(appId, 'sfu secret', 0, { secret: 'same secret', publish: false }),
      APP_ID,
    );
    await c.evaluate(
      (appId) => window.T.join(appId, 'sfu secret', 0, { secret: 'other secret', publish: false }),
      APP_ID,
    );
    const v = await videoFrames(b, `#remote-${uidA} video`, 1500, 30_000);
    expect(v.width).toBeGreaterThan(0);
    expect(v.frames).toBeGreaterThan(3);
    expect(await b.evaluate(() => window.T.has('crypt-error'))).toBe(false);

    await until(() => has(c, 'crypt-error', uidA), 30_000, 'crypt-error on C');
    const none = await videoFrames(c, `#remote-${uidA} video`, 1500, 4000);
    expect(none.frames).toBe(0);
    expect(none.width).toBe(0);

    // A member without encryption: its publish reaches Janus without the e2ee flag and is refused.
    await d.evaluate((appId) => window.T.join(appId, 'sfu secret', 0, { publish: false }), APP_ID);
    const refused = await d.evaluate(async () => {
      const pc = new RTCPeerConnection();
      const cam = await navigator.mediaDevices.getUserMedia({ video: true });
      pc.addTransceiver(cam.getVideoTracks()[0]!, { direction: 'sendonly' });
      const offer = await pc.createOffer();
      const link = (window.T.client as unknown as { link: { request(b: object): Promise<unknown> } }).link;
      try {
        await link.request({ t: 'sfu', op: 'publish', jsep: { type: 'offer', sdp: offer.sdp } });
        return 'accepted';
      } catch (e) {
        return String((e as Error).message);
      } finally {
        pc.close();
        cam.getTracks().forEach((t) => t.stop());
      }
    });
    expect(refused).toMatch(/requires end-to-end encrypt/);
    await Promise.all([a, b, c, d].map((p) => p.context().close()));
  });

  test('screen sharing through Janus: the viewer sees the 1280x720 screen, then the camera again, on one stream', async () => {
    const a = await suite.user();
    const b = await suite.user();
    await screenThroughJanus(a, b, 'sfu screen');
    await Promise.all([a.context().close(), b.context().close()]);
  });

  test('simulcast: the viewer receives the layer that fits the size it shows the video at', async () => {
    const a = await suite.user();
    const b = await suite.user();
    const uidA = await a.evaluate(
      (appId) => window.T.join(appId, 'sfu layers', 0, { profile: '720P' }),
      APP_ID,
    );
    await b.evaluate((appId) => window.T.join(appId, 'sfu layers', 0, { publish: false }), APP_ID);
    const seen: number[] = [];
    const received = async () => {
      const h = await b.evaluate(
        (sel) => (document.querySelector(sel) as HTMLVideoElement | null)?.videoHeight ?? 0,
        `#remote-${uidA} video`,
      );
      if (h !== seen.at(-1)) seen.push(h);
      return h;
    };
    const show = (h: number) =>
      b.evaluate(
        ([uid, h]) => {
          const box = document.getElementById(`remote-${uid}`)!;
          box.style.height = `${h}px`;
          box.style.width = `${(h * 4) / 3}px`;
        },
        [uidA, h] as const,
      );
    const heights = (e: Error) => {
      throw new Error(`${e.message}; heights seen: ${seen.join(', ')}`);
    };
    // Chromium sends three layers from 960x540 up. The page shows remote video 120 px high: the quarter-size
    // layer (320x180 of 1280x720; smaller when a loaded machine makes Chromium scale its layers down).
    const small = await until(
      async () => {
        const h = await received();
        return h > 0 && h <= 180 ? h : 0;
      },
      60_000,
      'the smallest layer',
    ).catch(heights);
    // Shown larger, a larger layer comes. (On a loaded machine Chromium's encoder may pause its top layer, so
    // the middle one is as good an answer to 480 px as the top one.)
    await show(480);
    await until(async () => (await received()) > small, 30_000, 'a larger layer for a larger box').catch(
      heights,
    );
    // Small again: the smallest layer again.
    await show(120);
    await until(async () => (await received()) <= 180, 30_000, 'the smallest layer again').catch(heights);
    // The publisher set up three layers: three outbound video streams on its one connection.
    expect(await simulcastLayers(a)).toEqual(['h', 'l', 'm']);
    await Promise.all([a.context().close(), b.context().close()]);
  });
});
