// The SDK's service worker, for real in Chromium: it installs and controls the page, starts the demo without the
// server, stands in for the manual's agent version check (INCOMPATIBLE_WEBAGENT, then the update), and a new
// build replaces the old worker and its cache. Each test has its own server, so its own origin and registration.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { writeServiceWorker } from '../../scripts/build-sw.mjs';
import type { RunningServer } from '../../server/app.js';
import { VERSION } from '../../src/version.js';
import { APP_ID, PAIRINGS, launchBrowser, launchFirefox, serve, until } from './harness.js';

type SDK = typeof import('../../src/index.js').default;

const ROOT = resolve(import.meta.dirname, '../..');
const PAGES = join(ROOT, 'test/e2e/pages');

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

async function open(server: RunningServer, path: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('[page error]', e.message));
  await page.goto(`${server.url}${path}`);
  return { context, page };
}

/** init in the page; what it failed with, or 'ok'. */
function init(page: Page) {
  return page.evaluate(async (appId) => {
    const { AgoraRTC } = window as unknown as { AgoraRTC: SDK };
    const client = AgoraRTC.createRtcClient();
    try {
      await client.init(appId);
      client.close();
      return 'ok' as const;
    } catch (err) {
      const e = err as { reason?: string; code: number; version?: string; agentVersion?: string } & Record<
        string,
        unknown
      >;
      return {
        reason: e.reason,
        code: e.code,
        version: e.version,
        agentVersion: e.agentVersion,
        agentInstallGuideUrl: e.agentInstallGuideUrl,
      };
    }
  }, APP_ID);
}

/** The script of the worker controlling the page, once one does. */
function controlled(page: Page): Promise<string> {
  return until(
    async () => (await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL)) ?? '',
    30_000,
    'a service worker to control the page',
  );
}

/** The SDK version the controlling worker reports (the same question the SDK asks). */
function controllerVersion(page: Page): Promise<string> {
  return page.evaluate(
    () =>
      new Promise<string>((resolve) => {
        const ch = new MessageChannel();
        ch.port1.onmessage = (e) => resolve((e.data as { version: string }).version);
        navigator.serviceWorker.controller!.postMessage({ type: 'AGORA_GET_VERSION' }, [ch.port2]);
      }),
  );
}

test('first visit installs the worker; with the server gone the demo and the SDK start from the cache, and joining fails at once with the network error', async () => {
  const server = await serve({ staticDirs: { '/test-pages/': PAGES } });
  const { context, page } = await open(server, '/demo/sample.html');
  expect(await init(page)).toBe('ok');
  expect(await controlled(page)).toBe(`${server.url}/agora-sw.js`);
  const origin = server.url;
  await server.close(); // nothing answers on this origin any more

  await page.reload();
  expect(await page.title()).toBe('agora-rtc-web — sample web client');
  expect(
    await page.evaluate(() => typeof (window as unknown as { AgoraRTC?: SDK }).AgoraRTC?.createRtcClient),
  ).toBe('function');
  // The app shell at / too.
  const home = await context.newPage();
  await home.goto(`${origin}/`);
  expect(await home.locator('h1').first().textContent()).toBeTruthy();
  await home.close();

  // The sample's own Join button: init cannot reach the server and says so.
  await page.fill('#appId', APP_ID);
  await page.click('#join');
  const line = await until(
    () => page.evaluate(() => document.querySelector('#log li.err')?.textContent ?? ''),
    15_000,
    'the sample to log the failure',
  );
  expect(line).toContain('init failed: ERR_CONNECTION_LOST (112)');
  expect(line).toContain('Could not connect to the signaling server');
  await context.close();
});

test('an older worker controlling the page → INCOMPATIBLE_WEBAGENT with both versions; init again succeeds once the update has taken over', async () => {
  const built = readFileSync(join(ROOT, 'dist/sw/agora-sw.js'), 'utf8');
  const older = built.replaceAll(VERSION, '0.0.9');
  expect(older).not.toBe(built);
  let serveOld = true;
  const server = await serve({
    staticDirs: { '/test-pages/': PAGES },
    routes: [
      {
        method: 'GET',
        path: '/agora-sw.js',
        handle: (_req, res) => {
          res.writeHead(200, { 'Content-Type': 'text/javascript', 'Cache-Control': 'no-cache' });
          res.end(serveOld ? older : built);
        },
      },
    ],
  });
  try {
    const { context, page } = await open(server, '/test-pages/blank.html');
    expect(await init(page)).toBe('ok'); // first visit: nothing controls the page yet
    await controlled(page);
    expect(await controllerVersion(page)).toBe('0.0.9');

    serveOld = false; // the server now has this SDK's worker
    const err = await init(page);
    expect(err).toMatchObject({
      reason: 'INCOMPATIBLE_WEBAGENT',
      code: 3,
      version: VERSION,
      agentVersion: '0.0.9',
    });
    const url = new URL((err as { agentInstallGuideUrl: string }).agentInstallGuideUrl);
    expect(url.pathname).toBe('/agora-fallback.html');
    expect(Object.fromEntries(url.searchParams)).toEqual({ version: VERSION, agentVersion: '0.0.9' });

    // No reload: init again waits for the worker of this version to take over, and succeeds.
    expect(await init(page)).toBe('ok');
    expect(await controllerVersion(page)).toBe(VERSION);

    // The fallback page explains the mismatch instead of a missing feature.
    const fallback = await context.newPage();
    await fallback.goto(url.href);
    expect(await fallback.locator('#en h1:visible').textContent()).toBe('This page needs a reload');
    expect(await fallback.locator('#en .v-agent').textContent()).toBe('0.0.9');
    await context.close();
  } finally {
    await server.close();
  }
});

