// Quality pieces that need no browser: the score scale and its smoothing, stats normalisation from two samples,
// log redaction, and the feedback store (validation, rotation, the operator endpoint, the signaling message).
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { FeedbackStore, parseFeedback, type FeedbackRecord } from '../../server/feedback.js';
import { startServer } from '../../server/app.js';
import { exportLog, log, redact, registerSecret, setLogLevel } from '../../src/quality/log.js';
import { score, ScoreSmoother, THRESHOLDS } from '../../src/quality/network.js';
import { linkNumbers } from '../../src/quality/stats.js';
import { SignalClient } from './signal-client.js';

const APP = '0123456789abcdef0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'agora-quality-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('network-quality scale', () => {
  test('each metric maps to 1..5 by the documented bounds; the worst metric wins', () => {
    expect(score({ lossPercent: 0, rttMs: 20, jitterMs: 5 })).toBe(1);
    expect(score({ lossPercent: THRESHOLDS.lossPercent[0] })).toBe(2);
    expect(score({ rttMs: 399 })).toBe(3);
    expect(score({ jitterMs: 150 })).toBe(4);
    expect(score({ lossPercent: 40, rttMs: 10 })).toBe(5);
    expect(score({ lossPercent: 0, rttMs: 900 })).toBe(5);
    expect(score({})).toBe(0);
  });

  test('one bad round does not flip a score, two do; down is reported at once', () => {
    const s = new ScoreSmoother();
    const q = (up: 0 | 1 | 2 | 3 | 4 | 5 | 6) =>
      s.smooth({ uid: 7, uplinkNetworkQuality: up, downlinkNetworkQuality: 1 });
    expect(q(1).uplinkNetworkQuality).toBe(1);
    expect(q(1).uplinkNetworkQuality).toBe(1);
    expect(q(5).uplinkNetworkQuality).toBe(1);
    expect(q(5).uplinkNetworkQuality).toBe(5);
    expect(q(6).uplinkNetworkQuality).toBe(6);
  });
});

/** A stats report as the browser gives it: a Map of stat objects by id. */
function report(stats: Record<string, unknown>[]): RTCStatsReport {
  return new Map(stats.map((s) => [s.id as string, s])) as unknown as RTCStatsReport;
}

describe('stats normalisation', () => {
  test('bitrates, loss and jitter come from the difference of two samples, codecs by name', () => {
    const sample = (t: number, bytes: number, received: number, lost: number) =>
      report([
        { id: 'c1', type: 'codec', mimeType: 'video/VP8' },
        { id: 'c2', type: 'codec', mimeType: 'audio/opus' },
        {
          id: 'iv',
          type: 'inbound-rtp',
          kind: 'video',
          timestamp: t,
          bytesReceived: bytes,
          packetsReceived: received,
          packetsLost: lost,
          jitter: 0.05,
          framesPerSecond: 15,
          frameWidth: 640,
          frameHeight: 480,
          codecId: 'c1',
        },
        {
          id: 'ia',
          type: 'inbound-rtp',
          kind: 'audio',
          timestamp: t,
          bytesReceived: bytes / 10,
          packetsReceived: received,
          packetsLost: 0,
          jitter: 0.004,
          audioLevel: 0.25,
          codecId: 'c2',
        },
        { id: 't', type: 'transport', timestamp: t, selectedCandidatePairId: 'p' },
        { id: 'p', type: 'candidate-pair', timestamp: t, currentRoundTripTime: 0.042 },
      ]);
    const n = linkNumbers(5, sample(2000, 250_000, 1000, 0), sample(1000, 125_000, 900, 0));
    expect(n.remote).toMatchObject({
      uid: 5,
      videoRecvBitrateKbps: 1000,
      audioRecvBitrateKbps: 100,
      recvBitrateKbps: 1100,
      recvFrameRateFps: 15,
      recvWidthPx: 640,
      recvHeightPx: 480,
      audioLevel: 0.25,
      jitterMs: 4, // the audio stream's
      rttMs: 42,
      packetLossPercent: 0,
      videoCodec: 'VP8',
      audioCodec: 'opus',
    });
    // 100 video + 100 audio packets received, 50 video lost: 50 / 250 = 20 %.
    const lossy = linkNumbers(5, sample(2000, 250_000, 1000, 50), sample(1000, 125_000, 900, 0));
    expect(lossy.remote.packetLossPercent).toBe(20);
    expect(lossy.packetsReceived).toBe(200);
  });
});

