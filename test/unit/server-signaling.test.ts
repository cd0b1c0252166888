// The signaling server over real sockets: a server on port 0, clients from the `ws` package.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ClientOptions } from 'ws';
import { IDLE, SignalClient, type Pred } from './signal-client.js';
import { startServer, type RunningServer } from '../../server/app.js';
import { policyError, staticPolicy, type AppPolicy } from '../../server/policy.js';
import { MAX_FRAME_BYTES, type ErrReply, type OkReply } from '../../src/protocol/messages.js';

const APP = '0123456789abcdef0123456789abcdef';
const OTHER_APP = 'fedcba9876543210fedcba9876543210';

class Client extends SignalClient {
  override hello(appId = APP): Promise<OkReply | ErrReply> {
    return super.hello(appId);
  }
}

function errOf(r: OkReply | ErrReply): ErrReply {
  expect(r.t).toBe('err');
  return r as ErrReply;
}

const isJoinOf =
  (uid: number): Pred =>
  (m) =>
    m.t === 'peer-join' && m.peer.uid === uid;
const isLeaveOf =
  (uid: number): Pred =>
  (m) =>
    m.t === 'peer-leave' && m.uid === uid;

let server: RunningServer;
const clients: Client[] = [];
async function client(s: RunningServer = server, opts?: ClientOptions): Promise<Client> {
  const c = await Client.open(s.url, { ws: opts });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  server = await startServer({ port: 0, quiet: true, graceMs: 300 });
});
afterAll(async () => {
  for (const c of clients) c.ws.terminate();
  await server.close();
});

