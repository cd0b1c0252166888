// What a browser test file declares once: our server and one Chromium for all its tests, and `user()` to open
// the call page as one more user. `crossBrowserSuite(pairing)` is the same in Chromium, Firefox or both in turn,
// so a test written once runs in each (wrap it in `describe.each(PAIRINGS)`).
import { afterAll, beforeAll } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { Browser as FirefoxBrowser } from 'puppeteer-core';
import type { RunningServer, ServerOptions } from '../../server/app.js';
import {
  ServerProcess,
  freePort,
  launchBrowser,
  launchFirefox,
  openPage,
  openUser,
  run,
  serve,
  type BrowserName,
  type Evaluator,
  type Pairing,
  type UserPage,
} from './harness.js';

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

export interface CrossBrowserSuite {
  server: RunningServer;
  /**
   * A new user: test/e2e/pages/call.html (window.T), or another page of test/e2e/pages, in its own browser context,
   * in the suite's browser (in a 'mixed' suite, Firefox first, then Chromium, in turn).
   */
  user(page?: string): Promise<UserPage>;
}

export interface CrossBrowserOptions {
  /** Extra Chromium flags (Firefox is configured by prefs in launchFirefox). */
  chromiumArgs?: string[];
  server?: ServerOptions;
  /** An X display for Firefox, which captures a screen only with a window (see test/e2e/xvfb.ts). */
  firefoxDisplay?: () => string;
  /** More Firefox prefs for this suite (over launchFirefox's). */
  firefoxPrefs?: Record<string, unknown>;
}

export function crossBrowserSuite(pairing: Pairing, opts: CrossBrowserOptions = {}): CrossBrowserSuite {
  let server: RunningServer | undefined;
  const browsers: { chromium?: Promise<Browser>; firefox?: Promise<FirefoxBrowser> } = {};
  let n = 0;
  /** Users open one at a time: Firefox over BiDi stalls when several contexts are made at once. */
  let queue: Promise<unknown> = Promise.resolve();
  const launch = (name: BrowserName) =>
    name === 'chromium'
      ? (browsers.chromium ??= launchBrowser(opts.chromiumArgs))
      : (browsers.firefox ??= launchFirefox(opts.firefoxDisplay?.(), { prefs: opts.firefoxPrefs }));
  const suite: CrossBrowserSuite = {
    get server() {
      return server!;
    },
    user(page = 'call.html') {
      const name: BrowserName = pairing === 'mixed' ? (n++ % 2 === 0 ? 'firefox' : 'chromium') : pairing;
      const next = queue.then(async () => openUser(await launch(name), `${server!.url}/test-pages/${page}`));
      queue = next.catch(() => undefined);
      return next;
    },
  };
  beforeAll(async () => {
    server = await serve({
      ...opts.server,
      staticDirs: { '/test-pages/': 'test/e2e/pages', ...opts.server?.staticDirs },
    });
  });
  afterAll(async () => {
    await Promise.all(Object.values(browsers).map(async (b) => (await b).close()));
    await server?.close();
  });
  return suite;
}

/** How an SDK call made by `script` in the page ended: 'ok', 'TypeError', or the AgoraError's code. */
export function outcome(page: Evaluator, script: string): Promise<'ok' | 'TypeError' | number> {
  return run(
    page,
    async (script) => {
      try {
        await (new Function(`return (async () => { ${script} })()`) as () => Promise<void>)();
        return 'ok' as const;
      } catch (e) {
        return e instanceof TypeError ? ('TypeError' as const) : (e as { code: number }).code;
      }
    },
    script,
  );
}

export interface OutageSuite {
  /** Serves the test pages (and the SDK); stays up. */
  pages: RunningServer;
  /** The signaling server in a process of its own, for the test to kill and start again. */
  signaling: ServerProcess;
  browser: Browser;
}

/**
 * For tests of a signaling outage: the pages come from a server that stays up, signaling from one the test kills
 * and restarts (pages join with `signalingUrl` pointing at it), and one Chromium. `env`: the signaling process's
 * environment (read in beforeAll, e.g. SFU_URLS of a Janus started before).
 */
export function outageSuite(env: () => Record<string, string> = () => ({})): OutageSuite {
  const suite = {} as OutageSuite;
  nodesSuite(1, env, ([signaling], pages, browser) => Object.assign(suite, { signaling, pages, browser }));
  return suite;
}

export interface TwoNodeSuite {
  /** Serves the test pages (and the SDK); not a signaling node. */
  pages: RunningServer;
  /** Two signaling servers, each in a process of its own. */
  node1: ServerProcess;
  node2: ServerProcess;
  browser: Browser;
}

/**
 * For tests across two signaling nodes (cluster, drain, SFU rooms): pages from a server of their own, two node
 * processes with `env` (read in beforeAll, e.g. REDIS_URL of a Redis the file started before), one Chromium.
 */
export function twoNodeSuite(env: () => Record<string, string> = () => ({})): TwoNodeSuite {
  const suite = {} as TwoNodeSuite;
  nodesSuite(2, env, ([node1, node2], pages, browser) =>
    Object.assign(suite, { node1, node2, pages, browser }),
  );
  return suite;
}

/** Starts the pages server, `count` signaling processes and Chromium before the file's tests; stops them after. */
function nodesSuite(
  count: number,
  env: () => Record<string, string>,
  started: (nodes: ServerProcess[], pages: RunningServer, browser: Browser) => void,
): void {
  const nodes: ServerProcess[] = [];
  let pages: RunningServer | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    pages = await serve({ staticDirs: { '/test-pages/': 'test/e2e/pages' } });
    for (let i = 0; i < count; i++) nodes.push(new ServerProcess(await freePort(), env()));
    await Promise.all(nodes.map((n) => n.start()));
    browser = await launchBrowser();
    started(nodes, pages, browser);
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all(nodes.map((n) => n.kill()));
    await pages?.close();
  });
}
