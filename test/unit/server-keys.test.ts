// Channel Keys end to end on a real server: the demo key endpoint (POST /api/channel-key), joins and renewals with
// its keys, the static-vs-key confusion messages, the Recording Key request, and the rule that the App Certificate
// never leaves the server (checked on the built server run as its own process).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDLE, SignalClient } from './signal-client.js';
import { RegistryError, loadRegistry } from '../../server/app-registry.js';
import { startServer, type RunningServer } from '../../server/app.js';
import { generateMediaChannelKey, generateRecordingKey, parseChannelKey } from '../../server/channel-key.js';
import { configureApps, DemoKeysError, DEMO_KEYED_APP_ID } from '../../server/demo-keys.js';
import { type ErrReply, type JoinResult, type OkReply } from '../../src/protocol/messages.js';
import { checkChannelName } from '../../src/protocol/validate.js';

const STATIC = '0123456789abcdef0123456789abcdef';
const KEYED = 'fedcba9876543210fedcba9876543210';
const KEYED2 = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const UNKNOWN = '11111111111111111111111111111111';
// Letters in both, so the upper-case form differs from the text.
const CERT = 'c0ffee00deadbeefc0ffee00deadbeef';
const CERT2 = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const REGISTRY = JSON.stringify({
  apps: [
    { appId: STATIC, name: 'static' },
    { appId: KEYED, certificate: CERT, name: 'keyed' },
    { appId: KEYED2, certificate: CERT2, name: 'keyed 2' },
  ],
});

const now = () => Math.floor(Date.now() / 1000);

class Client extends SignalClient {
  /** hello with `appId`, then join with `key`. */
  async helloJoin(
    appId: string,
    channel: string,
    uid: number,
    key: string | null,
  ): Promise<OkReply | ErrReply> {
    const hello = await this.hello(appId);
    if (hello.t === 'err') return hello;
    return this.request({ t: 'join', channel, uid, key, state: IDLE });
  }
}

const clients: Client[] = [];
async function client(url: string, frames?: string[]): Promise<Client> {
  const c = await Client.open(url, { frames });
  clients.push(c);
  return c;
}

