// The channel's whiteboard document before and after it is opened (src/collab/doc.ts with the whiteboard chunk's
// whiteboard/ydoc.ts), with real yjs: a member that has not opened the whiteboard holds the updates it receives and
// applies them in order at open; after a server restart it gives the board back to an empty server; an update of a
// stay that ended is dropped. The "server" here is a Y.Doc that merges what members send, as server/collab.ts does.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { HELD_BYTES, SharedDoc } from '../../src/collab/doc.js';
import { YDocSink } from '../../src/collab/whiteboard/ydoc.js';
import { useYjs } from '../../src/collab/yjs.js';
import { fromBase64, toBase64 } from '../../src/collab/base64.js';
import type { DocMessage, JoinResult } from '../../src/protocol/messages.js';

useYjs(Y);

function member() {
  const sent: Uint8Array[] = [];
  const told: number[] = [];
  let full = 0;
  const shared = new SharedDoc({
    send: (m: DocMessage) => sent.push(fromBase64(m.update)) > 0,
    onUnreadable: () => undefined,
    onUpdate: (uid) => told.push(uid),
    onHeldFull: () => full++,
  });
  return { shared, sent, told, full: () => full };
}

const joinResult = (server: Y.Doc | null): JoinResult => ({
  uid: 1,
  session: 's',
  peers: [],
  expiresAt: 0,
  ...(server ? { doc: toBase64(Y.encodeStateAsUpdate(server)) } : {}),
});

/** A drawer's edits after it got `base`, each as the update another member receives. */
function edits(base?: Y.Doc): Uint8Array[] {
  const doc = new Y.Doc();
  if (base) Y.applyUpdate(doc, Y.encodeStateAsUpdate(base));
  const out: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => out.push(u));
  const items = doc.getArray<string>('items');
  items.push(['stroke']);
  items.push(['rect']);
  items.delete(items.length - 2, 1); // the stroke
  items.push(['text']);
  return out;
}

const flushed = () => new Promise((r) => setTimeout(r, 50));

describe('shared whiteboard document before it is opened', () => {
  it('holds the updates it receives, tells of each, and applies them in order when opened; live afterwards', async () => {
    const m = member();
    const server = new Y.Doc();
    server.getArray<string>('items').push(['before']);
    m.shared.joined(joinResult(server), false, null);
    const [first, ...rest] = edits(server);
    m.shared.pushed(7, toBase64(first!), false);
    for (const u of rest) m.shared.pushed(7, toBase64(u), false);
    await flushed();
    expect(m.told).toEqual([0, 7, 7, 7, 7]);

    const sink = new YDocSink(m.shared);
    await m.shared.open(sink);
    expect(sink.doc!.getArray('items').toArray()).toEqual(['before', 'rect', 'text']);
    const more = new Y.Doc();
    Y.applyUpdate(more, Y.encodeStateAsUpdate(sink.doc!));
    const live: Uint8Array[] = [];
    more.on('update', (u: Uint8Array) => live.push(u));
    more.getArray<string>('items').push(['live']);
    m.shared.pushed(7, toBase64(live[0]!), false);
    await flushed();
    expect(sink.doc!.getArray('items').toArray()).toEqual(['before', 'rect', 'text', 'live']);
    // Local edits go out (coalesced) once open.
    sink.doc!.getArray<string>('items').push(['mine']);
    await flushed();
    expect(m.sent.length).toBe(1);
  });

  it('after a server restart, gives what it holds back to an empty server only', async () => {
    const m = member();
    m.shared.joined(joinResult(null), false, null);
    for (const u of edits()) m.shared.pushed(7, toBase64(u), false);
    await flushed();
    expect(m.told).toEqual([7, 7, 7, 7]);

    const restarted = new Y.Doc();
    m.shared.joined(joinResult(null), true, null);
    await flushed();
    for (const u of m.sent) Y.applyUpdate(restarted, u);
    expect(restarted.getArray('items').toArray()).toEqual(['rect', 'text']);
    // No second announcement of the board at a rejoin.
    expect(m.told.length).toBe(4);

    const before = m.sent.length;
    m.shared.joined(joinResult(restarted), true, null);
    await flushed();
    expect(m.sent.length).toBe(before);
  });

  it('drops what was held when the stay ends, and asks to be opened when it holds too much', async () => {
    const m = member();
    m.shared.joined(joinResult(null), false, null);
    for (const u of edits()) m.shared.pushed(7, toBase64(u), false);
    m.shared.left();
    m.shared.joined(joinResult(null), false, null);
    const sink = new YDocSink(m.shared);
    await m.shared.open(sink);
    expect(sink.doc!.getArray('items').toArray()).toEqual([]);

    const n = member();
    n.shared.joined(joinResult(null), false, null);
    const big = new Y.Doc();
    const updates: Uint8Array[] = [];
    big.on('update', (u: Uint8Array) => updates.push(u));
    for (let i = 0; i < 40; i++) big.getArray<string>('items').push(['x'.repeat(30_000)]);
    for (const u of updates) n.shared.pushed(7, toBase64(u), false);
    await flushed();
    expect(updates.reduce((s, u) => s + u.length, 0)).toBeGreaterThan(HELD_BYTES);
    expect(n.full()).toBeGreaterThan(0);
  });
});
