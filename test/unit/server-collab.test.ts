// The server's chat and shared document (server/collab.ts) over real sockets: relayed only within a channel,
// kept for late joiners, limited per member, and malformed input refused without harming the server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { SignalClient, TEST_APP_ID } from './signal-client.js';
import { startServer, type RunningServer } from '../../server/app.js';
import type {
  ChatMessage,
  ChatPush,
  DocPush,
  ErrReply,
  JoinResult,
  OkReply,
} from '../../src/protocol/messages.js';

let server: RunningServer;
const clients: SignalClient[] = [];
async function client(): Promise<SignalClient> {
  const c = await SignalClient.open(server.url);
  clients.push(c);
  return c;
}

beforeAll(async () => {
  server = await startServer({
    port: 0,
    quiet: true,
    graceMs: 300,
    limits: { chatHistory: 5, chatBurst: 8, docUpdateBytes: 4096 },
  });
});
afterAll(async () => {
  for (const c of clients) c.ws.terminate();
  await server.close();
});

const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');

/** A yjs update that appends `strokes` to the 'strokes' array of a fresh document. */
function strokeUpdate(...strokes: string[]): Uint8Array {
  const doc = new Y.Doc();
  doc.getArray<string>('strokes').push(strokes);
  return Y.encodeStateAsUpdate(doc);
}

describe('chat', () => {
  it('a message reaches everyone in the channel, the sender too, stamped with uid, name and time', async () => {
    const a = await client();
    const b = await client();
    const other = await client();
    await a.enter('chat-1', 11, TEST_APP_ID, { name: 'Ann' });
    await b.enter('chat-1', 12);
    await other.enter('chat-other', 13);
    const before = Date.now();
    const r = (await a.request({ t: 'chat', text: '<b>hi</b>' })) as OkReply;
    expect(r.t).toBe('ok');
    const own = (r.result as { message: ChatMessage }).message;
    expect(own).toMatchObject({ uid: 11, name: 'Ann', text: '<b>hi</b>', seq: 1 });
    expect(own.ts).toBeGreaterThanOrEqual(before);
    const got = await b.next<ChatPush>((m) => m.t === 'chat');
    expect(got.message).toEqual(own);
    expect(await other.none((m) => m.t === 'chat', 300)).toBeUndefined();
  });

  it('a late joiner gets the last messages in order (history limit), then the channel empties and forgets them', async () => {
    const a = await client();
    await a.enter('chat-2', 21);
    for (let i = 1; i <= 7; i++)
      expect(await a.request({ t: 'chat', text: `m${i}` })).toMatchObject({ t: 'ok' });
    const late = await client();
    const joined = await late.enter('chat-2', 22);
    expect(joined.chat!.map((m) => m.text)).toEqual(['m3', 'm4', 'm5', 'm6', 'm7']);
    expect(joined.chat!.map((m) => m.seq)).toEqual([3, 4, 5, 6, 7]);
    await a.request({ t: 'leave' });
    await late.request({ t: 'leave' });
    expect(server.channelContent(TEST_APP_ID, 'chat-2')).toBeNull();
    const fresh = await client();
    expect((await fresh.enter('chat-2', 23)).chat).toEqual([]);
  });

  it('empty, oversized, non-string and non-member messages are refused; too many a second get ERR_TOO_OFTEN', async () => {
    const outsider = await client();
    expect(await outsider.hello(TEST_APP_ID)).toMatchObject({ t: 'ok' });
    expect(await outsider.request({ t: 'chat', text: 'hi' })).toMatchObject({ t: 'err', code: 7 });
    const a = await client();
    await a.enter('chat-3', 31);
    for (const text of ['', '   ', 'x'.repeat(4001), 42, null, { a: 1 }]) {
      const r = (await a.request({ t: 'chat', text })) as ErrReply;
      expect(r).toMatchObject({ t: 'err', code: 2 });
    }
    expect(await a.request({ t: 'chat' })).toMatchObject({ t: 'err', code: 2 });
    // Without an id there is nothing to answer to.
    a.send({ t: 'chat', text: 'no id' });
    expect(await a.next((m) => m.t === 'err')).toMatchObject({ code: 2 });
    const replies = [];
    for (let i = 0; i < 12; i++) replies.push(await a.request({ t: 'chat', text: `burst ${i}` }));
    expect(replies.filter((r) => r.t === 'err' && r.code === 12).length).toBeGreaterThan(0);
    await a.ping();
  });
});

