// The SFU's security model without a browser: members reach Janus only through the server, which picks the room
// and handles itself; a member cannot name another channel's room or users, and Janus's rooms are private and
// pinned, so even a client of Janus's API that learnt a room id cannot join it.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { serve } from './harness.js';
import { startJanus, type JanusProcess } from './janus.js';
import { SignalClient } from '../unit/signal-client.js';
import type { RunningServer } from '../../server/app.js';
import { SfuDriver } from '../../server/sfu/sfu.js';
import { JanusSession } from '../../server/sfu/janus.js';

const OTHER_APP = 'fedcba9876543210fedcba9876543210';
let janus: JanusProcess;
let server: RunningServer;
let meshServer: RunningServer;

beforeAll(async () => {
  janus = await startJanus();
  server = await serve({ sfu: { urls: [janus.url], apiSecret: janus.apiSecret, meshMax: 0 } });
  meshServer = await serve({ sfu: { urls: [janus.url], apiSecret: janus.apiSecret, meshMax: 4 } });
});
afterAll(async () => {
  await server?.close();
  await meshServer?.close();
  await janus?.stop();
});

describe('SFU requests through the signaling server', () => {
  test('the join result says the channel uses the SFU; with MESH_MAX=4 a small channel stays a mesh', async () => {
    const a = await SignalClient.open(server.url);
    expect(await a.enter('sfu join')).toMatchObject({ media: 'sfu' });
    const m = await SignalClient.open(meshServer.url);
    const r = await m.enter('mesh join');
    expect(r.media).toBeUndefined();
    expect(await m.request({ t: 'sfu', op: 'subscribe', uid: 1, on: true })).toMatchObject({
      t: 'err',
      name: 'ERR_INVALID_ARGUMENT',
      message: expect.stringContaining('does not use the SFU'),
    });
    a.close();
    m.close();
  });

  test('a member cannot subscribe to a user of another channel or app, nor answer an offer it was not sent', async () => {
    const a = await SignalClient.open(server.url);
    const b = await SignalClient.open(server.url);
    const c = await SignalClient.open(server.url);
    expect(await a.request({ t: 'sfu', op: 'subscribe', uid: 5, on: true })).toMatchObject({ t: 'err' });
    const ra = await a.enter('channel A');
    const rb = await b.enter('channel B');
    const rc = await c.enter('channel A', 0, OTHER_APP);
    for (const uid of [rb.uid, rc.uid]) {
      expect(await a.request({ t: 'sfu', op: 'subscribe', uid, on: true })).toMatchObject({
        t: 'err',
        name: 'ERR_INVALID_ARGUMENT',
        message: expect.stringContaining('not in your channel'),
      });
    }
    expect(ra.uid).toBeGreaterThan(0);
    expect(
      await a.request({ t: 'sfu', op: 'answer', jsep: { type: 'answer', sdp: 'v=0\r\n' } }),
    ).toMatchObject({ t: 'err', name: 'ERR_INVALID_ARGUMENT' });
    for (const c2 of [a, b, c]) c2.close();
  });

  test('forged room, handle and session ids are not read; malformed requests are refused; the server survives', async () => {
    const a = await SignalClient.open(server.url);
    await a.enter('forger');
    const forged = { room: 1234, handle_id: 1, session_id: 1, feed: 99, secret: 'x', pin: 'y' };
    // A publish with a nonsense SDP reaches only this member's own room, where Janus refuses it.
    expect(
      await a.request(
        { t: 'sfu', op: 'publish', jsep: { type: 'offer', sdp: 'v=0\r\nnonsense' }, ...forged },
        15_000,
      ),
    ).toMatchObject({ t: 'err', name: 'ERR_FAILED' });
    for (const bad of [
      { op: 'publish', jsep: { type: 'answer', sdp: 'v=0' } },
      { op: 'publish', jsep: { type: 'offer', sdp: 'x'.repeat(61_000) } },
      { op: 'trickle', pc: 'other', candidate: null },
      { op: 'subscribe', uid: -1, on: true },
      { op: 'subscribe', uid: 1, on: 'yes' },
      { op: 'destroy', room: 1234 },
      { op: 'trickle', pc: 'sub', candidate: { candidate: 42 } },
    ]) {
      expect(await a.request({ t: 'sfu', ...bad })).toMatchObject({ t: 'err', name: 'ERR_INVALID_ARGUMENT' });
    }
    // A candidate before there is anything to add it to.
    expect(
      await a.request({
        t: 'sfu',
        op: 'trickle',
        pc: 'sub',
        candidate: { candidate: 'candidate:1 1 udp 1 10.0.0.1 9 typ host' },
      }),
    ).toMatchObject({ t: 'err', name: 'ERR_NOT_READY' });
    await a.ping();
    a.close();
  });
});

describe("Janus's rooms", () => {
  test('are private and pinned: a client of the Janus API that knows the room id cannot join it; without the API secret there is no session', async () => {
    const driver = new SfuDriver({ urls: [janus.url], apiSecret: janus.apiSecret, log: () => undefined });
    const member = { channel: 'app/room', uid: 7, push: () => undefined };
    await driver.request(member, { op: 'subscribe', uid: 8, on: true });
    const room = driver.roomId('app/room');
    expect(room).toBeGreaterThan(0);

    await expect(JanusSession.open(janus.url, 'wrong secret')).rejects.toThrow(/secret/i);
    await expect(JanusSession.open(janus.url)).rejects.toThrow(/secret/i);

    const intruder = await JanusSession.open(janus.url, janus.apiSecret);
    const h = await intruder.attach(() => undefined);
    const list = await intruder.message(h, { request: 'list' });
    const rooms = (list.plugindata?.data.list as Array<{ room: number }>) ?? [];
    expect(rooms.map((r) => r.room)).not.toContain(room);
    for (const pin of [undefined, 'guess']) {
      await expect(
        intruder.message(h, { request: 'join', room, ptype: 'publisher', id: 99, ...(pin ? { pin } : {}) }),
      ).rejects.toThrow(/pin|unauthorized/i);
    }
    await expect(intruder.message(h, { request: 'destroy', room })).rejects.toThrow(/secret|unauthorized/i);
    intruder.close();

    driver.channelClosed('app/room');
    expect(driver.roomId('app/room')).toBeUndefined();
    driver.close();
  });
});