describe('log', () => {
  test('registered secrets, key-shaped strings and secret-named fields never reach the log', async () => {
    setLogLevel('NONE');
    log.error('not recorded at NONE');
    setLogLevel('WARNING');
    const secret = 'correct horse battery staple';
    registerSecret(secret);
    const key = '004' + 'a'.repeat(40) + APP + '1700000000' + '0000abcd' + '1700003600';
    log.error(`join failed with ${secret} and key ${key}`);
    log.info('config', { channel: 'room', turnPassword: 'hunter2', credential: 'pw', uid: 3 });
    expect(redact(`x${secret}y`)).toBe('x‹redacted›y');
    const text = await exportLog();
    expect(text).toContain('join failed with ‹redacted› and key ‹redacted›');
    expect(text).toContain('"channel":"room"');
    expect(text).not.toContain(secret);
    expect(text).not.toContain(key);
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('not recorded');
  });
});

const record = (i: number): FeedbackRecord => ({
  at: new Date().toISOString(),
  appId: APP,
  kind: 'rating',
  callId: `call-${i}`,
  channel: 'room',
  uid: i,
  score: 3,
  description: 'x'.repeat(100),
  stats: null,
});

describe('feedback store', () => {
  test('checks every field a client sends', () => {
    const ok = {
      kind: 'rating',
      callId: 'c',
      channel: 'room',
      uid: 1,
      score: 5,
      description: '',
      stats: { a: 1 },
    };
    expect(parseFeedback(ok)).toMatchObject({ kind: 'rating', score: 5, stats: { a: 1 } });
    expect(parseFeedback({ ...ok, kind: 'praise' })).toMatch(/kind/);
    expect(parseFeedback({ ...ok, score: 6 })).toMatch(/score/);
    expect(parseFeedback({ ...ok, callId: '' })).toMatch(/callId/);
    expect(parseFeedback({ ...ok, channel: 'a/b' })).toMatch(/not allowed/);
    expect(parseFeedback({ ...ok, uid: -1 })).toMatch(/uid/);
    expect(parseFeedback({ ...ok, description: 'x'.repeat(5000) })).toMatch(/description/);
    expect(parseFeedback({ ...ok, stats: { big: 'x'.repeat(20_000) } })).toMatchObject({ stats: null });
    expect(parseFeedback({ ...ok, kind: 'complaint', score: undefined, log: 'tail' })).toMatchObject({
      kind: 'complaint',
      log: 'tail',
    });
  });

  test('appends JSON lines and rotates at the size cap, keeping the newest', async () => {
    const path = join(dir, 'rot', 'feedback.jsonl');
    const store = new FeedbackStore({ path, maxBytes: 1000, keep: 2 });
    await Promise.all(Array.from({ length: 40 }, (_, i) => store.append(record(i))));
    const files = readdirSync(join(dir, 'rot')).sort();
    expect(files).toEqual(['feedback.jsonl', 'feedback.jsonl.1', 'feedback.jsonl.2']);
    for (const f of files) expect(statSync(join(dir, 'rot', f)).size).toBeLessThanOrEqual(1000);
    const kept = await store.list();
    // Oldest dropped, order kept, the newest present.
    expect(kept.at(-1)!.callId).toBe('call-39');
    expect(kept.map((r) => r.uid)).toEqual([...kept.map((r) => r.uid)].sort((a, b) => a - b));
    expect(kept.length).toBeLessThan(40);
  });

  test('the operator endpoint exists only with a token; feedback over signaling lands in the store', async () => {
    const path = join(dir, 'srv', 'feedback.jsonl');
    const off = await startServer({ port: 0, quiet: true, feedback: { path } });
    expect((await fetch(`${off.url}/api/feedback`)).status).toBe(404);
    await off.close();
    const s = await startServer({ port: 0, quiet: true, feedback: { path }, feedbackToken: 'tok' });
    try {
      const c = await SignalClient.open(s.url);
      const body = {
        t: 'feedback',
        kind: 'complaint',
        callId: 'c1',
        channel: 'room',
        uid: 9,
        description: 'echo',
        stats: null,
      };
      expect(await c.request(body)).toMatchObject({ t: 'err', name: 'ERR_NOT_INITIALIZED' });
      await c.hello(APP);
      expect(await c.request({ ...body, uid: 'nine' })).toMatchObject({
        t: 'err',
        name: 'ERR_INVALID_ARGUMENT',
      });
      expect(await c.request(body)).toMatchObject({ t: 'ok' });
      c.close();
      expect((await fetch(`${s.url}/api/feedback`)).status).toBe(401);
      const r = await fetch(`${s.url}/api/feedback`, { headers: { authorization: 'Bearer tok' } });
      const { entries } = (await r.json()) as { entries: FeedbackRecord[] };
      expect(entries).toEqual([
        expect.objectContaining({ appId: APP, kind: 'complaint', callId: 'c1', uid: 9 }),
      ]);
    } finally {
      await s.close();
    }
  });
});
