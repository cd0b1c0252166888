// Warnings and connection states in real Chromium: a microphone that sends only silence raises
// WARN_ADM_RECORD_AUDIO_SILENCE (1019) while a sounding one does not; a join the server never answers raises
// WARN_LOOKUP_CHANNEL_TIMEOUT (104) before failing with ERR_TIMEDOUT; connection-state-change follows the link
// (RECONNECTING exactly when the error event says CONNECTION_INTERRUPTED).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { WebSocketServer, type WebSocket } from 'ws';
import { APP_ID, launchBrowser, openPage, until } from './harness.js';
import { browserSuite, outcome } from './setup.js';

/** 1 s of 16-bit mono PCM silence at 48 kHz: Chromium's fake microphone loops it. */
function silentWav(): Buffer {
  const rate = 48_000;
  const data = Buffer.alloc(rate * 2);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVE', 8);
  h.write('fmt ', 12);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

const dir = mkdtempSync(joinPath(tmpdir(), 'agora-silence-'));
const wav = joinPath(dir, 'silence.wav');
writeFileSync(wav, silentWav());

const suite = browserSuite();
let silentBrowser: Browser;

beforeAll(async () => {
  silentBrowser = await launchBrowser([`--use-file-for-fake-audio-capture=${wav}`]);
});
afterAll(async () => {
  await silentBrowser?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Ev {
  ev: string;
  code?: number;
  name?: string;
  cur?: string;
  prev?: string;
  reason?: string;
  t: number;
}

/** Record warning, connection-state-change and error events of window.T.client (or of `window.c`) in window.q. */
const QUALITY_EVENTS = `
  window.q = [];
  const record = (c) => {
    c.on('warning', (e) => window.q.push({ ev: 'warning', code: e.code, name: e.name, t: Date.now() }));
    c.on('connection-state-change', (e) =>
      window.q.push({ ev: 'state', cur: e.curState, prev: e.prevState, reason: e.reason, t: Date.now() }));
    c.on('error', (e) => window.q.push({ ev: 'error', reason: e.msg.reason, code: e.msg.code, t: Date.now() }));
  };
`;
const q = (p: Page) => p.evaluate(() => (window as unknown as { q: Ev[] }).q);

async function joinWithWarnings(p: Page, channel: string): Promise<void> {
  await p.evaluate(
    async ([appId, channel, script]) => {
      const w = window as unknown as {
        T: { join(a: string, c: string, u: number, o: object): Promise<number>; client: unknown };
        AgoraRTC: { createRtcClient: (...a: unknown[]) => unknown };
        __record: (c: unknown) => void;
      };
      new Function(`${script}; window.__record = record;`)();
      // T.join creates the client; wrap createRtcClient once so the listeners are on before init.
      const create = w.AgoraRTC.createRtcClient;
      w.AgoraRTC.createRtcClient = (...a: unknown[]) => {
        const c = create(...a);
        w.__record(c);
        w.AgoraRTC.createRtcClient = create;
        return c;
      };
      await w.T.join(appId, channel, 0, { profile: '120P' });
    },
    [APP_ID, channel, QUALITY_EVENTS] as const,
  );
}

describe('warnings', () => {
  test('a microphone sending only silence raises 1019; a sounding one does not', async () => {
    const silent = await openPage(silentBrowser, `${suite.server.url}/test-pages/call.html`);
    const loud = await suite.user();
    const channel = `silence ${Math.random()}`;
    await joinWithWarnings(silent, channel);
    await joinWithWarnings(loud, channel);
    const w = (await until(
      async () => (await q(silent)).find((e) => e.ev === 'warning' && e.code === 1019),
      30_000,
      'WARN_ADM_RECORD_AUDIO_SILENCE on the silent page',
    ))!;
    expect(w.name).toBe('WARN_ADM_RECORD_AUDIO_SILENCE');
    expect((await q(loud)).filter((e) => e.ev === 'warning')).toEqual([]);
    await Promise.all([silent.context().close(), loud.context().close()]);
  });

  test('a join the server does not answer raises 104, then fails with ERR_TIMEDOUT', async () => {
    // A server that accepts the App ID and then never answers a join.
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    const sockets = new Set<WebSocket>();
    wss.on('connection', (ws) => {
      sockets.add(ws);
      ws.on('message', (data) => {
        const m = JSON.parse(String(data)) as { t: string; id?: number };
        if (m.t === 'hello') ws.send(JSON.stringify({ t: 'ok', id: m.id }));
        if (m.t === 'ping') ws.send(JSON.stringify({ t: 'pong' }));
      });
    });
    await new Promise((r) => wss.once('listening', r));
    const url = `ws://127.0.0.1:${(wss.address() as { port: number }).port}/agora-signal`;
    const p = await suite.user();
    const result = await p.evaluate(
      async ([appId, url, script]) => {
        new Function(`${script}; window.__record = record;`)();
        const w = window as unknown as {
          AgoraRTC: {
            createRtcClient(o: object): {
              init(a: string): Promise<void>;
              join(k: null, c: string, u: number): Promise<number>;
            };
          };
          __record(c: unknown): void;
        };
        const c = w.AgoraRTC.createRtcClient({ signalingUrl: url });
        (window as unknown as { c: unknown }).c = c;
        w.__record(c);
        await c.init(appId);
        const started = Date.now();
        return c.join(null, 'stalled', 0).then(
          () => ({ code: 0, after: Date.now() - started }),
          (e: { code: number }) => ({ code: e.code, after: Date.now() - started }),
        );
      },
      [APP_ID, url, QUALITY_EVENTS] as const,
    );
    expect(result.code).toBe(10); // ERR_TIMEDOUT
    const evs = await q(p);
    const warning = evs.find((e) => e.ev === 'warning');
    expect(warning).toMatchObject({ code: 104, name: 'WARN_LOOKUP_CHANNEL_TIMEOUT' });

    // The link drops: RECONNECTING together with CONNECTION_INTERRUPTED; back to CONNECTED; close() ends it.
    for (const s of sockets) s.terminate();
    await until(
      async () => (await q(p)).filter((e) => e.ev === 'state' && e.cur === 'CONNECTED').length === 2,
      15_000,
      'the client to reconnect',
    );
    await p.evaluate(() => (window as unknown as { c: { close(): void } }).c.close());
    const all = await q(p);
    const states = all.filter((e) => e.ev === 'state');
    expect(states.map((e) => [e.prev, e.cur, e.reason])).toEqual([
      ['DISCONNECTED', 'CONNECTING', 'CONNECT'],
      ['CONNECTING', 'CONNECTED', 'CONNECT'],
      ['CONNECTED', 'RECONNECTING', 'INTERRUPTED'],
      ['RECONNECTING', 'CONNECTED', 'RECONNECTED'],
      ['CONNECTED', 'DISCONNECTING', 'CLOSE'],
      ['DISCONNECTING', 'DISCONNECTED', 'CLOSE'],
    ]);
    const interrupted = all.filter((e) => e.ev === 'error' && e.reason === 'CONNECTION_INTERRUPTED');
    expect(interrupted).toHaveLength(1);
    // The state change and the error event are the same moment: the one right before the other.
    const i = all.indexOf(interrupted[0]!);
    expect(all[i - 1]).toMatchObject({ ev: 'state', cur: 'RECONNECTING' });
    await p.context().close();
    await new Promise((r) => wss.close(r));
  });
});

describe('pre-call test', () => {
  interface Result {
    ok: boolean;
    problems: string[];
    summary: string;
    camera: { ok: boolean; widthPx: number } | null;
    microphone: { ok: boolean; peakLevel: number } | null;
    network: { ok: boolean; recvBitrateKbps: number; rttMs: number; packetLossPercent: number } | null;
  }
  const callTest = (p: Page) =>
    p.evaluate(
      (appId) =>
        (
          window as unknown as { AgoraRTC: { startCallTest(o: object): Promise<Result> } }
        ).AgoraRTC.startCallTest({ appId, durationMs: 3000 }),
      APP_ID,
    );

  test('startCallTest: camera, microphone and a call through the server all work', async () => {
    const p = await suite.user();
    const r = await callTest(p);
    if (!r.ok)
      console.log(
        (
          await p.evaluate(() =>
            (window as unknown as { AgoraRTC: { exportLog(): Promise<string> } }).AgoraRTC.exportLog(),
          )
        ).slice(-3000),
      );
    expect(r.problems, r.summary).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.summary).toBe('Camera, microphone and network work.');
    expect(r.camera).toMatchObject({ ok: true, widthPx: 640 });
    expect(r.microphone!.ok).toBe(true);
    expect(r.network!.ok).toBe(true);
    expect(r.network!.recvBitrateKbps).toBeGreaterThan(0);
    // Both ends are in one page: the round trip may well measure 0 ms.
    expect(r.network!.rttMs).toBeGreaterThanOrEqual(0);
    await p.context().close();
  });

  test('startCallTest says in words that a silent microphone is the problem', async () => {
    const p = await openPage(silentBrowser, `${suite.server.url}/test-pages/call.html`);
    const r = await callTest(p);
    if (r.problems.length !== 1)
      console.log(
        (
          await p.evaluate(() =>
            (window as unknown as { AgoraRTC: { exportLog(): Promise<string> } }).AgoraRTC.exportLog(),
          )
        ).slice(-3000),
      );
    expect(r.ok).toBe(false);
    expect(r.microphone!.ok).toBe(false);
    expect(r.problems, r.summary).toHaveLength(1);
    expect(r.summary).toMatch(/microphone gives only silence/);
    expect(r.camera!.ok).toBe(true);
    expect(r.network!.ok).toBe(true);
    expect(await outcome(p, 'await AgoraRTC.startCallTest({ appId: "nope" })')).toBe(101);
    expect(await outcome(p, 'await AgoraRTC.startCallTest()')).toBe('TypeError');
    await p.context().close();
  });
});
