// The browser in the native agent's place: what init says when this browser cannot make calls, the fallback page
// it points to, and init going on (with a warning) when the service worker cannot be registered.
import { describe, expect, test } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { APP_ID, until } from './harness.js';
import { browserSuite } from './setup.js';

type SDK = typeof import('../../src/index.js').default;

const suite = browserSuite();

/** A page in a fresh context (its own service-worker registrations), optionally with a locale and init script. */
async function freshPage(
  opts: { locale?: string; before?: () => void; path?: string } = {},
): Promise<{ context: BrowserContext; page: Page; errors: string[]; sockets: string[] }> {
  const context = await suite.browser.newContext({
    permissions: ['camera', 'microphone'],
    ...(opts.locale ? { locale: opts.locale } : {}),
  });
  const page = await context.newPage();
  const errors: string[] = [];
  const sockets: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('websocket', (ws) => sockets.push(ws.url()));
  if (opts.before) await page.addInitScript(opts.before);
  await page.goto(`${suite.server.url}${opts.path ?? '/test-pages/blank.html'}`);
  return { context, page, errors, sockets };
}

/** init as the manual writes it (callbacks); what onFailure received, or 'ok'. */
function initOutcome(page: Page, options: object = {}) {
  return page.evaluate(
    ([appId, options]) =>
      new Promise<
        | 'ok'
        | {
            reason?: string;
            code: number;
            name: string;
            message: string;
            missing?: string[];
            agentInstallGuideUrl?: string;
          }
      >((resolve) => {
        const { AgoraRTC } = window as unknown as { AgoraRTC: SDK };
        const client = AgoraRTC.createRtcClient(options);
        client.init(
          appId,
          () => resolve('ok'),
          (err) => {
            const e = err as typeof err & {
              reason?: string;
              missing?: string[];
              agentInstallGuideUrl?: string;
            };
            resolve({
              reason: e.reason,
              code: e.code,
              name: e.name,
              message: e.message,
              missing: e.missing,
              agentInstallGuideUrl: e.agentInstallGuideUrl,
            });
          },
        );
      }),
    [APP_ID, options] as const,
  );
}

/** The fallback page's visible heading and list of missing features. */
async function fallbackText(page: Page): Promise<{ lang: string; heading: string; missing: string[] }> {
  return page.evaluate(() => {
    const visible = (el: Element) => (el as HTMLElement).offsetParent !== null;
    const heading = [...document.querySelectorAll('h1')].find(visible)?.textContent ?? '';
    const missing = [...document.querySelectorAll('ul.missing li')]
      .filter(visible)
      .map((li) => li.textContent ?? '');
    return { lang: document.documentElement.lang, heading, missing };
  });
}

describe('checkSystemRequirements', () => {
  test('Chromium has everything: ok, nothing missing, every feature listed', async () => {
    const { context, page } = await freshPage();
    const req = await page.evaluate(() =>
      (window as unknown as { AgoraRTC: SDK }).AgoraRTC.checkSystemRequirements(),
    );
    expect(req).toEqual({
      ok: true,
      missing: [],
      features: {
        secureContext: true,
        webSocket: true,
        peerConnection: true,
        getUserMedia: true,
        getDisplayMedia: true,
        encodedTransforms: true,
        webCrypto: true,
        indexedDB: true,
        mediaRecorder: true,
        serviceWorker: true,
      },
    });
    await context.close();
  });
});

describe('a browser without what calls need', () => {
  const noWebRTC = () => {
    const w = window as unknown as Record<string, unknown>;
    delete w.RTCPeerConnection;
    delete w.webkitRTCPeerConnection;
  };

  test('RTCPeerConnection removed before the SDK loads → init fails with CLOSE_BEFORE_OPEN, the missing list and the fallback URL, and opens no socket', async () => {
    const { context, page, sockets } = await freshPage({ before: noWebRTC });
    const req = await page.evaluate(() =>
      (window as unknown as { AgoraRTC: SDK }).AgoraRTC.checkSystemRequirements(),
    );
    expect(req.ok).toBe(false);
    expect(req.missing).toEqual(['peerConnection']);
    expect(req.features.peerConnection).toBe(false);

    const err = await initOutcome(page);
    expect(err).toMatchObject({
      reason: 'CLOSE_BEFORE_OPEN',
      code: 4,
      name: 'ERR_NOT_SUPPORTED',
      missing: ['peerConnection'],
      agentInstallGuideUrl: `${suite.server.url}/agora-fallback.html?missing=peerConnection`,
    });
    expect(sockets).toEqual([]);
    // Nor was a service worker registered: the browser was turned away before anything else.
    expect(await page.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).length)).toBe(
      0,
    );
    await context.close();
  });

  test('the fallback page lists the missing feature in English or Chinese by the browser language, without script errors', async () => {
    const url = '/agora-fallback.html?missing=peerConnection';
    const en = await freshPage({ locale: 'en-US', path: url });
    expect(await fallbackText(en.page)).toEqual({
      lang: 'en',
      heading: 'This browser cannot make calls',
      missing: ['WebRTC (RTCPeerConnection)'],
    });
    expect(en.errors).toEqual([]);
    await en.context.close();

    const zh = await freshPage({ locale: 'zh-CN', path: url });
    expect(await fallbackText(zh.page)).toEqual({
      lang: 'zh-CN',
      heading: '此浏览器无法进行音视频通话',
      missing: ['WebRTC（RTCPeerConnection）'],
    });
    expect(zh.errors).toEqual([]);
    await zh.context.close();
  });

  test('the sample client, joining in such a browser, logs the failure with a link to the fallback page', async () => {
    const { context, page } = await freshPage({ before: noWebRTC, path: '/demo/sample.html' });
    await page.fill('#appId', APP_ID);
    await page.click('#join');
    const entry = page.locator('#log li.err').first();
    await entry.waitFor();
    expect(await entry.textContent()).toContain('init failed: ERR_NOT_SUPPORTED (4)');
    await entry.locator('a').click();
    await page.waitForURL('**/agora-fallback.html?missing=peerConnection');
    expect((await fallbackText(page)).missing).toEqual(['WebRTC (RTCPeerConnection)']);
    await context.close();
  });

  test('opened without a query, the fallback page finds what this browser lacks by itself', async () => {
    const bare = await freshPage({ locale: 'en-GB', path: '/agora-fallback.html', before: noWebRTC });
    expect((await fallbackText(bare.page)).missing).toEqual(['WebRTC (RTCPeerConnection)']);
    expect(bare.errors).toEqual([]);
    await bare.context.close();
  });
});