async function keyRequest(
  url: string,
  body: unknown,
  init: { contentType?: string; raw?: string; method?: string } = {},
): Promise<{ status: number; body: Record<string, unknown>; text: string }> {
  const res = await fetch(`${url}/api/channel-key`, {
    method: init.method ?? 'POST',
    headers: { 'content-type': init.contentType ?? 'application/json' },
    ...(init.method === 'GET' ? {} : { body: init.raw ?? JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Not JSON (e.g. the 405 text): keep the text.
  }
  return { status: res.status, body: parsed, text };
}

function ok(r: OkReply | ErrReply): OkReply {
  expect(r, JSON.stringify(r)).toMatchObject({ t: 'ok' });
  return r as OkReply;
}
function err(r: OkReply | ErrReply): ErrReply {
  expect(r, JSON.stringify(r)).toMatchObject({ t: 'err' });
  return r as ErrReply;
}

const servers: RunningServer[] = [];
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

describe('the demo key endpoint', () => {
  let off: RunningServer;
  let demo: RunningServer;
  beforeAll(async () => {
    off = await serverFor({});
    demo = await serverFor({ AGORA_DEMO_KEYS: '1' });
  });

  it('is off by default: 404 saying how to turn it on', async () => {
    const r = await keyRequest(off.url, { channel: 'room', uid: 0 });
    expect(r.status).toBe(404);
    expect(r.body.error).toMatch(/AGORA_DEMO_KEYS=1/);
    expect(configureApps({ AGORA_DEMO_KEYS: '0' }, null).demoKeys).toBe(false);
    expect(() => configureApps({ AGORA_DEMO_KEYS: 'maybe' }, null)).toThrow(DemoKeysError);
  });

  it('with AGORA_DEMO_KEYS=1 makes a key for the built-in keyed demo app, expiring after lifetime', async () => {
    const t = now();
    const r = await keyRequest(demo.url, { channel: 'room 1', uid: 42, lifetime: 60 });
    expect(r.status).toBe(200);
    expect(r.body.appId).toBe(DEMO_KEYED_APP_ID);
    const parsed = parseChannelKey(r.body.key);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.fields.appId).toBe(DEMO_KEYED_APP_ID);
    expect(Math.abs(parsed.fields.unixTs - t)).toBeLessThanOrEqual(2);
    expect(parsed.fields.expiredTs).toBe(parsed.fields.unixTs + 60);
    expect(r.body.expiresAt).toBe(parsed.fields.expiredTs);
    // Default lifetime one hour; 0 = no service expiry.
    const d = await keyRequest(demo.url, { appId: DEMO_KEYED_APP_ID, channel: 'room 1', uid: 0 });
    expect((d.body.expiresAt as number) - now()).toBeGreaterThan(3590);
    const z = await keyRequest(demo.url, { channel: 'room 1', uid: 0, lifetime: 0 });
    expect(z.body.expiresAt).toBe(0);
    expect(parseChannelKey(z.body.key).ok && parseChannelKey(z.body.key)).toMatchObject({
      fields: { expiredTs: 0 },
    });
  });

  it('refuses bad requests with 400/413/415 and a message', async () => {
    const bad = async (body: unknown, status = 400, init = {}) => {
      const r = await keyRequest(demo.url, body, init);
      expect(r.status, r.text).toBe(status);
      if (status !== 405) expect(typeof r.body.error).toBe('string');
      return r.body.error as string;
    };
    expect(await bad({ channel: 'a/b', uid: 0 })).toBe(checkChannelName('a/b'));
    expect(await bad({ channel: 'x'.repeat(65), uid: 0 })).toBe(checkChannelName('x'.repeat(65)));
    expect(await bad({ uid: 0 })).toBe(checkChannelName(undefined));
    expect(await bad({ channel: 'room' })).toMatch(/uid is missing/);
    for (const uid of [-1, 2 ** 32, 1.5, '5', null])
      expect(await bad({ channel: 'room', uid })).toMatch(/uid/);
    for (const lifetime of [-1, 86_401, 1.5, '60', null]) {
      expect(await bad({ channel: 'room', uid: 0, lifetime })).toMatch(/lifetime must be whole seconds/);
    }
    expect(await bad({ channel: 'room', uid: 0, appId: 'nope' })).toMatch(/App ID/);
    expect(await bad({ channel: 'room', uid: 0, lifeTime: 5 })).toMatch(/Unknown field "lifeTime"/);
    expect(await bad([1, 2])).toMatch(/JSON object/);
    expect(await bad(null, 400, { raw: '{"channel": ' })).toMatch(/not valid JSON/);
    expect(await bad(null, 415, { contentType: 'text/plain', raw: '{}' })).toMatch(/application\/json/);
    expect(await bad({ channel: 'room', uid: 0, pad: 'x'.repeat(5000) }, 413)).toMatch(
      /larger than 4096 bytes/,
    );
    // Exactly at the limit is fine; one byte more is not.
    const small = JSON.stringify({ channel: 'room', uid: 0 });
    const padded = (n: number) => small + ' '.repeat(n - small.length);
    expect((await keyRequest(demo.url, null, { raw: padded(4096) })).status).toBe(200);
    expect((await keyRequest(demo.url, null, { raw: padded(4097) })).status).toBe(413);
    expect((await keyRequest(demo.url, null, { method: 'GET' })).status).toBe(405);
  });

  it('a key from the endpoint joins the keyed demo app; renewing with a fresh one moves the expiry', async () => {
    const a = await client(demo.url);
    const { body } = await keyRequest(demo.url, { channel: 'keyed room', uid: 7, lifetime: 120 });
    const r = ok(await a.helloJoin(DEMO_KEYED_APP_ID, 'keyed room', 7, body.key as string));
    expect((r.result as JoinResult).expiresAt).toBe(body.expiresAt);
    const fresh = await keyRequest(demo.url, { channel: 'keyed room', uid: 7, lifetime: 600 });
    const renewed = ok(await a.request({ t: 'renew', key: fresh.body.key }));
    expect(renewed.result).toEqual({ expiresAt: fresh.body.expiresAt });
    // A uid-0 key is good for any uid; a key for uid 7 is not good for uid 8.
    const any = await keyRequest(demo.url, { channel: 'keyed room', uid: 0 });
    ok(await (await client(demo.url)).helloJoin(DEMO_KEYED_APP_ID, 'keyed room', 9, any.body.key as string));
    const e = err(
      await (await client(demo.url)).helloJoin(DEMO_KEYED_APP_ID, 'keyed room', 8, body.key as string),
    );
    expect(e.code).toBe(110);
  });

  it('a static App ID gets key null from the endpoint and joins with it', async () => {
    const r = await keyRequest(demo.url, { appId: STATIC, channel: 'room', uid: 5 });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ appId: STATIC, key: null });
    const a = await client(demo.url);
    expect((ok(await a.helloJoin(STATIC, 'room', 5, null)).result as JoinResult).expiresAt).toBe(0);
  });

  it('static vs key confusion gets a 110 that says which one the app needs', async () => {
    const { body } = await keyRequest(demo.url, { channel: 'mix', uid: 0 });
    const key = body.key as string;
    // A Channel Key made for the keyed demo app, used with a static App ID.
    const s = err(await (await client(demo.url)).helloJoin(STATIC, 'mix', 1, key));
    expect(s).toMatchObject({ code: 110, name: 'ERR_INVALID_CHANNEL_KEY' });
    expect(s.message).toMatch(/no App Certificate \(static-key mode\).*key null/);
    expect(s.message).toContain(DEMO_KEYED_APP_ID);
    // The keyed demo app joined with null, or with its App ID as the key.
    for (const k of [null, DEMO_KEYED_APP_ID]) {
      const e = err(await (await client(demo.url)).helloJoin(DEMO_KEYED_APP_ID, 'mix', 2, k));
      expect(e).toMatchObject({ code: 110, name: 'ERR_INVALID_CHANNEL_KEY' });
      expect(e.message).toMatch(/has an App Certificate, so joining requires a Channel Key/);
    }
    // Without demo keys the default stays: any App ID is static; a key is refused with the static message.
    const d = err(await (await client(off.url)).helloJoin(DEMO_KEYED_APP_ID, 'mix', 3, key));
    expect(d.message).toMatch(/static-key mode/);
    ok(await (await client(off.url)).helloJoin(DEMO_KEYED_APP_ID, 'mix', 3, null));
  });
});

