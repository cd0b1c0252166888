// Every video profile of the manual's table, in a real Chromium: what the camera captures, what the encoder is
// told, and what the other side decodes. The fake camera runs at 20 fps unless told otherwise; fps=30 lets the
// 30 fps profiles be checked too.
import { describe, expect, test } from 'vitest';
import { APP_ID, until } from './harness.js';
import { browserSuite } from './setup.js';
import type { Client } from '../../src/client/client.js';
import type { Stream } from '../../src/stream/stream.js';
import { VIDEO_PROFILES } from '../../src/media/profiles.js';

declare const T: {
  client: Client;
  local: Stream;
  join(appId: string, channel: string, uid?: number, opts?: Record<string, unknown>): Promise<number>;
  has(ev: string, uid?: number, extra?: Record<string, unknown>): boolean;
};
declare const AgoraRTC: { createStream(spec: object): Stream };

/** The manual's table (视频属性定义), copied by hand: name, enum value, width x height, frame rate. */
const MANUAL = `
120P 0 160x120 15|120P_2 1 120x160 15|120P_3 2 120x120 15|180P 10 320x180 15|180P_2 11 180x320 15
180P_3 12 180x180 15|240P 20 320x240 15|240P_2 21 240x320 15|240P_3 22 240x240 15|360P 30 640x360 15
360P_2 31 360x640 15|360P_3 32 360x360 15|360P_4 33 640x360 30|360P_5 34 360x640 30|360P_6 35 360x360 30
480P 40 640x480 15|480P_2 41 480x640 15|480P_3 42 480x480 15|480P_4 43 640x480 30|480P_5 44 480x640 30
480P_6 45 480x480 30|480P_7 46 640x480 15|720P 50 1280x720 15|720P_2 51 720x1280 15|720P_3 52 1280x720 30
720P_4 53 720x1280 30`
  .trim()
  .split(/[|\n]/)
  .map((row) => {
    const [name, value, size, fps] = row.trim().split(' ') as [string, string, string, string];
    const [width, height] = size.split('x').map(Number) as [number, number];
    return { name, value: Number(value), width, height, frameRate: Number(fps) };
  });

const { user } = browserSuite(['--use-fake-device-for-media-stream=fps=30']);

describe('video profiles', () => {
  test('the SDK has exactly the manual table', () => {
    expect(
      VIDEO_PROFILES.map(({ name, value, width, height, frameRate }) => ({
        name,
        value,
        width,
        height,
        frameRate,
      })),
    ).toEqual(MANUAL);
  });

  test('capture: every profile, by name and by enum value with swapWidthAndHeight, opens the camera at its size and rate', async () => {
    const page = await user();
    const got = await page.evaluate(async (table) => {
      const out: Record<string, [number?, number?, number?]> = {};
      for (const p of table) {
        for (const swap of [false, true]) {
          const s = AgoraRTC.createStream({ local: true, audio: false, video: true });
          // By name without swap, by enum value in the object form with swap.
          s.setVideoProfile(swap ? { profile: p.value, swapWidthAndHeight: true } : p.name);
          await s.init();
          const { width, height, frameRate } = s._media.getVideoTracks()[0]!.getSettings();
          out[`${p.name}${swap ? ' swapped' : ''}`] = [width, height, frameRate];
          s.close();
        }
      }
      return out;
    }, MANUAL);
    const want: Record<string, [number, number, number]> = {};
    for (const p of MANUAL) {
      want[p.name] = [p.width, p.height, p.frameRate];
      want[`${p.name} swapped`] = [p.height, p.width, p.frameRate];
    }
    expect(got).toEqual(want);
    await page.context().close();
  });

  test('encoder: setVideoProfile during a call sets the sender to each profile and the other side decodes its size', async () => {
    const a = await user();
    const b = await user();
    const uidA = await a.evaluate((id) => T.join(id, 'profiles', 0, { audio: false }), APP_ID);
    await b.evaluate((id) => T.join(id, 'profiles', 0, { publish: false }), APP_ID);
    await until(() => b.evaluate(() => T.has('stream-subscribed')), 15_000, 'B subscribed');
    const remote = `#remote-${uidA} video`;
    const rows = [
      ...VIDEO_PROFILES.map((p) => ({ ...p, swap: false })),
      // swapWidthAndHeight turns the encoded picture, same rate and bitrate.
      ...VIDEO_PROFILES.filter((p) => ['360P_4', '720P'].includes(p.name)).map((p) => ({ ...p, swap: true })),
    ];
    for (const p of rows) {
      const [w, h] = p.swap ? [p.height, p.width] : [p.width, p.height];
      await a.evaluate(
        ([name, swap]) => T.local.setVideoProfile({ profile: name, swapWidthAndHeight: swap }),
        [p.name, p.swap] as const,
      );
      const want = `${w}x${h} ${p.frameRate} fps ≤${p.kbps * 1000} bit/s → ${w}x${h}`;
      let seen = '';
      await until(
        async () => {
          const sender = await a.evaluate(() => {
            const mesh = (
              T.client as unknown as { transport: { connections(): Map<number, RTCPeerConnection> } }
            ).transport;
            const s = [...mesh.connections().values()][0]!
              .getSenders()
              .find((x) => x.track?.kind === 'video')!;
            const { width, height, frameRate } = s.track!.getSettings();
            const e = s.getParameters().encodings[0]!;
            return `${width}x${height} ${frameRate} fps ≤${e.maxBitrate} bit/s`;
          });
          const decoded = await b.evaluate((sel) => {
            const v = document.querySelector(sel) as HTMLVideoElement;
            return `${v.videoWidth}x${v.videoHeight}`;
          }, remote);
          seen = `${sender} → ${decoded}`;
          return seen === want;
        },
        10_000,
        `${p.name}${p.swap ? ' swapped' : ''}`,
      ).catch((e: Error) => {
        throw new Error(`${e.message}: want ${want}, got ${seen}`);
      });
      // maxFramerate is the profile's too.
      const fps = await a.evaluate(() => {
        const mesh = (T.client as unknown as { transport: { connections(): Map<number, RTCPeerConnection> } })
          .transport;
        const s = [...mesh.connections().values()][0]!.getSenders().find((x) => x.track?.kind === 'video')!;
        return s.getParameters().encodings[0]!.maxFramerate;
      });
      expect(fps, p.name).toBe(p.frameRate);
    }
    await Promise.all([a.context().close(), b.context().close()]);
  });
});
