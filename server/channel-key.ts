/**
 * Dynamic keys, version "004" (Agora's DynamicKey4): the Channel Key that lets a user join a channel and the
 * Recording Key that lets them record, as the manual's 设置密钥方案 / "Channel Key 结构" chapter describes.
 *
 * Keys made here are byte-for-byte the keys Agora's published DynamicKey4 generators make (the AgoraIO/Tools
 * repository, DynamicKey/AgoraDynamicKey), so a customer's existing key server works with our signaling server
 * and these functions can replace it.
 *
 * ## Channel Key structure (the manual's table 1): all fields concatenated, in this order
 *
 * | field (字段)                  | type   | length | meaning                                                           |
 * |-------------------------------|--------|--------|-------------------------------------------------------------------|
 * | version (版本号)              | string | 3      | `"004"`, the key algorithm's version                              |
 * | signature (签名)              | string | 40     | lowercase hex of HMAC-SHA1 (see below)                            |
 * | App ID                        | string | 32     | the App ID, as given                                              |
 * | issued at (授权时间戳)        | number | 10     | Unix seconds when the key was made; joining is allowed for 5 minutes after it |
 * | random (随机数)               | int    | 8      | a 32-bit integer, lowercase hex, new for every key                |
 * | service expiry (服务到期时间戳) | number | 10     | Unix seconds when the holder's stay ends (removed from the channel); `0` = no limit |
 *
 * 3 + 40 + 32 + 10 + 8 + 10 = 103 characters.
 *
 * The signature is HMAC-SHA1, keyed with the App Certificate's ASCII text, over
 * `serviceType + appId + issuedAt + randomHex + channelName + uid + serviceExpiry`, where `uid` is the
 * unsigned 32-bit uid as 10 zero-padded decimal digits and the service types (服务类型) are `"ACS"` (audio/video
 * calls: join's Channel Key) and `"ARS"` (Agora Recording Server: the Recording Key). The channel name and the
 * uid are signed but not carried in the key: the server checks them against the channel and uid of the join.
 * A key signed for uid 0 is good for any uid; otherwise only for its own.
 *
 * @module
 */
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { ErrorCode } from '../src/protocol/codes.js';
import { checkAppId, checkChannelName } from '../src/protocol/validate.js';

/** Service types (服务类型): which service a dynamic key is for. It is signed, so keys are not interchangeable. */
export const ServiceType = {
  /** Agora Communication Service: the Channel Key that `client.join` takes (`generateMediaChannelKey`). */
  MediaChannel: 'ACS',
  /** Agora Recording Server: the Recording Key that recording takes (`generateRecordingKey`). */
  Recording: 'ARS',
} as const;
export type ServiceType = (typeof ServiceType)[keyof typeof ServiceType];

/** The key layout this module speaks (DynamicKey4). */
export const KEY_VERSION = '004';
/** 3 + 40 + 32 + 10 + 8 + 10. */
export const CHANNEL_KEY_LENGTH = 103;
/** A key may be used to join for this many seconds after its issue time (the manual's 5 minutes). */
export const JOIN_WINDOW_SECONDS = 300;
/**
 * A key whose issue time is further ahead than this is refused: clocks of a key server and this server may differ
 * a little, but a key "issued" years ahead would otherwise open a join window that never closes.
 */
export const MAX_CLOCK_SKEW_SECONDS = 300;

// Field offsets inside the 103-character key.
const SIG_AT = 3;
const APP_AT = 43;
const TS_AT = 75;
const RND_AT = 85;
const EXP_AT = 93;

/** The fields of a well-formed version-004 key (the channel name and uid are signed, not carried). */
export interface ChannelKeyFields {
  version: typeof KEY_VERSION;
  /** 40 lowercase hex digits. */
  signature: string;
  /** 32 hex digits, as the key's maker gave it. */
  appId: string;
  /** Unix seconds when the key was made (授权时间戳). */
  unixTs: number;
  /** The random field as it appears in the key: 8 lowercase hex digits. */
  randomHex: string;
  /** The random field as an unsigned 32-bit integer. */
  randomInt: number;
  /** Unix seconds when the holder's stay ends (服务到期时间戳); 0 = no limit. */
  expiredTs: number;
}

