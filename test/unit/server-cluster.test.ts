// Two (or three) signaling nodes on one Redis that the test starts: one channel across nodes, uids unique across
// nodes, key expiry across nodes, a killed node's members dropped, a member moving between nodes with its session.
import { describe, expect, it } from 'vitest';
import { policyError, type AppPolicy } from '../../server/policy.js';
import type {
  ErrReply,
  JoinResult,
  OkReply,
  PeerJoinPush,
  PeerStatePush,
  RelayPush,
} from '../../src/protocol/messages.js';
import { ServerProcess, freePort } from '../e2e/harness.js';
import { IDLE, SignalClient } from './signal-client.js';
import { twoNodesOnRedis } from './cluster-nodes.js';

// key "short": the stay ends in 2 s; anything else: no end.
const policy: AppPolicy = {
  checkApp: () => null,
  checkJoin: ({ key, now }) =>
    key === 'short'
      ? { expiresAt: now + 2 }
      : key === 'bad'
        ? policyError('ERR_INVALID_CHANNEL_KEY', 'bad')
        : { expiresAt: 0 },
};

// Hundreds of test clients come from one address into one channel.
const limits = { maxConnectionsPerIp: 1000, maxChannelsPerIp: 100, maxMembersPerChannel: 1000 };
const nodes = twoNodesOnRedis({ policy, limits });

const isJoinOf = (uid: number) => (m: { t: string; peer?: { uid: number } }) =>
  m.t === 'peer-join' && m.peer?.uid === uid;
const isLeaveOf = (uid: number) => (m: { t: string; uid?: number }) => m.t === 'peer-leave' && m.uid === uid;

