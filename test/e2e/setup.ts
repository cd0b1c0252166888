// What a browser test file declares once: our server and one Chromium for all its tests, and `user()` to open
// the call page as one more user.
import { afterAll, beforeAll } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { RunningServer, ServerOptions } from '../../server/app.js';
import { launchBrowser, openPage, serve } from './harness.js';

export interface BrowserSuite {
  server: RunningServer;
  browser: Browser;
  /** A new user: test/e2e/pages/call.html (window.T) in its own browser context. */
  user(): Promise<Page>;
}

export function browserSuite(browserArgs: string[] = [], serverOptions: ServerOptions = {}): BrowserSuite {
  const suite = {
    user: () => openPage(suite.browser, `${suite.server.url}/test-pages/call.html`),
  } as BrowserSuite;
  beforeAll(async () => {
    suite.server = await serve({
      ...serverOptions,
      staticDirs: { '/test-pages/': 'test/e2e/pages', ...serverOptions.staticDirs },
    });
    suite.browser = await launchBrowser(browserArgs);
  });
  afterAll(async () => {
    await suite.browser?.close();
    await suite.server?.close();
  });
  return suite;
}

/** How an SDK call made by `script` in the page ended: 'ok', 'TypeError', or the AgoraError's code. */
export function outcome(page: Page, script: string): Promise<'ok' | 'TypeError' | number> {
  return page.evaluate(async (script) => {
    try {
      await (new Function(`return (async () => { ${script} })()`) as () => Promise<void>)();
      return 'ok' as const;
    } catch (e) {
      return e instanceof TypeError ? ('TypeError' as const) : (e as { code: number }).code;
    }
  }, script);
}