export type ParseResult = { ok: true; fields: ChannelKeyFields } | { ok: false; reason: string };

/** Why a key was turned down, for code that wants more than the code number. */
export type KeyRejectReason =
  | 'malformed'
  | 'app-id-mismatch'
  | 'wrong-service'
  | 'signature-mismatch'
  | 'join-window-passed'
  | 'service-expired'
  | 'issued-in-future';

export interface KeyAccepted {
  ok: true;
  /** The key's service expiry in Unix seconds (0 = none): when the holder must leave the channel. */
  expiresAt: number;
  /** The uid the key was signed for: the checked uid, or 0 when the key is good for any uid. */
  signedUid: number;
}

export interface KeyRejected {
  ok: false;
  code: typeof ErrorCode.ERR_CHANNEL_KEY_EXPIRED | typeof ErrorCode.ERR_INVALID_CHANNEL_KEY;
  name: 'ERR_CHANNEL_KEY_EXPIRED' | 'ERR_INVALID_CHANNEL_KEY';
  reason: KeyRejectReason;
  /** A sentence a person can act on. Never contains the App Certificate (nor the whole key). */
  message: string;
}

export type KeyVerification = KeyAccepted | KeyRejected;

export interface VerifyChannelKeyOptions {
  /** What the client presented. */
  key: unknown;
  /** `"ACS"` (default) for joining, `"ARS"` for recording. */
  serviceType?: ServiceType;
  /** The App ID the client initialised with. */
  appId: string;
  /**
   * That app's App Certificate: its 32-character text, or a `KeyObject` made once with
   * `createSecretKey(Buffer.from(certificate))` (slightly faster when verifying many keys).
   */
  appCertificate: string | KeyObject;
  /** The channel being joined. */
  channelName: string;
  /** The member's uid (already assigned when the client asked for 0). */
  uid: number;
  /** Unix seconds; defaults to the clock. */
  now?: number;
}

// ---- generating ----

const HEX32 = /^[0-9a-fA-F]{32}$/;
const MAX_TS = 9_999_999_999;
const INT32_MIN = -0x8000_0000;
const UINT32_MAX = 0xffff_ffff;
const ZEROS = '0000000000';

function pad10(n: number): string {
  const s = String(n);
  return ZEROS.slice(s.length) + s;
}

function hex8(n: number): string {
  const s = (n >>> 0).toString(16);
  return ZEROS.slice(0, 8 - s.length) + s;
}

function requireInteger(what: string, v: unknown): number {
  if (typeof v !== 'number') throw new TypeError(`${what} must be a number; got ${typeof v}.`);
  if (!Number.isInteger(v)) throw new RangeError(`${what} must be an integer; got ${v}.`);
  return v;
}