describe('shared document', () => {
  it('updates are merged and relayed within the channel only; a late joiner gets the merged document', async () => {
    const a = await client();
    const b = await client();
    const other = await client();
    await a.enter('doc-1', 41);
    await b.enter('doc-1', 42);
    await other.enter('doc-other', 43);
    a.send({ t: 'doc', update: b64(strokeUpdate('a1')) });
    b.send({ t: 'doc', update: b64(strokeUpdate('b1', 'b2')) });
    const atB = await b.next<DocPush>((m) => m.t === 'doc');
    expect(atB.from).toBe(41);
    const atA = await a.next<DocPush>((m) => m.t === 'doc');
    expect(atA.from).toBe(42);
    expect(await other.none((m) => m.t === 'doc', 300)).toBeUndefined();
    const late = await client();
    const joined: JoinResult = await late.enter('doc-1', 44);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Buffer.from(joined.doc!, 'base64'));
    expect(doc.getArray<string>('strokes').toArray().sort()).toEqual(['a1', 'b1', 'b2']);
  });

  it('malformed, oversized and non-member updates are refused, the document is untouched and the server lives on', async () => {
    const outsider = await client();
    expect(await outsider.hello(TEST_APP_ID)).toMatchObject({ t: 'ok' });
    outsider.send({ t: 'doc', update: b64(strokeUpdate('x')) });
    expect(await outsider.next((m) => m.t === 'err')).toMatchObject({ code: 7 });

    const a = await client();
    const b = await client();
    await a.enter('doc-2', 51);
    await b.enter('doc-2', 52);
    a.send({ t: 'doc', update: b64(strokeUpdate('good')) });
    await b.next((m) => m.t === 'doc');
    const stored = server.channelContent(TEST_APP_ID, 'doc-2')!.doc as Uint8Array;
    const good = strokeUpdate('x');
    const bad: unknown[] = [
      'not base64!',
      '',
      42,
      null,
      b64(new Uint8Array([1, 2, 3])),
      b64(good.subarray(0, good.length - 3)),
      b64(new Uint8Array(256).fill(255)),
      b64(strokeUpdate('y'.repeat(5000))), // over the 4096-byte limit of this server
    ];
    for (const update of bad) {
      a.send({ t: 'doc', update });
      expect(await a.next((m) => m.t === 'err')).toMatchObject({ code: 2 });
    }
    a.send({ t: 'doc', update: b64(good), sealed: 'yes' });
    expect(await a.next((m) => m.t === 'err')).toMatchObject({ code: 2 });
    expect(await b.none((m) => m.t === 'doc', 300)).toBeUndefined();
    expect(server.channelContent(TEST_APP_ID, 'doc-2')!.doc).toEqual(stored);
    // Still serving: the next good update goes through.
    a.send({ t: 'doc', update: b64(strokeUpdate('after')) });
    expect(await b.next<DocPush>((m) => m.t === 'doc')).toMatchObject({ from: 51 });
    await a.ping();
  });

  it('a sealed (encrypted) document is stored as the ciphertexts sent, and a plain update cannot mix in', async () => {
    const a = await client();
    await a.enter('doc-3', 61);
    const cipher = b64(new Uint8Array(64).map((_, i) => (i * 37) & 255));
    a.send({ t: 'doc', update: cipher, sealed: true });
    await a.ping();
    a.send({ t: 'doc', update: b64(strokeUpdate('plain')) });
    expect(await a.next((m) => m.t === 'err')).toMatchObject({ code: 2 });
    expect(server.channelContent(TEST_APP_ID, 'doc-3')!.doc).toEqual([cipher]);
    const late = await client();
    expect((await late.enter('doc-3', 62)).sealedDoc).toEqual([cipher]);
  });
});
