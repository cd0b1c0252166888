// The components bundle: what it adds to a page on top of the core SDK, and how long a page with
// `<agora-call autojoin>` takes to show the first remote frame, beside the raw API doing the same in the same run.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import type { BenchRow } from './run.js';
import { APP_ID, launchBrowser, serve } from '../e2e/harness.js';

// The first remote frame waits for the publisher's next captured frame: a 30 fps profile and many runs keep that
// wait (up to 33 ms) from deciding the medians.
const RUNS = 101;
const CHANNEL = 'bench components';

const gz = (path: string) => gzipSync(readFileSync(path), { level: 9 }).length;
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Element appended (connected) → first decoded frame of the remote tile; the element then leaves. The remote
 * `<video>` is caught by MutationObservers on the shadow roots (microtasks, as soon as it is created), so its first
 * frame is never missed the way a polling loop can miss it; the raw run registers right after play() alike.
 */
function elementRun(page: Page, attrs: Record<string, string>): Promise<number> {
  return page.evaluate(async (attrs) => {
    const el = document.createElement('agora-call');
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    const t0 = performance.now();
    const observers: MutationObserver[] = [];
    const ms = new Promise<number>((resolve) => {
      const watch = (root: Node, found: (root: Node) => boolean) => {
        if (found(root)) return;
        const o = new MutationObserver(() => void (found(root) && o.disconnect()));
        observers.push(o);
        o.observe(root, { childList: true, subtree: true });
      };
      const remote = (root: Node) => {
        const v = (root as ShadowRoot).querySelector('.tile[data-local="false"] agora-video');
        if (v?.shadowRoot) watch(v.shadowRoot, frame);
        return !!v?.shadowRoot;
      };
      const frame = (root: Node) => {
        const video = (root as ShadowRoot).querySelector('video');
        video?.requestVideoFrameCallback(() => resolve(performance.now() - t0));
        return !!video;
      };
      document.body.append(el);
      watch(el.shadowRoot!, remote);
    });
    const result = await ms;
    for (const o of observers) o.disconnect();
    await el.leave();
    el.remove();
    return result;
  }, attrs);
}

/** The raw API on the same page: createRtcClient → init → join → subscribe → play → first frame. */
function rawRun(page: Page): Promise<number> {
  return page.evaluate(
    async ({ appId, channel }) => {
      // A string, so the runner does not rewrite the page's import().
      const mod = (await (0, eval)(`import('/sdk/agora-rtc.js')`)) as typeof import('../../src/index.js');
      const AgoraRTC = mod.default;
      const view = document.createElement('div');
      view.id = 'raw-view';
      document.body.append(view);
      const t0 = performance.now();
      const c = AgoraRTC.createRtcClient();
      const ms = await new Promise<number>((resolve, reject) => {
        c.on('stream-added', (e) => void c.subscribe(e.stream));
        c.on('stream-subscribed', (e) => {
          void e.stream.play('raw-view');
          view.querySelector('video')!.requestVideoFrameCallback(() => resolve(performance.now() - t0));
        });
        c.init(appId, () => c.join(null, channel, 0, null, reject), reject);
      });
      await c.leave();
      c.close();
      view.remove();
      return ms;
    },
    { appId: APP_ID, channel: CHANNEL },
  );
}

export default async function bench(): Promise<BenchRow[]> {
  const server = await serve({ staticDirs: { '/test-pages/': 'test/e2e/pages' } });
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
    const publisher = await context.newPage();
    await publisher.goto(`${server.url}/test-pages/call.html`);
    await publisher.evaluate(
      ({ appId, channel }) => window.T.join(appId, channel, 0, { profile: '480P_4' }),
      {
        appId: APP_ID,
        channel: CHANNEL,
      },
    );
    const viewer = await context.newPage();
    await viewer.goto(`${server.url}/test-pages/components.html`);
    await viewer.evaluate(() => customElements.whenDefined('agora-call'));
    // tsx names the functions it compiles with a helper the page does not have.
    await viewer.evaluate('window.__name = (f) => f');
    const base = { 'app-id': APP_ID, channel: CHANNEL, autojoin: '' };

    const raw: number[] = [];
    const viewerOnly: number[] = [];
    const withCamera: number[] = [];
    // Each run ends on a frame of the publisher's camera, so the next would start in step with its ticks and a few
    // ms more or less of work would always gain or lose a whole frame interval: a random pause (up to three frame
    // intervals) before each run takes them out of step.
    const offBeat = () => new Promise((r) => setTimeout(r, Math.random() * 100));
    // Interleaved, so drift on a noisy machine hits all alike.
    for (let i = 0; i < RUNS; i++) {
      await offBeat();
      raw.push(await rawRun(viewer));
      await offBeat();
      viewerOnly.push(await elementRun(viewer, { ...base, 'no-camera': '', 'no-microphone': '' }));
      await offBeat();
      withCamera.push(await elementRun(viewer, { ...base, 'video-profile': '480P' }));
    }
    const core = gz('dist/sdk/agora-rtc.js');
    const components = gz('dist/sdk/agora-components.js');
    const r = median(raw);
    return [
      {
        name: 'agora-components.js min+gzip, on top of agora-rtc.js (Lit included)',
        value: kb(components),
        baseline: `${kb(core)} agora-rtc.js`,
        ratio: `${(components / core).toFixed(2)}× the core`,
        target: '≤ 15 KB',
      },
      {
        name: `<agora-call autojoin no-camera no-microphone> connected → first remote frame, p50 (${RUNS})`,
        value: `${median(viewerOnly).toFixed(0)} ms`,
        baseline: `${r.toFixed(0)} ms raw API init → join → first frame`,
        ratio: `${(median(viewerOnly) / r).toFixed(2)}×`,
        target: '≤ 1.1×',
      },
      {
        name: `<agora-call autojoin> (also opens and publishes its camera) → first remote frame, p50 (${RUNS})`,
        value: `${median(withCamera).toFixed(0)} ms`,
        baseline: `${r.toFixed(0)} ms raw API init → join → first frame`,
        ratio: `${(median(withCamera) / r).toFixed(2)}×`,
        target: '—',
      },
    ];
  } finally {
    await browser.close();
    await server.close();
  }
}
