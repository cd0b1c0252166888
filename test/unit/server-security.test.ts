// The security review's findings (issue 10), each tried as the attacker did, against a real server on loopback.
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket, type ClientOptions } from 'ws';
import { SignalClient, upgradeStatus } from './signal-client.js';
import { startServer, type RunningServer, type ServerOptions } from '../../server/app.js';
import { createRegistry, registryPolicy } from '../../server/app-registry.js';
import { generateMediaChannelKey, verifyChannelKey } from '../../server/channel-key.js';
import { configureApps } from '../../server/demo-keys.js';
import { EnvError, limitsFromEnv, originsFromEnv } from '../../server/env.js';
import { policyError, staticPolicy, type AppPolicy } from '../../server/policy.js';
import { type ErrReply, type OkReply } from '../../src/protocol/messages.js';

const APP = '0123456789abcdef0123456789abcdef';
const FLOOD = fileURLToPath(new URL('./flood-clients.ts', import.meta.url));
const KEYED = 'fedcba9876543210fedcba9876543210';
const CERT = '00112233445566778899aabbccddeeff';

class Client extends SignalClient {}

const servers: RunningServer[] = [];
const clients: Client[] = [];
async function server(opts: ServerOptions = {}): Promise<RunningServer> {
  const s = await startServer({ port: 0, quiet: true, ...opts });
  servers.push(s);
  return s;
}
async function client(s: RunningServer, ws?: ClientOptions): Promise<Client> {
  const c = await Client.open(s.url, { ws });
  clients.push(c);
  return c;
}
afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function errOf(r: OkReply | ErrReply): ErrReply {
  expect(r.t).toBe('err');
  return r as ErrReply;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('finding 1: one address must not stall the server', () => {
  it('an address gets at most maxConnectionsPerIp sockets (default 64); the next upgrade gets 429', async () => {
    const s = await server();
    expect(s.limits.maxConnectionsPerIp).toBe(64);
    const open = await Promise.all(Array.from({ length: 64 }, () => client(s)));
    expect(await upgradeStatus(s)).toBe(429);
    // A closed socket frees its place.
    open[0]!.ws.terminate();
    await open[0]!.closed;
    await sleep(50);
    expect(await upgradeStatus(s)).toBe(101);
  });

  it('a full channel refuses the next join with 17 and says it is full; other channels are not affected', async () => {
    const s = await server({ limits: { maxMembersPerChannel: 5 } });
    for (let i = 1; i <= 5; i++) await (await client(s)).enter('full', i);
    const late = await client(s);
    await late.hello(APP);
    const e = errOf(await late.join('full', 6));
    expect(e).toMatchObject({ code: 17, name: 'ERR_JOIN_CHANNEL_REJECTED' });
    expect(e.message).toMatch(/full \(5 members/);
    expect(await late.join('not-full', 6)).toMatchObject({ t: 'ok' });
  });

  it('an address with members in maxChannelsPerIp channels cannot open one more', async () => {
    const s = await server({ limits: { maxChannelsPerIp: 3 } });
    for (let i = 0; i < 3; i++) await (await client(s)).enter(`ch-${i}`, 1);
    const c = await client(s);
    await c.hello(APP);
    const e = errOf(await c.join('ch-3', 1));
    expect(e).toMatchObject({ code: 17 });
    expect(e.message).toMatch(/3 channels/);
    // Joining one of its channels is still fine, and leaving one frees a place.
    expect(await c.join('ch-0', 2)).toMatchObject({ t: 'ok' });
  });

  it('300 members × 50 state changes/s from another process (as from 300 addresses): a member of another channel is not dropped', async () => {
    // Per-address and per-channel limits raised, so only the broadcast budget, the coalescing and the heartbeat
    // that does not blame clients for the server's lateness protect.
    const s = await server({ limits: { maxConnectionsPerIp: 1000, maxMembersPerChannel: 1000 } });
    const bystander = await client(s);
    await bystander.enter('quiet', 1);
    const flood = spawn(process.execPath, ['--import', 'tsx', FLOOD, s.url, '300', '50', '3'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    flood.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const exited = once(flood, 'exit');
    let done = false;
    void exited.then(() => (done = true));
    while (!done && bystander.ws.readyState === WebSocket.OPEN) {
      await bystander.ping(30_000).catch(() => undefined);
      await sleep(200);
    }
    await exited;
    expect(JSON.parse(out)).toMatchObject({ joined: 300, refused: 0 });
    expect(bystander.ws.readyState).toBe(WebSocket.OPEN);
    await bystander.ping();
  }, 60_000);

  it('a burst of state changes reaches the others coalesced, the latest last', async () => {
    const s = await server();
    const a = await client(s);
    const b = await client(s);
    await a.enter('burst', 1);
    await b.enter('burst', 2);
    for (let i = 0; i < 50; i++) {
      a.send({ t: 'state', state: { published: true, audioMuted: i % 2 === 0, videoMuted: false } });
    }
    const last = { published: true, audioMuted: false, videoMuted: true };
    a.send({ t: 'state', state: last });
    let seen = 0;
    for (;;) {
      const m = await b.next((x) => x.t === 'peer-state');
      seen++;
      if (m.t === 'peer-state' && m.peer.videoMuted) {
        expect(m.peer).toEqual({ uid: 1, ...last });
        break;
      }
    }
    // The first change goes out at once; the 50 after it within the interval coalesce into the last one (a slow
    // machine may split them over one more flush).
    expect(seen).toBeLessThanOrEqual(3);
    expect(await b.none((x) => x.t === 'peer-state', 500)).toBeUndefined();
    expect(b.queue.filter((x) => x.t === 'peer-state')).toEqual([]);
  });

  it('the heartbeat does not drop anyone for the server stalling on its own (4 s)', async () => {
    const stalling: AppPolicy = {
      checkApp: () => null,
      checkJoin: (c) => {
        if (c.key === 'stall') {
          const end = Date.now() + 4000;
          while (Date.now() < end) {
            // The server's loop is blocked, as under a flood.
          }
        }
        return staticPolicy.checkJoin({ ...c, key: null });
      },
    };
    const s = await server({ policy: stalling }); // heartbeat 1000 ms: 2.5 missed intervals inside the stall
    const other = await client(s);
    await other.enter('elsewhere', 1);
    const staller = await client(s);
    await staller.enter('stall', 1, APP, { key: 'stall' }).catch(() => undefined);
    // Three more heartbeats: anyone dropped would be gone by then.
    await sleep(3500);
    await other.ping();
    expect(other.ws.readyState).toBe(WebSocket.OPEN);
    expect(s.stats().members).toBe(2);
  }, 20_000);
});

describe('finding 2: origins', () => {
  it('by default a foreign page gets 403; the server itself, localhost ports and programs (no Origin) get in', async () => {
    const s = await server();
    expect(await upgradeStatus(s, { origin: 'https://evil.example' })).toBe(403);
    expect(await upgradeStatus(s, { origin: 'null' })).toBe(403);
    expect(await upgradeStatus(s, { origin: s.url })).toBe(101);
    expect(await upgradeStatus(s, { origin: 'http://localhost:5173' })).toBe(101);
    expect(await upgradeStatus(s, { origin: 'http://127.0.0.1:1' })).toBe(101);
    expect(await upgradeStatus(s)).toBe(101);
  });

  it('DNS rebinding: a foreign Host name is refused even from "its own" origin', async () => {
    const s = await server();
    const evil = `evil.example:${s.port}`;
    expect(await upgradeStatus(s, { origin: `http://${evil}`, headers: { Host: evil } })).toBe(403);
    expect(await upgradeStatus(s, { headers: { Host: evil } })).toBe(403);
    expect(await upgradeStatus(s, { headers: { Host: `localhost:${s.port}` } })).toBe(101);
  });

  it('allowedOrigins replaces the development list; "*" allows any', async () => {
    const only = await server({ allowedOrigins: ['https://app.example.com'] });
    expect(await upgradeStatus(only, { origin: 'https://app.example.com' })).toBe(101);
    expect(await upgradeStatus(only, { origin: 'http://localhost:5173' })).toBe(403);
    expect(await upgradeStatus(only, { origin: 'https://app.example.com.evil.example' })).toBe(403);
    const any = await server({ allowedOrigins: ['*'] });
    expect(await upgradeStatus(any, { origin: 'https://evil.example' })).toBe(101);
  });

  it('the key endpoint refuses a foreign Origin or Host with 403 and serves its own pages', async () => {
    const apps = configureApps({ AGORA_DEMO_KEYS: '1' }, null);
    const s = await server({ policy: apps.policy, routes: apps.routes });
    const post = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const body = JSON.stringify({ channel: 'room', uid: 1 });
        const req = request(
          {
            host: '127.0.0.1',
            port: s.port,
            path: '/api/channel-key',
            method: 'POST',
            headers: { 'Content-Type': 'application/json', ...headers },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    expect(await post({ Origin: 'https://evil.example' })).toBe(403);
    expect(await post({ Host: `evil.example:${s.port}`, Origin: `http://evil.example:${s.port}` })).toBe(403);
    expect(await post({ Origin: s.url })).toBe(200);
    expect(await post({})).toBe(200);
  });

  it('an app with "origins" in the registry answers hello from other pages with 101', async () => {
    const registry = createRegistry({ apps: [{ appId: APP, origins: ['https://app.example.com'] }] });
    const s = await server({
      policy: registryPolicy(registry),
      allowedOrigins: originsFromEnv({ ALLOWED_ORIGINS: 'http://localhost:*' }, registry),
    });
    const foreign = await client(s, { origin: 'http://localhost:3000' });
    const e = errOf(await foreign.hello(APP));
    expect(e).toMatchObject({ code: 101, name: 'ERR_INVALID_APP_ID' });
    expect(e.message).toMatch(/localhost:3000/);
    const own = await client(s, { origin: 'https://app.example.com' });
    expect(await own.hello(APP)).toMatchObject({ t: 'ok' });
  });

  it('ALLOWED_ORIGINS and the AGORA_… limits are read from the environment, and bad values are refused', () => {
    expect(originsFromEnv({})).toEqual(['http://localhost:*', 'http://127.0.0.1:*']);
    expect(originsFromEnv({ ALLOWED_ORIGINS: ' https://a.example , http://b.example:8080 ' })).toEqual([
      'https://a.example',
      'http://b.example:8080',
    ]);
    expect(originsFromEnv({ ALLOWED_ORIGINS: '*' })).toEqual(['*']);
    expect(() => originsFromEnv({ ALLOWED_ORIGINS: 'https://a.example/path' })).toThrow(EnvError);
    expect(() => originsFromEnv({ ALLOWED_ORIGINS: 'ftp://a.example' })).toThrow(/http/);
    expect(
      limitsFromEnv({ AGORA_MAX_MEMBERS_PER_CHANNEL: '16', AGORA_HELLO_TIMEOUT_MS: '2000', OTHER: 'x' }),
    ).toEqual({ maxMembersPerChannel: 16, helloTimeoutMs: 2000 });
    expect(() => limitsFromEnv({ AGORA_MAX_CONNECTIONS_PER_IP: 'many' })).toThrow(
      /AGORA_MAX_CONNECTIONS_PER_IP must be a whole number/,
    );
  });
});

/** 60 KB of relay data, as the attacker sent. */
const BIG = 'x'.repeat(60_000);

/** A member whose socket stops reading (its TCP window fills, then the server's send buffer). */
function stopReading(c: Client): void {
  c.ws.pause();
}

describe('finding 3: relay floods land on the sender', () => {
  it('relaying 60 KB frames at 150/s to a member that does not read: the sender gets 12, then is dropped; the receiver stays', async () => {
    const s = await server();
    const victim = await client(s);
    const attacker = await client(s);
    const witness = await client(s);
    await victim.enter('bp', 1);
    await attacker.enter('bp', 2);
    await witness.enter('bp', 3);
    stopReading(victim);
    let told: ErrReply | undefined;
    void attacker.next((m) => m.t === 'err' && m.code === 12, 30_000).then((m) => (told = m as ErrReply));
    const start = Date.now();
    while (attacker.ws.readyState === WebSocket.OPEN && Date.now() - start < 20_000) {
      for (let i = 0; i < 15; i++) attacker.send({ t: 'relay', to: 1, data: BIG });
      await sleep(100);
    }
    expect(told).toMatchObject({ code: 12, name: 'ERR_TOO_OFTEN' });
    expect(told!.message).toMatch(/uid 1 is not reading fast enough/);
    expect((await attacker.closed).code).toBe(1008);
    // The witness saw the attacker leave, never the victim.
    await witness.next((m) => m.t === 'peer-leave' && m.uid === 2, 10_000);
    expect(witness.queue.some((m) => m.t === 'peer-leave' && m.uid === 1)).toBe(false);
    victim.ws.resume();
    await victim.ping(10_000);
    expect(s.stats().members).toBe(2);
  }, 40_000);

  it('a member closed for its own slow link keeps its grace period and rejoins with its session after the key window', async () => {
    let now = Math.floor(Date.now() / 1000);
    const registry = createRegistry({ apps: [{ appId: KEYED, certificate: CERT }] });
    const s = await server({
      policy: registryPolicy(registry, { now: () => now }),
      graceMs: 3000,
      // Relays are let through so that only the receiver's own buffer decides.
      limits: { relayBackpressureBytes: 1 << 30, maxBufferedBytes: 256 * 1024 },
    });
    const keyFor = (uid: number) =>
      generateMediaChannelKey(KEYED, CERT, 'slow', now, randomInt(2 ** 32), uid, 0);
    const slow = await client(s);
    const sender = await client(s);
    const key1 = keyFor(1);
    const ra = await slow.enter('slow', 1, KEYED, { key: key1 });
    await sender.enter('slow', 2, KEYED, { key: keyFor(2) });
    stopReading(slow);
    const start = Date.now();
    // The paused client cannot see its socket close: watch the server's side.
    while (s.stats().connections === 2 && Date.now() - start < 15_000) {
      for (let i = 0; i < 10; i++) sender.send({ t: 'relay', to: 1, data: BIG });
      await sleep(100);
    }
    slow.ws.resume();
    expect([4003, 1006]).toContain((await slow.closed).code);
    // Its key is now past the 5-minute join window: a session rejoin within the stay does not re-check it.
    now += 600;
    const back = await client(s);
    await back.hello(KEYED);
    const r = await back.join('slow', 1, { key: key1, session: ra.session });
    expect(r).toMatchObject({ t: 'ok', result: { uid: 1, session: ra.session } });
    expect(sender.queue.some((m) => m.t === 'peer-leave' && m.uid === 1)).toBe(false);
  }, 30_000);

  it("beyond the global outbound budget relays are refused with 12 ('server is busy')", async () => {
    const s = await server({
      limits: {
        maxBufferedTotalBytes: 2 * 1024 * 1024,
        relayBackpressureBytes: 1 << 30,
        maxBufferedBytes: 1 << 30,
      },
    });
    const a = await client(s);
    const b = await client(s);
    await a.enter('budget', 1);
    await b.enter('budget', 2);
    stopReading(b);
    const busy = a.next((m) => m.t === 'err' && m.code === 12, 20_000);
    let stop = false;
    void busy.then(() => (stop = true));
    const start = Date.now();
    while (!stop && Date.now() - start < 15_000) {
      for (let i = 0; i < 10; i++) a.send({ t: 'relay', to: 2, data: BIG });
      await sleep(100);
    }
    expect(((await busy) as ErrReply).message).toMatch(/server is busy/);
    b.ws.resume();
    await b.ping(10_000);
  }, 30_000);
});

describe('finding 5: membership of keyed channels cannot be probed', () => {
  it('without a good key, a present and an absent uid get the same answer (110); a session rejoin still works', async () => {
    const registry = createRegistry({ apps: [{ appId: KEYED, certificate: CERT }] });
    const s = await server({ policy: registryPolicy(registry) });
    const now = Math.floor(Date.now() / 1000);
    const member = await client(s);
    const ra = await member.enter('secret', 5, KEYED, {
      key: generateMediaChannelKey(KEYED, CERT, 'secret', now, 1, 5, 0),
    });
    const prober = await client(s);
    await prober.hello(KEYED);
    const answers: ErrReply[] = [];
    for (const uid of [5, 6]) {
      for (const key of [null, 'bogus', generateMediaChannelKey(KEYED, CERT, 'other', now, 1, uid, 0)]) {
        answers.push(errOf(await prober.join('secret', uid, { key })));
      }
    }
    for (let i = 0; i < 3; i++) {
      expect(answers[i]).toMatchObject({ code: 110, name: 'ERR_INVALID_CHANNEL_KEY' });
      expect({ ...answers[i], id: 0, message: answers[i]!.message.replace(/\b[56]\b/g, 'N') }).toEqual({
        ...answers[i + 3],
        id: 0,
        message: answers[i + 3]!.message.replace(/\b[56]\b/g, 'N'),
      });
    }
    // A rejoin with the session needs no key check.
    member.ws.terminate();
    const back = await client(s);
    await back.hello(KEYED);
    expect(await back.join('secret', 5, { key: null, session: ra.session })).toMatchObject({
      t: 'ok',
      result: { uid: 5 },
    });
  });
});

describe('finding 6: silent sockets', () => {
  it('a socket without hello is closed after helloTimeoutMs (default a few seconds) with 4002; greeted ones stay', async () => {
    expect((await server()).limits.helloTimeoutMs).toBe(5000);
    const s = await server({ limits: { helloTimeoutMs: 300 } });
    const silent = await Promise.all(Array.from({ length: 20 }, () => client(s)));
    const greeted = await client(s);
    await greeted.hello(APP);
    const bad = await client(s);
    expect(errOf(await bad.hello('nope')).code).toBe(101); // a failed hello does not count
    const closes = await Promise.all(silent.map((c) => c.closed));
    for (const c of closes) expect(c).toMatchObject({ code: 4002, reason: expect.stringMatching(/hello/) });
    expect((await bad.closed).code).toBe(4002);
    await sleep(300);
    await greeted.ping();
    expect(s.stats().connections).toBe(1);
  });
});

/** `[[[…1…]]]` nested `depth` deep, as JSON text. */
function nested(depth: number): string {
  return '['.repeat(depth) + '1' + ']'.repeat(depth);
}

describe('finding 7: deeply nested relay data', () => {
  it('is refused unparsed with 2, one log line per socket and kind, no stack trace; shallow data still relays', async () => {
    const logs = vi.spyOn(console, 'log').mockImplementation(() => {});
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const s = await server({ quiet: false });
      const a = await client(s);
      const b = await client(s);
      await a.enter('deep', 1);
      await b.enter('deep', 2);
      for (let i = 0; i < 20; i++) a.send(`{"t":"relay","to":2,"data":${nested(29_000)}}`);
      for (let i = 0; i < 20; i++) {
        const e = await a.next((m) => m.t === 'err');
        expect(e).toMatchObject({ code: 2, name: 'ERR_INVALID_ARGUMENT' });
        expect((e as ErrReply).message).toMatch(/more than 32 deep/);
      }
      a.send(`{"t":"relay","to":2,"data":${nested(20)}}`);
      const r = await b.next((m) => m.t === 'relay');
      expect(JSON.stringify(r)).toContain(nested(20));
      expect(b.queue.filter((m) => m.t === 'relay')).toEqual([]);
      expect(errors).not.toHaveBeenCalled();
      const lines = logs.mock.calls.map((c) => String(c[0])).filter((l) => /nested too deep/.test(l));
      expect(lines).toHaveLength(1);
    } finally {
      logs.mockRestore();
      errors.mockRestore();
    }
  });
});

describe('finding 8: keys from the future', () => {
  it('a key issued more than 5 minutes ahead is refused with 110 saying so; a little clock skew is fine', async () => {
    const now = Math.floor(Date.now() / 1000);
    const ahead = generateMediaChannelKey(KEYED, CERT, 'future', now + 3 * 365 * 86400, 7, 0, 0);
    const r = verifyChannelKey({
      key: ahead,
      appId: KEYED,
      appCertificate: CERT,
      channelName: 'future',
      uid: 1,
    });
    expect(r).toMatchObject({
      ok: false,
      code: 110,
      name: 'ERR_INVALID_CHANNEL_KEY',
      reason: 'issued-in-future',
    });
    const registry = createRegistry({ apps: [{ appId: KEYED, certificate: CERT }] });
    const s = await server({ policy: registryPolicy(registry) });
    const c = await client(s);
    await c.hello(KEYED);
    const e = errOf(await c.join('future', 1, { key: ahead }));
    expect(e).toMatchObject({ code: 110 });
    expect(e.message).toMatch(/from the future|after now/);
    const skewed = generateMediaChannelKey(KEYED, CERT, 'future', now + 120, 7, 0, 0);
    expect(await c.join('future', 1, { key: skewed })).toMatchObject({ t: 'ok' });
  });
});

describe('finding 9: framing and referrers', () => {
  let dir: string;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("pages carry frame-ancestors 'self' and Referrer-Policy; the SDK files stay loadable from any site", async () => {
    dir = mkdtempSync(join(tmpdir(), 'agora-headers-'));
    mkdirSync(join(dir, 'dist', 'sdk'), { recursive: true });
    mkdirSync(join(dir, 'demo'));
    writeFileSync(join(dir, 'dist', 'sdk', 'agora-rtc.js'), 'export default 1;');
    writeFileSync(join(dir, 'demo', 'sample.html'), '<h1>sample</h1>');
    writeFileSync(join(dir, 'package.json'), '{"name":"agora-rtc-web"}');
    const s = await server({ root: dir });
    const head = async (path: string) => (await fetch(s.url + path)).headers;
    for (const page of ['/', '/demo/sample.html']) {
      const h = await head(page);
      expect(h.get('content-type'), page).toMatch(/text\/html/);
      expect(h.get('content-security-policy'), page).toBe("frame-ancestors 'self'");
      expect(h.get('x-frame-options'), page).toBe('SAMEORIGIN');
      expect(h.get('referrer-policy'), page).toBe('strict-origin-when-cross-origin');
    }
    const sdk = await head('/sdk/agora-rtc.js');
    expect(sdk.get('content-security-policy')).toBeNull();
    expect(sdk.get('x-frame-options')).toBeNull();
    expect(sdk.get('access-control-allow-origin')).toBe('*');
  });
});

describe('limits are options', () => {
  it('an unknown or negative limit is refused when the server starts', async () => {
    await expect(startServer({ port: 0, quiet: true, limits: { nope: 1 } as never })).rejects.toThrow(
      /limits.nope/,
    );
    await expect(startServer({ port: 0, quiet: true, limits: { maxMembersPerChannel: -1 } })).rejects.toThrow(
      RangeError,
    );
  });

  it('a refusing policy still answers before any channel limit (no limit leaks membership)', async () => {
    const denying: AppPolicy = {
      checkApp: () => null,
      checkJoin: () => policyError('ERR_INVALID_CHANNEL_KEY', 'no'),
    };
    const s = await server({ policy: denying, limits: { maxMembersPerChannel: 0 } });
    const c = await client(s);
    await c.hello(APP);
    expect(errOf(await c.join('x', 1))).toMatchObject({ code: 110 });
  });
});