describe('the demo key endpoint over a configured registry', () => {
  it('makes keys for the first app with a certificate, null for static apps, 403 for the rest', async () => {
    const s = await serverFor({ AGORA_APPS: REGISTRY, AGORA_DEMO_KEYS: '1' });
    const r = await keyRequest(s.url, { channel: 'reg', uid: 3, lifetime: 30 });
    expect(r.body.appId).toBe(KEYED);
    ok(await (await client(s.url)).helloJoin(KEYED, 'reg', 3, r.body.key as string));
    expect((await keyRequest(s.url, { appId: STATIC, channel: 'reg', uid: 3 })).body).toEqual({
      appId: STATIC,
      key: null,
    });
    const other = await keyRequest(s.url, { appId: KEYED2, channel: 'reg', uid: 3 });
    expect(other.status).toBe(403);
    expect(other.body.error).toMatch(/only for the demo app .*own App Certificate/);
    const unknown = await keyRequest(s.url, { appId: UNKNOWN, channel: 'reg', uid: 3 });
    expect(unknown.status).toBe(403);
    expect(unknown.body.error).toMatch(/not registered/);
    // An App ID outside the registry cannot even say hello.
    expect(err(await (await client(s.url)).helloJoin(UNKNOWN, 'reg', 3, null)).code).toBe(101);
  });

  it('AGORA_DEMO_APP_ID picks the demo app; a static or unknown one is a start-up error', async () => {
    const s = await serverFor({ AGORA_APPS: REGISTRY, AGORA_DEMO_KEYS: '1', AGORA_DEMO_APP_ID: KEYED2 });
    const r = await keyRequest(s.url, { channel: 'reg', uid: 3 });
    expect(r.body.appId).toBe(KEYED2);
    ok(await (await client(s.url)).helloJoin(KEYED2, 'reg', 3, r.body.key as string));
    const env = (id: string) => ({ AGORA_APPS: REGISTRY, AGORA_DEMO_KEYS: '1', AGORA_DEMO_APP_ID: id });
    expect(() => configureApps(env(STATIC), loadRegistry(env(STATIC)))).toThrow(/has no App Certificate/);
    expect(() => configureApps(env(UNKNOWN), loadRegistry(env(UNKNOWN)))).toThrow(RegistryError);
    expect(() => configureApps({ AGORA_DEMO_KEYS: '1', AGORA_DEMO_APP_ID: KEYED }, null)).toThrow(
      /needs|picks the demo app from the app registry/,
    );
  });
});