describe('the service worker is optional for calls', () => {
  /** init with `options`, collecting the warning events it raised. */
  function initWithWarnings(page: Page, options: object) {
    return page.evaluate(
      async ([appId, options]) => {
        const { AgoraRTC } = window as unknown as { AgoraRTC: SDK };
        const client = AgoraRTC.createRtcClient(options);
        const warnings: Array<{ code: number; name: string; message: string }> = [];
        client.on('warning', ({ code, name, message }) => warnings.push({ code, name, message }));
        await client.init(appId);
        const registrations = (await navigator.serviceWorker.getRegistrations()).length;
        client.close();
        return { warnings, registrations };
      },
      [APP_ID, options] as const,
    );
  }

  test('worker file missing (404) → init succeeds and raises a warning naming the file', async () => {
    const { context, page } = await freshPage();
    const got = await initWithWarnings(page, { serviceWorker: '/no-such-agora-sw.js' });
    expect(got.registrations).toBe(0);
    expect(got.warnings).toHaveLength(1);
    expect(got.warnings[0]).toMatchObject({ code: 2001, name: 'WARN_SERVICE_WORKER_UNAVAILABLE' });
    expect(got.warnings[0]!.message).toContain(`${suite.server.url}/no-such-agora-sw.js`);
    await context.close();
  });

  test('serviceWorker: false → init succeeds, registers nothing, warns of nothing', async () => {
    const { context, page } = await freshPage();
    expect(await initWithWarnings(page, { serviceWorker: false })).toEqual({
      warnings: [],
      registrations: 0,
    });
    await context.close();
  });

  test('a page on another origin than the SDK → init succeeds with a warning, no worker registered', async () => {
    // The same server under another name: the page is on localhost, the SDK (and its worker) on 127.0.0.1.
    const { context, page } = await freshPage();
    const other = suite.server.url.replace('127.0.0.1', 'localhost');
    await page.goto(`${other}/test-pages/blank.html`);
    await page.addScriptTag({ url: `${suite.server.url}/sdk/agora-rtc.iife.js` });
    const got = await initWithWarnings(page, {});
    expect(got.registrations).toBe(0);
    expect(got.warnings.map((w) => w.name)).toEqual(['WARN_SERVICE_WORKER_UNAVAILABLE']);
    expect(got.warnings[0]!.message).toContain('another origin');
    await context.close();
  });

  test('by default the SDK registers /agora-sw.js, which takes control of the page', async () => {
    const { context, page } = await freshPage();
    expect(await initWithWarnings(page, {})).toEqual({ warnings: [], registrations: 1 });
    const script = await until(
      () => page.evaluate(() => navigator.serviceWorker.controller?.scriptURL),
      30_000,
      'the worker to control the page',
    );
    expect(script).toBe(`${suite.server.url}/agora-sw.js`);
    await context.close();
  });

  test('createRtcClient refuses a serviceWorker option that is neither a URL nor false', async () => {
    const { context, page } = await freshPage();
    const thrown = await page.evaluate(() => {
      const { AgoraRTC } = window as unknown as { AgoraRTC: SDK };
      return [true, 42, '', 'http://['].map((serviceWorker) => {
        try {
          AgoraRTC.createRtcClient({ serviceWorker } as unknown as object);
          return 'ok';
        } catch (e) {
          return (e as Error).name;
        }
      });
    });
    expect(thrown).toEqual(['TypeError', 'TypeError', 'TypeError', 'TypeError']);
    await context.close();
  });
});
