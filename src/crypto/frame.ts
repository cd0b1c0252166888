// The per-frame format (docs/encryption.md has the diagram and the reasons):
//
//   | clear header (h) | body (n bytes, encrypted) | nonce (12) | h (1) | marker (1) | tag (10 XTS / 16 GCM) |
//
// - clear header: the codec bytes the RTP packetizer/depacketizer and the decoder's frame parsing need
//   (VP8 payload header: 10 bytes on key frames, 3 on delta frames; Opus TOC: 1 byte). On VP8 key frames the
//   start code (bytes 3–5) travels flipped so that a receiver without the keys decodes nothing.
// - nonce: 8-byte random salt per sending context ‖ 32-bit big-endian frame counter. Every frame of every sender
//   gets its own nonce under the shared key: the salt separates senders (each link and kind has its own context),
//   the counter separates frames; when the counter would wrap a new salt is drawn.
// - h: the clear header length, so the receiver needs no codec knowledge and cannot disagree with the sender.
// - marker: 0xE0 | mode id. Lets a receiver tell "not encrypted" or "other mode" from "other key" in its errors.
// - tag: XTS modes — Poly1305 over everything before the tag under a one-time key per frame, AES-256(macKey,
//   nonce ‖ 00000002) ‖ AES-256(macKey, nonce ‖ 00000003) (Poly1305's one-time-key rule, as ChaCha20-Poly1305
//   derives it), truncated to 80 bits; GCM modes — GCM's own 128-bit tag, with header ‖ nonce ‖ h ‖ marker as AAD.
//   The XTS tag is computed in this thread: an asynchronous WebCrypto HMAC per frame cost more CPU than the whole
//   XTS encryption (a 100-byte audio frame: 139 µs → 11 µs to encrypt and decrypt).
//
// XTS body: XTS-AES under tweak = nonce ‖ 00000000 when n ≥ 16; when 0 < n < 16 (XTS cannot do less than a block:
// Opus DTX frames are 1–3 bytes) the body is XORed with AES-Enc(key2, nonce ‖ 00000001), a one-block keystream
// whose input never equals an XTS tweak; n = 0 is authenticated only.
//
// Encryption and decryption are async because AES-GCM comes from WebCrypto (native, and fast on large frames); the
// XTS modes are synchronous inside.
import { poly1305 } from '@noble/ciphers/_poly1305.js';
import { encryptWords, expandEncryptKey, IS_LE, swapWords } from './aes.js';
import { createXts, type XtsCipher } from './xts.js';
import { MODE_IDS, type EncryptionMode } from './modes.js';
import type { FrameKeys } from './keys.js';

/** Audio or video, as in MediaStreamTrack.kind. */
export type MediaKind = 'audio' | 'video';

/** Why a received frame was dropped. */
export type DropReason = 'not-encrypted' | 'mode-mismatch' | 'auth-failed' | 'malformed';

export const NONCE_BYTES = 12;
const SALT_BYTES = 8;
export const XTS_TAG_BYTES = 10;
export const GCM_TAG_BYTES = 16;
const MARKER_BASE = 0xe0;

/** Imported keys for one (secret, mode): shared by every context of a worker. */
export interface FrameCipher {
  readonly mode: EncryptionMode;
  readonly marker: number;
  readonly tagBytes: number;
  readonly xts?: XtsCipher;
  /** XTS modes: the frame tag for a nonce and the bytes before the tag. */
  readonly mac?: (nonce: Uint8Array, data: Uint8Array) => Uint8Array;
  readonly gcm?: CryptoKey;
}

/** One sending or receiving context: the cipher plus this sender's nonce state. */
export interface FrameContext {
  readonly cipher: FrameCipher;
  /** 8 random bytes, redrawn when the counter wraps. */
  salt: Uint8Array;
  /** Frames sent under the current salt. */
  counter: number;
}