function checkGenerateArgs(
  appId: unknown,
  appCertificate: unknown,
  channelName: unknown,
  unixTs: unknown,
  randomInt: unknown,
  uid: unknown,
  expiredTs: unknown,
): void {
  if (typeof appId !== 'string') throw new TypeError(`appId must be a string; got ${typeof appId}.`);
  const appProblem = checkAppId(appId);
  if (appProblem !== null) throw new RangeError(`appId: ${appProblem}`);
  if (typeof appCertificate !== 'string') {
    throw new TypeError(`appCertificate must be a string; got ${typeof appCertificate}.`);
  }
  // Never echo the certificate: say only what is wrong with its shape.
  if (!HEX32.test(appCertificate)) {
    throw new RangeError(
      `appCertificate must be the App Certificate's 32 hexadecimal characters; got ${appCertificate.length} characters${
        /^[0-9a-fA-F]*$/.test(appCertificate) ? '' : ' including non-hex ones'
      }.`,
    );
  }
  if (appCertificate.toLowerCase() === appId.toLowerCase()) {
    throw new RangeError(
      'appCertificate is the App ID: pass the App Certificate shown beside it in the dashboard.',
    );
  }
  if (typeof channelName !== 'string') {
    throw new TypeError(`channelName must be a string; got ${typeof channelName}.`);
  }
  const channelProblem = checkChannelName(channelName);
  if (channelProblem !== null) throw new RangeError(`channelName: ${channelProblem}`);
  const ts = requireInteger('unixTs', unixTs);
  if (ts < 1_000_000_000 || ts > MAX_TS) {
    throw new RangeError(
      `unixTs must be Unix time in seconds (10 digits); got ${ts}${
        ts > MAX_TS ? ' — that looks like milliseconds: use Math.floor(Date.now() / 1000)' : ''
      }.`,
    );
  }
  const r = requireInteger('randomInt', randomInt);
  if (r < INT32_MIN || r > UINT32_MAX) {
    throw new RangeError(`randomInt must be a 32-bit integer (-2147483648 to 4294967295); got ${r}.`);
  }
  const u = requireInteger('uid', uid);
  if (u < INT32_MIN || u > UINT32_MAX) {
    throw new RangeError(`uid must be a 32-bit integer (0 to 4294967295; 0 = good for any uid); got ${u}.`);
  }
  const exp = requireInteger('expiredTs', expiredTs);
  if (exp < 0 || exp > MAX_TS) {
    throw new RangeError(
      `expiredTs must be 0 (no limit) or Unix time in seconds (10 digits); got ${exp}${
        exp > MAX_TS ? ' — that looks like milliseconds' : ''
      }.`,
    );
  }
}

function generate(
  serviceType: ServiceType,
  appId: string,
  appCertificate: string,
  channelName: string,
  unixTs: number,
  randomInt: number,
  uid: number,
  expiredTs: number,
): string {
  checkGenerateArgs(appId, appCertificate, channelName, unixTs, randomInt, uid, expiredTs);
  const tail = String(unixTs) + hex8(randomInt);
  const expired = pad10(expiredTs);
  // `>>> 0`: a negative 32-bit uid (what Java/C++ servers hold for uids ≥ 2^31) is the same unsigned uid,
  // as Agora's generators treat it.
  const message = serviceType + appId + tail + channelName + pad10(uid >>> 0) + expired;
  const signature = createHmac('sha1', appCertificate).update(message).digest('hex');
  return KEY_VERSION + signature + appId + tail + expired;
}

/**
 * Makes a Channel Key (service type `"ACS"`) for `client.join`: what the manual's key server does with
 * `generateMediaChannelKey`. Same arguments, same output as Agora's DynamicKey4 generator.
 *
 * @param appId the App ID, 32 hex characters.
 * @param appCertificate the App Certificate, 32 hex characters. Keep it on the server.
 * @param channelName the channel the key admits to (signed; the manual's channel-name rules apply).
 * @param unixTs Unix time in seconds when the key is made; the key can be used to join for 5 minutes after it.
 * @param randomInt a 32-bit random integer, new for every key (negative values wrap to unsigned).
 * @param uid the uid the key admits (unsigned 32-bit; negative 32-bit values wrap); 0 = any uid.
 * @param expiredTs Unix time in seconds when the holder's stay ends; 0 = no limit.
 * @returns the 103-character key.
 * @throws TypeError for an argument of the wrong type, RangeError for one out of range (the message says which;
 *   it never contains the certificate).
 *
 * @example
 * ```ts
 * import { randomInt } from 'node:crypto';
 * import { generateMediaChannelKey } from 'agora-rtc-web/server';
 *
 * const now = Math.floor(Date.now() / 1000);
 * const key = generateMediaChannelKey(appId, appCertificate, 'room 1', now, randomInt(2 ** 32), uid, now + 3600);
 * // send `key` to the client, which calls client.join(key, 'room 1', uid, onSuccess, onFailure)
 * ```
 */
export function generateMediaChannelKey(
  appId: string,
  appCertificate: string,
  channelName: string,
  unixTs: number,
  randomInt: number,
  uid: number,
  expiredTs: number,
): string {
  return generate('ACS', appId, appCertificate, channelName, unixTs, randomInt, uid, expiredTs);
}