test('a new build replaces the old worker and its cache: the new SDK is served after the update, no stale entry is left', async () => {
  // A copy of the built project, so this test can make a second build of it.
  const root = mkdtempSync(join(tmpdir(), 'agora-sw-build-'));
  for (const p of ['dist/sdk', 'dist/sw-src', 'demo', 'public', 'index.html']) {
    cpSync(join(ROOT, p), join(root, p), { recursive: true });
  }
  await writeServiceWorker(root);
  const revisionOf = (url: string) => {
    const sw = readFileSync(join(root, 'dist/sw/agora-sw.js'), 'utf8');
    return new RegExp(`"revision":"([0-9a-f]+)","url":"${url}"`).exec(sw)?.[1];
  };
  const oldRevision = revisionOf('/sdk/agora-rtc.iife.js');
  const server = await serve({ root, staticDirs: { '/test-pages/': PAGES } });
  try {
    const { context, page } = await open(server, '/demo/sample.html');
    expect(await init(page)).toBe('ok');
    await controlled(page);

    // Build B: the SDK bundle changes, so does its revision, so does the worker.
    const sdkFile = join(root, 'dist/sdk/agora-rtc.iife.js');
    writeFileSync(sdkFile, readFileSync(sdkFile, 'utf8') + '\n;window.agoraBuild = "B";\n');
    await writeServiceWorker(root);
    const newRevision = revisionOf('/sdk/agora-rtc.iife.js');
    expect(newRevision).toBeTruthy();
    expect(newRevision).not.toBe(oldRevision);

    // Until the new worker takes over, the old one serves build A from its cache.
    await page.reload();
    expect(await page.evaluate(() => (window as { agoraBuild?: string }).agoraBuild)).toBeUndefined();
    await page.evaluate(() => ((window as { before?: unknown }).before = navigator.serviceWorker.controller));
    expect(await init(page)).toBe('ok'); // same version: init goes on, the update runs behind it
    await until(
      () =>
        page.evaluate(() => navigator.serviceWorker.controller !== (window as { before?: unknown }).before),
      30_000,
      'the new worker to take over',
    );

    await page.reload();
    expect(await page.evaluate(() => (window as { agoraBuild?: string }).agoraBuild)).toBe('B');
    const keys = await page.evaluate(async () => {
      const out: string[] = [];
      for (const name of await caches.keys()) {
        for (const req of await (await caches.open(name)).keys()) out.push(req.url);
      }
      return out;
    });
    const sdkEntries = keys.filter((k) => k.includes('/sdk/agora-rtc.iife.js'));
    expect(sdkEntries).toEqual([`${server.url}/sdk/agora-rtc.iife.js?__WB_REVISION__=${newRevision}`]);

    // And build B is what the cache holds: it starts without the server too.
    const url = server.url;
    await server.close();
    await page.goto(`${url}/demo/sample.html`);
    expect(await page.evaluate(() => (window as { agoraBuild?: string }).agoraBuild)).toBe('B');
    await context.close();
  } finally {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test.runIf(PAIRINGS.some((p) => p !== 'chromium'))(
  'Firefox too: the worker installs and controls the page, and the sample client starts from its cache without the server',
  async () => {
    const server = await serve();
    const firefox = await launchFirefox();
    try {
      const context = await firefox.createBrowserContext();
      const page = await context.newPage();
      await page.goto(`${server.url}/demo/sample.html`);
      const first = await page.evaluate(async (appId: string) => {
        const { AgoraRTC } = window as unknown as { AgoraRTC: SDK };
        const client = AgoraRTC.createRtcClient();
        const warnings: string[] = [];
        client.on('warning', (e) => warnings.push(e.message));
        await client.init(appId);
        client.close();
        return { ok: AgoraRTC.checkSystemRequirements().ok, warnings };
      }, APP_ID);
      expect(first).toEqual({ ok: true, warnings: [] });
      const script = await until(
        () => page.evaluate(() => navigator.serviceWorker.controller?.scriptURL ?? ''),
        30_000,
        'the worker to control the page in Firefox',
      );
      expect(script).toBe(`${server.url}/agora-sw.js`);

      await server.close();
      await page.reload();
      expect(await page.title()).toBe('agora-rtc-web — sample web client');
      const offline = await page.evaluate(async (appId: string) => {
        const { AgoraRTC } = window as unknown as { AgoraRTC: SDK };
        return AgoraRTC.createRtcClient()
          .init(appId)
          .then(
            () => 'ok',
            (e: { code: number }) => e.code,
          );
      }, APP_ID);
      expect(offline).toBe(112);
    } finally {
      await firefox.close();
      await server.close();
    }
  },
);