describe('joining', () => {
  it('join with uid 0 returns a uid the server assigned, and the others see that uid join', async () => {
    const a = await client();
    const b = await client();
    const ra = await a.enter('assign', 0);
    expect(ra.uid).toBeGreaterThanOrEqual(1);
    expect(ra.uid).toBeLessThanOrEqual(0xffffffff);
    expect(ra.peers).toEqual([]);
    expect(ra.expiresAt).toBe(0);
    expect(ra.session.length).toBeGreaterThanOrEqual(20);
    const rb = await b.enter('assign', 0);
    expect(rb.uid).not.toBe(ra.uid);
    expect(rb.session).not.toBe(ra.session);
    expect(rb.peers).toEqual([{ uid: ra.uid, ...IDLE }]);
    expect(await a.next(isJoinOf(rb.uid))).toEqual({ t: 'peer-join', peer: { uid: rb.uid, ...IDLE } });
  });

  it('join lists the other members in join order with their state', async () => {
    const cs = [await client(), await client(), await client()];
    await cs[0]!.enter('order', 30, APP, { state: { published: true, audioMuted: true, videoMuted: false } });
    await cs[1]!.enter('order', 10);
    await cs[2]!.enter('order', 20);
    const d = await client();
    const r = await d.enter('order', 5);
    expect(r.peers.map((p) => p.uid)).toEqual([30, 10, 20]);
    expect(r.peers[0]).toEqual({ uid: 30, published: true, audioMuted: true, videoMuted: false });
  });

  it('hello on a server without an SFU answers without `sfu`, so the SDK does not fetch the SFU code', async () => {
    const a = await client();
    const ok = (await a.hello()) as OkReply;
    expect(ok).toMatchObject({ t: 'ok' });
    expect(ok.result).toBeUndefined();
  });

  it('a uid already in the channel is refused with 17 and says the uid is in use', async () => {
    const a = await client();
    const b = await client();
    await a.enter('collide', 42);
    expect(await b.hello()).toMatchObject({ t: 'ok' });
    const e = errOf(await b.join('collide', 42));
    expect(e).toMatchObject({ code: 17, name: 'ERR_JOIN_CHANNEL_REJECTED' });
    expect(e.message).toMatch(/uid 42 is already in use/);
    // A wrong session is no better than none.
    expect(errOf(await b.join('collide', 42, { session: 'not-the-session' })).code).toBe(17);
    // The same uid in another channel is fine.
    expect(await b.join('collide-2', 42)).toMatchObject({ t: 'ok' });
  });

  it('rejoin with the session takes the member over: no peer-leave or peer-join, old socket closed', async () => {
    const a = await client();
    const b = await client();
    const ra = await a.enter('rejoin', 7);
    await b.enter('rejoin', 8);
    await a.next(isJoinOf(8));

    // A reconnect while the old socket is still open (the client gave up on it first).
    const a2 = await client();
    expect(await a2.hello()).toMatchObject({ t: 'ok' });
    const r = await a2.join('rejoin', 7, { session: ra.session });
    expect(r).toMatchObject({
      t: 'ok',
      result: { uid: 7, session: ra.session, peers: [{ uid: 8, ...IDLE }] },
    });
    expect((await a.closed).code).toBe(4001);

    // The new socket is the member now: relays reach it.
    b.send({ t: 'relay', to: 7, data: { sdp: 'x' } });
    expect(await a2.next((m) => m.t === 'relay')).toEqual({ t: 'relay', from: 8, data: { sdp: 'x' } });

    // After an abrupt close, a rejoin within the grace period is just as seamless, and a changed state is
    // broadcast once.
    a2.ws.terminate();
    const a3 = await client();
    expect(await a3.hello()).toMatchObject({ t: 'ok' });
    const published = { published: true, audioMuted: false, videoMuted: false };
    expect(await a3.join('rejoin', 7, { session: ra.session, state: published })).toMatchObject({ t: 'ok' });
    expect(await b.next((m) => m.t === 'peer-state')).toEqual({
      t: 'peer-state',
      peer: { uid: 7, ...published },
    });
    expect(await b.none((m) => m.t === 'peer-leave' || m.t === 'peer-join', 500)).toBeUndefined();
  });

  it('the same channel name under two App IDs: neither app sees the other', async () => {
    const a = await client();
    const b = await client();
    const ra = await a.enter('shared-name', 1, APP);
    const rb = await b.enter('shared-name', 1, OTHER_APP); // same uid too: different channel
    expect(ra.peers).toEqual([]);
    expect(rb.peers).toEqual([]);
    a.send({ t: 'state', state: { published: true, audioMuted: false, videoMuted: false } });
    expect(await a.request({ t: 'leave' })).toMatchObject({ t: 'ok' });
    expect(await b.none(() => true, 300)).toBeUndefined();
  });

  it('invalid channel names are refused with 102', async () => {
    const a = await client();
    await a.hello();
    for (const channel of ['x'.repeat(65), 'bad*name', 'slash/name', 'é', '', 5, null]) {
      const e = errOf(await a.join(channel as string));
      expect(e, JSON.stringify(channel)).toMatchObject({ code: 102, name: 'ERR_INVALID_CHANNEL_NAME' });
      expect(e.message.length).toBeGreaterThan(10);
    }
    // The longest and the oddest legal names pass.
    expect(await a.join('y'.repeat(64))).toMatchObject({ t: 'ok' });
    await a.request({ t: 'leave' });
    expect(await a.join(' !#$%&()+,-:;<=.>?@[]^_`{}~')).toMatchObject({ t: 'ok' });
  });

  it('uids outside unsigned 32-bit (-1, 2^32, 1.5, 1e400, "7") are refused with 2', async () => {
    const a = await client();
    await a.hello();
    for (const uid of [-1, 2 ** 32, 1.5, '7', null]) {
      expect(errOf(await a.join('uids', uid as number)), String(uid)).toMatchObject({
        code: 2,
        name: 'ERR_INVALID_ARGUMENT',
      });
    }
    // JSON.stringify cannot produce 1e400; the wire can.
    a.send(
      '{"t":"join","id":999,"channel":"uids","uid":1e400,"key":null,"state":{"published":false,"audioMuted":false,"videoMuted":false}}',
    );
    expect(await a.next((m) => m.t === 'err' && m.id === 999)).toMatchObject({ code: 2 });
    expect(await a.join('uids', 0xffffffff)).toMatchObject({ t: 'ok', result: { uid: 0xffffffff } });
  });

  it('key and state of the wrong type are refused with 2; a Channel Key in static mode with 110', async () => {
    const a = await client();
    await a.hello();
    expect(errOf(await a.join('types', 1, { key: 5 })).code).toBe(2);
    expect(errOf(await a.join('types', 1, { key: undefined })).code).toBe(2);
    expect(errOf(await a.join('types', 1, { state: { published: 'yes' } })).code).toBe(2);
    expect(errOf(await a.join('types', 1, { state: null })).code).toBe(2);
    expect(errOf(await a.join('types', 1, { session: 12 })).code).toBe(2);
    expect(errOf(await a.join('types', 1, { key: '004abc' }))).toMatchObject({
      code: 110,
      name: 'ERR_INVALID_CHANNEL_KEY',
    });
    expect(await a.join('types', 1, { key: APP })).toMatchObject({ t: 'ok' });
  });

  it('a malformed App ID is refused with 101 and the validator message', async () => {
    const a = await client();
    for (const appId of ['0123', APP + '0', 'g'.repeat(32), 42]) {
      const e = errOf(await a.hello(appId as string));
      expect(e).toMatchObject({ code: 101, name: 'ERR_INVALID_APP_ID' });
      expect(e.message).toMatch(/App ID must/);
    }
    // A failed hello leaves the socket un-greeted.
    expect(errOf(await a.join('x')).code).toBe(7);
  });

  it('a policy that refuses the App ID answers hello with its error', async () => {
    const denying: AppPolicy = {
      checkApp: (appId) =>
        appId === OTHER_APP ? policyError('ERR_INVALID_APP_ID', 'Unknown App ID.') : null,
      checkJoin: staticPolicy.checkJoin,
    };
    const s = await startServer({ port: 0, quiet: true, policy: denying });
    try {
      const a = await client(s);
      expect(errOf(await a.hello(OTHER_APP))).toMatchObject({ code: 101, message: 'Unknown App ID.' });
      expect(await a.hello(APP)).toMatchObject({ t: 'ok' });
    } finally {
      await s.close();
    }
  });

  it('a policy that throws gives ERR_FAILED for that request and the socket stays usable', async () => {
    const throwing: AppPolicy = {
      checkApp: () => null,
      checkJoin: ({ key }) => {
        if (key === 'boom') throw new Error('registry down');
        return { expiresAt: 0 };
      },
    };
    const s = await startServer({ port: 0, quiet: true, policy: throwing });
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const a = await client(s);
      await a.hello();
      expect(errOf(await a.join('throws', 1, { key: 'boom' }))).toMatchObject({
        code: 1,
        name: 'ERR_FAILED',
      });
      expect(logged).toHaveBeenCalled();
      expect(await a.join('throws', 1)).toMatchObject({ t: 'ok' });
      expect(s.stats().members).toBe(1);
    } finally {
      logged.mockRestore();
      await s.close();
    }
  });

  it('calls in the wrong order get 7, 17 and 18', async () => {
    const a = await client();
    expect(errOf(await a.join('order-codes'))).toMatchObject({ code: 7, name: 'ERR_NOT_INITIALIZED' });
    expect(errOf(await a.request({ t: 'leave' }))).toMatchObject({
      code: 18,
      name: 'ERR_LEAVE_CHANNEL_REJECTED',
    });
    expect(errOf(await a.request({ t: 'renew', key: 'k' })).code).toBe(7);
    a.send({ t: 'state', state: IDLE });
    expect(await a.next((m) => m.t === 'err')).toMatchObject({ code: 7 });
    a.send({ t: 'relay', to: 1, data: 1 });
    expect(await a.next((m) => m.t === 'err')).toMatchObject({ code: 7 });
    await a.enter('order-codes', 3);
    expect(errOf(await a.join('order-codes', 4))).toMatchObject({
      code: 17,
      name: 'ERR_JOIN_CHANNEL_REJECTED',
    });
    expect(errOf(await a.join('elsewhere', 4)).code).toBe(17);
    // hello again: the same App ID is fine, switching App ID inside a channel is not.
    expect(await a.hello(APP)).toMatchObject({ t: 'ok' });
    expect(errOf(await a.hello(OTHER_APP)).code).toBe(17);
    expect(await a.request({ t: 'leave' })).toMatchObject({ t: 'ok' });
    expect(errOf(await a.request({ t: 'leave' })).code).toBe(18);
    expect(await a.hello(OTHER_APP)).toMatchObject({ t: 'ok' });
  });

  it('leave tells the others with peer-leave and frees the uid', async () => {
    const a = await client();
    const b = await client();
    await a.enter('leaving', 1);
    await b.enter('leaving', 2);
    expect(await b.request({ t: 'leave' })).toMatchObject({ t: 'ok' });
    expect(await a.next((m) => m.t === 'peer-leave')).toEqual({ t: 'peer-leave', uid: 2 });
    expect(await b.join('leaving', 2)).toMatchObject({ t: 'ok' });
  });
});

