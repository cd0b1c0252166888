// Screen sharing in a real Chromium: --auto-select-desktop-capture-source picks the screen without a picker, and
// the fake screen is a 1280x720 surface.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { APP_ID, PAIRINGS, until, videoFrames, type UserPage } from './harness.js';
import { browserSuite, crossBrowserSuite, outcome } from './setup.js';
import { startXvfb, type Display } from './xvfb.js';
import type { Client } from '../../src/client/client.js';
import type { Stream } from '../../src/stream/stream.js';

/** window.T of test/e2e/pages/call.html, with the SDK's own types. */
declare const T: {
  client: Client;
  local: Stream;
  join(appId: string, channel: string, uid?: number, opts?: Record<string, unknown>): Promise<number>;
  has(ev: string, uid?: number, extra?: Record<string, unknown>): boolean;
};
declare const AgoraRTC: { createRtcClient(): Client };

/** A and B in a call; A publishes its camera at 360P (640x360), B plays it. */
async function call(channel: string) {
  const a = await user();
  const b = await user();
  const uidA = await a.evaluate(([id, ch]) => T.join(id, ch, 0, { profile: '360P' }), [
    APP_ID,
    channel,
  ] as const);
  await b.evaluate(([id, ch]) => T.join(id, ch, 0, { publish: false }), [APP_ID, channel] as const);
  await a.evaluate(() =>
    T.client.on('screen-sharing-stopped', () => window.events.push({ ev: 'screen-sharing-stopped' })),
  );
  await until(() => b.evaluate(() => T.has('stream-subscribed')), 15_000, 'B subscribed');
  const remote = `#remote-${uidA} video`;
  /** Wait until B shows A's video at this size (what B's user sees). */
  let last = '';
  const seen = (w: number, h: number, what: string) =>
    until(
      () =>
        b
          .evaluate((sel) => {
            const v = document.querySelector(sel) as HTMLVideoElement | null;
            return v ? `${v.videoWidth}x${v.videoHeight}` : '';
          }, remote)
          .then((size) => (last = size) === `${w}x${h}`),
      15_000,
      `${what}: B sees ${w}x${h}`,
    ).catch(async (e: Error) => {
      const why = await a.evaluate(async () => {
        const mesh = (T.client as unknown as { transport: { connections(): Map<number, RTCPeerConnection> } })
          .transport;
        const out: unknown[] = [];
        (await [...mesh.connections().values()][0]!.getStats()).forEach((r) => {
          if (r.type === 'outbound-rtp' && r.kind === 'video')
            out.push([
              r.qualityLimitationReason,
              r.qualityLimitationDurations,
              r.frameWidth,
              r.framesPerSecond,
              r.targetBitrate,
            ]);
        });
        return JSON.stringify(out);
      });
      throw new Error(`${e.message} (it shows ${last}; ${why})`);
    });
  /** A's video sender encoding, degradation preference and track. */
  const sending = () =>
    a.evaluate(() => {
      const mesh = (T.client as unknown as { transport: { connections(): Map<number, RTCPeerConnection> } })
        .transport;
      const sender = [...mesh.connections().values()][0]!
        .getSenders()
        .find((s) => s.track?.kind === 'video')!;
      const p = sender.getParameters();
      return {
        maxBitrate: p.encodings[0]!.maxBitrate,
        maxFramerate: p.encodings[0]!.maxFramerate,
        pref: p.degradationPreference,
        hint: sender.track!.contentHint,
        size: `${sender.track!.getSettings().width}x${sender.track!.getSettings().height}`,
      };
    });
  await seen(640, 360, 'camera');
  return { a, b, uidA, remote, seen, sending };
}

const { user } = browserSuite();

