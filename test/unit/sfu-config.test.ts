// SFU configuration from the environment, and the SFU wire messages' validators (what a member or the server
// may send before it reaches Janus or an RTCPeerConnection).
import { describe, expect, test } from 'vitest';
import { EnvError, sfuFromEnv } from '../../server/env.js';
import { parseSfuOp, parseSfuPush } from '../../src/protocol/sfu.js';

describe('sfuFromEnv', () => {
  test('without SFU_URLS every channel stays a mesh', () => {
    expect(sfuFromEnv({})).toBeUndefined();
    expect(sfuFromEnv({ SFU_URLS: ' , ', MESH_MAX: '0' })).toBeUndefined();
  });

  test('URLs, the API secret and MESH_MAX (default 4, 0 = always the SFU)', () => {
    expect(sfuFromEnv({ SFU_URLS: 'ws://127.0.0.1:8188' })).toEqual({
      urls: ['ws://127.0.0.1:8188'],
      meshMax: 4,
    });
    expect(
      sfuFromEnv({
        SFU_URLS: 'ws://127.0.0.1:8188, wss://sfu2.example:8989',
        SFU_API_SECRET: 's',
        MESH_MAX: '0',
      }),
    ).toEqual({ urls: ['ws://127.0.0.1:8188', 'wss://sfu2.example:8989'], apiSecret: 's', meshMax: 0 });
  });

  test('a bad URL or MESH_MAX stops the server with a message naming the variable', () => {
    expect(() => sfuFromEnv({ SFU_URLS: 'http://127.0.0.1:8088/janus' })).toThrow(EnvError);
    expect(() => sfuFromEnv({ SFU_URLS: 'not a url' })).toThrow(/SFU_URLS/);
    expect(() => sfuFromEnv({ SFU_URLS: 'ws://127.0.0.1:8188', MESH_MAX: '-1' })).toThrow(/MESH_MAX/);
    expect(() => sfuFromEnv({ SFU_URLS: 'ws://127.0.0.1:8188', MESH_MAX: 'four' })).toThrow(/MESH_MAX/);
  });
});

describe('SFU messages', () => {
  test('a member request is copied field by field: room, handle and session ids never pass', () => {
    const op = parseSfuOp({
      t: 'sfu',
      op: 'publish',
      jsep: { type: 'offer', sdp: 'v=0', e2ee: true, room: 1 },
      room: 1234,
      handle_id: 5,
      session_id: 6,
    });
    expect(op).toEqual({ op: 'publish', jsep: { type: 'offer', sdp: 'v=0', e2ee: true } });
    expect(parseSfuOp({ op: 'subscribe', uid: 7, on: true, feed: 9 })).toEqual({
      op: 'subscribe',
      uid: 7,
      on: true,
    });
    expect(parseSfuOp({ op: 'trickle', pc: 'pub', candidate: null })).toEqual({
      op: 'trickle',
      pc: 'pub',
      candidate: null,
    });
  });

  test('anything else is refused', () => {
    for (const bad of [
      { op: 'publish', jsep: { type: 'answer', sdp: 'v=0' } },
      { op: 'publish', jsep: { type: 'offer', sdp: 'x'.repeat(60_001) } },
      { op: 'answer', jsep: null },
      { op: 'subscribe', uid: 0, on: true },
      { op: 'subscribe', uid: 2 ** 32, on: true },
      { op: 'subscribe', uid: 1.5, on: true },
      { op: 'trickle', pc: 'pub', candidate: { candidate: 'x'.repeat(2000) } },
      { op: 'destroy' },
      { op: '__proto__' },
    ]) {
      expect(parseSfuOp(bad as Record<string, unknown>)).toBeNull();
    }
  });

  test('server pushes are checked before they reach an RTCPeerConnection', () => {
    expect(
      parseSfuPush({
        op: 'offer',
        jsep: { type: 'offer', sdp: 'v=0' },
        streams: [{ mid: '0', uid: 3, kind: 'video' }],
      }),
    ).toEqual({
      op: 'offer',
      jsep: { type: 'offer', sdp: 'v=0' },
      streams: [{ mid: '0', uid: 3, kind: 'video' }],
    });
    expect(parseSfuPush({ op: 'restart' })).toEqual({ op: 'restart' });
    expect(
      parseSfuPush({ op: 'offer', jsep: { type: 'offer', sdp: 'v=0' }, streams: [{ mid: 0 }] }),
    ).toBeNull();
    expect(parseSfuPush({ op: 'mode', mode: 'p2p' })).toBeNull();
    expect(parseSfuPush(null)).toBeNull();
  });
});