describe('state and relay', () => {
  it('state changes go to the others, not the sender, and only when something changed', async () => {
    const a = await client();
    const b = await client();
    await a.enter('state', 1);
    await b.enter('state', 2);
    const muted = { published: true, audioMuted: false, videoMuted: true };
    a.send({ t: 'state', state: muted });
    expect(await b.next((m) => m.t === 'peer-state')).toEqual({
      t: 'peer-state',
      peer: { uid: 1, ...muted },
    });
    a.send({ t: 'state', state: muted });
    a.send({ t: 'state', state: { published: 1, audioMuted: false, videoMuted: true } });
    expect(await a.next((m) => m.t === 'err')).toMatchObject({ code: 2 });
    expect(await b.none((m) => m.t === 'peer-state', 200)).toBeUndefined();
    expect(a.queue.filter((m) => m.t === 'peer-state')).toEqual([]);
    // A newcomer sees the stored state.
    const c = await client();
    expect((await c.enter('state', 3)).peers).toContainEqual({ uid: 1, ...muted });
  });

  it('relay reaches the addressed member of the same channel only, never another channel or app', async () => {
    const a = await client();
    const b = await client();
    const c = await client();
    const other = await client();
    const otherApp = await client();
    await a.enter('relay', 1);
    await b.enter('relay', 2);
    await c.enter('relay', 3);
    await other.enter('relay-other', 9);
    await otherApp.enter('relay', 4, OTHER_APP);

    a.send({ t: 'relay', to: 2, data: { type: 'offer', sdp: 'v=0' } });
    expect(await b.next((m) => m.t === 'relay')).toEqual({
      t: 'relay',
      from: 1,
      data: { type: 'offer', sdp: 'v=0' },
    });
    for (const to of [9, 4]) {
      a.send({ t: 'relay', to, data: 'secret' });
      const e = await a.next((m) => m.t === 'err');
      expect(e).toMatchObject({ code: 2, name: 'ERR_INVALID_ARGUMENT' });
      expect((e as ErrReply).message).toMatch(/not in your channel/);
    }
    for (const to of [1, 0, -1, '2']) {
      a.send({ t: 'relay', to, data: 'x' });
      expect(await a.next((m) => m.t === 'err'), String(to)).toMatchObject({ code: 2 });
    }
    expect(await other.none((m) => m.t === 'relay', 200)).toBeUndefined();
    expect(otherApp.queue.some((m) => m.t === 'relay')).toBe(false);
    expect(c.queue.some((m) => m.t === 'relay')).toBe(false);
  });
});

