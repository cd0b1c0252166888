import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createRegistry,
  loadRegistry,
  registryPolicy,
  RegistryError,
  verifyRecordingKey,
  type AppRegistry,
} from '../../server/app-registry.js';
import { generateMediaChannelKey, generateRecordingKey } from '../../server/channel-key.js';
import { startServer } from '../../server/app.js';
import { SignalClient } from './signal-client.js';
import type { PolicyError } from '../../server/policy.js';

const KEYED = 'fedcba9876543210fedcba9876543210';
const CERT = '00112233445566778899aabbccddeeff';
const STATIC = '0123456789abcdef0123456789abcdef';
const UNKNOWN = '11111111111111111111111111111111';
const CHANNEL = 'room 1';
const T0 = 1_700_000_000;

const CONFIG = {
  apps: [
    { appId: STATIC, name: 'static demo' },
    { appId: KEYED, certificate: CERT, name: 'keyed demo' },
  ],
};

/** Every message this file sees goes through here, so the certificate check covers all of them. */
const seen: string[] = [];
function note<T>(v: T): T {
  seen.push(typeof v === 'string' ? v : inspect(v, { depth: 5 }) + JSON.stringify(v ?? null));
  return v;
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    note((e as Error).message);
    return e as Error;
  }
  throw new Error('expected a throw');
}

const dir = mkdtempSync(join(tmpdir(), 'agora-registry-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  // The acceptance rule: the certificate never appears in anything produced here.
  expect(seen.length).toBeGreaterThan(20);
  for (const text of seen) {
    expect(text).not.toContain(CERT);
    expect(text.toLowerCase()).not.toContain(CERT.slice(0, 16));
  }
});

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const registry: AppRegistry = createRegistry(CONFIG, 'test');
const policy = registryPolicy(registry);
const joinAs = (appId: string, key: string | null, uid = 42, now = T0 + 5) =>
  note(policy.checkJoin({ appId, channel: CHANNEL, uid, key, now }));
const mediaKey = (uid = 42, ts = T0, cert = CERT) =>
  generateMediaChannelKey(KEYED, cert, CHANNEL, ts, 99, uid, 0);

function isError(r: { expiresAt: number } | PolicyError, code: number): PolicyError {
  expect(r).toHaveProperty('code', code);
  return r as PolicyError;
}

