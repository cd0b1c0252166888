// The server's side of recording: one recorder per channel, checked with a Recording Key; every member (late
// joiners in their join result) told who records since when; stop only by the recorder with its key; the
// recorder's leaving ends it. And the demo key endpoint's "service": "recording".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDLE, SignalClient } from './signal-client.js';
import { loadRegistry } from '../../server/app-registry.js';
import { startServer, type RunningServer } from '../../server/app.js';
import { generateMediaChannelKey, generateRecordingKey } from '../../server/channel-key.js';
import { configureApps, DEMO_KEYED_APP_ID } from '../../server/demo-keys.js';
import type { ErrReply, JoinResult, OkReply, RecordingPush } from '../../src/protocol/messages.js';
import { ServerProcess, freePort } from '../e2e/harness.js';
import { twoNodesOnRedis } from './cluster-nodes.js';

const KEYED = 'fedcba9876543210fedcba9876543210';
const CERT = 'c0ffee00deadbeefc0ffee00deadbeef';
const REGISTRY = JSON.stringify({ apps: [{ appId: KEYED, certificate: CERT }] });
const now = () => Math.floor(Date.now() / 1000);

const servers: RunningServer[] = [];
const clients: SignalClient[] = [];
async function serverFor(env: Record<string, string>): Promise<RunningServer> {
  const apps = configureApps(env, loadRegistry(env));
  const s = await startServer({ port: 0, quiet: true, policy: apps.policy, routes: apps.routes });
  servers.push(s);
  return s;
}
afterAll(async () => {
  for (const c of clients) c.ws.terminate();
  await Promise.all(servers.map((s) => s.close()));
});

function ok(r: OkReply | ErrReply): OkReply {
  expect(r, JSON.stringify(r)).toMatchObject({ t: 'ok' });
  return r as OkReply;
}
function err(r: OkReply | ErrReply): ErrReply {
  expect(r, JSON.stringify(r)).toMatchObject({ t: 'err' });
  return r as ErrReply;
}

async function member(
  url: string,
  channel: string,
  uid: number,
): Promise<{ c: SignalClient; join: JoinResult }> {
  const c = await SignalClient.open(url);
  clients.push(c);
  ok(await c.request({ t: 'hello', appId: KEYED, sdk: 'test' }));
  const key = generateMediaChannelKey(KEYED, CERT, channel, now(), 1, uid, 0);
  const join = ok(await c.request({ t: 'join', channel, uid, key, state: IDLE })).result as JoinResult;
  return { c, join };
}
const ars = (channel: string, uid: number) => generateRecordingKey(KEYED, CERT, channel, now(), 7, uid, 0);
const recordingPush = (c: SignalClient) => c.next<RecordingPush>((m) => m.t === 'recording');

describe('recording on the server', () => {
  let s: RunningServer;
  beforeAll(async () => {
    s = await serverFor({ AGORA_APPS: REGISTRY });
  });

  it('one recorder per channel; everyone, late joiners too, learns who records; only the recorder stops it, with its key', async () => {
    const a = await member(s.url, 'r1', 1);
    const b = await member(s.url, 'r1', 2);
    expect(a.join.recording).toBeNull();
    // An ACS key is not a Recording Key; nothing starts, no one is told.
    expect(
      err(
        await a.c.request({
          t: 'recording-start',
          key: generateMediaChannelKey(KEYED, CERT, 'r1', now(), 1, 1, 0),
        }),
      ).code,
    ).toBe(110);
    expect(await b.c.none((m) => m.t === 'recording', 200)).toBeUndefined();
    // Stop without a recording.
    const none = err(await a.c.request({ t: 'recording-stop', key: ars('r1', 1) }));
    expect(none).toMatchObject({
      code: 3,
      message: 'This channel is not being recorded: call startRecording first.',
    });

    const keyA = ars('r1', 1);
    const pushA = recordingPush(a.c);
    const pushB = recordingPush(b.c);
    const started = ok(await a.c.request({ t: 'recording-start', key: keyA })).result as {
      recording: { uid: number; startedAt: number };
    };
    expect(started.recording.uid).toBe(1);
    expect(Math.abs(started.recording.startedAt - Date.now())).toBeLessThan(5000);
    expect((await pushA).recording).toEqual(started.recording);
    expect((await pushB).recording).toEqual(started.recording);

    const late = await member(s.url, 'r1', 3);
    expect(late.join.recording).toEqual(started.recording);

    const second = err(await b.c.request({ t: 'recording-start', key: ars('r1', 2) }));
    expect(second.code).toBe(19);
    expect(second.message).toContain('User 1 is already recording');
    expect(err(await b.c.request({ t: 'recording-stop', key: ars('r1', 2) })).message).toContain(
      'User 1 records this channel, not you',
    );
    expect(err(await a.c.request({ t: 'recording-stop', key: ars('r1', 1) + 'x' })).code).toBe(110);

    const ended = recordingPush(late.c);
    ok(await a.c.request({ t: 'recording-stop', key: keyA }));
    expect(await ended).toEqual({ t: 'recording', recording: null, ended: started.recording });
  });

  it('the recorder leaving ends the recording for the others', async () => {
    const a = await member(s.url, 'r2', 1);
    const b = await member(s.url, 'r2', 2);
    ok(await a.c.request({ t: 'recording-start', key: ars('r2', 1) }));
    await recordingPush(b.c);
    const ended = recordingPush(b.c);
    ok(await a.c.request({ t: 'leave' }));
    expect((await ended).recording).toBeNull();
    const c = await member(s.url, 'r2', 3);
    expect(c.join.recording).toBeNull();
  });
});