/** The outcome of opening a received frame. */
export type OpenResult = { ok: true; data: Uint8Array } | { ok: false; reason: DropReason };

type Bytes = Uint8Array<ArrayBuffer>;
/** WebCrypto's typings want ArrayBuffer-backed views; frames never live in SharedArrayBuffers. */
const bs = (u: Uint8Array): Bytes => u as Bytes;

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new Error('WebCrypto (crypto.subtle) is unavailable');
  return s;
}

/** Imports derived keys once; the result is shared by all contexts. */
export async function createFrameCipher(keys: FrameKeys): Promise<FrameCipher> {
  const marker = MARKER_BASE | MODE_IDS[keys.mode];
  if (keys.mode === 'aes-128-xts' || keys.mode === 'aes-256-xts') {
    if (!keys.xtsKey || !keys.macKey) throw new TypeError('XTS modes need xtsKey and macKey');
    const want = keys.mode === 'aes-128-xts' ? 32 : 64;
    if (keys.xtsKey.length !== want) throw new RangeError(`${keys.mode} needs a ${want}-byte XTS key`);
    return {
      mode: keys.mode,
      marker,
      tagBytes: XTS_TAG_BYTES,
      xts: createXts(keys.xtsKey),
      mac: createMac(keys.macKey),
    };
  }
  if (!keys.gcmKey) throw new TypeError('GCM modes need gcmKey');
  return { mode: keys.mode, marker, tagBytes: GCM_TAG_BYTES, gcm: keys.gcmKey };
}

function randomSalt(): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(SALT_BYTES));
}

/** A fresh context (new random salt, counter 0). Use one per sender transform: per link and per kind. */
export function createFrameContext(cipher: FrameCipher): FrameContext {
  return { cipher, salt: randomSalt(), counter: 0 };
}

/** Normalises a codec hint: `'video/VP8'`, `'VP8'` → `'vp8'`; `undefined` stays. */
export function normalizeCodec(hint: string | undefined): string | undefined {
  if (!hint) return undefined;
  const s = hint.toLowerCase();
  const slash = s.indexOf('/');
  return slash >= 0 ? s.slice(slash + 1) : s;
}

/**
 * How many leading bytes stay in clear. VP8: the 3-byte frame tag, plus the 7-byte start code and size on key
 * frames (RFC 6386 §9.1) — what Chromium's VP8 depacketizer and decoder set-up read. Audio: Opus's TOC byte
 * (RFC 6716 §3.1), also kept for other audio codecs, where one byte is harmless. Other video codecs: nothing
 * (the SDK negotiates VP8 when encrypting; see docs/encryption.md).
 */
export function clearHeaderBytes(
  kind: MediaKind,
  codecHint: string | undefined,
  isKeyFrame: boolean,
): number {
  if (kind === 'audio') return 1;
  const c = normalizeCodec(codecHint);
  if (c === 'vp8' || c === undefined) return isKeyFrame ? 10 : 3;
  return 0;
}

/** VP8 key frames' start code (RFC 6386 §9.1), bytes 3–5 of the frame. */
const START_CODE = [0x9d, 0x01, 0x2a] as const;
const FLIPPED_START_CODE = START_CODE.map((b) => b ^ 0xff);

/**
 * A receiver without our keys feeds what it gets to its VP8 decoder, which with the clear header intact may show
 * a garbled key frame. Flipping the start code on the wire makes plain decoders reject every key frame (and so
 * every frame after it), while depacketizers, which read only the frame tag and size, are unaffected. The flip is
 * covered by the tag like the rest of the clear header; the receiver flips it back.
 */
function flipStartCode(buf: Uint8Array, h: number, from: readonly number[]): void {
  if (h !== 10 || from.some((b, i) => buf[3 + i] !== b)) return;
  for (let i = 3; i < 6; i++) buf[i] = buf[i]! ^ 0xff;
}