describe('the recording-key request', () => {
  let s: RunningServer;
  let demo: RunningServer;
  beforeAll(async () => {
    s = await serverFor({ AGORA_APPS: REGISTRY });
    demo = await serverFor({ AGORA_DEMO_KEYS: '1' });
  });
  const arsKey = (o: { cert?: string; uid?: number; ts?: number; exp?: number; channel?: string } = {}) =>
    generateRecordingKey(
      KEYED,
      o.cert ?? CERT,
      o.channel ?? 'rec',
      o.ts ?? now(),
      12345,
      o.uid ?? 0,
      o.exp ?? 0,
    );

  it('verifies an ARS key for the member’s app, channel and uid: ok with its expiry', async () => {
    const a = await client(s.url);
    const joinKey = generateMediaChannelKey(KEYED, CERT, 'rec', now(), 1, 21, 0);
    ok(await a.helloJoin(KEYED, 'rec', 21, joinKey));
    const exp = now() + 600;
    expect(ok(await a.request({ t: 'recording-key', key: arsKey({ uid: 21, exp }) })).result).toEqual({
      expiresAt: exp,
    });
    expect(ok(await a.request({ t: 'recording-key', key: arsKey() })).result).toEqual({ expiresAt: 0 });
  });

  it('refuses a bad Recording Key with 110, an old one with 109, and a non-member with 7', async () => {
    const a = await client(s.url);
    ok(await a.helloJoin(KEYED, 'rec', 22, generateMediaChannelKey(KEYED, CERT, 'rec', now(), 1, 22, 0)));
    const refuse = async (key: unknown, code: number) => {
      const e = err(await a.request({ t: 'recording-key', key }));
      expect(e.code, e.message).toBe(code);
      return e.message;
    };
    // A Channel Key (ACS) is not a Recording Key.
    await refuse(generateMediaChannelKey(KEYED, CERT, 'rec', now(), 1, 22, 0), 110);
    await refuse(arsKey({ cert: CERT2 }), 110); // another certificate
    await refuse(arsKey({ uid: 23 }), 110); // another uid
    await refuse(arsKey({ channel: 'other' }), 110); // another channel
    await refuse('004' + 'z'.repeat(100), 110);
    expect(await refuse('', 110)).toMatch(/Recording requires a Recording Key/);
    await refuse(arsKey({ ts: now() - 301 }), 109); // outside the 5-minute window
    await refuse(arsKey({ ts: now() - 100, exp: now() - 1 }), 109); // service expired
    expect(err(await a.request({ t: 'recording-key', key: 5 })).code).toBe(2);

    // Not joined (no hello, or hello without join): ERR_NOT_INITIALIZED.
    const b = await client(s.url);
    expect(err(await b.request({ t: 'recording-key', key: arsKey() })).code).toBe(7);
    ok(await b.request({ t: 'hello', appId: KEYED, sdk: 'test' }));
    expect(err(await b.request({ t: 'recording-key', key: arsKey() })).code).toBe(7);
    // No id: nothing to answer to.
    b.send(JSON.stringify({ t: 'recording-key', key: arsKey() }));
    expect(await b.next((m) => m.t === 'err')).toMatchObject({ code: 2 });
  });

  it('a static app cannot record: 110 saying recording needs a Recording Key made with an App Certificate', async () => {
    for (const url of [s.url, demo.url]) {
      const a = await client(url);
      ok(await a.helloJoin(STATIC, 'rec', 5, null));
      const e = err(await a.request({ t: 'recording-key', key: arsKey() }));
      expect(e.code).toBe(110);
      expect(e.message).toMatch(/[Rr]ecording requires/);
      expect(e.message).toMatch(/no App Certificate|has none/);
      expect(e.message).toMatch(/cannot (record|make Recording Keys)/);
    }
  });
});

