// Whiteboard: stroke-to-screen latency on the other page (a point added on page A → painted on page B, p50/p95)
// against the raw signaling round trip (a ping over a bare WebSocket to the same server) in the same run, and the
// bytes on the wire per stroke point. Two pages of test/e2e/pages/collab.html in one Chromium.
import type { Page } from 'playwright-core';
import type { BenchRow } from './run.js';
import { APP_ID, launchBrowser, openPage, serve } from '../e2e/harness.js';

const POINTS = Number(process.env.BENCH_COLLAB_POINTS) || 400;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function member(page: Page): Promise<void> {
  await page.waitForFunction(() => (window as unknown as { collabLoaded?: boolean }).collabLoaded === true);
  await page.evaluate(() => {
    // Counts what the SDK sends as document updates (the stroke's cost on the wire).
    const w = window as unknown as { docBytes: number; docFrames: number };
    w.docBytes = w.docFrames = 0;
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (data) {
      if (typeof data === 'string' && data.startsWith('{"t":"doc"')) {
        w.docBytes += data.length;
        w.docFrames++;
      }
      return send.call(this, data);
    };
  });
  await page.evaluate(
    (app) =>
      (window as unknown as { C: { join(a: string, c: string): Promise<number> } }).C.join(
        app,
        'bench board',
      ),
    APP_ID,
  );
}

export default async function bench(): Promise<BenchRow[]> {
  const server = await serve({ staticDirs: { '/test-pages/': 'test/e2e/pages' } });
  const browser = await launchBrowser();
  try {
    const url = `${server.url}/test-pages/collab.html`;
    const a = await openPage(browser, url);
    const b = await openPage(browser, url);
    await member(a);
    await member(b);
    // B: when a point first shows on B's canvas (the frame after the change), keyed by its index (x).
    await b.evaluate(() => {
      const w = window as unknown as {
        seen: Map<number, number>;
        C: {
          client: {
            whiteboard: { on(e: string, f: () => void): void; getItems(): Array<{ points: number[] }> };
          };
        };
      };
      w.seen = new Map();
      const wb = w.C.client.whiteboard;
      wb.on('change', () =>
        requestAnimationFrame(() => {
          const now = performance.timeOrigin + performance.now();
          for (const it of wb.getItems())
            for (let i = 0; i < it.points.length; i += 3)
              if (!w.seen.has(it.points[i]!)) w.seen.set(it.points[i]!, now);
        }),
      );
    });
    // A: one point every 16 ms (a 60 Hz pointer), x = its index.
    const sent = await a.evaluate(async (n) => {
      const w = window as unknown as {
        C: {
          client: {
            whiteboard: {
              beginStroke(t: string, x: number, y: number): { add(x: number, y: number): void; end(): void };
            };
          };
        };
      };
      const times: number[] = [performance.timeOrigin + performance.now()];
      const s = w.C.client.whiteboard.beginStroke('pen', 0, 100);
      for (let i = 1; i < n; i++) {
        await new Promise((r) => setTimeout(r, 16));
        times.push(performance.timeOrigin + performance.now());
        s.add(i, 100 + Math.sin(i / 10) * 50);
      }
      s.end();
      return times;
    }, POINTS);
    await b.waitForFunction(
      (n) => (window as unknown as { seen: Map<number, number> }).seen.size >= n,
      POINTS,
      {
        timeout: 30_000,
      },
    );
    const seen = new Map(
      await b.evaluate(() => [...(window as unknown as { seen: Map<number, number> }).seen]),
    );
    const lat = sent.map((t, i) => seen.get(i)! - t).filter((x) => Number.isFinite(x));
    const wire = await a.evaluate(() => {
      const w = window as unknown as { docBytes: number; docFrames: number };
      return { bytes: w.docBytes, frames: w.docFrames };
    });

    // Baseline: the raw signaling round trip from the same page, over a bare WebSocket (ping → pong).
    const rtts = await a.evaluate(
      async (wsUrl) => {
        const ws = new WebSocket(wsUrl);
        await new Promise((r) => (ws.onopen = r));
        const out: number[] = [];
        for (let i = 0; i < 200; i++) {
          const t0 = performance.now();
          await new Promise<void>((r) => {
            ws.onmessage = () => r();
            ws.send('{"t":"ping"}');
          });
          out.push(performance.now() - t0);
          await new Promise((r) => setTimeout(r, 5));
        }
        ws.close();
        return out;
      },
      `${server.url.replace('http', 'ws')}/agora-signal`,
    );

    const p50 = pct(lat, 50);
    const p95 = pct(lat, 95);
    const r50 = pct(rtts, 50);
    const r95 = pct(rtts, 95);
    return [
      {
        name: `stroke point → painted on the other page, p50 (${lat.length} points at 60 Hz)`,
        value: `${p50.toFixed(1)} ms`,
        baseline: `${r50.toFixed(1)} ms signaling RTT p50`,
        ratio: `+${(p50 - r50).toFixed(1)} ms`,
        target: '≤ RTT + 25 ms coalescing + 1 frame',
      },
      {
        name: 'stroke point → painted on the other page, p95',
        value: `${p95.toFixed(1)} ms`,
        baseline: `${r95.toFixed(1)} ms signaling RTT p95`,
        ratio: `+${(p95 - r95).toFixed(1)} ms`,
        target: '—',
      },
      {
        name: 'bytes on the wire per stroke point (JSON + base64 yjs updates)',
        value: `${(wire.bytes / POINTS).toFixed(1)} B`,
        baseline: `${wire.frames} frames for ${POINTS} points`,
        ratio: `${(POINTS / Math.max(1, wire.frames)).toFixed(1)} points/frame`,
        target: '—',
      },
    ];
  } finally {
    await browser.close();
    await server.close();
  }
}
