// The manual's API used as written, and used wrongly: every misuse answers with the manual's code.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { APP_ID, launchBrowser, openPage, serve, until, videoFrames } from './harness.js';
import type { RunningServer } from '../../server/app.js';

let server: RunningServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  server = await serve({ staticDirs: { '/test-pages/': 'test/e2e/pages' } });
  browser = await launchBrowser();
  page = await openPage(browser, `${server.url}/test-pages/blank.html`);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Run an SDK call in the page and report how it failed: the AgoraError code, or 'TypeError'. */
async function failure(script: string): Promise<{ code?: number; name: string; message: string } | 'ok'> {
  return page.evaluate(
    async ([script, appId]) => {
      try {
        await new Function('AgoraRTC', 'APP_ID', `return (async () => { ${script} })()`)(
          (window as unknown as { AgoraRTC: unknown }).AgoraRTC,
          appId,
        );
        return 'ok' as const;
      } catch (e) {
        const err = e as { code?: number; name: string; message: string };
        return { code: err.code, name: err.name, message: err.message };
      }
    },
    [script, APP_ID] as const,
  );
}

describe('bad input gets the manual error code and a message', () => {
  test.each([
    ['an App ID of the wrong length', `const c = AgoraRTC.createRtcClient(); await c.init('0123abcd');`, 101],
    ['a non-hex App ID', `const c = AgoraRTC.createRtcClient(); await c.init('z'.repeat(32));`, 101],
    ['join before init', `const c = AgoraRTC.createRtcClient(); await c.join(null, 'a', 0);`, 7],
    ['leave before init', `const c = AgoraRTC.createRtcClient(); await c.leave();`, 7],
    [
      'a 65-byte channel name',
      `const c = AgoraRTC.createRtcClient(); await c.init(APP_ID); await c.join(null, 'x'.repeat(65), 0);`,
      102,
    ],
    [
      'a channel name with a character outside the 89',
      `const c = AgoraRTC.createRtcClient(); await c.init(APP_ID); await c.join(null, 'room*1', 0);`,
      102,
    ],
    [
      'a channel name with a non-ASCII character',
      `const c = AgoraRTC.createRtcClient(); await c.init(APP_ID); await c.join(null, '房间', 0);`,
      102,
    ],
    [
      'an empty channel name',
      `const c = AgoraRTC.createRtcClient(); await c.init(APP_ID); await c.join(null, '', 0);`,
      102,
    ],
    ['uid −1', `const c = AgoraRTC.createRtcClient(); await c.init(APP_ID); await c.join(null, 'a', -1);`, 2],
    [
      'uid 2^32',
      `const c = AgoraRTC.createRtcClient(); await c.init(APP_ID); await c.join(null, 'a', 2 ** 32);`,
      2,
    ],
    [
      'uid 1.5',
      `const c = AgoraRTC.createRtcClient(); await c.init(APP_ID); await c.join(null, 'a', 1.5);`,
      2,
    ],
    [
      'join twice',
      `const c = AgoraRTC.createRtcClient(); await c.init(APP_ID); await c.join(null, 'twice', 0); await c.join(null, 'twice', 0);`,
      17,
    ],
    [
      'leave when not joined',
      `const c = AgoraRTC.createRtcClient(); await c.init(APP_ID); await c.leave();`,
      18,
    ],
    ['init after close', `const c = AgoraRTC.createRtcClient(); c.close(); await c.init(APP_ID);`, 7],
    [
      'join after close',
      `const c = AgoraRTC.createRtcClient(); await c.init(APP_ID); c.close(); await c.join(null, 'a', 0);`,
      7,
    ],
    [
      'publish before join',
      `const c = AgoraRTC.createRtcClient(); await c.init(APP_ID); const s = AgoraRTC.createStream({local: true, video: false}); await s.init(); await c.publish(s);`,
      3,
    ],
    [
      'a uid already in the channel',
      `const a = AgoraRTC.createRtcClient(); await a.init(APP_ID); await a.join(null, 'taken', 42); const b = AgoraRTC.createRtcClient(); await b.init(APP_ID); await b.join(null, 'taken', 42);`,
      17,
    ],
    ['an unknown video profile', `AgoraRTC.createStream({local: true}).setVideoProfile('999P');`, 2],
    [
      'play into a missing element',
      `const s = AgoraRTC.createStream({local: true, audio: false}); await s.init(); await s.play('no-such-element');`,
      8,
    ],
  ])('%s', async (_what, script, code) => {
    const got = await failure(script);
    expect(got).not.toBe('ok');
    if (got === 'ok') return;
    expect(got.code).toBe(code);
    expect(got.message.length).toBeGreaterThan(10);
  });

  test("the manual's 89 characters and 64 bytes are accepted", async () => {
    const name = 'aZ09 !#$%&()+,-:;<=.>?@[]^_`{}~'.padEnd(64, 'x');
    expect(
      await failure(
        `const c = AgoraRTC.createRtcClient(); await c.init(APP_ID); const uid = await c.join(null, ${JSON.stringify(name)}, 4294967295); if (uid !== 4294967295) throw new Error('uid ' + uid); await c.leave();`,
      ),
    ).toBe('ok');
  });

  test('a wrong argument type throws TypeError at once', async () => {
    expect(await failure(`const c = AgoraRTC.createRtcClient(); c.init(12345);`)).toMatchObject({
      name: 'TypeError',
    });
    expect(await failure(`AgoraRTC.createStream('local');`)).toMatchObject({ name: 'TypeError' });
    expect(await failure(`const c = AgoraRTC.createRtcClient(); c.join(null, 'a', '7');`)).toMatchObject({
      name: 'TypeError',
    });
  });

  test('callbacks instead of promises: onFailure gets the error, and no rejection goes unhandled', async () => {
    const got = await page.evaluate(async (appId) => {
      let unhandled = 0;
      addEventListener('unhandledrejection', () => unhandled++);
      const { AgoraRTC } = window as unknown as { AgoraRTC: typeof import('../../src/index.js').default };
      const c = AgoraRTC.createRtcClient();
      const code = await new Promise<number>((resolve) => {
        void c.init(
          appId,
          () =>
            void c.join(
              null,
              'bad*name',
              0,
              () => resolve(0),
              (e) => resolve(e.code),
            ),
          () => resolve(-1),
        );
      });
      // Only an onSuccess given: the failure is logged, not lost, and not an unhandled rejection either.
      void c.join(null, 'bad*name', 0, () => undefined);
      await new Promise((r) => setTimeout(r, 200));
      return { code, unhandled };
    }, APP_ID);
    expect(got).toEqual({ code: 102, unhandled: 0 });
  });

  test('the ES module and the classic script both find the signaling server at the origin they came from', async () => {
    // A string, so the test runner does not rewrite the page's dynamic import.
    const got = (await page.evaluate(`(async () => {
      const { default: esm } = await import(location.origin + '/sdk/agora-rtc.js');
      const c = esm.createRtcClient();
      await c.init('${APP_ID}');
      const uid = await c.join(null, 'esm default url', 0);
      c.close();
      return { uid, esm: c.signalingUrl, iife: window.AgoraRTC.createRtcClient().signalingUrl };
    })()`)) as { uid: number; esm: string; iife: string };
    const expected = `${server.url.replace('http', 'ws')}/agora-signal`;
    expect(got).toEqual({ uid: expect.any(Number), esm: expected, iife: expected });
  });

  test('error and warning tables and VERSION are exported', async () => {
    const got = await page.evaluate(() => {
      const A = (
        window as unknown as {
          AgoraRTC: {
            ErrorCode: Record<string, number>;
            WarningCode: Record<string, number>;
            VERSION: string;
          };
        }
      ).AgoraRTC;
      return { e: A.ErrorCode, w: A.WarningCode, v: A.VERSION };
    });
    expect(got.e.ERR_INVALID_CHANNEL_NAME).toBe(102);
    expect(got.e.ERR_ABORTED).toBe(20);
    expect(got.e.ERR_CONNECTION_LOST).toBe(112);
    expect(got.e.ERR_VDM_CAMERA_NOT_AUTHORIZED).toBe(1501);
    expect(Object.keys(got.e)).toHaveLength(46);
    expect(got.w.WARN_ADM_HOWLING).toBe(1051);
    // The manual's 12, and the service worker's (docs/browser-support.md).
    expect(got.w.WARN_SERVICE_WORKER_UNAVAILABLE).toBe(2001);
    expect(Object.keys(got.w)).toHaveLength(13);
    expect(got.v).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe("the manual's sample code", () => {
  test('runs unchanged on the classic-script global: two users see each other', async () => {
    const a = await openPage(browser, `${server.url}/test-pages/manual-sample.html?appId=${APP_ID}`);
    await until(
      () => a.evaluate(() => (window as unknown as { lines: string[] }).lines.includes('stream published')),
      15_000,
      'A published',
    );
    const b = await openPage(browser, `${server.url}/test-pages/manual-sample.html?appId=${APP_ID}`);
    await until(
      () =>
        b.evaluate(() =>
          (window as unknown as { lines: string[] }).lines.some((l) => l.startsWith('new stream subscribed')),
        ),
      15_000,
      'B subscribed',
    );
    await until(
      () =>
        a.evaluate(() =>
          (window as unknown as { lines: string[] }).lines.some((l) => l.startsWith('new stream subscribed')),
        ),
      15_000,
      'A subscribed',
    );
    for (const p of [a, b]) {
      const v = await videoFrames(p, '#remote video');
      expect(v.width).toBeGreaterThan(0);
      expect(v.frames).toBeGreaterThan(3);
    }
    const lines = await a.evaluate(() => (window as unknown as { lines: string[] }).lines);
    expect(lines.slice(0, 4)).toEqual([
      'client initialized',
      expect.stringMatching(/^client \d+ joined channel$/),
      'local stream initialized',
      'stream published',
    ]);
    await b.close();
    await until(
      () =>
        a.evaluate(() =>
          (window as unknown as { lines: string[] }).lines.some((l) => l.startsWith('remote user left')),
        ),
      10_000,
      'peer-leave after B closed its page',
    );
    await a.close();
  });
});
