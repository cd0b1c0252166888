import { createHmac, createSecretKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CHANNEL_KEY_LENGTH,
  generateMediaChannelKey,
  generateRecordingKey,
  parseChannelKey,
  verifyChannelKey,
  type KeyVerification,
  type VerifyChannelKeyOptions,
} from '../../server/channel-key.js';

// Agora's published DynamicKey4 test vectors: AgoraIO/Tools, DynamicKey/AgoraDynamicKey/nodejs/test/DynamicKeyTest.js
// (tests MediaChannelKey4_Test and RecordingKey4_Test; the same inputs and outputs are in that repository's C++, Go,
// Java, Python and PHP DynamicKey4 tests).
const AGORA = {
  appId: '970ca35de60c44645bbae8a215061b33',
  appCertificate: '5cfd2fd1755d40ecb72977518be15d3b',
  channel: '7d72365eb983485397e3e3f9d460bdda',
  ts: 1446455472,
  random: 58964981,
  uid: 2882341273,
  expiredTs: 1446455471,
  mediaChannelKey:
    '004d0ec5ee3179c964fe7c0485c045541de6bff332b970ca35de60c44645bbae8a215061b3314464554720383bbf51446455471',
  recordingKey:
    '004e0c24ac56aae05229a6d9389860a1a0e25e56da8970ca35de60c44645bbae8a215061b3314464554720383bbf51446455471',
} as const;

// Our own fixture: a keyed app, a second app, a channel and a time.
const APP = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const CERT = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const OTHER_CERT = 'ffeeddccbbaa99887766554433221100';
const CHANNEL = 'room 1';
const T0 = 1_700_000_000;
const UID = 42;

function key(
  overrides: Partial<{ uid: number; expiredTs: number; ts: number; cert: string; channel: string }> = {},
) {
  return generateMediaChannelKey(
    APP,
    overrides.cert ?? CERT,
    overrides.channel ?? CHANNEL,
    overrides.ts ?? T0,
    0x1234abcd,
    overrides.uid ?? UID,
    overrides.expiredTs ?? 0,
  );
}

function verify(k: unknown, overrides: Partial<VerifyChannelKeyOptions> = {}): KeyVerification {
  return verifyChannelKey({
    key: k,
    appId: APP,
    appCertificate: CERT,
    channelName: CHANNEL,
    uid: UID,
    now: T0 + 10,
    ...overrides,
  });
}

function rejectedWith(result: KeyVerification, code: 109 | 110) {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.code).toBe(code);
  expect(result.name).toBe(code === 109 ? 'ERR_CHANNEL_KEY_EXPIRED' : 'ERR_INVALID_CHANNEL_KEY');
  expect(result.message).not.toContain(CERT);
  return result;
}

/** Replace `length` characters at `at`. */
function splice(k: string, at: number, replacement: string): string {
  return k.slice(0, at) + replacement + k.slice(at + replacement.length);
}

/** A different character of the same class (hex stays hex, digit stays digit). */
function flip(ch: string): string {
  return ch === '0' ? '1' : '0';
}