describe('screen sharing', () => {
  test('getWindows offers the picker choices in the manual shape', async () => {
    const page = await user();
    const windows = await page.evaluate(
      () => new Promise((resolve) => AgoraRTC.createRtcClient().getWindows(resolve)),
    );
    expect(windows).toEqual([
      { windowId: '', title: 'Entire screen' },
      { windowId: 'window', title: 'Application window' },
      { windowId: 'browser', title: 'Browser tab' },
    ]);
    await page.context().close();
  });

  test('misuse: wrong types throw, bad values and wrong states get the manual codes', async () => {
    const page = await user();
    await page.evaluate(() => {
      (window as unknown as { c: Client }).c = AgoraRTC.createRtcClient();
    });
    const c = 'const c = window.c;';
    expect(await outcome(page, `${c} c.startScreenSharing(0)`)).toBe('TypeError');
    expect(await outcome(page, `${c} c.startScreenSharing('', 'yes')`)).toBe('TypeError');
    expect(await outcome(page, `${c} c.getWindows('cb')`)).toBe('TypeError');
    expect(await outcome(page, `${c} await c.startScreenSharing('')`)).toBe(7); // ERR_NOT_INITIALIZED
    expect(await outcome(page, `${c} await c.stopScreenSharing()`)).toBe('ok'); // nothing to stop
    await page.evaluate((id) => T.join(id, 'screen-misuse', 0, { publish: false }), APP_ID);
    expect(await outcome(page, `await T.client.startScreenSharing('')`)).toBe(3); // ERR_NOT_READY: nothing published
    expect(await outcome(page, `await T.client.setScreenSharingWindow('')`)).toBe(3); // not sharing
    await page.evaluate(() => T.client.leave());
    await page.evaluate((id) => T.join(id, 'screen-misuse-2', 0), APP_ID);
    expect(await outcome(page, `await T.client.startScreenSharing('monitor')`)).toBe(2); // ERR_INVALID_ARGUMENT
    await page.evaluate(() => T.client.startScreenSharing(''));
    expect(await outcome(page, `await T.client.startScreenSharing('')`)).toBe(19); // ERR_ALREADY_IN_USE
    await page.context().close();
  });

  test('the others see the screen instead of the camera on the same stream; stop brings the camera back', async () => {
    const { a, b, seen, sending } = await call('screen-share');
    const camera = await sending();
    expect(camera).toMatchObject({
      maxBitrate: 400_000,
      maxFramerate: 15,
      pref: 'maintain-resolution',
      size: '640x360',
    });

    await a.evaluate(() => T.client.startScreenSharing(''));
    await seen(1280, 720, 'sharing the screen');
    expect(await sending()).toEqual({
      maxBitrate: 1_474_560, // 1280 x 720 x 1.6 bit/s
      maxFramerate: 15,
      pref: 'maintain-resolution',
      hint: 'detail',
      size: '1280x720',
    });
    expect((await videoFrames(b, `#remotes video`)).frames).toBeGreaterThan(3);

    const firstScreen = await a.evaluate(() => T.local._media.getVideoTracks()[0]!.id);
    await a.evaluate(() => T.client.setScreenSharingWindow('window'));
    const second = await a.evaluate(() => {
      const [t] = T.local._media.getVideoTracks();
      return { id: t!.id, surface: t!.getSettings().displaySurface };
    });
    expect(second.id).not.toBe(firstScreen);
    expect(second.surface).toBe('window');
    await seen(1280, 720, 'another window');

    await a.evaluate(() => T.client.stopScreenSharing());
    await seen(640, 360, 'back to the camera');
    expect(await sending()).toEqual({ ...camera, hint: '' });
    const events = await b.evaluate(() => window.events.map((e) => e.ev));
    expect(events.filter((e) => e === 'stream-added')).toHaveLength(1);
    expect(events).not.toContain('stream-removed');
    // stopScreenSharing is not the user ending it from the browser: no event.
    expect(await a.evaluate(() => T.has('screen-sharing-stopped'))).toBe(false);
    await Promise.all([a.context().close(), b.context().close()]);
  });

  test("the browser's own stop-sharing control → back to the camera and screen-sharing-stopped", async () => {
    const { a, seen, sending } = await call('screen-ended');
    await a.evaluate(() => T.client.startScreenSharing(''));
    await seen(1280, 720, 'sharing');
    // The browser's "Stop sharing" ends the capture and fires 'ended'. A page cannot press that button, and
    // track.stop() from script ends the track without firing 'ended' (by the spec), so do what the browser does:
    // end the track, then fire 'ended' on it.
    await a.evaluate(() => {
      const screen = T.local._media.getVideoTracks()[0]!;
      screen.stop();
      screen.dispatchEvent(new Event('ended'));
    });
    await until(() => a.evaluate(() => T.has('screen-sharing-stopped')), 10_000, 'screen-sharing-stopped');
    await seen(640, 360, 'camera again');
    expect(await sending()).toMatchObject({
      maxBitrate: 400_000,
      pref: 'maintain-resolution',
      size: '640x360',
    });
    await a.context().close();
  });

  test('a camera disabled before sharing: the screen is sent, and the camera stays off afterwards', async () => {
    const { a, b, uidA, seen } = await call('screen-camera-off');
    await a.evaluate(() => T.local.disableVideo());
    await until(() => b.evaluate((u) => T.has('peer-mute-video', u, { muted: true }), uidA), 10_000, 'muted');
    await a.evaluate(() => T.client.startScreenSharing(''));
    await until(
      () => b.evaluate((u) => T.has('peer-mute-video', u, { muted: false }), uidA),
      10_000,
      'shown',
    );
    await seen(1280, 720, 'sharing');
    await a.evaluate(() => T.client.stopScreenSharing());
    await until(
      () =>
        b.evaluate(
          (u) => window.events.filter((e) => e.ev === 'peer-mute-video' && e.uid === u).length === 3,
          uidA,
        ),
      10_000,
      'muted again',
    );
    expect(await a.evaluate(() => T.local._media.getVideoTracks().length)).toBe(0); // camera light stays off
    await Promise.all([a.context().close(), b.context().close()]);
  });

  test('the user refusing the picker → ERR_FAILED, the camera goes on', async () => {
    const { a, seen } = await call('screen-refused');
    const result = await a.evaluate(async () => {
      // What the browser answers when the user cancels its picker (headless Chromium has no picker to cancel).
      navigator.mediaDevices.getDisplayMedia = () =>
        Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
      const camera = T.local._media.getVideoTracks()[0]!;
      const err = await T.client.startScreenSharing('')!.then(
        () => null,
        (e: { code: number; cause: Error }) => e,
      );
      return {
        code: err?.code,
        cause: err?.cause.name,
        same: T.local._media.getVideoTracks()[0] === camera && camera.readyState === 'live',
      };
    });
    expect(result).toEqual({ code: 1, cause: 'NotAllowedError', same: true });
    await seen(640, 360, 'still the camera');
    // Not left half-started: sharing can be tried again.
    expect(await outcome(a, `await T.client.setScreenSharingWindow('')`)).toBe(3);
    await a.context().close();
  });
});

