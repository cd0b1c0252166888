// Join → first remote frame decoded, SDK vs a bare RTCPeerConnection pair on the same fake camera; and the
// size of what a page downloads.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { BenchRow } from './run.js';
import { APP_ID, launchBrowser, serve } from '../e2e/harness.js';

const RUNS = 21;

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

const gz = (path: string) => gzipSync(readFileSync(path), { level: 9 }).length;
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

export default async function bench(): Promise<BenchRow[]> {
  const server = await serve({ staticDirs: { '/test-pages/': 'test/e2e/pages' } });
  const browser = await launchBrowser();
  try {
    // All pages share one browser context, so the SDK and the bare pair run on equal terms.
    const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
    const page = async (path: string) => {
      const p = await context.newPage();
      await p.goto(`${server.url}${path}`);
      return p;
    };
    const publisher = await page('/test-pages/call.html');
    await publisher.evaluate((appId) => window.T.join(appId, 'bench', 0, { profile: '480P' }), APP_ID);
    // The bare pair's publisher: the same fake camera at the same size, answering offers over a
    // BroadcastChannel (the cheapest signaling two pages can have).
    const barePublisher = await page('/test-pages/blank.html');
    await barePublisher.evaluate(async () => {
      const cam = await navigator.mediaDevices.getUserMedia({
        video: { width: 640, height: 480, frameRate: 15 },
      });
      const bc = new BroadcastChannel('bare');
      let pc: RTCPeerConnection | null = null;
      bc.onmessage = async ({ data }) => {
        if (data.start) {
          pc?.close();
          pc = new RTCPeerConnection();
          pc.onicecandidate = (e) => e.candidate && bc.postMessage({ candidate: e.candidate.toJSON() });
          cam.getTracks().forEach((t) => pc!.addTrack(t, cam));
          await pc.setLocalDescription();
          bc.postMessage({ sdp: pc.localDescription!.toJSON() });
        } else if (data.sdp) await pc!.setRemoteDescription(data.sdp);
        else if (data.candidate) await pc!.addIceCandidate(data.candidate);
      };
    });
    const viewer = await page('/test-pages/blank.html');

    const sdk: number[] = [];
    const bare: number[] = [];
    // Interleave the two so drift on a noisy machine hits both alike.
    for (let i = 0; i < RUNS; i++) {
      sdk.push(
        await viewer.evaluate(async (appId) => {
          const { AgoraRTC } = window as unknown as { AgoraRTC: typeof import('../../src/index.js').default };
          const view = document.getElementById('view')!;
          view.replaceChildren();
          const t0 = performance.now();
          const c = AgoraRTC.createRtcClient();
          const ms = await new Promise<number>((resolve, reject) => {
            c.on('stream-added', (e) => void c.subscribe(e.stream));
            c.on('stream-subscribed', (e) => {
              void e.stream.play('view');
              const v = view.querySelector('video')!;
              v.requestVideoFrameCallback(() => resolve(performance.now() - t0));
            });
            c.init(appId, () => c.join(null, 'bench', 0, null, reject), reject);
          });
          await c.leave();
          c.close();
          return ms;
        }, APP_ID),
      );
      bare.push(
        await viewer.evaluate(async () => {
          const view = document.getElementById('view')!;
          view.replaceChildren();
          const t0 = performance.now();
          const bc = new BroadcastChannel('bare');
          const pc = new RTCPeerConnection();
          pc.onicecandidate = (e) => e.candidate && bc.postMessage({ candidate: e.candidate.toJSON() });
          const ms = new Promise<number>((resolve) => {
            pc.ontrack = (e) => {
              const v = document.createElement('video');
              v.muted = true;
              v.autoplay = true;
              v.srcObject = e.streams[0] ?? new MediaStream([e.track]);
              view.append(v);
              v.requestVideoFrameCallback(() => resolve(performance.now() - t0));
              void v.play();
            };
          });
          bc.onmessage = async ({ data }) => {
            if (data.sdp) {
              await pc.setRemoteDescription(data.sdp);
              await pc.setLocalDescription();
              bc.postMessage({ sdp: pc.localDescription!.toJSON() });
            } else if (data.candidate) await pc.addIceCandidate(data.candidate);
          };
          bc.postMessage({ start: true });
          const result = await ms;
          pc.close();
          bc.close();
          return result;
        }),
      );
    }
    const row = (p: number): BenchRow => {
      const ours = percentile(sdk, p);
      const base = percentile(bare, p);
      return {
        name: `join → first remote frame, p${p} (${RUNS} joins)`,
        value: `${ours.toFixed(0)} ms`,
        baseline: `${base.toFixed(0)} ms bare RTCPeerConnection pair, 2 pages`,
        ratio: `${(ours / base).toFixed(2)}×`,
        target: p === 50 ? '≤ 1.3×' : '—',
      };
    };
    const simplePeer = gz('node_modules/simple-peer/simplepeer.min.js');
    const esm = gz('dist/sdk/agora-rtc.js');
    return [
      row(50),
      row(95),
      {
        name: 'agora-rtc.js min+gzip',
        value: kb(esm),
        baseline: `${kb(simplePeer)} simple-peer's own prebuilt bundle`,
        ratio: `${(esm / simplePeer).toFixed(2)}×`,
        target: '≤ 40 KB',
      },
      {
        name: 'agora-rtc.iife.js min+gzip',
        value: kb(gz('dist/sdk/agora-rtc.iife.js')),
        baseline: `${kb(simplePeer)} simple-peer's own prebuilt bundle`,
        ratio: `${(gz('dist/sdk/agora-rtc.iife.js') / simplePeer).toFixed(2)}×`,
        target: '≤ 40 KB',
      },
    ];
  } finally {
    await browser.close();
    await server.close();
  }
}
