// What the SFU tests and the SFU bench read from a call page (test/e2e/pages/call.html, window.T).
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { APP_ID, run, until, videoFrames, type Evaluator } from './harness.js';

type Conns = { connections(): Map<number, RTCPeerConnection> };

/** Outbound video streams that carried bytes, over all of the page's RTCPeerConnections: what it uploads. */
export function videoUploads(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const t = (window.T.client as unknown as { transport: Conns }).transport;
    let n = 0;
    for (const pc of t.connections().values()) {
      (await pc.getStats()).forEach((r: { type: string; kind?: string; bytesSent?: number }) => {
        if (r.type === 'outbound-rtp' && r.kind === 'video' && (r.bytesSent ?? 0) > 0) n++;
      });
    }
    return n;
  });
}

/**
 * Starts watching every remote <video> of the page: the time of each newly decoded frame (frame counter polled
 * every 10 ms; a player re-pointed to a new track counts from its first frame again). `gapReport` returns the
 * longest wait between two frames per remote user since then.
 */
export function watchGaps(page: Page): Promise<void> {
  return page.evaluate(() => {
    const w = window as unknown as {
      gaps: Record<string, { last: number; frames: number; max: number; track: string }>;
      gapLog: string[];
    };
    w.gaps = {};
    w.gapLog = [];
    const t0 = performance.now();
    setInterval(() => {
      const now = performance.now();
      for (const v of document.querySelectorAll<HTMLVideoElement>('#remotes video')) {
        const id = v.parentElement?.id ?? '?';
        const frames = v.getVideoPlaybackQuality().totalVideoFrames;
        const track = (v.srcObject as MediaStream | null)?.getVideoTracks()[0]?.id ?? '';
        const g = (w.gaps[id] ??= { last: now, frames, max: 0, track });
        if (track !== g.track) {
          w.gapLog.push(`${id} switched track at ${Math.round(now - t0)}`);
          g.track = track;
        }
        if (frames !== g.frames) {
          if (now - g.last > 300)
            w.gapLog.push(`${id} gap ${Math.round(now - g.last)} ending at ${Math.round(now - t0)}`);
          g.max = Math.max(g.max, now - g.last);
          g.last = now;
          g.frames = frames;
        }
      }
    }, 10);
  });
}

/** The longest gap (ms) between decoded frames of any remote user since watchGaps, counting an ongoing one. */
export function longestGap(page: Page): Promise<number> {
  return page.evaluate(() => {
    const w = window as unknown as { gaps: Record<string, { last: number; max: number }> };
    const now = performance.now();
    return Math.max(0, ...Object.values(w.gaps).map((g) => Math.max(g.max, now - g.last)));
  });
}

/** What watchGaps noticed: track switches and gaps over 300 ms, with their times (diagnostics). */
export function gapLog(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { gapLog: string[] }).gapLog);
}

/** Video bytes this page received from `uid` so far (the SDK's per-user stats). */
export function videoBytesFrom(page: Evaluator, uid: number): Promise<number> {
  return run(
    page,
    async (uid: number) => {
      const t = (
        window.T.client as unknown as { transport: { stats(): Promise<Map<number, RTCStatsReport>> } }
      ).transport;
      let bytes = 0;
      (await t.stats()).get(uid)?.forEach((r: { type: string; kind?: string; bytesReceived?: number }) => {
        if (r.type === 'inbound-rtp' && r.kind === 'video') bytes += r.bytesReceived ?? 0;
      });
      return bytes;
    },
    uid,
  );
}

/** Waits until `page` gets no more video bytes from `uid` over 1.5 s (after an unsubscribe); returns the count. */
export async function videoBytesStop(page: Evaluator, uid: number): Promise<number> {
  // An object, not the count: the count may be 0 (the feed's stats went with it), which `until` reads as "not yet".
  const stopped = await until(
    async () => {
      const before = await videoBytesFrom(page, uid);
      await new Promise((r) => setTimeout(r, 1500));
      const after = await videoBytesFrom(page, uid);
      return after === before ? { after } : undefined;
    },
    20_000,
    `video bytes from ${uid} to stop`,
  );
  return stopped!.after;
}

/**
 * The rids of the simulcast layers this page's connections send, sorted: every layer the SDK set up, whether or not
 * it carries bytes right now (a loaded encoder pauses its top layer; the layers a viewer receives show the others).
 */
export function simulcastLayers(page: Evaluator): Promise<string[]> {
  return run(
    page,
    async () => {
      const t = (
        window.T.client as unknown as { transport: { connections(): Map<number, RTCPeerConnection> } }
      ).transport;
      const rids = new Set<string>();
      for (const pc of t.connections().values()) {
        (await pc.getStats()).forEach((r: { type: string; kind?: string; rid?: string }) => {
          if (r.type === 'outbound-rtp' && r.kind === 'video' && r.rid) rids.add(r.rid);
        });
      }
      return [...rids].sort();
    },
    undefined,
  );
}

/**
 * A shares its screen through Janus and stops again while B watches (both join `channel`; A publishes its camera at
 * 240P). B sees the 1280x720 screen, then the camera again, both decoding, on the one stream it was told of.
 */
export async function screenThroughJanus(a: Evaluator, b: Evaluator, channel: string): Promise<void> {
  const join = (p: Evaluator, o: { profile?: string; publish?: boolean }) =>
    run(p, ([app, ch, o]) => window.T.join(app, ch, 0, o), [APP_ID, channel, o] as const);
  const uidA = await join(a, { profile: '240P' });
  await join(b, { publish: false });
  const remote = `#remote-${uidA} video`;
  const size = () =>
    run(
      b,
      (sel) => {
        const v = document.querySelector(sel) as HTMLVideoElement | null;
        return v ? `${v.videoWidth}x${v.videoHeight}` : '';
      },
      remote,
    );
  const camera = await until(
    async () => {
      const s = await size();
      return s !== '' && s !== '0x0' ? s : '';
    },
    30_000,
    'the camera on B',
  );
  // Shown at full size, so that Janus forwards the full layer.
  await run(
    b,
    (uid) => {
      const box = document.getElementById(`remote-${uid}`)!;
      box.style.width = '1280px';
      box.style.height = '720px';
    },
    uidA,
  );
  type Sharing = { startScreenSharing(id: string): Promise<void>; stopScreenSharing(): Promise<void> };
  await run(a, () => (window.T.client as unknown as Sharing).startScreenSharing(''), null);
  await until(async () => (await size()) === '1280x720', 30_000, 'the 1280x720 screen on B');
  expect((await videoFrames(b, remote)).frames, 'screen frames decode').toBeGreaterThan(3);
  await run(a, () => (window.T.client as unknown as Sharing).stopScreenSharing(), null);
  await until(async () => (await size()) === camera, 30_000, 'the camera again on B');
  expect((await videoFrames(b, remote)).frames, 'camera frames decode').toBeGreaterThan(3);
  const events = await run(b, () => window.events.map((e) => e.ev), null);
  expect(events.filter((e) => e === 'stream-added')).toHaveLength(1);
  expect(events).not.toContain('stream-removed');
}
