// What the SFU tests and the SFU bench read from a call page (test/e2e/pages/call.html, window.T).
import type { Page } from 'playwright-core';
import { run, until, type Evaluator } from './harness.js';

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
