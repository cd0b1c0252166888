// A channel's whiteboard and chat when the server runs on several nodes (REDIS_URL, a real redis-server on
// loopback): late members on another node get everything, updates and messages cross nodes, the content goes when
// the channel empties everywhere unless the app keeps it, and an encrypted document is compacted by a member's
// sealed snapshot without the server seeing plaintext (on one node and across two).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { startServer, type RunningServer } from '../../server/app.js';
import type { AppPolicy } from '../../server/policy.js';
import type {
  ChatMessage,
  ChatPush,
  DocCompactPush,
  DocPush,
  JoinResult,
  OkReply,
} from '../../src/protocol/messages.js';
import { startRedis, type RedisInstance } from '../redis-server.js';
import { SignalClient, TEST_APP_ID } from './signal-client.js';

/** An app whose owner keeps its channels' content for a minute after they empty. */
const KEEP_APP = 'abcdefabcdefabcdefabcdefabcdef00';
const policy: AppPolicy = {
  checkApp: () => null,
  checkJoin: () => ({ expiresAt: 0 }),
  keepCollabSeconds: (appId) => (appId === KEEP_APP ? 60 : 0),
};
const limits = { chatHistory: 5, docPerSecond: 1000, docBurst: 1000, docCompactAfter: 20 };

let redis: RedisInstance;
let db: Redis;
let n1: RunningServer;
let n2: RunningServer;
let solo: RunningServer;
const clients: SignalClient[] = [];
async function client(url: string): Promise<SignalClient> {
  const c = await SignalClient.open(url);
  clients.push(c);
  return c;
}

beforeAll(async () => {
  redis = await startRedis();
  db = new Redis(redis.url);
  [n1, n2, solo] = await Promise.all([
    startServer({ port: 0, quiet: true, redisUrl: redis.url, policy, limits }),
    startServer({ port: 0, quiet: true, redisUrl: redis.url, policy, limits }),
    startServer({ port: 0, quiet: true, policy, limits }),
  ]);
});
afterAll(async () => {
  for (const c of clients) c.ws.terminate();
  db?.disconnect();
  await Promise.all([n1?.close(), n2?.close(), solo?.close()]);
  await redis?.stop();
});

const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');
const strokeUpdate = (...strokes: string[]): Uint8Array => {
  const doc = new Y.Doc();
  doc.getArray<string>('strokes').push(strokes);
  return Y.encodeStateAsUpdate(doc);
};
const strokesOf = (updates: Uint8Array[]): string[] => {
  const doc = new Y.Doc();
  for (const u of updates) Y.applyUpdate(doc, u);
  return doc.getArray<string>('strokes').toArray().sort();
};
const docKey = (app: string, ch: string) => `agora:doc:${app}/${ch}`;
const contentKeys = (app: string, ch: string) =>
  ['chat', 'chatseq', 'doc', 'dockind', 'docseq'].map((k) => `agora:${k}:${app}/${ch}`);

async function until<T>(fn: () => Promise<T> | T, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What a member with the channel's secret does (AES-256-GCM, IV ‖ ciphertext ‖ tag, as src/collab/seal.ts). */
class Sealer {
  private readonly key = randomBytes(32);
  seal(plain: Uint8Array): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    return b64(Buffer.concat([iv, c.update(plain), c.final(), c.getAuthTag()]));
  }
  open(wire: string): Uint8Array {
    const b = Buffer.from(wire, 'base64');
    const d = createDecipheriv('aes-256-gcm', this.key, b.subarray(0, 12));
    d.setAuthTag(b.subarray(b.length - 16));
    return Buffer.concat([d.update(b.subarray(12, b.length - 16)), d.final()]);
  }
}