describe('loading the registry', () => {
  it('no AGORA_APPS and no AGORA_APPS_FILE → null (the server keeps its static default)', () => {
    expect(loadRegistry({})).toBeNull();
    expect(loadRegistry({ AGORA_APPS: '  ', AGORA_APPS_FILE: '' })).toBeNull();
  });

  it('AGORA_APPS holds the JSON itself', () => {
    const r = note(loadRegistry({ AGORA_APPS: JSON.stringify(CONFIG) }));
    expect(r?.source).toBe('AGORA_APPS');
    expect(r?.list()).toEqual([
      { appId: STATIC, name: 'static demo', hasCertificate: false },
      { appId: KEYED, name: 'keyed demo', hasCertificate: true },
    ]);
  });

  it('AGORA_APPS_FILE names a JSON file (a byte-order mark is fine)', () => {
    const path = file('apps.json', '\uFEFF' + JSON.stringify(CONFIG, null, 2));
    const r = note(loadRegistry({ AGORA_APPS_FILE: path }));
    expect(r?.source).toBe(`AGORA_APPS_FILE=${path}`);
    expect(r?.size).toBe(2);
    expect(r?.get(KEYED)?.hasCertificate).toBe(true);
  });

  it('loadRegistry reads process.env by default', () => {
    const before = { apps: process.env.AGORA_APPS, file: process.env.AGORA_APPS_FILE };
    try {
      delete process.env.AGORA_APPS_FILE;
      process.env.AGORA_APPS = JSON.stringify(CONFIG);
      expect(loadRegistry()?.size).toBe(2);
    } finally {
      if (before.apps === undefined) delete process.env.AGORA_APPS;
      else process.env.AGORA_APPS = before.apps;
      if (before.file !== undefined) process.env.AGORA_APPS_FILE = before.file;
    }
  });

  it('both variables set is an error', () => {
    const e = thrown(() => loadRegistry({ AGORA_APPS: '{}', AGORA_APPS_FILE: 'x.json' }));
    expect(e).toBeInstanceOf(RegistryError);
    expect(e.message).toMatch(/set only one/);
  });

  it('a missing file, or a directory, is an error naming the file', () => {
    const missing = join(dir, 'nope.json');
    expect(thrown(() => loadRegistry({ AGORA_APPS_FILE: missing })).message).toBe(
      `App registry (AGORA_APPS_FILE=${missing}): the file does not exist.`,
    );
    const sub = join(dir, 'sub');
    mkdirSync(sub);
    expect(thrown(() => loadRegistry({ AGORA_APPS_FILE: sub })).message).toMatch(/is a directory/);
  });

  it('bad JSON is an error with the line and column, and without quoting the text (it may hold a certificate)', () => {
    const text = `{"apps": [\n  {"appId": "${KEYED}", "certificate": "${CERT}" "name": "x"}\n]}`;
    const path = file('bad.json', text);
    const e = thrown(() => loadRegistry({ AGORA_APPS_FILE: path }));
    expect(e).toBeInstanceOf(RegistryError);
    expect(e.message).toMatch(new RegExp(`AGORA_APPS_FILE=${path.replace(/[.\\/]/g, '\\$&')}`));
    expect(e.message).toMatch(/not valid JSON \(error at line 2, column \d+\)/);
    expect(thrown(() => loadRegistry({ AGORA_APPS: `{"apps": [${CERT}` })).message).toMatch(
      /AGORA_APPS\): .*JSON/,
    );
  });

  const bad: [string, unknown, RegExp][] = [
    ['not an object', [], /expected an object like \{"apps"/],
    ['no apps', {}, /"apps" must be an array/],
    ['empty apps', { apps: [] }, /"apps" is empty/],
    ['unknown top-level field', { apps: [{ appId: STATIC }], app: [] }, /unknown top-level field "app"/],
    ['an app that is not an object', { apps: ['x'] }, /apps\[0\] must be an object/],
    ['an app without appId', { apps: [{ name: 'x' }] }, /apps\[0\] has no "appId"/],
    [
      'a short App ID',
      { apps: [{ appId: 'abc' }] },
      /apps\[0\]\.appId: App ID must be 32 hexadecimal characters; got 3/,
    ],
    ['a non-hex App ID', { apps: [{ appId: 'g'.repeat(32) }] }, /including non-hex/],
    [
      'a duplicate App ID (even in other case)',
      { apps: [{ appId: STATIC }, { appId: KEYED }, { appId: STATIC.toUpperCase() }] },
      /apps\[2\]: App ID 0123456789ABCDEF0123456789ABCDEF is already listed as apps\[0\]/,
    ],
    [
      'a misspelt certificate field',
      { apps: [{ appId: KEYED, certficate: CERT }] },
      /apps\[0\] has unknown field "certficate"; the fields are appId, certificate, name/,
    ],
    [
      'a short certificate',
      { apps: [{ appId: KEYED, certificate: CERT.slice(2) }] },
      /apps\[0\]\.certificate \(App ID fedcba9876543210fedcba9876543210\) must be the App Certificate's 32 hexadecimal characters; it has 30 characters\./,
    ],
    [
      'a non-hex certificate',
      { apps: [{ appId: KEYED, certificate: CERT.slice(1) + 'z' }] },
      /including non-hex ones/,
    ],
    ['a numeric certificate', { apps: [{ appId: KEYED, certificate: 5 }] }, /must be a string; got a number/],
    [
      'an empty certificate',
      { apps: [{ appId: KEYED, certificate: '' }] },
      /is empty: omit it \(or set null\)/,
    ],
    ['the App ID as certificate', { apps: [{ appId: KEYED, certificate: KEYED }] }, /is the App ID itself/],
    ['a non-string name', { apps: [{ appId: KEYED, name: 3 }] }, /apps\[0\]\.name .* must be a string/],
  ];
  it.each(bad)('%s is an error that names the entry', (_what, config, message) => {
    const e = thrown(() => createRegistry(config, 'AGORA_APPS'));
    expect(e).toBeInstanceOf(RegistryError);
    expect(e.message).toMatch(/^App registry \(AGORA_APPS\): /);
    expect(e.message).toMatch(message);
  });

  it('a certificate of null means a static-key app', () => {
    expect(createRegistry({ apps: [{ appId: KEYED, certificate: null }] }).get(KEYED)?.hasCertificate).toBe(
      false,
    );
  });

  it('logging or serialising the registry never shows a certificate', () => {
    const shown = [
      inspect(registry, { showHidden: true, depth: 10 }),
      JSON.stringify(registry),
      String(registry),
    ];
    note(shown.join('\n'));
    expect(shown[0]).toContain(KEYED);
    expect(shown[0]).toContain('[certificate]');
    expect(JSON.parse(shown[1] ?? '')).toEqual({ source: 'test', apps: registry.list() });
    expect(Object.values(registry)).not.toContain(CERT);
  });
});

