// Ratings, complaints and the log in real Chromium: rate/complain land in the server's JSON-lines store with the
// call's identifiers and last stats, listed only for the operator's token; the exported log survives a reload and
// holds neither the Channel Key nor the encryption secret the test set; level NONE prints nothing.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { configureApps } from '../../server/demo-keys.js';
import { APP_ID, until } from './harness.js';
import { browserSuite, outcome } from './setup.js';

const dir = mkdtempSync(joinPath(tmpdir(), 'agora-feedback-'));
const store = joinPath(dir, 'feedback.jsonl');
const TOKEN = `operator-${Math.random().toString(36).slice(2)}`;
const apps = configureApps({ AGORA_DEMO_KEYS: '1' }, null);
const suite = browserSuite([], {
  policy: apps.policy,
  routes: apps.routes,
  feedback: { path: store },
  feedbackToken: TOKEN,
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface KeyReply {
  appId: string;
  key: string;
}

async function keyedJoin(p: Page, channel: string, secret: string): Promise<{ uid: number; key: string }> {
  return p.evaluate(
    async ([channel, secret]) => {
      const r = await fetch('/api/channel-key', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ channel, uid: 0, lifetime: 600 }),
      });
      const { appId, key } = (await r.json()) as KeyReply;
      const T = (
        window as unknown as { T: { join(a: string, c: string, u: number, o: object): Promise<number> } }
      ).T;
      const uid = await T.join(appId, channel, 0, { key, secret, profile: '120P' });
      return { uid, key };
    },
    [channel, secret] as const,
  );
}

const exportLog = (p: Page) =>
  p.evaluate(() =>
    (window as unknown as { AgoraRTC: { exportLog(): Promise<string> } }).AgoraRTC.exportLog(),
  );

async function listFeedback(token?: string) {
  const r = await fetch(`${suite.server.url}/api/feedback`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return {
    status: r.status,
    body: r.status === 200 ? ((await r.json()) as { entries: Record<string, unknown>[] }) : null,
  };
}

describe('ratings, complaints and the log', () => {
  test('rate and complain land in the store with the call and its stats; the log keeps no secret', async () => {
    const secret = `enc-secret-${Math.random().toString(36).slice(2)}`;
    const a = await suite.user();
    const b = await suite.user();
    const channel = `feedback ${Math.random().toString(36).slice(2)}`;
    const { uid, key } = await keyedJoin(a, channel, secret);
    await keyedJoin(b, channel, secret);
    await until(
      () =>
        a.evaluate(() =>
          (window as unknown as { T: { has(e: string): boolean } }).T.has('stream-subscribed'),
        ),
      20_000,
      'the call to be up',
    );
    // Wait for media both ways so the stats sent along are those of a real call.
    await until(
      () =>
        a.evaluate(async () => {
          const c = (
            window as unknown as {
              T: { client: { getStats(): Promise<{ remotes: { recvBitrateKbps: number }[] }> } };
            }
          ).T.client;
          return ((await c.getStats()).remotes[0]?.recvBitrateKbps ?? 0) > 0;
        }),
      20_000,
      'media flowing',
    );
    const callId = await a.evaluate(() =>
      (window as unknown as { T: { client: { getCallId(): string } } }).T.client.getCallId(),
    );
    expect(callId).toMatch(/^[0-9a-f-]{36}$/);

    // Wrong types throw; bad values fail with ERR_INVALID_ARGUMENT (2).
    expect(await outcome(a, 'await T.client.rate(123, 4)')).toBe('TypeError');
    expect(await outcome(a, `await T.client.rate('${callId}', 9, 'x')`)).toBe(2);
    expect(await outcome(a, "await T.client.rate('not-this-call', 3, 'x')")).toBe(2);
    expect(await outcome(a, `await T.client.complain('${callId}')`)).toBe('TypeError');

    expect(await outcome(a, `await T.client.rate('${callId}', 4, 'fine call')`)).toBe('ok');
    // After leave the call can still be rated or complained about.
    expect(await outcome(a, 'await T.client.leave()')).toBe('ok');
    expect(await outcome(a, `await T.client.complain('${callId}', 'echo at the start')`)).toBe('ok');

    expect((await listFeedback()).status).toBe(401);
    expect((await listFeedback('wrong')).status).toBe(401);
    const { status, body } = await listFeedback(TOKEN);
    expect(status).toBe(200);
    const mine = body!.entries.filter((e) => e.callId === callId);
    const rating = mine.find((e) => e.kind === 'rating')!;
    const complaint = mine.find((e) => e.kind === 'complaint')!;
    expect(rating).toMatchObject({ score: 4, description: 'fine call', channel, uid });
    expect(complaint).toMatchObject({ description: 'echo at the start', channel, uid });
    const stats = rating.stats as {
      local: { sendBitrateKbps: number };
      remotes: { recvBitrateKbps: number }[];
    };
    expect(stats.remotes[0]!.recvBitrateKbps).toBeGreaterThan(0);
    expect(typeof complaint.log).toBe('string');
    expect(complaint.log).toContain('joined');

    // Nothing secret in the store, the complaint's log, or the page's exported log, also after a reload.
    const onDisk = readFileSync(store, 'utf8');
    for (const text of [onDisk, await exportLog(a)]) {
      expect(text).toContain('joined');
      expect(text).not.toContain(key);
      expect(text).not.toContain(secret);
    }
    await a.reload();
    const afterReload = await exportLog(a);
    expect(afterReload).toContain(`joined {"channel":${JSON.stringify(channel)}`);
    expect(afterReload).not.toContain(key);
    expect(afterReload).not.toContain(secret);
    await Promise.all([a.context().close(), b.context().close()]);
  });

  test('level NONE prints nothing; ERROR prints the same failure', async () => {
    const p = await suite.user();
    const lines: string[] = [];
    p.on('console', (m) => {
      if (m.text().includes('[agora-rtc]')) lines.push(m.text());
    });
    expect(await outcome(p, 'AgoraRTC.setLogLevel(3)')).toBe('TypeError');
    expect(await outcome(p, "AgoraRTC.setLogLevel('LOUD')")).toBe(2);
    // A failure no callback asked for, and a listener that throws: both are logged at ERROR.
    const noisy = `
      const c = AgoraRTC.createRtcClient();
      c.on('connection-state-change', () => { throw new Error('listener bug'); });
      await c.init('${APP_ID}');
      c.join(null, 'no/slash', 0, () => {});
      await new Promise((r) => setTimeout(r, 300));
      c.close();`;
    expect(await outcome(p, `AgoraRTC.setLogLevel('NONE'); ${noisy}`)).toBe('ok');
    expect(lines).toEqual([]);
    expect(await outcome(p, `AgoraRTC.setLogLevel('ERROR'); ${noisy}`)).toBe('ok');
    expect(lines.some((l) => l.includes('ERR_INVALID_CHANNEL_NAME'))).toBe(true);
    expect(lines.some((l) => l.includes('listener bug'))).toBe(true);
    await p.context().close();
  });
});