describe("Agora's published DynamicKey4 vectors", () => {
  it('generateMediaChannelKey reproduces the published media channel key exactly', () => {
    expect(
      generateMediaChannelKey(
        AGORA.appId,
        AGORA.appCertificate,
        AGORA.channel,
        AGORA.ts,
        AGORA.random,
        AGORA.uid,
        AGORA.expiredTs,
      ),
    ).toBe(AGORA.mediaChannelKey);
  });

  it('generateRecordingKey reproduces the published recording key exactly', () => {
    expect(
      generateRecordingKey(
        AGORA.appId,
        AGORA.appCertificate,
        AGORA.channel,
        AGORA.ts,
        AGORA.random,
        AGORA.uid,
        AGORA.expiredTs,
      ),
    ).toBe(AGORA.recordingKey);
  });

  it("the published keys verify with their inputs (before the vector's service expiry)", () => {
    const common = {
      appId: AGORA.appId,
      appCertificate: AGORA.appCertificate,
      channelName: AGORA.channel,
      uid: AGORA.uid,
      now: AGORA.ts - 10,
    };
    expect(verifyChannelKey({ key: AGORA.mediaChannelKey, ...common })).toEqual({
      ok: true,
      expiresAt: AGORA.expiredTs,
      signedUid: AGORA.uid,
    });
    expect(verifyChannelKey({ key: AGORA.recordingKey, serviceType: 'ARS', ...common }).ok).toBe(true);
  });

  it("the published keys' service expiry (one second before issue) makes them 109 at issue time", () => {
    const r = verifyChannelKey({
      key: AGORA.mediaChannelKey,
      appId: AGORA.appId,
      appCertificate: AGORA.appCertificate,
      channelName: AGORA.channel,
      uid: AGORA.uid,
      now: AGORA.ts,
    });
    expect(rejectedWith(r, 109)?.reason).toBe('service-expired');
  });

  it('parseChannelKey splits the published key into its fields', () => {
    expect(parseChannelKey(AGORA.mediaChannelKey)).toEqual({
      ok: true,
      fields: {
        version: '004',
        signature: 'd0ec5ee3179c964fe7c0485c045541de6bff332b',
        appId: AGORA.appId,
        unixTs: AGORA.ts,
        randomHex: '0383bbf5',
        randomInt: AGORA.random,
        expiredTs: AGORA.expiredTs,
      },
    });
  });
});

describe('generating keys', () => {
  it('a key is 103 characters with the documented layout', () => {
    const k = key({ expiredTs: T0 + 3600 });
    expect(k).toHaveLength(CHANNEL_KEY_LENGTH);
    expect(k.slice(0, 3)).toBe('004');
    expect(k.slice(43, 75)).toBe(APP);
    expect(k.slice(75, 85)).toBe(String(T0));
    expect(k.slice(85, 93)).toBe('1234abcd');
    expect(k.slice(93)).toBe(String(T0 + 3600));
  });

  it('the signature is HMAC-SHA1 keyed with the certificate text over the documented message', () => {
    const k = key({ uid: 7, expiredTs: 0 });
    const expected = createHmac('sha1', CERT)
      .update(`ACS${APP}${T0}1234abcd${CHANNEL}0000000007` + '0000000000')
      .digest('hex');
    expect(k.slice(3, 43)).toBe(expected);
  });

  it('a negative random number wraps to its unsigned 32-bit hex', () => {
    const k = generateMediaChannelKey(APP, CERT, CHANNEL, T0, -1, UID, 0);
    expect(k.slice(85, 93)).toBe('ffffffff');
    expect(generateMediaChannelKey(APP, CERT, CHANNEL, T0, 5, UID, 0).slice(85, 93)).toBe('00000005');
  });

  it('a negative 32-bit uid is the same key as its unsigned value', () => {
    expect(generateMediaChannelKey(APP, CERT, CHANNEL, T0, 1, -1, 0)).toBe(
      generateMediaChannelKey(APP, CERT, CHANNEL, T0, 1, 0xffffffff, 0),
    );
  });

  it('media channel and recording keys differ for the same inputs', () => {
    expect(generateRecordingKey(APP, CERT, CHANNEL, T0, 1, UID, 0)).not.toBe(
      generateMediaChannelKey(APP, CERT, CHANNEL, T0, 1, UID, 0),
    );
  });

  it.each([
    ['appId not a string', [1, CERT, CHANNEL, T0, 1, 1, 0], TypeError, /appId must be a string/],
    ['appId too short', ['abc', CERT, CHANNEL, T0, 1, 1, 0], RangeError, /appId: App ID must be 32/],
    [
      'certificate not a string',
      [APP, null, CHANNEL, T0, 1, 1, 0],
      TypeError,
      /appCertificate must be a string/,
    ],
    ['certificate too short', [APP, CERT.slice(1), CHANNEL, T0, 1, 1, 0], RangeError, /31 characters/],
    [
      'certificate is the App ID',
      [APP, APP, CHANNEL, T0, 1, 1, 0],
      RangeError,
      /appCertificate is the App ID/,
    ],
    ['channel not a string', [APP, CERT, 5, T0, 1, 1, 0], TypeError, /channelName must be a string/],
    ['channel with a bad character', [APP, CERT, 'a/b', T0, 1, 1, 0], RangeError, /channelName: .*"\/"/],
    ['channel over 64 bytes', [APP, CERT, 'x'.repeat(65), T0, 1, 1, 0], RangeError, /65 bytes/],
    ['unixTs in milliseconds', [APP, CERT, CHANNEL, T0 * 1000, 1, 1, 0], RangeError, /milliseconds/],
    [
      'unixTs not an integer',
      [APP, CERT, CHANNEL, T0 + 0.5, 1, 1, 0],
      RangeError,
      /unixTs must be an integer/,
    ],
    ['unixTs a string', [APP, CERT, CHANNEL, String(T0), 1, 1, 0], TypeError, /unixTs must be a number/],
    [
      'random over 32 bits',
      [APP, CERT, CHANNEL, T0, 2 ** 32, 1, 0],
      RangeError,
      /randomInt must be a 32-bit/,
    ],
    ['uid over 32 bits', [APP, CERT, CHANNEL, T0, 1, 2 ** 32, 0], RangeError, /uid must be a 32-bit/],
    ['negative expiredTs', [APP, CERT, CHANNEL, T0, 1, 1, -1], RangeError, /expiredTs must be 0/],
  ] as const)('rejects bad arguments: %s', (_what, args, type, message) => {
    const call = () =>
      (generateMediaChannelKey as (...a: unknown[]) => string)(...(args as readonly unknown[]));
    expect(call).toThrow(type);
    expect(call).toThrow(message);
    try {
      call();
    } catch (e) {
      expect((e as Error).message).not.toContain(CERT.slice(1));
    }
  });
});