describe('registryPolicy', () => {
  it('an App ID not in the registry is ERR_INVALID_APP_ID (101)', () => {
    const e = note(policy.checkApp(UNKNOWN));
    expect(e).toMatchObject({ code: 101, name: 'ERR_INVALID_APP_ID' });
    expect(e?.message).toBe(
      `App ID ${UNKNOWN} is not registered on this server. Use a registered App ID, or ask the server's operator to add it to the app registry (AGORA_APPS or AGORA_APPS_FILE).`,
    );
    isError(joinAs(UNKNOWN, null), 101);
  });

  it('an App ID registered in another case gets a hint', () => {
    expect(note(policy.checkApp(STATIC.toUpperCase()))?.message).toMatch(
      new RegExp(`the registry has ${STATIC}, which differs only in upper/lower case`),
    );
  });

  it('registered App IDs pass checkApp', () => {
    expect(policy.checkApp(STATIC)).toBeNull();
    expect(policy.checkApp(KEYED)).toBeNull();
  });

  describe('an app with a certificate', () => {
    it('accepts a valid Channel Key and reports its service expiry', () => {
      expect(joinAs(KEYED, mediaKey())).toEqual({ expiresAt: 0 });
      const expiring = generateMediaChannelKey(KEYED, CERT, CHANNEL, T0, 1, 42, T0 + 60);
      expect(joinAs(KEYED, expiring)).toEqual({ expiresAt: T0 + 60 });
    });

    it.each([
      [null, 'the key was null'],
      ['', 'the key was empty'],
      [KEYED, 'the key was the App ID itself'],
    ])(
      'refuses key %j with 110, saying it requires a Channel Key made with its App Certificate',
      (key, given) => {
        const e = isError(joinAs(KEYED, key), 110);
        expect(e.name).toBe('ERR_INVALID_CHANNEL_KEY');
        expect(e.message).toContain(
          `App ID ${KEYED} has an App Certificate, so joining requires a Channel Key made with its App Certificate, but ${given}.`,
        );
        expect(e.message).toMatch(/generateMediaChannelKey/);
      },
    );

    it('refuses a key for another uid, channel or certificate (110)', () => {
      isError(joinAs(KEYED, mediaKey(7), 8), 110);
      isError(joinAs(KEYED, generateMediaChannelKey(KEYED, CERT, 'room 2', T0, 1, 42, 0)), 110);
      isError(joinAs(KEYED, mediaKey(42, T0, 'ffeeddccbbaa99887766554433221100')), 110);
    });

    it('a uid-0 key admits the uid the server assigned', () => {
      expect(joinAs(KEYED, mediaKey(0), 123456)).toEqual({ expiresAt: 0 });
    });

    it('a key older than 5 minutes is 109; the same key within the window passes', () => {
      const e = isError(joinAs(KEYED, mediaKey(42, T0), 42, T0 + 301), 109);
      expect(e.name).toBe('ERR_CHANNEL_KEY_EXPIRED');
      expect(joinAs(KEYED, mediaKey(42, T0), 42, T0 + 300)).toEqual({ expiresAt: 0 });
    });

    it('a Recording Key is not a Channel Key (110)', () => {
      const e = isError(joinAs(KEYED, generateRecordingKey(KEYED, CERT, CHANNEL, T0, 1, 42, 0)), 110);
      expect(e.message).toMatch(/This is a Recording Key/);
    });

    it('the now option overrides the check clock', () => {
      const late = registryPolicy(registry, { now: () => T0 + 1000 });
      expect(
        note(late.checkJoin({ appId: KEYED, channel: CHANNEL, uid: 42, key: mediaKey(), now: T0 })),
      ).toHaveProperty('code', 109);
    });
  });

  describe('an app without a certificate (static-key mode)', () => {
    it.each([null, '', STATIC])('accepts key %j with no expiry', (key) => {
      expect(joinAs(STATIC, key)).toEqual({ expiresAt: 0 });
    });

    it('refuses a Channel Key with 110, saying the app has no certificate so pass null', () => {
      const k = generateMediaChannelKey(STATIC, CERT, CHANNEL, T0, 1, 42, 0);
      const e = isError(joinAs(STATIC, k), 110);
      expect(e.message).toContain(
        `App ID ${STATIC} has no App Certificate on this server (static-key mode), so it does not use Channel Keys: join with key null (or the App ID), not a Channel Key.`,
      );
    });

    it('refuses any other string too', () => {
      expect(isError(joinAs(STATIC, 'hello'), 110).message).toMatch(
        /join with key null \(or the App ID\), not this key/,
      );
    });
  });
});

