// Repeat visits with the SDK's service worker (answered from its precache) against the same repeat visits from the
// network (worker blocked, warm HTTP cache revalidated with 304s), interleaved in one run: time from navigation
// start to the SDK being usable (DOMContentLoaded: every classic and module script of the page has run). Once on
// loopback, once with 40 ms of emulated round trip (DevTools throttling), closer to a server across a network.
// Also: how long a join takes to fail once the server is gone (the demo started from the cache).
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import type { BenchRow } from './run.js';
import { APP_ID, launchBrowser, serve, until } from '../e2e/harness.js';

const RUNS = 15;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x.toFixed(1)} ms`;

type SDK = typeof import('../../src/index.js').default;

/** Navigate and read when the SDK became usable; `sdk` says whether the page has one at all. */
async function visit(page: Page, url: string): Promise<{ at: number; sdk: boolean }> {
  await page.goto(url);
  return page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    const w = window as unknown as { AgoraRTC?: unknown };
    return { at: nav.domContentLoadedEventEnd, sdk: !!w.AgoraRTC || !!customElements.get('agora-call') };
  });
}

async function throttle(context: BrowserContext, page: Page, latency: number): Promise<void> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency,
    downloadThroughput: -1,
    uploadThroughput: -1,
  });
}

export default async function bench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const browser = await launchBrowser();
  try {
    for (const latency of [0, 40]) {
      const server = await serve();
      const cached = await browser.newContext();
      const network = await browser.newContext({ serviceWorkers: 'block' });
      const viaWorker = await cached.newPage();
      const viaNetwork = await network.newPage();
      // First visits: the worker installs (init registers it) and the HTTP cache fills.
      await viaWorker.goto(`${server.url}/demo/sample.html`);
      await viaWorker.evaluate(
        (appId) => (window as unknown as { AgoraRTC: SDK }).AgoraRTC.createRtcClient().init(appId),
        APP_ID,
      );
      await until(() => viaWorker.evaluate(() => !!navigator.serviceWorker.controller), 30_000, 'the worker');
      await throttle(cached, viaWorker, latency);
      await throttle(network, viaNetwork, latency);
      for (const path of ['/', '/demo/sample.html']) {
        await viaNetwork.goto(`${server.url}${path}`);
        const fromCache: number[] = [];
        const fromNetwork: number[] = [];
        let sdk = true;
        for (let i = 0; i < RUNS; i++) {
          const a = await visit(viaWorker, `${server.url}${path}`);
          const b = await visit(viaNetwork, `${server.url}${path}`);
          fromCache.push(a.at);
          fromNetwork.push(b.at);
          sdk &&= a.sdk && b.sdk;
        }
        const ours = median(fromCache);
        const base = median(fromNetwork);
        rows.push({
          name: `repeat visit ${path}${sdk ? '' : ' (no SDK on this page yet)'} → SDK usable, ${latency ? `${latency} ms RTT` : 'loopback'}, p50 of ${RUNS}`,
          value: `${ms(ours)} from the worker's cache`,
          baseline: `${ms(base)} from the network`,
          ratio: `${(ours / base).toFixed(2)}×`,
          target: '< 1× past loopback',
        });
      }
      await cached.close();
      await network.close();
      await server.close();
    }

    // What the worker costs init: a first visit registers it (fetching and starting the script); a later visit
    // asks the controlling worker its version. Against serviceWorker: false, fresh contexts, interleaved.
    {
      const server = await serve();
      const initTime = async (serviceWorker: false | undefined, again: boolean): Promise<number> => {
        const context = await browser.newContext();
        const page = await context.newPage();
        await page.goto(`${server.url}/demo/sample.html`);
        const timed = (sw: false | undefined) =>
          page.evaluate(
            async ([appId, sw]) => {
              const { AgoraRTC } = window as unknown as { AgoraRTC: SDK };
              const client = AgoraRTC.createRtcClient(sw === false ? { serviceWorker: false } : {});
              const t0 = performance.now();
              await client.init(appId);
              const t = performance.now() - t0;
              client.close();
              return t;
            },
            [APP_ID, sw] as const,
          );
        if (again) {
          await timed(undefined);
          await until(() => page.evaluate(() => !!navigator.serviceWorker.controller), 30_000, 'the worker');
          await page.reload();
        }
        const t = await timed(serviceWorker);
        await context.close();
        return t;
      };
      for (const again of [false, true]) {
        const withWorker: number[] = [];
        const without: number[] = [];
        for (let i = 0; i < 9; i++) {
          withWorker.push(await initTime(undefined, again));
          without.push(await initTime(false, again));
        }
        rows.push({
          name: `init (${again ? 'repeat visit, worker controlling' : 'first visit, worker registering'}), p50 of 9`,
          value: ms(median(withWorker)),
          baseline: `${ms(median(without))} with serviceWorker: false`,
          ratio: `${(median(withWorker) / median(without)).toFixed(2)}×`,
          target: '—',
        });
      }
      await server.close();
    }

    // Offline start, then Join: how long until the failure is reported.
    const server = await serve();
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/demo/sample.html`);
    await page.evaluate(
      (appId) => (window as unknown as { AgoraRTC: SDK }).AgoraRTC.createRtcClient().init(appId),
      APP_ID,
    );
    await until(() => page.evaluate(() => !!navigator.serviceWorker.controller), 30_000, 'the worker');
    await server.close();
    await page.reload();
    const failures: number[] = [];
    for (let i = 0; i < 5; i++) {
      failures.push(
        await page.evaluate(async (appId) => {
          const t0 = performance.now();
          await (window as unknown as { AgoraRTC: SDK }).AgoraRTC.createRtcClient()
            .init(appId)
            .catch(() => undefined);
          return performance.now() - t0;
        }, APP_ID),
      );
    }
    rows.push({
      name: 'offline (server gone, demo from the cache): init → network error, p50 of 5',
      value: ms(median(failures)),
      baseline: '5000 ms (the connect timeout)',
      ratio: `${(median(failures) / 5000).toFixed(3)}×`,
      target: 'fails, never hangs',
    });
    await context.close();

    const sw = gzipSync(readFileSync('dist/sw/agora-sw.js'), { level: 9 }).length;
    rows.push({
      name: 'agora-sw.js min+gzip (workbox precaching + manifest)',
      value: `${(sw / 1024).toFixed(1)} KB`,
      baseline: '—',
      ratio: '—',
      target: '—',
    });
  } finally {
    await browser.close();
  }
  return rows;
}