function nextNonce(ctx: FrameContext, out: Uint8Array, at: number): void {
  if (ctx.counter > 0xffffffff) {
    ctx.salt = randomSalt();
    ctx.counter = 0;
  }
  out.set(ctx.salt, at);
  const c = ctx.counter++;
  out[at + 8] = c >>> 24;
  out[at + 9] = (c >>> 16) & 0xff;
  out[at + 10] = (c >>> 8) & 0xff;
  out[at + 11] = c & 0xff;
}

/** XTS tweak (or keystream input, domain 1) from the nonce. */
function tweakOf(nonce: Uint8Array, domain: number): Uint8Array {
  const t = new Uint8Array(16);
  t.set(nonce);
  t[15] = domain;
  return t;
}

function xorShort(xts: XtsCipher, nonce: Uint8Array, src: Uint8Array, dst: Uint8Array, at: number): void {
  const ks = new Uint8Array(16);
  xts.encryptTweakKeyBlock(tweakOf(nonce, 1), ks);
  for (let i = 0; i < src.length; i++) dst[at + i] = src[i]! ^ ks[i]!;
}

/** Poly1305 with a one-time key per frame from AES-256 under the MAC key (see the format notes above). */
function createMac(macKey: Uint8Array): (nonce: Uint8Array, data: Uint8Array) => Uint8Array {
  if (macKey.length !== 32) throw new RangeError('XTS modes need a 32-byte MAC key');
  const xk = expandEncryptKey(macKey);
  const otk = new Uint32Array(8);
  const otk8 = new Uint8Array(otk.buffer);
  return (nonce, data) => {
    // Both halves start as nonce ‖ 00000000, then take domains 2 and 3 in their last byte.
    otk8.fill(0);
    otk8.set(nonce, 0);
    otk8.set(nonce, 16);
    otk8[15] = 2;
    otk8[31] = 3;
    if (!IS_LE) swapWords(otk, 8);
    encryptWords(xk, otk, 0);
    encryptWords(xk, otk, 4);
    if (!IS_LE) swapWords(otk, 8);
    return poly1305(data, otk8).subarray(0, XTS_TAG_BYTES);
  };
}

/**
 * Encrypts one encoded frame into the wire format above.
 * @param ctx this sender's context (its counter advances)
 * @param kind 'audio' or 'video'
 * @param codecHint e.g. the frame metadata's mimeType ('video/VP8', 'audio/opus'); picks the clear header length
 * @param isKeyFrame video key frame (RTCEncodedVideoFrame.type === 'key')
 * @param payload the encoded frame
 * @returns a new array: header ‖ body ‖ trailer
 */
export async function encryptFrame(
  ctx: FrameContext,
  kind: MediaKind,
  codecHint: string | undefined,
  isKeyFrame: boolean,
  payload: Uint8Array,
): Promise<Uint8Array> {
  const { cipher } = ctx;
  const h = Math.min(clearHeaderBytes(kind, codecHint, isKeyFrame), payload.length);
  const n = payload.length - h;
  const t = cipher.tagBytes;
  const out = new Uint8Array(payload.length + NONCE_BYTES + 2 + t);
  out.set(payload.subarray(0, h), 0);
  if (kind === 'video') flipStartCode(out, h, START_CODE);
  const nonceAt = h + n;
  nextNonce(ctx, out, nonceAt);
  const nonce = out.subarray(nonceAt, nonceAt + NONCE_BYTES);
  out[nonceAt + NONCE_BYTES] = h;
  out[nonceAt + NONCE_BYTES + 1] = cipher.marker;
  const body = payload.subarray(h);
  if (cipher.xts && cipher.mac) {
    if (n >= 16) cipher.xts.encryptInto(tweakOf(nonce, 0), body, out, h);
    else if (n > 0) xorShort(cipher.xts, nonce, body, out, h);
    out.set(cipher.mac(nonce, out.subarray(0, out.length - t)), out.length - t);
    return out;
  }
  const aad = new Uint8Array(h + NONCE_BYTES + 2);
  aad.set(out.subarray(0, h));
  aad.set(out.subarray(nonceAt, nonceAt + NONCE_BYTES + 2), h);
  const sealed = new Uint8Array(
    await subtle().encrypt(
      { name: 'AES-GCM', iv: bs(nonce.slice()), additionalData: aad, tagLength: GCM_TAG_BYTES * 8 },
      cipher.gcm!,
      bs(body),
    ),
  );
  out.set(sealed.subarray(0, n), h);
  out.set(sealed.subarray(n), out.length - t);
  return out;
}

