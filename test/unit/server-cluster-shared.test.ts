// The security limits hold over several nodes on one Redis (an address cannot multiply them by spreading over
// nodes), a dead node's counts vanish with its heartbeat, and the nodes carry on after Redis restarts empty.
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startServer, type RunningServer, type ServerLimits } from '../../server/app.js';
import { SIGNAL_PATH } from '../../src/protocol/messages.js';
import type { ErrReply, JoinResult, OkReply, PeerJoinPush } from '../../src/protocol/messages.js';
import { ServerProcess, freePort } from '../e2e/harness.js';
import { startRedis, type RedisInstance } from '../redis-server.js';
import { SignalClient, TEST_APP_ID } from './signal-client.js';

let redis: RedisInstance | undefined;
const servers: RunningServer[] = [];
const clients: SignalClient[] = [];
const processes: ServerProcess[] = [];

/** Two nodes on a Redis of their own. */
async function pair(limits: Partial<ServerLimits> = {}): Promise<[RunningServer, RunningServer]> {
  redis = await startRedis();
  const url = redis.url;
  const two = await Promise.all(
    [0, 1].map(() => startServer({ port: 0, quiet: true, redisUrl: url, limits })),
  );
  servers.push(...two);
  return two as [RunningServer, RunningServer];
}
async function client(s: RunningServer | ServerProcess): Promise<SignalClient> {
  const c = await SignalClient.open(s.url);
  clients.push(c);
  return c;
}
afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  for (const p of processes.splice(0)) await p.kill();
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await redis?.stop();
  redis = undefined;
});

/** The HTTP status of a WebSocket upgrade (101 when it opened; the socket is kept open then). */
function upgradeStatus(s: RunningServer): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = new WebSocket(s.url.replace('http', 'ws') + SIGNAL_PATH);
    sock.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      sock.terminate();
    });
    sock.on('open', () => {
      resolve(101);
      sock.terminate();
    });
    sock.on('error', (e) => (e.message.includes('Unexpected server response') ? undefined : reject(e)));
  });
}

