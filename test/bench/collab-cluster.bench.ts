// A channel's whiteboard and chat across two signaling nodes on one Redis (loopback redis-server): how long a
// document update and a chat message take from a member on node 1 to a member on node 2 (p50/p95), against the
// same between two members of one node without Redis in the same run; and what an encrypted board stores after
// many strokes with and without compaction by a member's sealed snapshot.
import { createCipheriv, randomBytes } from 'node:crypto';
import * as Y from 'yjs';
import type { BenchRow } from './run.js';
import { startServer, type RunningServer } from '../../server/app.js';
import type { DocCompactPush } from '../../src/protocol/messages.js';
import { startRedis } from '../redis-server.js';
import { IDLE, SignalClient, TEST_APP_ID as APP } from '../unit/signal-client.js';

const ROUNDS = Number(process.env.BENCH_COLLAB_CLUSTER_ROUNDS) || 300;
const SEALED_UPDATES = 1000;

/** hello + join, outside vitest (SignalClient.enter asserts with vitest's expect). */
async function enter(c: SignalClient, channel: string): Promise<void> {
  for (const r of [
    await c.request({ t: 'hello', appId: APP, sdk: 'bench' }, 10_000),
    await c.request({ t: 'join', channel, uid: 0, key: null, state: IDLE }, 10_000),
  ])
    if (r.t !== 'ok') throw new Error(`${channel}: ${JSON.stringify(r)}`);
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** Update and chat latencies from a member on `from` to a member on `to`, one at a time. */
async function relay(from: RunningServer, to: RunningServer, channel: string) {
  const a = await SignalClient.open(from.url);
  const b = await SignalClient.open(to.url);
  await enter(a, channel);
  await enter(b, channel);
  const doc = new Y.Doc();
  const docMs: number[] = [];
  const chatMs: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const before = Y.encodeStateVector(doc);
    doc.getArray('strokes').push([i]);
    const update = Buffer.from(Y.encodeStateAsUpdate(doc, before)).toString('base64');
    let t0 = performance.now();
    a.send({ t: 'doc', update });
    await b.next((m) => m.t === 'doc', 10_000);
    docMs.push(performance.now() - t0);
    if (i % 3 === 0) {
      // Chat: 5 a second per member is the limit; a third of the rounds stays well inside the burst.
      t0 = performance.now();
      void a.request({ t: 'chat', text: `m${i}` }, 10_000);
      await b.next((m) => m.t === 'chat', 10_000);
      chatMs.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 210));
    }
  }
  a.close();
  b.close();
  return { docMs, chatMs };
}

/** What a single node stores of an encrypted board after SEALED_UPDATES updates, with the member answering or not. */
async function sealedStore(server: RunningServer, channel: string, answer: boolean) {
  const key = randomBytes(32);
  const seal = (u: Uint8Array) => {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', key, iv);
    return Buffer.concat([iv, c.update(u), c.final(), c.getAuthTag()]).toString('base64');
  };
  const a = await SignalClient.open(server.url);
  await enter(a, channel);
  const doc = new Y.Doc();
  for (let i = 0; i < SEALED_UPDATES; i++) {
    const before = Y.encodeStateVector(doc);
    doc.getArray<number[]>('strokes').push([[i, i * 2, i * 3]]);
    a.send({ t: 'doc', update: seal(Y.encodeStateAsUpdate(doc, before)), sealed: true });
    if (answer) {
      const i = a.queue.findIndex((m) => m.t === 'doc-compact');
      if (i >= 0) {
        const ask = a.queue.splice(i, 1)[0] as DocCompactPush;
        a.send({ t: 'doc-compact', upto: ask.upto, update: seal(Y.encodeStateAsUpdate(doc)) });
      }
    }
    if (i % 50 === 49) await a.ping(10_000);
  }
  await a.ping(10_000);
  const stored = server.channelContent(APP, channel)!.doc as string[];
  a.close();
  return { entries: stored.length, bytes: stored.reduce((s, e) => s + (e.length * 3) / 4, 0) };
}

export default async function bench(): Promise<BenchRow[]> {
  const redis = await startRedis();
  const limits = {
    docPerSecond: 100_000,
    docBurst: 100_000,
    chatBurst: 1000,
    messagesPerSecond: 100_000,
    messageBurst: 100_000,
  };
  const [n1, n2, solo] = await Promise.all([
    startServer({ port: 0, quiet: true, redisUrl: redis.url, limits }),
    startServer({ port: 0, quiet: true, redisUrl: redis.url, limits }),
    startServer({ port: 0, quiet: true, limits }),
  ]);
  try {
    const base = await relay(solo, solo, 'bench one node');
    const cross = await relay(n1, n2, 'bench two nodes');
    const plain = await sealedStore(solo, 'bench sealed kept', false);
    const compacted = await sealedStore(solo, 'bench sealed compacted', true);
    const row = (what: string, xs: number[], ys: number[], p: number): BenchRow => ({
      name: `${what} node 1 → member on node 2, p${p} (${xs.length})`,
      value: `${pct(xs, p).toFixed(2)} ms`,
      baseline: `${pct(ys, p).toFixed(2)} ms, both members on one node without Redis`,
      ratio: `+${(pct(xs, p) - pct(ys, p)).toFixed(2)} ms`,
      target: '≈ one Redis round trip more',
    });
    return [
      row('whiteboard update, member on', cross.docMs, base.docMs, 50),
      row('whiteboard update, member on', cross.docMs, base.docMs, 95),
      row('chat message, member on', cross.chatMs, base.chatMs, 50),
      {
        name: `encrypted board after ${SEALED_UPDATES} sealed updates: stored`,
        value: `${compacted.entries} updates, ${(compacted.bytes / 1024).toFixed(1)} KB (a member compacts)`,
        baseline: `${plain.entries} updates, ${(plain.bytes / 1024).toFixed(1)} KB (nobody answers)`,
        ratio: `${(compacted.bytes / plain.bytes).toFixed(2)}× the bytes`,
        target: 'fewer than docCompactAfter + 1 updates',
      },
    ];
  } finally {
    await Promise.all([n1.close(), n2.close(), solo.close()]);
    await redis.stop();
  }
}