/**
 * Opens one received frame, telling why when it must be dropped.
 * @returns `{ok: true, data}` with the original encoded frame, or `{ok: false, reason}`
 */
export async function openFrame(ctx: FrameContext, frame: Uint8Array): Promise<OpenResult> {
  const { cipher } = ctx;
  const t = cipher.tagBytes;
  const len = frame.length;
  // The marker sits just before the tag, whose length depends on the mode: look where either mode would put it.
  const markerAt = len - t - 1;
  const marker = markerAt >= 0 ? frame[markerAt]! : -1;
  if (len < NONCE_BYTES + 2 + t || marker !== cipher.marker) {
    for (const other of [XTS_TAG_BYTES, GCM_TAG_BYTES]) {
      const m = len - other - 1 >= 0 ? frame[len - other - 1]! : -1;
      if (m !== cipher.marker && (m & 0xf0) === MARKER_BASE && (m & 0x0f) >= 1 && (m & 0x0f) <= 4)
        return { ok: false, reason: 'mode-mismatch' };
    }
    return { ok: false, reason: 'not-encrypted' };
  }
  const h = frame[markerAt - 1]!;
  const nonceAt = markerAt - 1 - NONCE_BYTES;
  if (h > nonceAt) return { ok: false, reason: 'malformed' };
  const n = nonceAt - h;
  const nonce = frame.subarray(nonceAt, nonceAt + NONCE_BYTES);
  const out = new Uint8Array(h + n);
  out.set(frame.subarray(0, h));
  flipStartCode(out, h, FLIPPED_START_CODE);
  const body = frame.subarray(h, nonceAt);
  if (cipher.xts && cipher.mac) {
    const want = cipher.mac(nonce, frame.subarray(0, len - t));
    let diff = 0;
    for (let i = 0; i < t; i++) diff |= want[i]! ^ frame[len - t + i]!;
    if (diff !== 0) return { ok: false, reason: 'auth-failed' };
    if (n >= 16) cipher.xts.decryptInto(tweakOf(nonce, 0), body, out, h);
    else if (n > 0) xorShort(cipher.xts, nonce, body, out, h);
    return { ok: true, data: out };
  }
  const aad = new Uint8Array(h + NONCE_BYTES + 2);
  aad.set(frame.subarray(0, h));
  aad.set(frame.subarray(nonceAt, nonceAt + NONCE_BYTES + 2), h);
  const sealed = new Uint8Array(n + t);
  sealed.set(body);
  sealed.set(frame.subarray(len - t), n);
  try {
    const plain = await subtle().decrypt(
      { name: 'AES-GCM', iv: bs(nonce.slice()), additionalData: aad, tagLength: GCM_TAG_BYTES * 8 },
      cipher.gcm!,
      sealed,
    );
    out.set(new Uint8Array(plain), h);
  } catch {
    return { ok: false, reason: 'auth-failed' };
  }
  return { ok: true, data: out };
}

/**
 * Decrypts one received frame.
 * @returns the original encoded frame, or `null` when it must be dropped (not encrypted, other mode, other key,
 *   tampered, truncated) — never bytes that did not verify.
 */
export async function decryptFrame(ctx: FrameContext, frame: Uint8Array): Promise<Uint8Array | null> {
  const r = await openFrame(ctx, frame);
  return r.ok ? r.data : null;
}