describe('one channel across two nodes', () => {
  it('users on different nodes see each other join, relay to each other, see state changes and the leave', async () => {
    const a = await SignalClient.open(nodes.n1.url);
    const b = await SignalClient.open(nodes.n2.url);
    const ra = await a.enter('across');
    const rb = await b.enter('across');
    expect(rb.peers.map((p) => p.uid)).toEqual([ra.uid]);
    expect((await a.next<PeerJoinPush>(isJoinOf(rb.uid))).peer.uid).toBe(rb.uid);

    b.send({ t: 'relay', to: ra.uid, data: { hello: 'from node 2' } });
    expect(await a.next<RelayPush>((m) => m.t === 'relay')).toEqual({
      t: 'relay',
      from: rb.uid,
      data: { hello: 'from node 2' },
    });
    a.send({ t: 'relay', to: rb.uid, data: [1, 2] });
    expect(await b.next<RelayPush>((m) => m.t === 'relay')).toEqual({
      t: 'relay',
      from: ra.uid,
      data: [1, 2],
    });

    a.send({ t: 'state', state: { published: true, audioMuted: true, videoMuted: false } });
    const st = await b.next<PeerStatePush>((m) => m.t === 'peer-state');
    expect(st.peer).toEqual({ uid: ra.uid, published: true, audioMuted: true, videoMuted: false });

    // A third user on node 2 learns A's current state from Redis.
    const c = await SignalClient.open(nodes.n2.url);
    const rc = await c.enter('across');
    expect(rc.peers).toContainEqual({ uid: ra.uid, published: true, audioMuted: true, videoMuted: false });

    expect(await a.request({ t: 'leave' })).toMatchObject({ t: 'ok' });
    await b.next(isLeaveOf(ra.uid));
    await c.next(isLeaveOf(ra.uid));
    for (const x of [a, b, c]) x.close();
  });

  it('a uid in use on one node is refused on the other; uid 0 assignments never collide (300 joins on both nodes)', async () => {
    const a = await SignalClient.open(nodes.n1.url);
    await a.enter('uids', 77);
    const b = await SignalClient.open(nodes.n2.url);
    expect(await b.hello('0123456789abcdef0123456789abcdef')).toMatchObject({ t: 'ok' });
    expect(((await b.join('uids', 77)) as ErrReply).code).toBe(17);

    const clients = await Promise.all(
      Array.from({ length: 300 }, (_, i) => SignalClient.open(i % 2 ? nodes.n1.url : nodes.n2.url)),
    );
    // In waves of 30 at once, alternating nodes, so both nodes draw uids at the same time.
    const results = [];
    for (let i = 0; i < clients.length; i += 30) {
      results.push(
        ...(await Promise.all(
          clients.slice(i, i + 30).map(async (c) => {
            // Generous deadlines: the whole unit suite runs beside this test.
            expect(
              await c.request({ t: 'hello', appId: '0123456789abcdef0123456789abcdef', sdk: 'test' }, 20_000),
            ).toMatchObject({ t: 'ok' });
            const r = await c.request({ t: 'join', channel: 'uids', uid: 0, key: null, state: IDLE }, 20_000);
            expect(r).toMatchObject({ t: 'ok' });
            return (r as OkReply).result as JoinResult;
          }),
        )),
      );
    }
    const uids = new Set(results.map((r) => r.uid));
    expect(uids.size).toBe(300);
    expect(uids.has(77)).toBe(false);
    for (const c of [a, b, ...clients]) c.close();
  }, 90_000);

  it('a Channel Key expiry on node 1 kicks its user, and the user on node 2 sees it leave', async () => {
    const a = await SignalClient.open(nodes.n1.url);
    const b = await SignalClient.open(nodes.n2.url);
    const ra = await a.enter('expiry', 0, undefined, { key: 'short' });
    await b.enter('expiry');
    expect(await a.next((m) => m.t === 'kick', 4000)).toMatchObject({
      code: 109,
      name: 'ERR_CHANNEL_KEY_EXPIRED',
    });
    await b.next(isLeaveOf(ra.uid), 2000);
    a.close();
    b.close();
  });

  it('a member rejoining on the other node with its session keeps its uid; the others see no leave or join', async () => {
    const a = await SignalClient.open(nodes.n1.url);
    const b = await SignalClient.open(nodes.n2.url);
    const ra = await a.enter('move');
    const rb = await b.enter('move');
    await a.next(isJoinOf(rb.uid));
    a.ws.terminate();
    const a2 = await SignalClient.open(nodes.n2.url);
    const again = await a2.enter('move', ra.uid, undefined, { session: ra.session });
    expect(again.uid).toBe(ra.uid);
    expect(again.peers.map((p) => p.uid)).toEqual([rb.uid]);
    // Past node 1's grace period (3 s): still no leave.
    expect(await b.none((m) => m.t === 'peer-leave' || m.t === 'peer-join', 3500)).toBeUndefined();
    b.send({ t: 'relay', to: ra.uid, data: 'still there' });
    expect(await a2.next<RelayPush>((m) => m.t === 'relay')).toMatchObject({
      from: rb.uid,
      data: 'still there',
    });
    a2.close();
    b.close();
  }, 10_000);
});

describe('a node that dies', () => {
  it("is noticed by its heartbeat's TTL: its members leave everyone's view within 5 s, and their uids are freed", async () => {
    const dying = new ServerProcess(await freePort(), { REDIS_URL: nodes.redis.url });
    await dying.start();
    const x = await SignalClient.open(dying.url);
    const rx = await x.enter('crash', 4242);
    const b = await SignalClient.open(nodes.n1.url);
    await b.enter('crash');
    await dying.kill();
    const t0 = Date.now();
    await b.next(isLeaveOf(rx.uid), 5000);
    expect(Date.now() - t0).toBeLessThan(5000);
    // Reaped from Redis too: the uid can be taken again.
    const c = await SignalClient.open(nodes.n2.url);
    await c.hello('0123456789abcdef0123456789abcdef');
    let joined = false;
    for (let i = 0; i < 30 && !joined; i++) {
      joined = (await c.join('crash', 4242)).t === 'ok';
      if (!joined) await new Promise((r) => setTimeout(r, 200));
    }
    expect(joined).toBe(true);
    b.close();
    c.close();
  }, 20_000);
});