describe('recording across two nodes on one Redis', () => {
  const apps = configureApps({ AGORA_APPS: REGISTRY }, loadRegistry({ AGORA_APPS: REGISTRY }));
  const nodes = twoNodesOnRedis({ policy: apps.policy, routes: apps.routes });

  it('members on the other node see the recording, cannot start a second, and see it end; a node new to the channel learns of it', async () => {
    const a = await member(nodes.n1.url, 'rc1', 1);
    const b = await member(nodes.n2.url, 'rc1', 2);
    const atB = recordingPush(b.c);
    const started = ok(await a.c.request({ t: 'recording-start', key: ars('rc1', 1) })).result as {
      recording: { uid: number; startedAt: number };
    };
    expect(await atB).toEqual({ t: 'recording', recording: started.recording });
    expect(err(await b.c.request({ t: 'recording-start', key: ars('rc1', 2) }))).toMatchObject({
      name: 'ERR_ALREADY_IN_USE',
      message: expect.stringContaining('User 1 is already recording') as string,
    });
    // B leaves: node 2 has nobody in the channel; a later member there is told from Redis.
    ok(await b.c.request({ t: 'leave' }));
    const c = await member(nodes.n2.url, 'rc1', 3);
    const told = c.join.recording ?? (await recordingPush(c.c)).recording;
    expect(told).toEqual(started.recording);
    // Only the recorder stops it, with its key; node 2's member sees it end.
    const ended = recordingPush(c.c);
    ok(await a.c.request({ t: 'recording-stop', key: ars('rc1', 1) }));
    expect(await ended).toEqual({ t: 'recording', recording: null, ended: started.recording });
    // Now someone on node 2 may record.
    ok(await c.c.request({ t: 'recording-start', key: ars('rc1', 3) }));
  });

  it("the recorder leaving, or its node's death, ends the recording for the other node's members", async () => {
    const a = await member(nodes.n1.url, 'rc2', 1);
    const b = await member(nodes.n2.url, 'rc2', 2);
    ok(await a.c.request({ t: 'recording-start', key: ars('rc2', 1) }));
    await recordingPush(b.c);
    const ended = recordingPush(b.c);
    ok(await a.c.request({ t: 'leave' }));
    expect((await ended).recording).toBeNull();

    // A recorder whose node dies: the other node ends its recording when the node's heartbeat expires.
    const dying = new ServerProcess(await freePort(), { REDIS_URL: nodes.redis.url, AGORA_APPS: REGISTRY });
    try {
      await dying.start();
      const d = await member(dying.url, 'rc2', 4);
      ok(await d.c.request({ t: 'recording-start', key: ars('rc2', 4) }));
      expect((await recordingPush(b.c)).recording).toMatchObject({ uid: 4 });
      await dying.kill();
      // Generous: the heartbeat's TTL is 3 s, and the unit suite runs beside this test.
      expect((await b.c.next<RecordingPush>((m) => m.t === 'recording', 15_000)).recording).toBeNull();
    } finally {
      await dying.kill();
    }
    ok(await b.c.request({ t: 'recording-start', key: ars('rc2', 2) }));
  }, 30_000);
  // Last in this block: Redis restarts here.
  it("after Redis restarted empty the recorder's node writes the recording again: a member new to the other node is told of it", async () => {
    const c = await member(nodes.n2.url, 'rc3', 3);
    ok(await c.c.request({ t: 'recording-start', key: ars('rc3', 3) }));
    await nodes.redis.restart();
    let d: Awaited<ReturnType<typeof member>> | undefined;
    for (let i = 0; !d && i < 40; i++) {
      d = await member(nodes.n1.url, 'rc3', 4).catch(() => undefined);
      if (!d) await new Promise((r) => setTimeout(r, 250));
    }
    expect(d, 'joined node 1 after the restart').toBeDefined();
    const toldD =
      d!.join.recording ?? (await d!.c.next<RecordingPush>((m) => m.t === 'recording', 5000)).recording;
    expect(toldD).toMatchObject({ uid: 3 });
  }, 30_000);
});

describe('the demo key endpoint makes Recording Keys', () => {
  it('"service": "recording" gives an ARS key for the demo app; the default and "media" give ACS; anything else is 400', async () => {
    const s = await serverFor({ AGORA_DEMO_KEYS: '1' });
    const post = async (body: unknown) => {
      const r = await fetch(`${s.url}/api/channel-key`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: r.status, body: (await r.json()) as { appId: string; key: string; error?: string } };
    };
    const rec = await post({ channel: 'room', uid: 9, service: 'recording' });
    expect(rec.status).toBe(200);
    expect(rec.body.appId).toBe(DEMO_KEYED_APP_ID);
    const media = await post({ channel: 'room', uid: 9, service: 'media' });
    const byDefault = await post({ channel: 'room', uid: 9 });
    expect(rec.body.key).not.toBe(media.body.key);
    // The server's own check tells the services apart: only the ARS key passes as a Recording Key.
    for (const [r, service] of [
      [rec, 'recording'],
      [media, 'media'],
      [byDefault, 'media'],
    ] as const) {
      const c = await SignalClient.open(s.url);
      clients.push(c);
      ok(await c.request({ t: 'hello', appId: DEMO_KEYED_APP_ID, sdk: 'test' }));
      const joinKey = service === 'media' ? r.body.key : media.body.key;
      ok(await c.request({ t: 'join', channel: 'room', uid: 9, key: joinKey, state: IDLE }));
      const check = await c.request({ t: 'recording-key', key: r.body.key });
      expect(check.t, service).toBe(service === 'recording' ? 'ok' : 'err');
      ok(await c.request({ t: 'leave' }));
    }
    const bad = await post({ channel: 'room', uid: 9, service: 'ARS' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/service must be "media".*or "recording"/);
  });
});