describe('the App Certificate never leaves the server', () => {
  const MAIN = 'dist/node/server/main.js';

  /** Runs the built server with `env`; everything it prints is appended to `out`. */
  async function run(env: Record<string, string>, out: string[]) {
    const child = spawn(process.execPath, [MAIN], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (b: Buffer) => (text += b.toString()));
    child.stderr.on('data', (b: Buffer) => (text += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const url = await Promise.race([
      (async () => {
        while (!/listening on (http:\/\/\S+)/.test(text)) {
          if (child.exitCode !== null) return null;
          await new Promise((r) => setTimeout(r, 20));
        }
        return /listening on (http:\/\/\S+)/.exec(text)![1]!.replace('localhost', '127.0.0.1');
      })(),
      exited.then(() => null),
    ]);
    return {
      url,
      async stop(): Promise<number | null> {
        if (child.exitCode === null) child.kill('SIGTERM');
        const code = await exited;
        out.push(text);
        return code;
      },
    };
  }

  it('in start-up output, HTTP bodies, WebSocket frames and logs, in any letter case', async () => {
    expect(existsSync(MAIN), `build first: node scripts/build.mjs (${MAIN} is missing)`).toBe(true);
    const cert = randomBytes(16).toString('hex').replace(/^./, 'f'); // at least one letter
    const cert2 = randomBytes(16).toString('hex').replace(/^./, 'e');
    const seen: string[] = [];
    const registry = JSON.stringify({
      apps: [
        { appId: STATIC, name: 'static' },
        { appId: KEYED, certificate: cert, name: 'keyed' },
        { appId: KEYED2, certificate: cert2 },
      ],
    });
    const server = await run({ AGORA_APPS: registry, AGORA_DEMO_KEYS: '1' }, seen);
    expect(server.url).not.toBeNull();
    const url = server.url!;
    const http = async (body: unknown, init: Parameters<typeof keyRequest>[2] = {}) => {
      const r = await keyRequest(url, body, init);
      seen.push(r.text);
      return r;
    };

    // Key requests, good and bad.
    const longer = await http({ channel: 'secret', uid: 0, lifetime: 600 });
    expect(longer.status).toBe(200);
    await http({ appId: STATIC, channel: 'secret', uid: 1 });
    await http({ appId: KEYED2, channel: 'secret', uid: 1 });
    await http({ appId: UNKNOWN, channel: 'secret', uid: 1 });
    await http({ channel: 'bad/name', uid: -1 });
    await http(null, { raw: `{"certificate": "${cert}"` });
    await http(null, { raw: '{"x":' + '1'.repeat(5000) + '}' });
    await http(null, { contentType: 'text/plain', raw: cert });
    await http(null, { method: 'GET' });
    for (const path of ['/', '/demo/sample.html', '/nope', '/api/channel-key?x=1']) {
      seen.push(await (await fetch(url + path)).text());
    }

    // Joins, bad keys, renewals, recording keys, bad frames.
    const frames: string[] = [];
    const a = await client(url, frames);
    const b = await client(url, frames);
    const c = await client(url, frames);
    const good = await http({ channel: 'secret', uid: 0, lifetime: 3 });
    ok(await a.helloJoin(KEYED, 'secret', 1, good.body.key as string));
    ok(await b.helloJoin(KEYED, 'secret', 2, longer.body.key as string));
    err(await c.helloJoin(KEYED, 'secret', 3, null));
    err(await c.request({ t: 'join', channel: 'secret', uid: 3, key: KEYED, state: IDLE }));
    const forged = (good.body.key as string).replace(
      /^004./,
      (m) => m.slice(0, 3) + (m[3] === 'a' ? 'b' : 'a'),
    );
    err(await c.request({ t: 'join', channel: 'secret', uid: 3, key: forged, state: IDLE }));
    const wrongCert = generateMediaChannelKey(KEYED, CERT, 'secret', now(), 9, 0, 0);
    err(await c.request({ t: 'join', channel: 'secret', uid: 3, key: wrongCert, state: IDLE }));
    err(await c.request({ t: 'join', channel: 'secret', uid: 3, key: cert, state: IDLE }));
    err(await c.request({ t: 'join', channel: 'secret', uid: 3, key: cert.toUpperCase(), state: IDLE }));
    err(await (await client(url, frames)).helloJoin(STATIC, 'secret', 4, good.body.key as string));
    err(await (await client(url, frames)).helloJoin(UNKNOWN, 'secret', 4, null));
    ok(await (await client(url, frames)).helloJoin(STATIC, 'secret', 4, null));
    err(await b.request({ t: 'renew', key: forged }));
    err(await b.request({ t: 'renew', key: cert }));
    ok(await b.request({ t: 'renew', key: longer.body.key }));
    err(await b.request({ t: 'recording-key', key: good.body.key }));
    err(await b.request({ t: 'recording-key', key: cert }));
    ok(
      await b.request({
        t: 'recording-key',
        key: generateRecordingKey(KEYED, cert, 'secret', now(), 1, 2, 0),
      }),
    );
    err(
      await b.request({
        t: 'recording-key',
        key: generateRecordingKey(KEYED, cert2, 'secret', now(), 1, 2, 0),
      }),
    );
    b.send('{not json');
    b.send(JSON.stringify({ t: 'no such type' }));
    await b.next((m) => m.t === 'err' && m.id === undefined && /Unknown message type/.test(m.message));
    // a's key expires: expiring, kick, peer-leave.
    await a.next((m) => m.t === 'kick', 6000);
    await b.next((m) => m.t === 'peer-leave', 2000);

    const code = await server.stop();
    expect(code).toBe(0);
    seen.push(...frames);

    // A broken registry: the start-up error never quotes the certificate either.
    for (const apps of [
      `{"apps":[{"appId":"${KEYED}","certificate":"${cert}"`, // cut short
      `{"apps":[{"appId":"${KEYED}","certificate":"${cert}x"}]}`, // not 32 hex
      `{"apps":[{"appId":"${KEYED}","certifcate":"${cert}"}]}`, // misspelt field
      `{"apps":[{"appId":"${KEYED}","certificate":"${cert}"},{"appId":"${KEYED}","certificate":"${cert}"}]}`,
    ]) {
      const broken = await run({ AGORA_APPS: apps, AGORA_DEMO_KEYS: '1' }, seen);
      expect(broken.url).toBeNull();
      expect(await broken.stop()).toBe(2);
    }

    const all = seen.join('\n');
    expect(all).toMatch(/keyed App ID \(Channel Key needed\): fedcba98/);
    expect(all).toMatch(/cannot start: App registry/);
    expect(frames.some((f) => f.includes('"kick"'))).toBe(true);
    for (const secret of [cert, cert2]) {
      expect(all).not.toContain(secret);
      expect(all).not.toContain(secret.toUpperCase());
      expect(all.toLowerCase()).not.toContain(secret);
    }
  }, 30_000);
});