describe('robustness', () => {
  it('malformed frames get an err (with the id when there was one) and the socket stays usable', async () => {
    const a = await client();
    expect(await a.hello()).toMatchObject({ t: 'ok' });
    const cases: Array<[unknown, number | undefined]> = [
      ['{not json', undefined],
      ['42', undefined],
      ['null', undefined],
      ['[1,2]', undefined],
      ['"join"', undefined],
      [Buffer.from([1, 2, 3]), undefined],
      [{ t: 'nope', id: 5 }, 5],
      [{ t: 'nope' }, undefined],
      [{ id: 6 }, 6],
      [{ t: 'join', channel: 'x', uid: 1, key: null, state: IDLE }, undefined],
      [{ t: 'join', id: 'x', channel: 'x', uid: 1, key: null, state: IDLE }, undefined],
      ['{"t":"join","id":1e400,"channel":"x","uid":1,"key":null}', undefined],
      // Fields hidden behind __proto__ are not read as the message's own.
      ['{"t":"join","id":8,"__proto__":{"channel":"x","uid":1,"key":null}}', 8],
      ['{"t":"join","id":9,"channel":"x","uid":1,"key":null,"state":{"__proto__":{"published":true}}}', 9],
      ['{"t":{"__proto__":null},"id":10}', 10],
      [{ t: 'hello', id: 11, appId: APP, sdk: {} }, 11],
      [{ t: 'relay', id: 12, to: 1, data: 1 }, 12],
      [{ t: 'hello', id: 13, appId: { toString: 'x' } }, 13],
    ];
    for (const [frame, id] of cases) {
      a.send(frame);
      const e = await a.next((m) => m.t === 'err');
      expect(typeof (e as ErrReply).code, String(frame)).toBe('number');
      expect((e as ErrReply).id, JSON.stringify(frame)).toBe(id);
    }
    expect(({} as Record<string, unknown>).published).toBeUndefined();
    await a.ping();
    await a.enter('after-malformed', 1);
  });

  it('an oversized frame closes only that socket; the server serves the next client', async () => {
    const a = await client();
    const b = await client();
    await b.enter('oversize', 1);
    a.send('x'.repeat(MAX_FRAME_BYTES + 1));
    expect((await a.closed).code).toBe(1009);
    await b.ping();
    const c = await client();
    expect((await c.enter('oversize', 2)).peers).toEqual([{ uid: 1, ...IDLE }]);
  });

  it('10k garbage messages do not take the server down', async () => {
    const a = await client();
    for (let i = 0; i < 10_000; i++) a.send(i % 2 ? `garbage ${i}` : { t: 'garbage', i });
    // The server reads frames in order, so a pong means it got through all of them.
    let ponged = false;
    for (let i = 0; i < 100 && !ponged; i++) {
      a.send({ t: 'ping' });
      ponged = (await a.none((m) => m.t === 'pong', 100)) !== undefined;
    }
    expect(ponged).toBe(true);
    const b = await client();
    await b.enter('after-garbage', 1);
    await b.ping();
  });

  it('a flood beyond the rate limit is answered with ERR_TOO_OFTEN', async () => {
    const a = await client();
    for (let i = 0; i < 1000; i++) a.send({ t: 'ping' });
    expect(await a.next((m) => m.t === 'err')).toMatchObject({ code: 12, name: 'ERR_TOO_OFTEN' });
  });
});