describe('content across two nodes', () => {
  it('a late member on node 2 gets the chat history and whiteboard made on node 1; both then cross nodes live', async () => {
    const a = await client(n1.url);
    await a.enter('x-1', 11, TEST_APP_ID, { name: 'Ann' });
    for (let i = 1; i <= 7; i++)
      expect(await a.request({ t: 'chat', text: `m${i}` })).toMatchObject({ t: 'ok' });
    a.send({ t: 'doc', update: b64(strokeUpdate('a1')) });
    a.send({ t: 'doc', update: b64(strokeUpdate('a2', 'a3')) });
    await a.ping();
    await until(
      () => db.llen(docKey(TEST_APP_ID, 'x-1')),
      (n) => n === 2,
    );

    const b = await client(n2.url);
    const joined = await b.enter('x-1', 12);
    // The last 5 (this server's history), numbered by Redis, oldest first.
    expect(joined.chat!.map((m) => [m.seq, m.text, m.uid, m.name])).toEqual(
      [3, 4, 5, 6, 7].map((n) => [n, `m${n}`, 11, 'Ann']),
    );
    expect(strokesOf([Buffer.from(joined.doc!, 'base64')])).toEqual(['a1', 'a2', 'a3']);

    b.send({ t: 'doc', update: b64(strokeUpdate('b1')) });
    const atA = await a.next<DocPush>((m) => m.t === 'doc');
    expect(atA.from).toBe(12);
    expect(strokesOf([Buffer.from(atA.update, 'base64')])).toEqual(['b1']);
    const sent = (await b.request({ t: 'chat', text: 'from node 2' })) as OkReply;
    const own = (sent.result as { message: ChatMessage }).message;
    expect(own).toMatchObject({ seq: 8, uid: 12, text: 'from node 2' });
    expect((await a.next<ChatPush>((m) => m.t === 'chat')).message).toEqual(own);
    a.send({ t: 'doc', update: b64(strokeUpdate('a4')) });
    expect((await b.next<DocPush>((m) => m.t === 'doc')).from).toBe(11);

    // A third member on node 1 (which has the channel already) sees the same.
    const c = await client(n1.url);
    const third = await c.enter('x-1', 13);
    expect(third.chat!.map((m) => m.seq)).toEqual([4, 5, 6, 7, 8]);
    expect(strokesOf([Buffer.from(third.doc!, 'base64')])).toEqual(['a1', 'a2', 'a3', 'a4', 'b1']);
  });

  it("a plain document's updates are merged in Redis as they pile up; a late member still gets every stroke", async () => {
    const a = await client(n1.url);
    await a.enter('x-2', 21);
    const names = Array.from({ length: 260 }, (_, i) => `s${i}`);
    for (const n of names) a.send({ t: 'doc', update: b64(strokeUpdate(n)) });
    await a.ping(10_000);
    const stored = await until(
      () => db.lrange(docKey(TEST_APP_ID, 'x-2'), 0, -1),
      (l) => l.length > 0 && l.length < 100 && l.join('').includes(' '),
    );
    expect(stored.length).toBeLessThan(100);
    const b = await client(n2.url);
    const joined = await b.enter('x-2', 22);
    expect(strokesOf([Buffer.from(joined.doc!, 'base64')])).toEqual([...names].sort());
  });

  it('the content goes when the channel empties on every node; a kept app keeps it for the next member', async () => {
    for (const app of [TEST_APP_ID, KEEP_APP]) {
      const a = await client(n1.url);
      const b = await client(n2.url);
      await a.enter('x-3', 31, app);
      await b.enter('x-3', 32, app);
      expect(await a.request({ t: 'chat', text: 'before' })).toMatchObject({ t: 'ok' });
      a.send({ t: 'doc', update: b64(strokeUpdate('drawn')) });
      await b.next((m) => m.t === 'doc');
      expect(await a.request({ t: 'leave' })).toMatchObject({ t: 'ok' });
      // Node 2 still has a member: the content stays, without an expiry.
      expect(await db.pttl(docKey(app, 'x-3'))).toBe(-1);
      expect(await b.request({ t: 'leave' })).toMatchObject({ t: 'ok' });
      if (app === TEST_APP_ID) {
        await until(
          () => db.exists(...contentKeys(app, 'x-3')),
          (n) => n === 0,
        );
      } else {
        const ttl = await until(
          () => db.pttl(docKey(app, 'x-3')),
          (t) => t > 0,
        );
        expect(ttl).toBeLessThanOrEqual(60_000);
      }
      const late = await client(n2.url);
      const joined = await late.enter('x-3', 33, app);
      if (app === TEST_APP_ID) {
        expect(joined.chat).toEqual([]);
        expect(joined.doc).toBeUndefined();
      } else {
        expect(joined.chat!.map((m) => m.text)).toEqual(['before']);
        expect(strokesOf([Buffer.from(joined.doc!, 'base64')])).toEqual(['drawn']);
        // A member again: no expiry any more.
        expect(await db.pttl(docKey(app, 'x-3'))).toBe(-1);
      }
      await late.request({ t: 'leave' });
    }
  });
});

describe('content kept on one node', () => {
  it("an emptied channel's content waits for the next member only when its app keeps it", async () => {
    for (const app of [TEST_APP_ID, KEEP_APP]) {
      const a = await client(solo.url);
      await a.enter('k-1', 41, app);
      expect(await a.request({ t: 'chat', text: 'hello later' })).toMatchObject({ t: 'ok' });
      a.send({ t: 'doc', update: b64(strokeUpdate('kept')) });
      await a.ping();
      expect(await a.request({ t: 'leave' })).toMatchObject({ t: 'ok' });
      const late = await client(solo.url);
      const joined = await late.enter('k-1', 42, app);
      if (app === TEST_APP_ID) {
        expect(joined.chat).toEqual([]);
        expect(joined.doc).toBeUndefined();
      } else {
        expect(joined.chat!.map((m) => [m.uid, m.text])).toEqual([[41, 'hello later']]);
        expect(strokesOf([Buffer.from(joined.doc!, 'base64')])).toEqual(['kept']);
      }
      await late.request({ t: 'leave' });
    }
  });
});

