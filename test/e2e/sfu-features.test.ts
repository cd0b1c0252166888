// What works in a mesh works the same through Janus (MESH_MAX=0, Chromium): a signaling outage and reconnect,
// quality statistics and network quality, recording a remote user, and switching camera while published. The
// app code is the mesh tests' code: nothing in it knows the media goes through an SFU.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { APP_ID, openPage, run, until, videoFrames, type Evaluator } from './harness.js';
import { browserSuite, outageSuite } from './setup.js';
import { startJanus, type JanusProcess } from './janus.js';
import { videoUploads } from './sfu-helpers.js';
import { configureApps, DEMO_KEYED_APP_ID } from '../../server/demo-keys.js';
import type { RecordingEntry } from '../../src/recording/store.js';

let janus: JanusProcess;
beforeAll(async () => {
  janus = await startJanus();
});
afterAll(async () => {
  await janus?.stop();
});

const apps = configureApps({ AGORA_DEMO_KEYS: '1' }, null);
const suite = browserSuite(['--use-fake-device-for-media-stream=device-count=3'], {
  policy: apps.policy,
  routes: apps.routes,
  get sfu() {
    return { urls: [janus.url], apiSecret: janus.apiSecret, meshMax: 0 };
  },
});
const outage = outageSuite(() => ({ SFU_URLS: janus.url, SFU_API_SECRET: janus.apiSecret, MESH_MAX: '0' }));
const dir = mkdtempSync(pathJoin(tmpdir(), 'agora-sfu-rec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Stats {
  local: { sendBitrateKbps: number; sendFrameRateFps: number; sendWidthPx: number; videoCodec: string };
  remotes: {
    uid: number;
    recvBitrateKbps: number;
    recvFrameRateFps: number;
    recvWidthPx: number;
    rttMs: number;
    audioCodec: string;
    videoCodec: string;
  }[];
}
/** The client methods these tests call in the page (window.T.client). */
interface Client {
  connectionState: string;
  on(ev: string, f: (e: unknown) => void): void;
  getStats(): Promise<Stats>;
  startRecording(key: string): Promise<void>;
  stopRecording(key: string): Promise<unknown>;
  getDevices(): Promise<{ label: string; deviceId: string }[] | undefined>;
  selectDevice(d: { deviceId: string }): Promise<void>;
  transport: { connections(): Map<number, RTCPeerConnection> };
}
type W = {
  T: { client: Client; local: { _media: MediaStream } };
  AgoraRTC: { recordings: { download(id: string): Promise<void> } };
};

interface Ev {
  ev: string;
  uid?: number;
  reason?: string;
}
const events = (p: Evaluator) => run(p, () => (window as unknown as { events: Ev[] }).events, undefined);
const has = (p: Page, ev: string, uid?: number) =>
  p.evaluate(([ev, uid]) => window.T.has(ev, uid), [ev, uid] as const);

function join(p: Page, channel: string, opts: Record<string, unknown> = {}, appId = APP_ID): Promise<number> {
  return p.evaluate(([appId, channel, opts]) => window.T.join(appId, channel, 0, opts), [
    appId,
    channel,
    opts,
  ] as const);
}

/** Waits until `p` decodes `uid`'s video (several frames within a second). */
async function decodes(p: Page, uid: number, what: string): Promise<void> {
  await until(() => has(p, 'stream-subscribed', uid), 30_000, `${what}: subscribed`);
  await until(
    async () => (await videoFrames(p, `#remote-${uid} video`, 1000, 30_000)).frames > 3,
    30_000,
    `${what}: decoding`,
  );
}

describe('through the SFU (MESH_MAX=0)', () => {
  test('signaling server killed and restarted mid-call: CONNECTION_INTERRUPTED, back with the same uids, media flows again both ways', async () => {
    const signalingUrl = outage.signaling.wsUrl;
    const a = await openPage(outage.browser, `${outage.pages.url}/test-pages/call.html`);
    const b = await openPage(outage.browser, `${outage.pages.url}/test-pages/call.html`);
    const uidA = await join(a, 'sfu outage', { signalingUrl });
    const uidB = await join(b, 'sfu outage', { signalingUrl });
    await decodes(b, uidA, 'B sees A');
    await decodes(a, uidB, 'A sees B');
    expect(await videoUploads(a)).toBe(1); // through Janus

    await outage.signaling.kill();
    for (const p of [a, b]) {
      await until(
        async () => (await events(p)).some((e) => e.reason === 'CONNECTION_INTERRUPTED'),
        5_000,
        'interrupted',
      );
    }
    await outage.signaling.start();
    const state = (p: Page) => p.evaluate(() => (window as unknown as W).T.client.connectionState);
    await until(
      async () => (await state(a)) === 'CONNECTED' && (await state(b)) === 'CONNECTED',
      15_000,
      'both reconnected',
    );
    // The restarted server knows nothing of the old Janus handles: the members published and subscribed again.
    for (const [p, uid, what] of [
      [b, uidA, 'B sees A after the restart'],
      [a, uidB, 'A sees B after the restart'],
    ] as const) {
      await until(
        async () => (await videoFrames(p, `#remote-${uid} video`, 1000, 30_000)).frames > 3,
        30_000,
        what,
      );
    }
    for (const p of [a, b]) {
      const ev = await events(p);
      expect(ev.filter((e) => e.ev === 'peer-leave')).toEqual([]);
      expect(ev.filter((e) => e.ev === 'stream-removed')).toEqual([]);
    }
    await Promise.all([a.context().close(), b.context().close()]);
  });

  test('getStats and network-quality give real numbers: bitrates, frame rates, sizes, round trip, codecs', async () => {
    const a = await suite.user();
    const b = await suite.user();
    const channel = `sfu stats ${Math.random()}`;
    const uidA = await join(a, channel, { profile: '480P' });
    const uidB = await join(b, channel, { profile: '480P' });
    await decodes(b, uidA, 'B sees A');
    await decodes(a, uidB, 'A sees B');
    for (const p of [a, b]) {
      await p.evaluate(() => {
        const w = window as unknown as { quality: unknown[] };
        w.quality = [];
        (window as unknown as W).T.client.on('network-quality', (e: unknown) => w.quality.push(e));
      });
    }
    for (const [p, other] of [
      [a, uidB],
      [b, uidA],
    ] as const) {
      const s = await until(
        async () => {
          const s = await p.evaluate(() => (window as unknown as W).T.client.getStats());
          const r = s.remotes.find((x) => x.uid === other);
          const ok =
            s.local.sendBitrateKbps > 0 &&
            s.local.sendFrameRateFps > 0 &&
            s.local.sendWidthPx > 0 &&
            r &&
            r.recvBitrateKbps > 0 &&
            r.recvFrameRateFps > 0 &&
            r.recvWidthPx > 0 &&
            r.rttMs > 0;
          return ok ? s : null;
        },
        30_000,
        'stats with media both ways',
      );
      const r = s!.remotes.find((x) => x.uid === other)!;
      expect(r.audioCodec).toBe('opus');
      expect(r.videoCodec.toLowerCase()).toContain('vp8');
      expect(s!.local.videoCodec.toLowerCase()).toContain('vp8');
      // The other user's quality is known (1 excellent … 6 down), not 0 (unknown).
      const q = await until(
        () =>
          p.evaluate((other) => {
            type Q = { users: { uid: number; downlinkNetworkQuality: number }[] };
            const all = (window as unknown as { quality: Q[] }).quality;
            return all.flatMap((e) => e.users).find((u) => u.uid === other && u.downlinkNetworkQuality > 0);
          }, other),
        15_000,
        'network-quality of the other user',
      );
      expect(q!.downlinkNetworkQuality).toBeLessThanOrEqual(6);
    }
    await Promise.all([a.context().close(), b.context().close()]);
  });

  test("recording a remote user's stream: a WebM with video and audio that decodes", async () => {
    const channel = `sfu rec ${Math.random()}`;
    const a = await suite.user();
    const r = await suite.user();
    const key = (p: Page, body: object) =>
      p.evaluate(async (body) => {
        const res = await fetch('/api/channel-key', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        return ((await res.json()) as { key: string }).key;
      }, body);
    const uidA = await join(
      a,
      channel,
      { key: await key(a, { channel, uid: 0 }), profile: '240P' },
      DEMO_KEYED_APP_ID,
    );
    // The recorder publishes nothing: what it records is the remote user alone.
    const uidR = await join(
      r,
      channel,
      { key: await key(r, { channel, uid: 0 }), publish: false },
      DEMO_KEYED_APP_ID,
    );
    await decodes(r, uidA, 'the recorder sees A');
    const recKey = await key(r, { channel, uid: uidR, service: 'recording' });
    const entry = await r.evaluate(async (recKey) => {
      const c = (window as unknown as W).T.client;
      await c.startRecording(recKey);
      await new Promise((res) => setTimeout(res, 5000));
      return (await c.stopRecording(recKey)) as RecordingEntry;
    }, recKey);
    expect(entry).toMatchObject({ channel, uid: uidR, complete: true });
    const [dl] = await Promise.all([
      r.waitForEvent('download'),
      r.evaluate((id) => (window as unknown as W).AgoraRTC.recordings.download(id), entry.id),
    ]);
    const file = pathJoin(dir, 'remote.webm');
    await dl.saveAs(file);
    const info = JSON.parse(
      execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', file], {
        encoding: 'utf8',
      }),
    ) as { streams: { codec_type: string; codec_name: string }[]; format: { duration?: string } };
    expect(info.streams.find((s) => s.codec_type === 'video')?.codec_name).toMatch(/^vp[89]$/);
    expect(info.streams.find((s) => s.codec_type === 'audio')?.codec_name).toBe('opus');
    expect(Math.abs(Number(info.format.duration) - 5)).toBeLessThan(1.5);
    // A frame in the middle holds a picture (the fake camera's moving pattern), not an empty composite.
    const png = `${file}.png`;
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-ss', '2.5', '-i', file, '-frames:v', '1', png]);
    expect(statSync(png).size).toBeGreaterThan(1000);
    execFileSync('ffmpeg', ['-v', 'error', '-xerror', '-i', file, '-f', 'null', '-']);
    await Promise.all([a.context().close(), r.context().close()]);
  });

  test('switching camera while published: the viewer keeps decoding, now the new camera, without renegotiation', async () => {
    const a = await suite.user();
    const b = await suite.user();
    const channel = `sfu devices ${Math.random()}`;
    const uidA = await join(a, channel, { profile: '240P' });
    await join(b, channel, { publish: false });
    await decodes(b, uidA, 'B sees A');
    const sdp = () =>
      a.evaluate(() => {
        const t = (window as unknown as W).T.client.transport;
        return [...t.connections().values()].map((pc) => pc.localDescription?.sdp).join();
      });
    const before = await sdp();
    const switched = await a.evaluate(async () => {
      const cam2 = (await (window as unknown as W).T.client.getDevices())!.find(
        (d) => d.label === 'fake_device_2',
      )!;
      const old = window.T.local._media.getVideoTracks()[0]!;
      await (window as unknown as W).T.client.selectDevice(cam2);
      const cam = window.T.local._media.getVideoTracks()[0]!;
      return { oldEnded: old.readyState === 'ended', onCam2: cam.getSettings().deviceId === cam2.deviceId };
    });
    expect(switched).toEqual({ oldEnded: true, onCam2: true });
    // The publisher's connection to Janus now carries the new camera.
    await until(
      () =>
        a.evaluate(() => {
          const t = (window as unknown as W).T.client.transport;
          const cam = window.T.local._media.getVideoTracks()[0]!;
          return [...t.connections().values()].some((pc) => pc.getSenders().some((s) => s.track === cam));
        }),
      10_000,
      'the new camera is sent',
    );
    const after = await videoFrames(b, `#remote-${uidA} video`, 1500);
    expect(after.frames).toBeGreaterThan(5);
    expect(after.width).toBeGreaterThan(0);
    expect(await sdp()).toBe(before);
    const ev = await events(b);
    expect(ev.filter((e) => e.ev === 'stream-added')).toHaveLength(1);
    expect(ev.filter((e) => e.ev === 'stream-removed')).toEqual([]);
    await Promise.all([a.context().close(), b.context().close()]);
  });
});