describe('disconnects', () => {
  it('a socket closed without leave stays for the grace period, then the others get peer-leave', async () => {
    const a = await client();
    const b = await client();
    await a.enter('abrupt', 1);
    await b.enter('abrupt', 2);
    const t0 = Date.now();
    a.ws.terminate();
    await b.next(isLeaveOf(1), 2000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250); // graceMs is 300 here
    // The uid is free again, without a session.
    const c = await client();
    expect(await c.enter('abrupt', 1)).toMatchObject({ uid: 1 });
  });

  it('a vanished client (no pongs) is dropped with peer-leave within 5 s at the default heartbeat', async () => {
    const s = await startServer({ port: 0, quiet: true }); // heartbeatMs 1000, graceMs 3000
    try {
      const a = await client(s, { autoPong: false });
      const b = await client(s);
      await a.enter('vanish', 1);
      await b.enter('vanish', 2);
      const t0 = Date.now();
      await b.next(isLeaveOf(1), 5000);
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(s.stats()).toMatchObject({ members: 1 });
      // b answers pings by itself, so it stays.
      await b.ping();
    } finally {
      await s.close();
    }
  }, 10_000);

  it('close() closes the clients and forgets the channels', async () => {
    const s = await startServer({ port: 0, quiet: true });
    const a = await client(s);
    await a.enter('closing', 1);
    expect(s.stats()).toEqual({ connections: 1, channels: 1, members: 1 });
    await s.close();
    expect((await a.closed).code).toBe(1001);
  });
});

