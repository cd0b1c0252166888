// What a member tells the others beyond publish/mute state: its display name (given at join, seen by members already
// there and by late joiners, kept across a session rejoin) and whether its video is a shared screen.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { IDLE, SignalClient } from './signal-client.js';
import { startServer, type RunningServer } from '../../server/app.js';
import type { ErrReply, JoinResult, OkReply, PeerJoinPush } from '../../src/protocol/messages.js';
import { checkDisplayName } from '../../src/protocol/validate.js';

const APP = '0123456789abcdef0123456789abcdef';
let server: RunningServer;
const open: SignalClient[] = [];

async function member(channel: string, extra: Record<string, unknown> = {}) {
  const c = await SignalClient.open(server.url);
  open.push(c);
  expect(await c.hello(APP)).toMatchObject({ t: 'ok' });
  const r = await c.request({ t: 'join', channel, uid: 0, key: null, state: IDLE, ...extra });
  return { c, r };
}

beforeAll(async () => {
  server = await startServer({ port: 0, quiet: true, graceMs: 300 });
});
afterAll(async () => {
  for (const c of open) c.ws.terminate();
  await server.close();
});

it('a name given at join reaches the members already there and late joiners, as the same text', async () => {
  const { c: a, r: ra } = await member('names', { name: 'Ada <b>Lovelace</b> 🚀' });
  const uidA = ((ra as OkReply).result as JoinResult).uid;
  const { c: b, r: rb } = await member('names', { name: '李雷' });
  const uidB = ((rb as OkReply).result as JoinResult).uid;
  expect(((rb as OkReply).result as JoinResult).peers).toEqual([
    { uid: uidA, published: false, audioMuted: false, videoMuted: false, name: 'Ada <b>Lovelace</b> 🚀' },
  ]);
  const push = await a.next<PeerJoinPush>((m) => m.t === 'peer-join');
  expect(push.peer).toMatchObject({ uid: uidB, name: '李雷' });
  // A member without a name has no name field at all.
  const { r: rc } = await member('names');
  const peers = ((rc as OkReply).result as JoinResult).peers;
  expect(peers.map((p) => p.name)).toEqual(['Ada <b>Lovelace</b> 🚀', '李雷']);
  const pushC = await b.next<PeerJoinPush>((m) => m.t === 'peer-join');
  expect('name' in pushC.peer).toBe(false);
});

it('names of 64 characters pass (emoji count as one); 65, control characters and non-strings get 2', async () => {
  const ok64 = '🙂'.repeat(64);
  expect((await member('names-len', { name: ok64 })).r).toMatchObject({ t: 'ok' });
  for (const bad of ['x'.repeat(65), 'a\nb', 'tab\there', 42, ['x']]) {
    const { r } = await member('names-bad', { name: bad });
    expect(r.t, JSON.stringify(bad)).toBe('err');
    expect((r as ErrReply).code).toBe(2);
  }
  expect(checkDisplayName('')).toBeNull();
  expect(checkDisplayName('x'.repeat(65))).toMatch(/65 characters; the limit is 64/);
});

it('a session rejoin after a reconnect keeps the name for members who join later', async () => {
  const { c: a, r } = await member('names-rejoin', { name: 'Grace' });
  const { uid, session } = (r as OkReply).result as JoinResult;
  a.ws.terminate();
  const a2 = await SignalClient.open(server.url);
  open.push(a2);
  await a2.hello(APP);
  const back = await a2.request({
    t: 'join',
    channel: 'names-rejoin',
    uid,
    key: null,
    state: IDLE,
    session,
    name: 'Grace',
  });
  expect(back).toMatchObject({ t: 'ok' });
  const { r: late } = await member('names-rejoin');
  expect(((late as OkReply).result as JoinResult).peers[0]).toMatchObject({ uid, name: 'Grace' });
});

it('the screen flag of a member state reaches the others once per change; a non-boolean is refused with 2', async () => {
  const { c: a } = await member('screen-flag');
  const { c: b } = await member('screen-flag');
  await a.next((m) => m.t === 'peer-join');
  const pub = { published: true, audioMuted: false, videoMuted: false };
  b.send({ t: 'state', state: pub });
  expect(await a.next((m) => m.t === 'peer-state')).toMatchObject({ peer: pub });
  b.send({ t: 'state', state: { ...pub, screen: true } });
  expect(await a.next((m) => m.t === 'peer-state')).toMatchObject({ peer: { ...pub, screen: true } });
  b.send({ t: 'state', state: { ...pub, screen: true } });
  b.send({ t: 'state', state: { ...pub, screen: false } });
  const back = await a.next((m) => m.t === 'peer-state');
  expect(back.t === 'peer-state' && back.peer.screen).toBeFalsy();
  expect(await a.none((m) => m.t === 'peer-state', 200)).toBeUndefined();
  const r = await b.request({ t: 'state', state: { ...pub, screen: 'yes' } });
  expect(r).toMatchObject({ t: 'err', code: 2 });
});