describe('keepCollabSeconds', () => {
  it("is the app's time to keep an emptied channel's whiteboard and chat (0 when absent); bad values are refused", () => {
    const r = createRegistry({
      apps: [
        { appId: STATIC, keepCollabSeconds: 3600 },
        { appId: KEYED, certificate: CERT },
      ],
    });
    const policy = registryPolicy(r);
    expect(r.get(STATIC)!.keepCollabSeconds).toBe(3600);
    expect(policy.keepCollabSeconds!(STATIC)).toBe(3600);
    expect(policy.keepCollabSeconds!(KEYED)).toBe(0);
    expect(policy.keepCollabSeconds!(UNKNOWN)).toBe(0);
    for (const bad of [-1, 1.5, '3600', true, 31 * 24 * 3600])
      expect(() => createRegistry({ apps: [{ appId: STATIC, keepCollabSeconds: bad }] })).toThrow(
        /apps\[0\]\.keepCollabSeconds \(App ID 0123456789abcdef0123456789abcdef\) must be a whole number of seconds/,
      );
  });
});

describe('registry.generateKey', () => {
  it('makes keys that the policy accepts, without exposing the certificate', () => {
    const k = registry.generateKey(KEYED, 'ACS', CHANNEL, 42, { unixTs: T0, randomInt: 5 });
    expect(k).toBe(generateMediaChannelKey(KEYED, CERT, CHANNEL, T0, 5, 42, 0));
    expect(joinAs(KEYED, k)).toEqual({ expiresAt: 0 });
    const rec = registry.generateKey(KEYED, 'ARS', CHANNEL, 42, {
      unixTs: T0,
      randomInt: 5,
      expiredTs: T0 + 9,
    });
    expect(rec).toBe(generateRecordingKey(KEYED, CERT, CHANNEL, T0, 5, 42, T0 + 9));
  });

  it('defaults to now and a random number', () => {
    const k = registry.generateKey(KEYED, 'ACS', CHANNEL, 0);
    const now = Math.floor(Date.now() / 1000);
    expect(policy.checkJoin({ appId: KEYED, channel: CHANNEL, uid: 9, key: k, now })).toEqual({
      expiresAt: 0,
    });
  });

  it('refuses static and unknown apps', () => {
    expect(thrown(() => registry.generateKey(STATIC, 'ACS', CHANNEL, 1)).message).toMatch(
      /has no App Certificate/,
    );
    expect(thrown(() => registry.generateKey(UNKNOWN, 'ACS', CHANNEL, 1)).message).toMatch(
      /is not registered/,
    );
  });
});