describe('channel key expiry', () => {
  let keyed: RunningServer;
  // key "short": stay ends in 2 s; "long": in 4 s; "bad": refused.
  const policy: AppPolicy = {
    checkApp: () => null,
    checkJoin({ key, now }) {
      if (key === 'short') return { expiresAt: now + 2 };
      if (key === 'long') return { expiresAt: now + 4 };
      if (key === 'none') return { expiresAt: 0 };
      return policyError('ERR_INVALID_CHANNEL_KEY', 'bad key');
    },
  };
  beforeAll(async () => {
    keyed = await startServer({ port: 0, quiet: true, policy });
  });
  afterAll(async () => {
    await keyed.close();
  });

  it('a stay close to expiry gets expiring at once, then kick 109 at expiresAt; the others see peer-leave', async () => {
    const a = await client(keyed);
    const b = await client(keyed);
    const ra = await a.enter('exp', 1, APP, { key: 'short' });
    await b.enter('exp', 2, APP, { key: 'none' });
    expect(ra.expiresAt).toBeGreaterThan(Date.now() / 1000);
    expect(await a.next((m) => m.t === 'expiring', 500)).toEqual({ t: 'expiring', expiresAt: ra.expiresAt });
    // A refused renewal changes nothing.
    expect(errOf(await a.request({ t: 'renew', key: 'bad' }))).toMatchObject({ code: 110 });
    expect(errOf(await a.request({ t: 'renew', key: 5 })).code).toBe(2);
    const kick = await a.next((m) => m.t === 'kick', 3000);
    expect(Date.now()).toBeGreaterThanOrEqual(ra.expiresAt * 1000 - 50);
    expect(kick).toMatchObject({ t: 'kick', code: 109, name: 'ERR_CHANNEL_KEY_EXPIRED' });
    await b.next(isLeaveOf(1), 1000);
    // Kicked, not disconnected: the socket may leave (18: no longer in a channel) or join again.
    expect(errOf(await a.request({ t: 'leave' })).code).toBe(18);
    expect(await a.join('exp', 1, { key: 'none' })).toMatchObject({ t: 'ok' });
  });

  it('renew moves the expiry: no kick at the old time, a kick at the new one', async () => {
    const a = await client(keyed);
    const ra = await a.enter('renew', 1, APP, { key: 'short' });
    const r = await a.request({ t: 'renew', key: 'long' });
    expect(r).toMatchObject({ t: 'ok' });
    const renewed = ((r as OkReply).result as { expiresAt: number }).expiresAt;
    expect(renewed).toBeGreaterThan(ra.expiresAt);
    expect(await a.none((m) => m.t === 'kick', ra.expiresAt * 1000 - Date.now() + 300)).toBeUndefined();
    expect(await a.next((m) => m.t === 'kick', renewed * 1000 - Date.now() + 1000)).toMatchObject({
      code: 109,
    });
    expect(Date.now()).toBeGreaterThanOrEqual(renewed * 1000 - 50);
  }, 10_000);
});