/**
 * Makes a Recording Key (service type `"ARS"`): the key recording needs. Arguments and rules as
 * {@link generateMediaChannelKey}; the two keys are not interchangeable.
 *
 * @example
 * ```ts
 * const recordingKey = generateRecordingKey(appId, appCertificate, 'room 1', now, randomInt(2 ** 32), uid, 0);
 * ```
 */
export function generateRecordingKey(
  appId: string,
  appCertificate: string,
  channelName: string,
  unixTs: number,
  randomInt: number,
  uid: number,
  expiredTs: number,
): string {
  return generate('ARS', appId, appCertificate, channelName, unixTs, randomInt, uid, expiredTs);
}

// ---- parsing ----

const LABEL = { ACS: 'Channel Key', ARS: 'Recording Key' } as const;
const MAKER = { ACS: 'generateMediaChannelKey', ARS: 'generateRecordingKey' } as const;

// The hot path reads each field once, by character code: it checks and decodes the signature into a reused buffer,
// compares the App ID in place with the expected one, and checks and parses the two timestamps and the random
// number. Measured, this keeps verification close to the bare HMAC (test/bench/channel-key.bench.ts); the
// field-by-field diagnosis further down runs only for keys it turns down.

/** Character code → value of a lowercase hex digit, or 255. One entry per UTF-16 code unit, so no range checks. */
const LOWER_HEX_VALUE = new Uint8Array(0x10000).fill(255);
for (let d = 0; d < 16; d++) LOWER_HEX_VALUE['0123456789abcdef'.charCodeAt(d)] = d;

/** Reused by every verification (synchronous, so never shared between two at once). */
const SIGNATURE = Buffer.alloc(20);

