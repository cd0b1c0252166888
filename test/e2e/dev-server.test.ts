// `npm run dev`: Vite's dev server from vite.config.ts, with the signaling server it starts beside itself. The
// demo at / runs the components from their TypeScript sources, and the SDK from source joins a channel through
// the proxied /agora-signal.
import type { Browser } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { APP_ID, launchBrowser, openPage, until } from './harness.js';

describe('npm run dev', () => {
  let vite: ViteDevServer;
  let browser: Browser;
  let url = '';

  beforeAll(async () => {
    vite = await createServer({
      configFile: 'vite.config.ts',
      logLevel: 'warn',
      server: { host: '127.0.0.1', port: 0 },
    });
    await vite.listen();
    url = vite.resolvedUrls!.local[0]!.replace(/\/$/, '');
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await vite?.close();
  });

  test('/ runs <agora-call> from the sources, and the SDK from source joins through the proxied signaling', async () => {
    const page = await openPage(browser, `${url}/`);
    try {
      await until(
        () => page.evaluate(() => !!customElements.get('agora-call')),
        60_000,
        '<agora-call> defined',
      );
      const scripts = await page.evaluate(() =>
        performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname),
      );
      expect(scripts).toContain('/src/components/agora-call.ts');
      expect(scripts.filter((p) => p.startsWith('/sdk/'))).toEqual([]);
      // A string: vitest would rewrite an import() written in the test's own code.
      const uid = await page.evaluate<number>(`(async () => {
        const { default: AgoraRTC } = await import('/src/index.ts');
        const client = AgoraRTC.createRtcClient({ serviceWorker: false });
        await client.init('${APP_ID}');
        const joined = await client.join(null, 'dev server', 0);
        await client.leave();
        return joined;
      })()`);
      expect(uid).toBeGreaterThan(0);
    } finally {
      await page.context().close();
    }
  });

  test('/demo/sample.html is served, with the classic-script bundle proxied to the built one', async () => {
    const page = await openPage(browser, `${url}/demo/sample.html`);
    try {
      await until(() => page.evaluate(() => typeof (window as { AgoraRTC?: unknown }).AgoraRTC === 'object'));
    } finally {
      await page.context().close();
    }
  });
});