// Firefox shares a screen only with a window: it runs on a virtual display, whose one 1280x720 screen it picks.
describe.each(PAIRINGS.filter((p) => p !== 'chromium'))('screen sharing from Firefox (%s)', (pairing) => {
  let display: Display | undefined;
  beforeAll(async () => {
    display = await startXvfb();
  });
  afterAll(async () => {
    await display?.stop();
  });
  const suite = crossBrowserSuite(pairing, { firefoxDisplay: () => display!.name });

  const size = (p: UserPage, sel: string) =>
    p.evaluate((sel) => {
      const v = document.querySelector(sel) as HTMLVideoElement | null;
      return v ? `${v.videoWidth}x${v.videoHeight}` : '';
    }, sel);

  test('the other side sees the screen instead of the camera, then the camera again', async () => {
    const a = await suite.user(); // Firefox in both pairings
    const b = await suite.user();
    expect(a.browserName).toBe('firefox');
    const uidA = await a.evaluate((id) => T.join(id, 'ff-screen', 0, { profile: '360P' }), APP_ID);
    await b.evaluate((id) => T.join(id, 'ff-screen', 0, { publish: false }), APP_ID);
    const remote = `#remote-${uidA} video`;
    await until(async () => (await size(b, remote)) !== '', 15_000, 'B plays the camera');
    await a.evaluate(() => T.client.startScreenSharing(''));
    await until(async () => (await size(b, remote)) === '1280x720', 15_000, 'B sees the 1280x720 screen');
    expect((await videoFrames(b, remote)).frames, 'screen frames decode').toBeGreaterThan(3);
    await a.evaluate(() => T.client.stopScreenSharing());
    await until(async () => !['', '1280x720'].includes(await size(b, remote)), 15_000, 'camera again');
    expect((await videoFrames(b, remote)).frames, 'camera frames decode').toBeGreaterThan(3);
    await Promise.all([a.close(), b.close()]);
  });
});