/** The 10 decimal digits at `at`, or -1 when any is not a digit. */
function digitsAt(key: string, at: number): number {
  let n = 0;
  for (let i = at; i < at + 10; i++) {
    const d = key.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** true when the 8 characters at `at` are lowercase hex. */
function lowerHex8(key: string, at: number): boolean {
  let bad = 0;
  for (let i = at; i < at + 8; i++) bad |= LOWER_HEX_VALUE[key.charCodeAt(i)]!;
  return bad < 16;
}

/** Decodes the 40 lowercase hex digits of the signature into SIGNATURE; false when they are not that. */
function decodeSignature(key: string): boolean {
  let bad = 0;
  for (let i = 0, at = SIG_AT; i < 20; i++, at += 2) {
    const hi = LOWER_HEX_VALUE[key.charCodeAt(at)]!;
    const lo = LOWER_HEX_VALUE[key.charCodeAt(at + 1)]!;
    bad |= hi | lo;
    SIGNATURE[i] = (hi << 4) | lo;
  }
  return bad < 16;
}

/** The App IDs the server passes are few and always the same: remember the last one found well-formed. */
let lastGoodAppId = '';

/** Full layout check (parseChannelKey and the diagnosis of rejected keys; not the hot path). */
const WELL_FORMED = /^004[0-9a-f]{40}[0-9a-fA-F]{32}[0-9]{10}[0-9a-f]{8}[0-9]{10}$/;

function wellFormed(key: unknown): key is string {
  return typeof key === 'string' && key.length === CHANNEL_KEY_LENGTH && WELL_FORMED.test(key);
}

const LOWER_HEX_RE = /^[0-9a-f]*$/;
const ANY_HEX_RE = /^[0-9a-fA-F]*$/;
const DIGITS_RE = /^[0-9]*$/;

function fieldProblem(
  name: string,
  value: string,
  length: number,
  kind: 'lower-hex' | 'hex' | 'digits',
): string | null {
  const ok = kind === 'digits' ? DIGITS_RE : kind === 'hex' ? ANY_HEX_RE : LOWER_HEX_RE;
  if (value.length === length && ok.test(value)) return null;
  if (kind === 'lower-hex' && ANY_HEX_RE.test(value)) {
    return `its ${name} must be lowercase hexadecimal, but it has uppercase letters (was the key changed to upper case?)`;
  }
  const what = kind === 'digits' ? 'decimal digits' : 'hexadecimal characters';
  return `its ${name} must be ${length} ${what}`;
}

/** Why a string that failed the one-pass check is not a version-004 key: a sentence, most useful cause first. */
function malformedReason(key: unknown, serviceType: ServiceType): string {
  const label = LABEL[serviceType];
  if (typeof key !== 'string') {
    return `A ${label} is a string of ${CHANNEL_KEY_LENGTH} characters; got ${key === null ? 'null' : typeof key}.`;
  }
  if (key.length === 0) return `The ${label} is empty.`;
  if (key.trim() !== key) {
    return `The ${label} has spaces or line breaks around it: pass exactly the key your key server made.`;
  }
  if (/^["'].*["']$/.test(key)) return `The ${label} is wrapped in quotes: pass the key without them.`;
  if (HEX32.test(key)) {
    return `This is an App ID, not a ${label}: a ${label} is 103 characters made with ${MAKER[serviceType]}.`;
  }
  const version = key.slice(0, 3);
  if (version !== KEY_VERSION) {
    if (/^00[0-9]$/.test(version)) {
      return `This key has version "${version}"; this server takes version "004" keys (DynamicKey4, as the 1.7 manual describes): make it with ${MAKER[serviceType]}.`;
    }
    return `A ${label} starts with its version "004"; this one starts with ${JSON.stringify(version)}.`;
  }
  if (key.length !== CHANNEL_KEY_LENGTH) {
    const how = key.length < CHANNEL_KEY_LENGTH ? 'it looks cut short' : 'it has extra characters';
    return `A ${label} is ${CHANNEL_KEY_LENGTH} characters (version 3 + signature 40 + App ID 32 + timestamp 10 + random 8 + expiry 10); this one has ${key.length}: ${how}. Pass exactly the key your key server made.`;
  }
  const problem =
    fieldProblem('signature', key.slice(SIG_AT, APP_AT), 40, 'lower-hex') ??
    fieldProblem('App ID', key.slice(APP_AT, TS_AT), 32, 'hex') ??
    fieldProblem('timestamp', key.slice(TS_AT, RND_AT), 10, 'digits') ??
    fieldProblem('random number', key.slice(RND_AT, EXP_AT), 8, 'lower-hex') ??
    fieldProblem('service expiry', key.slice(EXP_AT), 10, 'digits');
  return `The ${label} is malformed: ${problem ?? 'it does not follow the version 004 layout'}.`;
}

/**
 * Splits a version-004 key into its fields, checking the layout only (not the signature).
 *
 * @example
 * ```ts
 * const parsed = parseChannelKey(key);
 * if (parsed.ok) console.log(parsed.fields.appId, new Date(parsed.fields.unixTs * 1000));
 * else console.log(parsed.reason);
 * ```
 */
export function parseChannelKey(key: unknown): ParseResult {
  if (!wellFormed(key)) return { ok: false, reason: malformedReason(key, 'ACS') };
  const randomHex = key.slice(RND_AT, EXP_AT);
  return {
    ok: true,
    fields: {
      version: KEY_VERSION,
      signature: key.slice(SIG_AT, APP_AT),
      appId: key.slice(APP_AT, TS_AT),
      unixTs: digitsAt(key, TS_AT),
      randomHex,
      randomInt: parseInt(randomHex, 16),
      expiredTs: digitsAt(key, EXP_AT),
    },
  };
}

// ---- verifying ----

function iso(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace('.000Z', 'Z');
}

function invalid(reason: KeyRejectReason, message: string): KeyRejected {
  return {
    ok: false,
    code: ErrorCode.ERR_INVALID_CHANNEL_KEY,
    name: 'ERR_INVALID_CHANNEL_KEY',
    reason,
    message,
  };
}

function expired(reason: KeyRejectReason, message: string): KeyRejected {
  return {
    ok: false,
    code: ErrorCode.ERR_CHANNEL_KEY_EXPIRED,
    name: 'ERR_CHANNEL_KEY_EXPIRED',
    reason,
    message,
  };
}

/**
 * Certificate text → KeyObject. createHmac with a string key converts it on every call; a KeyObject made once skips
 * that (measured ~10% of a verification). Bounded, since callers may verify for any number of apps; it holds only
 * what the caller already holds in memory, and KeyObjects do not print their contents.
 */
const keyObjects = new Map<string, KeyObject>();
const MAX_CACHED_KEYS = 256;

function hmacKey(cert: string | KeyObject): KeyObject {
  if (typeof cert !== 'string') return cert;
  let k = keyObjects.get(cert);
  if (k === undefined) {
    if (keyObjects.size >= MAX_CACHED_KEYS) keyObjects.clear();
    k = createSecretKey(Buffer.from(cert, 'utf8'));
    keyObjects.set(cert, k);
  }
  return k;
}

function signs(cert: KeyObject, message: string, signature: Buffer): boolean {
  return timingSafeEqual(createHmac('sha1', cert).update(message).digest(), signature);
}

/**
 * Checks a key the way the server does at join (and at renewChannelKey): layout, App ID, signature over the
 * channel and uid (a key signed for uid 0 is good for any uid), the 5-minute join window after its issue time
 * (ERR_CHANNEL_KEY_EXPIRED, 109) and its service expiry (109). Anything malformed or forged is
 * ERR_INVALID_CHANNEL_KEY (110). The signature is compared in constant time.
 *
 * @returns `{ ok: true, expiresAt }` (the service expiry, 0 = none) or `{ ok: false, code, name, reason, message }`.
 * @throws TypeError when called with options of the wrong type (a programming error, not a bad key).
 *
 * @example
 * ```ts
 * import { verifyChannelKey } from 'agora-rtc-web/server';
 *
 * const result = verifyChannelKey({ key, appId, appCertificate, channelName: 'room 1', uid: 42 });
 * if (!result.ok) reply({ code: result.code, name: result.name, message: result.message });
 * else scheduleRemoval(result.expiresAt); // 0 = stays as long as they like
 * ```
 */
export function verifyChannelKey(options: VerifyChannelKeyOptions): KeyVerification {
  const { key, appId, appCertificate, channelName, uid } = options;
  const serviceType = options.serviceType ?? 'ACS';
  if (serviceType !== 'ACS' && serviceType !== 'ARS') {
    throw new TypeError(`serviceType must be "ACS" or "ARS"; got ${String(serviceType)}.`);
  }
  if (typeof appId !== 'string' || typeof channelName !== 'string') {
    throw new TypeError('verifyChannelKey needs appId and channelName as strings.');
  }
  if (typeof appCertificate !== 'string' && (typeof appCertificate !== 'object' || appCertificate === null)) {
    throw new TypeError('verifyChannelKey needs appCertificate as a string or a KeyObject.');
  }
  if (typeof uid !== 'number' || !(uid >= 0 && uid <= UINT32_MAX) || !Number.isInteger(uid)) {
    throw new TypeError(`verifyChannelKey needs uid as an integer from 0 to 4294967295; got ${String(uid)}.`);
  }
  const now = Math.floor(options.now ?? Date.now() / 1000);
  // NaN would make every time comparison false, i.e. accept any old key.
  if (!Number.isFinite(now))
    throw new TypeError(`verifyChannelKey needs now as Unix seconds; got ${options.now}.`);
  const label = LABEL[serviceType];

  if (appId !== lastGoodAppId && HEX32.test(appId)) lastGoodAppId = appId;
  let unixTs = -1;
  let expiredTs = -1;
  if (
    typeof key !== 'string' ||
    key.length !== CHANNEL_KEY_LENGTH ||
    !key.startsWith(KEY_VERSION) ||
    !decodeSignature(key) ||
    appId !== lastGoodAppId ||
    !key.startsWith(appId, APP_AT) ||
    (unixTs = digitsAt(key, TS_AT)) < 0 ||
    !lowerHex8(key, RND_AT) ||
    (expiredTs = digitsAt(key, EXP_AT)) < 0
  ) {
    return layoutOrAppIdProblem(key, appId, serviceType);
  }

  // The signed message, built from the key's own fields: App ID through random are contiguous in the key.
  const middle = key.slice(APP_AT, EXP_AT);
  const expiredStr = key.slice(EXP_AT);
  const signature = SIGNATURE;
  const cert = hmacKey(appCertificate);
  let signedUid = uid;
  if (!signs(cert, serviceType + middle + channelName + pad10(uid) + expiredStr, signature)) {
    // A key signed for uid 0 admits any uid.
    signedUid = 0;
    if (uid === 0 || !signs(cert, serviceType + middle + channelName + ZEROS + expiredStr, signature)) {
      return signatureMismatch(options, cert, serviceType, middle, expiredStr, signature);
    }
  }

  if (unixTs > now + MAX_CLOCK_SKEW_SECONDS) {
    return invalid(
      'issued-in-future',
      `This ${label} says it was made at ${iso(unixTs)}, more than ${MAX_CLOCK_SKEW_SECONDS / 60} minutes after now (${iso(now)}); keys from the future are refused. Check the clock of the server that made it, and make keys with unixTs = Math.floor(Date.now() / 1000).`,
    );
  }
  if (now > unixTs + JOIN_WINDOW_SECONDS) {
    return expired(
      'join-window-passed',
      `This ${label} was made at ${iso(unixTs)} and could be used only until ${iso(unixTs + JOIN_WINDOW_SECONDS)} (5 minutes later); it is now ${iso(now)}. Get a fresh key from your key server right before using it (and check that server's clock).`,
    );
  }
  if (expiredTs !== 0 && expiredTs <= now) {
    return expired(
      'service-expired',
      `This ${label}'s service expiry ${iso(expiredTs)} has passed (it is now ${iso(now)}). Make a new key with a later expiry (or 0 for none) and pass it to renewChannelKey or join.`,
    );
  }
  return { ok: true, expiresAt: expiredTs, signedUid };
}

/** The fast path turned the key down: either it is malformed or it was made for another App ID. */
function layoutOrAppIdProblem(key: unknown, appId: string, serviceType: ServiceType): KeyRejected {
  if (!wellFormed(key)) return invalid('malformed', malformedReason(key, serviceType));
  const label = LABEL[serviceType];
  const keyAppId = key.slice(APP_AT, TS_AT);
  const hint =
    keyAppId.toLowerCase() === appId.toLowerCase()
      ? ' (they differ only in upper/lower case: use the App ID exactly as the key server does)'
      : '';
  return invalid(
    'app-id-mismatch',
    `This ${label} was made for App ID ${keyAppId}, but the client uses App ID ${appId}${hint}. Make the key with the App ID and App Certificate of the app the client initialises with.`,
  );
}

/** The signature did not match: find the likeliest cause so the message can name it (rare path, may cost HMACs). */
function signatureMismatch(
  options: VerifyChannelKeyOptions,
  cert: KeyObject,
  serviceType: ServiceType,
  middle: string,
  expiredStr: string,
  signature: Buffer,
): KeyRejected {
  const { channelName, uid } = options;
  const label = LABEL[serviceType];
  const other = serviceType === 'ACS' ? 'ARS' : 'ACS';
  const otherSigned =
    signs(cert, other + middle + channelName + pad10(uid) + expiredStr, signature) ||
    signs(cert, other + middle + channelName + ZEROS + expiredStr, signature);
  if (otherSigned) {
    return invalid(
      'wrong-service',
      `This is a ${LABEL[other]} (service type ${other}), but a ${label} (service type ${serviceType}) is needed here: make it with ${MAKER[serviceType]}.`,
    );
  }
  const uidHint = uid === 0 ? '' : ` and uid ${uid}`;
  return invalid(
    'signature-mismatch',
    `This ${label} was not made for channel ${JSON.stringify(channelName)}${uidHint} with this app's App Certificate (or it was altered). Make it with the App Certificate of App ID ${options.appId}, the exact channel name, and the uid the user joins with — or uid 0, which is good for any uid (needed when join lets the server assign the uid).`,
  );
}