describe('verifyRecordingKey', () => {
  const rec = (uid = 42, ts = T0) => generateRecordingKey(KEYED, CERT, CHANNEL, ts, 3, uid, 0);
  const check = (appId: string, key: unknown, uid = 42, now = T0 + 5) =>
    note(verifyRecordingKey(registry, { appId, channel: CHANNEL, uid, key, now }));

  it('accepts a valid Recording Key for the app, channel and uid', () => {
    expect(check(KEYED, rec())).toEqual({ ok: true, expiresAt: 0 });
    expect(check(KEYED, rec(0), 77)).toEqual({ ok: true, expiresAt: 0 });
  });

  it('refuses a Channel Key, another uid, another channel, an old key', () => {
    expect(check(KEYED, mediaKey())).toMatchObject({
      ok: false,
      code: 110,
      message: /This is a Channel Key/,
    });
    expect(check(KEYED, rec(7), 8)).toMatchObject({ ok: false, code: 110 });
    expect(
      note(verifyRecordingKey(registry, { appId: KEYED, channel: 'room 2', uid: 42, key: rec(), now: T0 })),
    ).toMatchObject({ ok: false, code: 110 });
    expect(check(KEYED, rec(), 42, T0 + 301)).toMatchObject({ ok: false, code: 109 });
  });

  it('no key, or the App ID, is 110 saying recording requires a Recording Key', () => {
    for (const key of [null, undefined, '', KEYED]) {
      expect(check(KEYED, key)).toMatchObject({
        ok: false,
        code: 110,
        message: expect.stringMatching(
          /^Recording requires a Recording Key made with App ID .*'s App Certificate/,
        ),
      });
    }
  });

  it('an app without a certificate cannot record (110), and an unknown app is 101', () => {
    expect(check(STATIC, rec())).toMatchObject({
      ok: false,
      code: 110,
      message: expect.stringMatching(
        /has no App Certificate on this server, so it cannot make Recording Keys/,
      ),
    });
    expect(check(UNKNOWN, rec())).toMatchObject({ ok: false, code: 101, name: 'ERR_INVALID_APP_ID' });
  });
});

describe('per-app MESH_MAX (meshMax)', () => {
  const ALWAYS = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
  const apps = {
    apps: [
      { appId: STATIC, name: 'server default' },
      { appId: ALWAYS, meshMax: 0 },
      { appId: KEYED, certificate: CERT, meshMax: 8 },
    ],
  };

  it('is kept per app and handed to the server by the policy; absent means the server default', () => {
    const r = createRegistry(apps, 'test');
    expect(r.get(ALWAYS)).toEqual({ appId: ALWAYS, name: null, hasCertificate: false, meshMax: 0 });
    expect(r.get(KEYED)?.meshMax).toBe(8);
    expect(r.get(STATIC)).not.toHaveProperty('meshMax');
    const p = registryPolicy(r);
    expect([p.meshMax?.(ALWAYS), p.meshMax?.(KEYED), p.meshMax?.(STATIC)]).toEqual([0, 8, undefined]);
  });

  it('anything but a whole number from 0 to 1000 is an error naming the entry', () => {
    for (const bad of [-1, 2.5, '4', true, 1001, Number.NaN, [4]]) {
      const e = thrown(() => createRegistry({ apps: [{ appId: STATIC, meshMax: bad }] }, 'AGORA_APPS'));
      expect(e).toBeInstanceOf(RegistryError);
      expect(e.message).toMatch(
        /^App registry \(AGORA_APPS\): apps\[0\]\.meshMax \(App ID 0123456789abcdef0123456789abcdef\) must be a whole number of members from 0 \(always the SFU\) to 1000; got /,
      );
    }
    expect(createRegistry({ apps: [{ appId: STATIC, meshMax: null }] }).get(STATIC)).not.toHaveProperty(
      'meshMax',
    );
  });

  it("overrides the server's MESH_MAX: meshMax 0 puts the app's channels on the SFU from the first member", async () => {
    // No Janus is needed to see the server's choice: it is in the join result (`media`), before any SFU request.
    const server = await startServer({
      port: 0,
      quiet: true,
      policy: registryPolicy(createRegistry(apps)),
      sfu: { urls: ['ws://127.0.0.1:9'], meshMax: 4 },
    });
    const clients: SignalClient[] = [];
    try {
      const enter = async (appId: string) => {
        const c = await SignalClient.open(server.url);
        clients.push(c);
        return c.enter('per app', 0, appId);
      };
      expect((await enter(ALWAYS)).media).toBe('sfu');
      expect((await enter(STATIC)).media).toBeUndefined();
      // Five members of the server-default app: the fifth moves the channel (MESH_MAX 4).
      for (let i = 0; i < 3; i++) expect((await enter(STATIC)).media).toBeUndefined();
      expect((await enter(STATIC)).media).toBe('sfu');
    } finally {
      for (const c of clients) c.close();
      await server.close();
    }
  });
});