async function until(what: string, cond: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const errOf = (r: OkReply | ErrReply): ErrReply => {
  expect(r.t).toBe('err');
  return r as ErrReply;
};

describe('limits shared by the nodes', () => {
  it('sockets from one address spread over two nodes stop at maxConnectionsPerIp with 429, as on one node', async () => {
    const [n1, n2] = await pair({ maxConnectionsPerIp: 4 });
    await client(n1);
    await client(n2);
    await client(n1);
    const fourth = await client(n2);
    expect(await upgradeStatus(n1)).toBe(429);
    expect(await upgradeStatus(n2)).toBe(429);
    // A closed socket on one node frees a place on the other.
    fourth.ws.terminate();
    await fourth.closed;
    await until('a place to free up', async () => (await upgradeStatus(n1)) === 101);
  });

  it("a dead node's sockets stop counting within its heartbeat's TTL", async () => {
    const [n1] = await pair({ maxConnectionsPerIp: 3 });
    const dying = new ServerProcess(await freePort(), {
      REDIS_URL: redis!.url,
      AGORA_MAX_CONNECTIONS_PER_IP: '3',
    });
    processes.push(dying);
    await dying.start();
    await client(dying);
    await client(dying);
    await client(n1);
    expect(await upgradeStatus(n1)).toBe(429);
    await dying.kill();
    // Its hash expires with its heartbeat (3 s); generous on a loaded machine.
    await until('the dead node to stop counting', async () => (await upgradeStatus(n1)) === 101, 10_000);
  }, 20_000);

  it("a channel's member cap holds across nodes: the next join gets 17 'full' on either node", async () => {
    const [n1, n2] = await pair({ maxMembersPerChannel: 3 });
    await (await client(n1)).enter('capped');
    await (await client(n2)).enter('capped');
    await (await client(n1)).enter('capped');
    for (const n of [n1, n2]) {
      const late = await client(n);
      await late.hello(TEST_APP_ID);
      const e = errOf(await late.join('capped'));
      expect(e).toMatchObject({ code: 17, name: 'ERR_JOIN_CHANNEL_REJECTED' });
      expect(e.message).toMatch(/full \(3 members/);
      expect(await late.join('other')).toMatchObject({ t: 'ok' });
    }
  });

  it('an address with members in maxChannelsPerIp channels over both nodes cannot open one more on either', async () => {
    const [n1, n2] = await pair({ maxChannelsPerIp: 2 });
    await (await client(n1)).enter('ch-a');
    const onB = await client(n2);
    await onB.enter('ch-b');
    for (const n of [n1, n2]) {
      const c = await client(n);
      await c.hello(TEST_APP_ID);
      const e = errOf(await c.join('ch-c'));
      expect(e).toMatchObject({ code: 17, name: 'ERR_JOIN_CHANNEL_REJECTED' });
      expect(e.message).toMatch(/2 channels/);
      // One of its channels is still fine, on the other node too.
      expect(await c.join(n === n1 ? 'ch-b' : 'ch-a')).toMatchObject({ t: 'ok' });
    }
    // A third channel stays refused on the node that holds only one of the two.
    const c3 = await client(n1);
    await c3.hello(TEST_APP_ID);
    expect(errOf(await c3.join('ch-d')).code).toBe(17);
  });

  it('leaving frees the channel for the address on the other node', async () => {
    const [n1, n2] = await pair({ maxChannelsPerIp: 1 });
    const a = await client(n1);
    await a.enter('only');
    const b = await client(n2);
    await b.hello(TEST_APP_ID);
    expect(errOf(await b.join('another')).code).toBe(17);
    expect(await a.request({ t: 'leave' })).toMatchObject({ t: 'ok' });
    await until('the leave to free the place', async () => (await b.join('another')).t === 'ok');
  });
});

describe('Redis restarted empty', () => {
  it('each node writes its members again: new members on either node see the others, uids stay unique, leaves are seen', async () => {
    const [n1, n2] = await pair();
    const a = await client(n1);
    const ra = await a.enter('restart');
    const b = await client(n2);
    const rb = await b.enter('restart');
    await a.next((m) => m.t === 'peer-join');

    await redis!.restart();

    /** A join on `n` once Redis is back, and every uid the new member gets to see within a few seconds. */
    const joinAfter = async (
      n: RunningServer,
    ): Promise<{ c: SignalClient; r: JoinResult; seen: Set<number> }> => {
      const c = await client(n);
      await c.hello(TEST_APP_ID);
      let r: OkReply | ErrReply = await c.join('restart');
      const end = Date.now() + 10_000;
      while (r.t !== 'ok' && Date.now() < end) {
        await new Promise((res) => setTimeout(res, 200));
        r = await c.join('restart');
      }
      expect(r).toMatchObject({ t: 'ok' });
      const result = (r as OkReply).result as JoinResult;
      const seen = new Set(result.peers.map((p) => p.uid));
      return { c, r: result, seen };
    };
    const sees = async (x: { c: SignalClient; seen: Set<number> }, uid: number): Promise<void> => {
      while (!x.seen.has(uid)) {
        const j = await x.c.next<PeerJoinPush>((m) => m.t === 'peer-join', 5000);
        x.seen.add(j.peer.uid);
      }
    };

    const c = await joinAfter(n1);
    await sees(c, rb.uid);
    expect(c.seen.has(ra.uid)).toBe(true);
    const d = await joinAfter(n2);
    await sees(d, ra.uid);
    await sees(d, c.r.uid);
    expect(d.seen.has(rb.uid)).toBe(true);
    // The old members see the new ones (pub/sub is back).
    await b.next((m) => m.t === 'peer-join' && m.peer.uid === c.r.uid, 5000);
    await a.next((m) => m.t === 'peer-join' && m.peer.uid === d.r.uid, 5000);

    // uids written again are still taken on the other node.
    const e = await client(n2);
    await e.hello(TEST_APP_ID);
    expect(errOf(await e.join('restart', ra.uid)).code).toBe(17);
    const f = await client(n1);
    await f.hello(TEST_APP_ID);
    expect(errOf(await f.join('restart', rb.uid)).code).toBe(17);

    // A leave after the restart is seen on the other node.
    expect(await b.request({ t: 'leave' })).toMatchObject({ t: 'ok' });
    await a.next((m) => m.t === 'peer-leave' && m.uid === rb.uid, 5000);
    await c.c.next((m) => m.t === 'peer-leave' && m.uid === rb.uid, 5000);
    expect(await a.request({ t: 'leave' })).toMatchObject({ t: 'ok' });
    await d.c.next((m) => m.t === 'peer-leave' && m.uid === ra.uid, 5000);
  }, 40_000);

  it('news lost while Redis was away are caught up: a member that left meanwhile is seen leaving', async () => {
    const [n1, n2] = await pair();
    const a = await client(n1);
    await a.enter('lost');
    const b = await client(n2);
    const rb = await b.enter('lost');
    await a.next((m) => m.t === 'peer-join' && m.peer.uid === rb.uid);
    await redis!.restart(async () => {
      // Its node answers at once; the news to the other node has nowhere to go. Long enough for the nodes' Redis
      // clients to give up on queued commands.
      expect(await b.request({ t: 'leave' })).toMatchObject({ t: 'ok' });
      await new Promise((r) => setTimeout(r, 1500));
    });
    await a.next((m) => m.t === 'peer-leave' && m.uid === rb.uid, 10_000);
  }, 30_000);

  it('each node writes its address counts again: the per-address limit still holds over both nodes', async () => {
    const [n1, n2] = await pair({ maxConnectionsPerIp: 3, maxChannelsPerIp: 2 });
    await (await client(n1)).enter('one');
    await (await client(n1)).enter('one');
    const b = await client(n2);
    await b.enter('two');
    await redis!.restart();
    // Redis is back once a join goes through (on a socket that was open before, so no place is needed).
    await b.request({ t: 'leave' });
    await until('Redis to be back', async () => (await b.join('two')).t === 'ok');
    // Only n1's own count would allow a third socket there; the sum over the nodes does not (once n1 is back too).
    await until('n1 to count its sockets again', async () => (await upgradeStatus(n1)) === 429);
    expect(await upgradeStatus(n2)).toBe(429);
    // And the channels the address holds on n1 still count on n2.
    expect(errOf(await b.join('three')).code).toBe(17);
  }, 30_000);
});
