import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app.js';
import { IceConfigError, iceGrant, iceOptionsFromEnv, turnCredential } from '../../server/turn.js';
import type { IcePush, JoinResult } from '../../src/protocol/messages.js';
import { SignalClient } from './signal-client.js';

const SECRET = 'coturn-static-auth-secret';

describe('TURN credentials (coturn REST scheme)', () => {
  it('username is <expiry>:<uid>, password base64 HMAC-SHA1 of the secret over the username', () => {
    const c = turnCredential(SECRET, 42, 1_800_000_000);
    expect(c.username).toBe('1800000000:42');
    expect(c.credential).toBe(createHmac('sha1', SECRET).update('1800000000:42').digest('base64'));
  });

  it('a grant lists STUN as given and TURN with a credential that ends TTL seconds from now', () => {
    const g = iceGrant(
      {
        stunUrls: ['stun:s.example:3478'],
        turnUrls: ['turn:t.example:3478'],
        secret: SECRET,
        ttlSeconds: 600,
      },
      7,
      1000,
    );
    expect(g.expiresAt).toBe(1600);
    expect(g.iceServers).toEqual([
      { urls: ['stun:s.example:3478'] },
      { urls: ['turn:t.example:3478'], ...turnCredential(SECRET, 7, 1600) },
    ]);
    expect(iceGrant({ stunUrls: ['stun:s.example'] }, 7, 1000)).toEqual({
      iceServers: [{ urls: ['stun:s.example'] }],
      expiresAt: 0,
    });
  });

  it('the environment: lists split on commas; TURN_URLS without TURN_SECRET (or the reverse) refuses to start', () => {
    expect(iceOptionsFromEnv({})).toBeNull();
    expect(
      iceOptionsFromEnv({
        TURN_URLS: 'turn:a.example:3478?transport=udp, turns:a.example:5349',
        TURN_SECRET: SECRET,
        STUN_URLS: 'stun:a.example:3478',
        TURN_TTL: '3600',
      }),
    ).toEqual({
      stunUrls: ['stun:a.example:3478'],
      turnUrls: ['turn:a.example:3478?transport=udp', 'turns:a.example:5349'],
      secret: SECRET,
      ttlSeconds: 3600,
    });
    expect(() => iceOptionsFromEnv({ TURN_URLS: 'turn:a.example' })).toThrow(IceConfigError);
    expect(() => iceOptionsFromEnv({ TURN_SECRET: 'x' })).toThrow(/TURN_URLS/);
    expect(() => iceOptionsFromEnv({ TURN_URLS: 'http://a.example', TURN_SECRET: 'x' })).toThrow(/not a/);
    expect(() => iceOptionsFromEnv({ TURN_URLS: 'turn:a', TURN_SECRET: 'x', TURN_TTL: '5' })).toThrow(
      /TURN_TTL/,
    );
  });
});

describe('the server hands ICE servers to members', () => {
  let server: RunningServer;
  const frames: string[] = [];
  beforeAll(async () => {
    server = await startServer({
      port: 0,
      quiet: true,
      ice: {
        stunUrls: ['stun:127.0.0.1:3478'],
        turnUrls: ['turn:127.0.0.1:3478'],
        secret: SECRET,
        ttlSeconds: 4,
      },
    });
  });
  afterAll(() => server.close());

  it('at join, on a session rejoin, and again before the credential expires; the secret is never sent', async () => {
    const a = await SignalClient.open(server.url, { frames });
    const joined = await a.enter('ice room');
    const ice = joined.ice!;
    const now = Math.floor(Date.now() / 1000);
    expect(ice.expiresAt - now).toBeGreaterThanOrEqual(3);
    expect(ice.iceServers[1]).toEqual({
      urls: ['turn:127.0.0.1:3478'],
      ...turnCredential(SECRET, joined.uid, ice.expiresAt),
    });

    // Half the 4 s life before the end (short lives renew at half), a fresh credential is pushed.
    const push = await a.next<IcePush>((m) => m.t === 'ice', 5000);
    expect(push.ice.expiresAt).toBeGreaterThan(ice.expiresAt - 1);
    expect(push.ice.iceServers[1]!.username).toBe(`${push.ice.expiresAt}:${joined.uid}`);

    a.ws.terminate();
    const b = await SignalClient.open(server.url, { frames });
    const again = await b.enter('ice room', joined.uid, undefined, { session: joined.session });
    expect(again.uid).toBe(joined.uid);
    expect(again.ice!.iceServers[1]!.username).toMatch(new RegExp(`^\\d+:${joined.uid}$`));
    b.close();
    expect(frames.join('\n')).not.toContain(SECRET);
  });

  it('a server without ICE settings sends none', async () => {
    const plain = await startServer({ port: 0, quiet: true });
    const c = await SignalClient.open(plain.url);
    const r = (await c.enter('plain')) as JoinResult;
    expect(r.ice).toBeUndefined();
    c.close();
    await plain.close();
  });
});
