import { describe, expect, test } from 'vitest';
import { APP_ID, OTHER_APP_ID, PAIRINGS, audioPeak, until, videoFrames, type UserPage } from './harness.js';
import { crossBrowserSuite } from './setup.js';

const has = (page: UserPage, ev: string, uid?: number, extra: Record<string, unknown> = {}) =>
  page.evaluate(([ev, uid, extra]) => window.T.has(ev, uid, extra), [ev, uid, extra] as const);

declare global {
  interface Window {
    T: {
      join(appId: string, channel: string, uid?: number, opts?: Record<string, unknown>): Promise<number>;
      has(ev: string, uid?: number, extra?: Record<string, unknown>): boolean;
      client: {
        leave(): Promise<void>;
      };
      local: {
        disableVideo(): Promise<void>;
        enableVideo(): Promise<void>;
        disableAudio(): Promise<void>;
        enableAudio(): Promise<void>;
        _media: MediaStream;
      };
    };
    events: Array<Record<string, unknown>>;
  }
}

describe.each(PAIRINGS)('a call between two browsers (%s)', (pairing) => {
  const { user } = crossBrowserSuite(pairing);

  test('B receives A: stream-added, stream-subscribed, decoded frames, sound; then mute events and peer-leave', async () => {
    const a = await user();
    const b = await user();
    const uidA = await a.evaluate((appId) => window.T.join(appId, 'room one', 0), APP_ID);
    const uidB = await b.evaluate((appId) => window.T.join(appId, 'room one', 0, { publish: false }), APP_ID);
    expect(uidA).toBeGreaterThan(0);
    expect(uidB).not.toBe(uidA);

    await until(() => has(b, 'stream-added', uidA), 15_000, 'stream-added on B');
    await until(() => has(b, 'stream-subscribed', uidA), 15_000, 'stream-subscribed on B');
    const v = await videoFrames(b, `#remote-${uidA} video`);
    expect(v.width).toBeGreaterThan(0);
    expect(v.frames).toBeGreaterThan(5);
    expect(await audioPeak(b, `#remote-${uidA} video`)).toBeGreaterThan(0.01);

    await a.evaluate(() => window.T.local.disableVideo());
    await until(() => has(b, 'peer-mute-video', uidA, { muted: true }), 10_000, 'peer-mute-video true');
    // The camera is released: its light goes off.
    expect(await a.evaluate(() => window.T.local._media.getVideoTracks().length)).toBe(0);
    await a.evaluate(() => window.T.local.enableVideo());
    await until(() => has(b, 'peer-mute-video', uidA, { muted: false }), 10_000, 'peer-mute-video false');
    await a.evaluate(() => window.T.local.disableAudio());
    await until(() => has(b, 'peer-mute-audio', uidA, { muted: true }), 10_000, 'peer-mute-audio true');
    await a.evaluate(() => window.T.local.enableAudio());
    await until(() => has(b, 'peer-mute-audio', uidA, { muted: false }), 10_000, 'peer-mute-audio false');
    // Video flows again after the camera came back.
    const again = await videoFrames(b, `#remote-${uidA} video`);
    expect(again.frames).toBeGreaterThan(3);

    await a.evaluate(() => window.T.client.leave());
    await until(() => has(b, 'peer-leave', uidA), 10_000, 'peer-leave on B');
    await Promise.all([a.close(), b.close()]);
  });

  test('unpublish after the links exist → stream-removed; publishing again renegotiates and media flows again', async () => {
    const a = await user();
    const b = await user();
    const uidA = await a.evaluate((appId) => window.T.join(appId, 'republish', 0), APP_ID);
    await b.evaluate((appId) => window.T.join(appId, 'republish', 0, { publish: false }), APP_ID);
    await until(() => has(b, 'stream-subscribed', uidA), 15_000, 'B subscribed');
    const unpublish = () =>
      a.evaluate(() =>
        (window.T.client as unknown as { unpublish(s: unknown): Promise<void> }).unpublish(window.T.local),
      );
    const publish = () =>
      a.evaluate(() =>
        (window.T.client as unknown as { publish(s: unknown): Promise<void> }).publish(window.T.local),
      );
    for (let round = 1; round <= 2; round++) {
      await unpublish();
      await until(
        () => b.evaluate(() => window.events.filter((e) => e.ev === 'stream-removed').length),
        10_000,
        'stream-removed',
      );
      await b.evaluate(() => (window.events.length = 0));
      await publish();
      await until(() => has(b, 'stream-subscribed', uidA), 15_000, `subscribed again (round ${round})`);
      const v = await videoFrames(b, `#remote-${uidA} video`);
      expect(v.frames, `frames after republish ${round}`).toBeGreaterThan(3);
    }
    expect(await b.evaluate(() => window.events.filter((e) => e.ev === 'peer-leave').length)).toBe(0);
    await Promise.all([a.close(), b.close()]);
  });

  test('an unsubscribed stream costs no bandwidth; subscribing again resumes it', async () => {
    const a = await user();
    const b = await user();
    const c = await user();
    const uidA = await a.evaluate((appId) => window.T.join(appId, 'bandwidth', 0), APP_ID);
    const uidB = await b.evaluate(
      (appId) => window.T.join(appId, 'bandwidth', 0, { publish: false }),
      APP_ID,
    );
    const uidC = await c.evaluate(
      (appId) => window.T.join(appId, 'bandwidth', 0, { publish: false, subscribe: false }),
      APP_ID,
    );
    await until(() => has(b, 'stream-subscribed', uidA), 15_000, 'B subscribed');
    await until(() => has(c, 'stream-added', uidA), 15_000, 'C saw the stream');
    /** Media bytes A sent to `uid` over `ms` (outbound RTP, audio + video). */
    const sentTo = (uid: number, ms = 1500) =>
      a.evaluate(
        async ([uid, ms]) => {
          const pc = (
            window.T.client as unknown as { transport: { connections(): Map<number, RTCPeerConnection> } }
          ).transport
            .connections()
            .get(uid)!;
          const bytes = async () => {
            let n = 0;
            (await pc.getStats()).forEach((r) => r.type === 'outbound-rtp' && (n += r.bytesSent as number));
            return n;
          };
          const before = await bytes();
          await new Promise((r) => setTimeout(r, ms));
          return (await bytes()) - before;
        },
        [uid, ms] as const,
      );
    expect(await sentTo(uidB)).toBeGreaterThan(5_000);
    expect(await sentTo(uidC), 'C never subscribed').toBeLessThan(500);
    await b.evaluate(
      (uid) =>
        (window.T.client as unknown as { unsubscribe(s: unknown): Promise<void> }).unsubscribe(
          (window.T as unknown as { streams: Record<number, unknown> }).streams[uid],
        ),
      uidA,
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(await sentTo(uidB), 'after unsubscribe').toBeLessThan(500);
    await b.evaluate(() => (window.events.length = 0));
    await b.evaluate(
      (uid) =>
        (window.T.client as unknown as { subscribe(s: unknown): Promise<void> }).subscribe(
          (window.T as unknown as { streams: Record<number, unknown> }).streams[uid],
        ),
      uidA,
    );
    await until(() => has(b, 'stream-subscribed', uidA), 10_000, 'subscribed again');
    expect(await sentTo(uidB)).toBeGreaterThan(5_000);
    expect((await videoFrames(b, `#remote-${uidA} video`)).frames).toBeGreaterThan(3);
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  test('four users in one channel: every page decodes the other three', async () => {
    const four = await Promise.all([user(), user(), user(), user()]);
    const uids: number[] = [];
    for (const p of four) uids.push(await p.evaluate((appId) => window.T.join(appId, 'four', 0), APP_ID));
    for (const [i, p] of four.entries()) {
      for (const uid of uids.filter((_, j) => j !== i)) {
        // Sampled again while a page is slow to warm up (Firefox with three remotes once showed 2 frames in 1 s).
        await until(
          async () => {
            const v = await videoFrames(p, `#remote-${uid} video`, 1000);
            return v.width > 0 && v.frames + (v.advanced ? 1 : 0) > 2;
          },
          20_000,
          `page ${i} decoding frames of ${uid}`,
        );
      }
    }
    await Promise.all(four.map((p) => p.close()));
  });

  test('the user who joined second publishes only once the link is up: the first user still receives it', async () => {
    const a = await user();
    const b = await user();
    // B was in first, so B makes the offers; A answers and has nothing to send when the link comes up.
    await b.evaluate((appId) => window.T.join(appId, 'late publisher', 0, { publish: false }), APP_ID);
    const uidA = await a.evaluate(
      (appId) => window.T.join(appId, 'late publisher', 0, { publish: false }),
      APP_ID,
    );
    await new Promise((r) => setTimeout(r, 2500));
    await a.evaluate(
      (uid) => (window.T as unknown as { publish(u: number): Promise<void> }).publish(uid),
      uidA,
    );
    await until(() => has(b, 'stream-subscribed', uidA), 15_000, 'stream-subscribed on B');
    const v = await videoFrames(b, `#remote-${uidA} video`, 1000);
    expect(v.width).toBeGreaterThan(0);
    expect(v.frames).toBeGreaterThan(3);
    await Promise.all([a.close(), b.close()]);
  });

  test("the answerer's requests to negotiate its tracks get lost on the way: it asks again and the media arrives", async () => {
    const a = await user();
    const b = await user();
    await b.evaluate((appId) => window.T.join(appId, 'lost request', 0, { publish: false }), APP_ID);
    const uidA = await a.evaluate(async (appId) => {
      const uid = await window.T.join(appId, 'lost request', 0, { publish: false });
      await new Promise((r) => setTimeout(r, 1500));
      // The relay drops A's first three renegotiation/transceiver requests to B (seen once under load in CI).
      type Sig = { k: string; sig?: { renegotiate?: boolean; transceiverRequest?: unknown } };
      const mesh = (
        window.T.client as unknown as { transport: { hooks: { send(to: number, d: Sig): void } } }
      ).transport;
      const send = mesh.hooks.send.bind(mesh.hooks);
      let dropped = 0;
      mesh.hooks.send = (to, d) => {
        if (dropped < 3 && (d.sig?.renegotiate || d.sig?.transceiverRequest)) dropped++;
        else send(to, d);
      };
      await (window.T as unknown as { publish(u: number): Promise<void> }).publish(uid);
      return uid;
    }, APP_ID);
    await until(() => has(b, 'stream-subscribed', uidA), 15_000, 'stream-subscribed on B');
    const v = await videoFrames(b, `#remote-${uidA} video`, 1000);
    expect(v.width).toBeGreaterThan(0);
    expect(v.frames).toBeGreaterThan(3);
    await Promise.all([a.close(), b.close()]);
  });

  test('the same channel name under two App IDs: nobody sees the other app', async () => {
    const a = await user();
    const b = await user();
    const c = await user();
    const uidA = await a.evaluate((appId) => window.T.join(appId, 'shared name', 0), APP_ID);
    const uidB = await b.evaluate((appId) => window.T.join(appId, 'shared name', 0), OTHER_APP_ID);
    const uidC = await c.evaluate((appId) => window.T.join(appId, 'shared name', 0), APP_ID);
    await until(() => has(c, 'stream-subscribed', uidA), 15_000, 'C sees A (same app)');
    await until(() => has(a, 'stream-subscribed', uidC), 15_000, 'A sees C (same app)');
    // Give B every chance to (wrongly) hear of them.
    await new Promise((r) => setTimeout(r, 1000));
    expect(await b.evaluate(() => window.events.filter((e) => e.ev === 'stream-added').length)).toBe(0);
    expect(await has(a, 'stream-added', uidB)).toBe(false);
    expect(await has(c, 'stream-added', uidB)).toBe(false);
    await Promise.all([a.close(), b.close(), c.close()]);
  });
});