describe('verifying keys', () => {
  it('a fresh key for the channel and uid is accepted with no service expiry', () => {
    expect(verify(key())).toEqual({ ok: true, expiresAt: 0, signedUid: UID });
  });

  it('a key with a service expiry reports it as expiresAt', () => {
    expect(verify(key({ expiredTs: T0 + 3600 }))).toEqual({ ok: true, expiresAt: T0 + 3600, signedUid: UID });
  });

  it('verification also takes the certificate as a KeyObject', () => {
    expect(verify(key(), { appCertificate: createSecretKey(Buffer.from(CERT)) }).ok).toBe(true);
  });

  it('a key 5 min 1 s old is ERR_CHANNEL_KEY_EXPIRED (109)', () => {
    const r = rejectedWith(verify(key(), { now: T0 + 301 }), 109);
    expect(r?.reason).toBe('join-window-passed');
    expect(r?.message).toMatch(/5 minutes/);
  });

  it('the same key exactly 5 minutes old, and just issued, is accepted', () => {
    expect(verify(key(), { now: T0 + 300 }).ok).toBe(true);
    expect(verify(key(), { now: T0 }).ok).toBe(true);
  });

  it('a key whose service expiry has passed is 109', () => {
    const r = rejectedWith(verify(key({ expiredTs: T0 + 5 }), { now: T0 + 5 }), 109);
    expect(r?.reason).toBe('service-expired');
    expect(verify(key({ expiredTs: T0 + 5 }), { now: T0 + 4 }).ok).toBe(true);
  });

  it('a key signed for uid 0 is good for any uid', () => {
    const anyone = key({ uid: 0 });
    for (const uid of [0, 1, UID, 0xffffffff]) {
      expect(verify(anyone, { uid })).toEqual({ ok: true, expiresAt: 0, signedUid: 0 });
    }
  });

  it('a key signed for one uid is refused for another uid (110), with a hint about uid 0', () => {
    const r = rejectedWith(verify(key({ uid: 7 }), { uid: 8 }), 110);
    expect(r?.reason).toBe('signature-mismatch');
    expect(r?.message).toMatch(/uid 8/);
    expect(r?.message).toMatch(/uid 0, which is good for any uid/);
    rejectedWith(verify(key({ uid: 7 }), { uid: 0 }), 110);
  });

  it('a key for another channel is refused (110), naming the channel', () => {
    const r = rejectedWith(verify(key({ channel: 'room 2' })), 110);
    expect(r?.message).toContain('"room 1"');
  });

  it("a key made with another app's certificate is refused (110)", () => {
    const r = rejectedWith(verify(key({ cert: OTHER_CERT })), 110);
    expect(r?.reason).toBe('signature-mismatch');
    expect(r?.message).not.toContain(OTHER_CERT);
  });

  it('a key for another App ID is refused (110), naming both App IDs', () => {
    const other = generateMediaChannelKey('0'.repeat(32), CERT, CHANNEL, T0, 1, UID, 0);
    const r = rejectedWith(verify(other), 110);
    expect(r?.reason).toBe('app-id-mismatch');
    expect(r?.message).toContain('0'.repeat(32));
    expect(r?.message).toContain(APP);
  });

  it('a Recording Key is refused where a Channel Key is needed, and the other way round', () => {
    const rec = generateRecordingKey(APP, CERT, CHANNEL, T0, 1, UID, 0);
    const r = rejectedWith(verify(rec), 110);
    expect(r?.reason).toBe('wrong-service');
    expect(r?.message).toMatch(/This is a Recording Key/);
    expect(verify(rec, { serviceType: 'ARS' }).ok).toBe(true);
    const r2 = rejectedWith(verify(key(), { serviceType: 'ARS' }), 110);
    expect(r2?.message).toMatch(/This is a Channel Key .* make it with generateRecordingKey/);
  });

  it('a forged key (right layout, wrong signature) is 110 even when its times are also past', () => {
    const forged = splice(key({ expiredTs: T0 + 1 }), 3, 'deadbeef'.repeat(5));
    expect(rejectedWith(verify(forged, { now: T0 + 10_000 }), 110)?.reason).toBe('signature-mismatch');
  });

  describe('each field tampered with in turn is refused with 110', () => {
    const valid = key({ expiredTs: T0 + 3600 });
    const cases: [string, string][] = [
      ['version 004 → 005', splice(valid, 0, '005')],
      ['version 004 → 003', splice(valid, 0, '003')],
      ['one signature digit', splice(valid, 10, flip(valid[10] ?? ''))],
      ['last signature digit', splice(valid, 42, flip(valid[42] ?? ''))],
      ['one App ID digit', splice(valid, 50, flip(valid[50] ?? ''))],
      ['the timestamp (earlier, still in the window)', splice(valid, 75, String(T0 - 1))],
      ['the timestamp (later)', splice(valid, 75, String(T0 + 100))],
      ['one random digit', splice(valid, 90, flip(valid[90] ?? ''))],
      ['the expiry (later)', splice(valid, 93, String(T0 + 7200))],
      ['the expiry (none)', splice(valid, 93, '0000000000')],
      ['truncated by one', valid.slice(0, -1)],
      ['truncated to half', valid.slice(0, 50)],
      ['extended by one', valid + '0'],
      ['non-hex in the signature', splice(valid, 20, 'g')],
      ['non-hex in the App ID', splice(valid, 60, 'z')],
      ['a letter in the timestamp', splice(valid, 80, 'a')],
      ['non-hex in the random', splice(valid, 86, 'x')],
      ['a letter in the expiry', splice(valid, 100, 'f')],
      ['upper-case signature', splice(valid, 3, valid.slice(3, 43).toUpperCase())],
      ['upper-case random', splice(valid, 85, valid.slice(85, 93).toUpperCase())],
      ['whole key upper-case', valid.toUpperCase()],
      ['wrapped in quotes', `"${valid.slice(1, -1)}"`],
      ['a trailing newline', valid + '\n'],
      ['empty', ''],
      ['the App ID instead of a key', APP],
    ];
    it.each(cases)('%s', (_what, tampered) => {
      expect(tampered).not.toBe(valid);
      rejectedWith(verify(tampered), 110);
    });
    it.each([null, undefined, 42, {}])('a non-string key (%s)', (k) => {
      rejectedWith(verify(k), 110);
    });
  });

  it('the fast layout check agrees with the format at every position, for awkward characters', () => {
    const format = /^004[0-9a-f]{40}[0-9a-fA-F]{32}[0-9]{10}[0-9a-f]{8}[0-9]{10}$/;
    const valid = key();
    // \u0161 and \u0130 have low bytes that are hex/digit characters: a table indexed by a truncated code would pass them.
    const chars = ['0', '9', 'a', 'f', 'A', 'F', 'g', 'G', 'z', ' ', '/', ':', '\u0161', '\u0130', '\u0000'];
    let checked = 0;
    for (let i = 0; i < valid.length; i++) {
      for (const ch of chars) {
        const k = valid.slice(0, i) + ch + valid.slice(i + 1);
        if (k === valid) continue;
        const r = verify(k);
        expect(r.ok, `position ${i} = ${JSON.stringify(ch)}`).toBe(false);
        if (!r.ok)
          expect(r.reason === 'malformed', `position ${i} = ${JSON.stringify(ch)}`).toBe(!format.test(k));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(1400);
  });

  it("a key whose App ID is not hex is malformed even when the caller's App ID matches it", () => {
    const valid = key();
    const badApp = 'z'.repeat(32);
    const k = valid.slice(0, 43) + badApp + valid.slice(75);
    expect(rejectedWith(verify(k, { appId: badApp }), 110)?.reason).toBe('malformed');
  });

  it('messages for malformed keys say what is wrong', () => {
    const valid = key();
    const reason = (k: unknown) => (verify(k) as { message: string }).message;
    expect(reason(valid.slice(0, -1))).toMatch(/this one has 102: it looks cut short/);
    expect(reason(valid + '00')).toMatch(/this one has 105: it has extra characters/);
    expect(reason(splice(valid, 0, '006'))).toMatch(/version "006"; this server takes version "004"/);
    expect(reason(splice(valid, 3, valid.slice(3, 43).toUpperCase()))).toMatch(/signature must be lowercase/);
    expect(reason(splice(valid, 80, 'a'))).toMatch(/timestamp must be 10 decimal digits/);
    expect(reason(APP)).toMatch(/This is an App ID, not a Channel Key/);
    expect(reason(` ${valid}`)).toMatch(/spaces or line breaks/);
    expect(reason(null)).toMatch(/got null/);
  });

  it('a key never appears whole in a rejection message', () => {
    const k = key();
    for (const r of [verify(k, { uid: 9 }), verify(k, { now: T0 + 999 }), verify(k + 'x')]) {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.message).not.toContain(k.slice(3, 43));
    }
  });

  it('misuse of the API (bad options) throws TypeError', () => {
    expect(() => verify(key(), { uid: -1 })).toThrow(TypeError);
    expect(() => verify(key(), { uid: 1.5 })).toThrow(TypeError);
    expect(() => verify(key(), { serviceType: 'XYZ' as 'ACS' })).toThrow(TypeError);
    expect(() => verify(key(), { channelName: 3 as unknown as string })).toThrow(TypeError);
    expect(() => verify(key(), { now: Number.NaN })).toThrow(/now as Unix seconds/);
  });
});

describe('parseChannelKey', () => {
  it('reports why a key is not well-formed', () => {
    const r = parseChannelKey('004abc');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/103 characters/);
  });

  it('reads the random field as unsigned', () => {
    const r = parseChannelKey(generateMediaChannelKey(APP, CERT, CHANNEL, T0, -2, UID, 0));
    expect(r.ok && r.fields.randomInt).toBe(0xfffffffe);
  });
});
