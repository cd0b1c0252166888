// Channel Keys in real browsers against the server as `npm start` runs it (demo keys on): pages get their keys
// from POST /api/channel-key, join the keyed demo app, lose their stay at the key's service expiry unless they
// renew, and keep media flowing when they do.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser } from 'playwright-core';
import {
  PAIRINGS,
  launchBrowser,
  openPage,
  run,
  serve,
  until,
  videoFrames,
  type Evaluator,
} from './harness.js';
import { crossBrowserSuite } from './setup.js';
import type { RunningServer } from '../../server/app.js';
import { DEMO_APP_ID } from '../../server/app.js';
import { configureApps, DEMO_KEYED_APP_ID } from '../../server/demo-keys.js';

let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  const apps = configureApps({ AGORA_DEMO_KEYS: '1' }, null);
  server = await serve({
    staticDirs: { '/test-pages/': 'test/e2e/pages' },
    policy: apps.policy,
    routes: apps.routes,
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

interface Ev {
  ev: string;
  uid?: number;
  reason?: string;
  code?: number;
  name?: string;
  expiresAt?: number;
  t: number;
}
interface KeyReply {
  appId: string;
  key: string | null;
  expiresAt: number;
}

const events = (p: Evaluator) => run(p, () => (window as unknown as { events: Ev[] }).events, undefined);
const has = async (p: Evaluator, pred: (e: Ev) => boolean) => (await events(p)).find(pred);
/** The first event matching `pred`, waiting up to `ms` for it. */
const waitFor = async (p: Evaluator, pred: (e: Ev) => boolean, ms: number, what: string): Promise<Ev> =>
  (await until(() => has(p, pred), ms, what))!;

/** The page asks the demo endpoint for a key, as an app would. */
function fetchKey(p: Evaluator, body: { channel: string; uid: number; lifetime?: number; appId?: string }) {
  return run(
    p,
    async (body) => {
      const r = await fetch('/api/channel-key', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!r.ok) throw new Error(`channel-key ${r.status}: ${await r.text()}`);
      return (await r.json()) as KeyReply;
    },
    body,
  );
}

/**
 * Joins with the manual's callbacks on call.html's client helpers; init's onFailure (which also hears the
 * service expiry) is recorded as `init-failure`, and channel-key-will-expire with its expiresAt.
 */
function join(p: Evaluator, channel: string, key: string | null, publish: boolean): Promise<number> {
  return run(
    p,
    async ({ appId, channel, key, publish }) => {
      type Client = {
        on(ev: string, fn: (e: Record<string, unknown>) => void): void;
        init(appId: string, ok: () => void, fail: (err: { code: number; name: string }) => void): void;
        join(key: string | null, channel: string, uid: number): Promise<number>;
        subscribe(stream: unknown): Promise<void>;
      };
      type Stream = { getId(): number };
      const w = window as unknown as {
        AgoraRTC: { createRtcClient(): Client };
        events: Array<Record<string, unknown>>;
        T: {
          client: Client;
          record(c: Client): void;
          show(s: Stream): void;
          publish(uid: number, o: object): Promise<void>;
        };
      };
      const c = (w.T.client = w.AgoraRTC.createRtcClient());
      w.T.record(c);
      c.on('stream-added', (e) => void c.subscribe(e.stream));
      c.on('stream-subscribed', (e) => w.T.show(e.stream as Stream));
      c.on('peer-leave', (e) => document.getElementById(`remote-${String(e.uid)}`)?.remove());
      c.on('channel-key-will-expire', (e) =>
        w.events.push({ ev: 'will-expire', expiresAt: e.expiresAt, t: Date.now() }),
      );
      await new Promise<void>((resolve, reject) =>
        c.init(appId, resolve, (err) => {
          w.events.push({ ev: 'init-failure', code: err.code, name: err.name, t: Date.now() });
          reject(new Error(err.name));
        }),
      );
      const uid = await c.join(key, channel, 0);
      if (publish) await w.T.publish(uid, { profile: '120P' });
      return uid;
    },
    { appId: DEMO_KEYED_APP_ID, channel, key, publish },
  );
}

/** renewChannelKey with the manual's callbacks: `{ok: true}` or the error's code and name. */
function renew(p: Evaluator, key: string): Promise<{ ok?: true; code?: number; name?: string }> {
  return run(
    p,
    (key: string) =>
      new Promise<{ ok?: true; code?: number; name?: string }>((resolve) =>
        (
          window as unknown as {
            T: {
              client: {
                renewChannelKey(
                  k: string,
                  ok: () => void,
                  fail: (e: { code: number; name: string }) => void,
                ): void;
              };
            };
          }
        ).T.client.renewChannelKey(
          key,
          () => resolve({ ok: true }),
          (e) => resolve({ code: e.code, name: e.name }),
        ),
      ),
    key,
  );
}

describe.each(PAIRINGS)('Channel Keys in the browser (%s)', (pairing) => {
  const apps = configureApps({ AGORA_DEMO_KEYS: '1' }, null);
  const { user } = crossBrowserSuite(pairing, { server: { policy: apps.policy, routes: apps.routes } });

  test('keys from the demo endpoint join the keyed app; a renewal before expiry keeps the call and its frames; a bad renewal is 110 and changes nothing', async () => {
    const a = await user();
    const b = await user();
    const keyB = await fetchKey(b, { channel: 'keyed call', uid: 0, lifetime: 600 });
    expect(keyB.appId).toBe(DEMO_KEYED_APP_ID);
    await join(b, 'keyed call', keyB.key, false);
    // A's first key ends its stay in 20 s (time enough for the renewals below on a slow machine).
    const first = await fetchKey(a, { channel: 'keyed call', uid: 0, lifetime: 20 });
    const uidA = await join(a, 'keyed call', first.key, true);
    const joinedAt = Date.now();

    const before = await videoFrames(b, `#remote-${uidA} video`, 1000);
    expect(before.width).toBeGreaterThan(0);
    expect(before.frames).toBeGreaterThan(3);
    // Less than 30 s away: the warning comes at once, with the key's service expiry.
    const warned = await waitFor(a, (e) => e.ev === 'will-expire', 5000, 'channel-key-will-expire');
    expect(warned.expiresAt).toBe(first.expiresAt);

    // A key for another channel (well formed, wrong signature for this stay) and garbage: 110, stay unchanged.
    const wrong = await fetchKey(a, { channel: 'another call', uid: 0, lifetime: 600 });
    expect(await renew(a, wrong.key!)).toEqual({ code: 110, name: 'ERR_INVALID_CHANNEL_KEY' });
    expect(await renew(a, 'not a key')).toEqual({ code: 110, name: 'ERR_INVALID_CHANNEL_KEY' });

    const fresh = await fetchKey(a, { channel: 'keyed call', uid: uidA, lifetime: 600 });
    expect(await renew(a, fresh.key!)).toEqual({ ok: true });
    const renewedAt = Date.now() - joinedAt;

    // Past the first key's expiry: still in the call, frames still decoding on B, nobody left.
    const wait = first.expiresAt * 1000 + 1500 - Date.now();
    await new Promise((r) => setTimeout(r, Math.max(0, wait)));
    const after = await videoFrames(b, `#remote-${uidA} video`, 1500);
    expect(after.frames).toBeGreaterThan(5);
    expect(after.advanced).toBe(true);
    expect(await has(b, (e) => e.ev === 'peer-leave')).toBeUndefined();
    expect(await has(a, (e) => e.ev === 'error' || e.ev === 'init-failure')).toBeUndefined();
    console.log(
      `[keys] renewed ${renewedAt} ms after join; ${after.frames} frames in 1.5 s on B after the first key's expiry`,
    );
    await Promise.all([a.close(), b.close()]);
  });

  test('expiry without renewal: channel-key-will-expire, then error ERR_CHANNEL_KEY_EXPIRED 109 and init onFailure 109; the other user gets peer-leave', async () => {
    const a = await user();
    const b = await user();
    const keyB = await fetchKey(b, { channel: 'expiring call', uid: 0, lifetime: 600 });
    await join(b, 'expiring call', keyB.key, false);
    const short = await fetchKey(a, { channel: 'expiring call', uid: 0, lifetime: 4 });
    const uidA = await join(a, 'expiring call', short.key, true);

    const warned = await waitFor(a, (e) => e.ev === 'will-expire', 4000, 'channel-key-will-expire');
    expect(warned.expiresAt).toBe(short.expiresAt);
    expect(await has(a, (e) => e.ev === 'channel-key-will-expire')).toBeTruthy();
    // A refused renewal neither ends the stay early nor extends it.
    expect(await renew(a, 'not a key')).toEqual({ code: 110, name: 'ERR_INVALID_CHANNEL_KEY' });
    expect(await has(b, (e) => e.ev === 'peer-leave')).toBeUndefined();

    const error = await waitFor(
      a,
      (e) => e.ev === 'error' && e.reason === 'ERR_CHANNEL_KEY_EXPIRED',
      8000,
      'error ERR_CHANNEL_KEY_EXPIRED',
    );
    expect(error.code).toBe(109);
    expect(error.t).toBeGreaterThanOrEqual(short.expiresAt * 1000 - 100);
    expect(error.t).toBeLessThan(short.expiresAt * 1000 + 2000);
    const failure = await waitFor(a, (e) => e.ev === 'init-failure', 2000, 'init onFailure');
    expect(failure).toMatchObject({ code: 109, name: 'ERR_CHANNEL_KEY_EXPIRED' });
    const left = await waitFor(b, (e) => e.ev === 'peer-leave' && e.uid === uidA, 5000, 'peer-leave on B');
    expect(left.t).toBeGreaterThanOrEqual(short.expiresAt * 1000 - 100);
    // Out of the channel: a renewal now has no stay to extend.
    const fresh = await fetchKey(a, { channel: 'expiring call', uid: uidA, lifetime: 600 });
    expect((await renew(a, fresh.key!)).ok).toBeUndefined();
    await Promise.all([a.close(), b.close()]);
  });
});

describe('Channel Keys in the sample client', () => {
  test('the sample client gets its key from the endpoint for the keyed app, and joins a static app with null', async () => {
    for (const appId of [DEMO_KEYED_APP_ID, DEMO_APP_ID]) {
      const p = await openPage(
        browser,
        `${server.url}/demo/sample.html?appId=${appId}&channel=sample%20keys`,
      );
      await p.click('#join');
      const log = () => p.locator('#log').innerText();
      await until(
        async () => /joined channel "sample keys"/.test(await log()),
        10_000,
        `sample joined ${appId}`,
      );
      expect(await log()).not.toMatch(/failed/);
      await p.close();
    }
  });
});