describe.each([
  {
    where: 'on one node',
    nodes: () => [solo.url, solo.url],
    stored: (ch: string) => solo.channelContent(TEST_APP_ID, ch)?.doc as string[],
  },
  {
    where: 'across two nodes',
    nodes: () => [n1.url, n2.url],
    stored: async (ch: string) =>
      (await db.lrange(docKey(TEST_APP_ID, ch), 0, -1)).map((e) => e.slice(e.indexOf(' ') + 1)),
  },
])('an encrypted document $where', ({ where, nodes, stored }) => {
  it('is compacted by the member the server asks; the server then stores less, still no plaintext, and a late member sees every stroke', async () => {
    const ch = `sealed-${where.replace(/ /g, '-')}`;
    const [urlA, urlB] = nodes();
    const sealer = new Sealer();
    const a = await client(urlA!);
    const b = await client(urlB!);
    await a.enter(ch, 51);
    await b.enter(ch, 52);
    const mine = new Y.Doc();
    const names = Array.from({ length: 30 }, (_, i) => `secret-stroke-${i}`);
    for (const n of names) {
      const before = Y.encodeStateVector(mine);
      mine.getArray<string>('strokes').push([n]);
      a.send({ t: 'doc', update: sealer.seal(Y.encodeStateAsUpdate(mine, before)), sealed: true });
    }
    const ask = await a.next<DocCompactPush>((m) => m.t === 'doc-compact', 10_000);
    expect(ask.upto).toBeGreaterThan(20);
    const beforeBytes = (
      await until(
        () => stored(ch),
        (l) => l.length === names.length,
      )
    ).join('').length;

    // Only the member asked may send one.
    b.send({ t: 'doc-compact', upto: ask.upto, update: sealer.seal(Y.encodeStateAsUpdate(new Y.Doc())) });
    expect(await b.next((m) => m.t === 'err')).toMatchObject({ code: 2 });

    // Malformed or oversized (over one frame's 46 KB) snapshots are refused, and the server lives on.
    for (const update of ['not base64!', 42, b64(randomBytes(47_200))]) {
      a.send({ t: 'doc-compact', upto: ask.upto, update });
      expect(await a.next((m) => m.t === 'err')).toMatchObject({ code: 2 });
    }
    a.send({ t: 'doc-compact', upto: ask.upto, update: sealer.seal(Y.encodeStateAsUpdate(mine)) });
    const after = await until(
      () => stored(ch),
      (l) => l.length < names.length,
    );
    expect(after.length).toBe(1 + names.length - ask.upto);
    expect(after.join('').length).toBeLessThan(beforeBytes);
    for (const e of after) expect(Buffer.from(e, 'base64').toString('latin1')).not.toContain('secret-stroke');

    // A late member (on node 2 after the channel left it: read from Redis) sees every stroke.
    expect(await b.request({ t: 'leave' })).toMatchObject({ t: 'ok' });
    const late = await client(urlB!);
    const joined: JoinResult = await late.enter(ch, 53);
    expect(joined.sealedDoc).toEqual(after);
    expect(strokesOf(joined.sealedDoc!.map((u) => sealer.open(u)))).toEqual([...names].sort());
  });

  it('takes a snapshot larger than one frame in parts, in order, and replaces the updates only once it has the last', async () => {
    const ch = `parts-${where.replace(/ /g, '-')}`;
    const [urlA, urlB] = nodes();
    const sealer = new Sealer();
    const a = await client(urlA!);
    await a.enter(ch, 61);
    for (let i = 0; i < 30; i++)
      a.send({ t: 'doc', update: sealer.seal(strokeUpdate(`stroke-${i}`)), sealed: true });
    const ask = await a.next<DocCompactPush>((m) => m.t === 'doc-compact', 10_000);
    const before = await until(
      () => stored(ch),
      (l) => l.length === 30,
    );
    // What a member's SDK sends: the whole document cut in three, each piece sealed on its own.
    const whole = randomBytes(100_000);
    const parts = [0, 1, 2].map((i) => sealer.seal(whole.subarray(i * 40_000, (i + 1) * 40_000)));
    const part = (i: number, update = parts[i], of: unknown = 3) =>
      a.send({ t: 'doc-compact', upto: ask.upto, update, part: i, parts: of });

    // Out of order, a count beyond what the document limit allows, or not a count: refused, nothing replaced.
    for (const wrong of [() => part(1), () => part(0, parts[0], 1000), () => part(0, parts[0], 'three')]) {
      wrong();
      expect(await a.next((m) => m.t === 'err')).toMatchObject({ code: 2 });
    }
    part(0);
    part(1);
    await a.ping();
    expect(await stored(ch)).toEqual(before);
    part(1);
    expect(await a.next((m) => m.t === 'err')).toMatchObject({ code: 2 });
    part(2);
    const after = await until(
      () => stored(ch),
      (l) => l.length < 30,
    );
    expect(after).toEqual([...parts, ...before.slice(ask.upto)]);

    // A late member gets the parts in order, ahead of the updates made since.
    const late = await client(urlB!);
    const joined: JoinResult = await late.enter(ch, 62);
    expect(joined.sealedDoc).toEqual(after);
    expect(Buffer.concat(joined.sealedDoc!.slice(0, 3).map((u) => sealer.open(u)))).toEqual(whole);
  });
});
