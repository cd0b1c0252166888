// XTS-AES (IEEE Std 1619-2007 / NIST SP 800-38E) with ciphertext stealing, on the AES block cipher of
// @noble/ciphers. WebCrypto has neither XTS nor raw AES blocks, so the mode is built here; the block cipher itself
// is noble's audited table implementation, reached through its `unsafe` word-level helpers so that one frame costs
// no allocation per block (noble's `ecb()` would allocate and copy the whole buffer on every call).
import { unsafe } from '@noble/ciphers/aes.js';

/** IEEE 1619 limits a data unit to 2^20 blocks of 16 bytes (OpenSSL enforces the same bound). */
export const XTS_MAX_DATA_BYTES = 16 * (1 << 20);

/** A reusable XTS-AES cipher: the key schedules are expanded once, here, and kept for every call. */
export interface XtsCipher {
  /** 16 (AES-128-XTS) or 32 (AES-256-XTS): the size of each half of the XTS key. */
  readonly keyHalfBytes: 16 | 32;
  /** Encrypts one data unit (≥ 16 bytes) under a 16-byte tweak. Returns a new array of the same length. */
  encrypt(tweak: Uint8Array, data: Uint8Array): Uint8Array;
  /** Decrypts one data unit (≥ 16 bytes) under a 16-byte tweak. Returns a new array of the same length. */
  decrypt(tweak: Uint8Array, data: Uint8Array): Uint8Array;
  /**
   * Like `encrypt`, but writes the result into `out` at `outOffset` (which may be unaligned) instead of
   * allocating: the frame layer builds header ‖ ciphertext ‖ trailer in one buffer.
   */
  encryptInto(tweak: Uint8Array, data: Uint8Array, out: Uint8Array, outOffset: number): void;
  /** Like `decrypt`, writing into `out` at `outOffset`. */
  decryptInto(tweak: Uint8Array, data: Uint8Array, out: Uint8Array, outOffset: number): void;
  /**
   * One raw AES block under key2 (the tweak key): `out = AES-Enc(key2, block)`. The frame layer derives a
   * keystream for payloads shorter than one block from it, with inputs that never collide with an XTS tweak.
   */
  encryptTweakKeyBlock(block: Uint8Array, out: Uint8Array): void;
}

const IS_LE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** noble's word-level AES reads words as little-endian byte groups; on a big-endian host we flip them. */
function swapWords(w: Uint32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const x = w[i]!;
    w[i] = ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
  }
}

function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array)) throw new TypeError('XTS key must be a Uint8Array');
  if (key.length !== 32 && key.length !== 64)
    throw new RangeError(
      `XTS key must be 32 bytes (AES-128-XTS) or 64 bytes (AES-256-XTS), key1 ‖ key2; got ${key.length}`,
    );
}

function checkArgs(tweak: Uint8Array, data: Uint8Array): void {
  if (!(tweak instanceof Uint8Array) || !(data instanceof Uint8Array))
    throw new TypeError('XTS tweak and data must be Uint8Arrays');
  if (tweak.length !== 16) throw new RangeError(`XTS tweak must be 16 bytes; got ${tweak.length}`);
  if (data.length < 16)
    throw new RangeError(`XTS data must be at least one 16-byte block; got ${data.length} bytes`);
  if (data.length > XTS_MAX_DATA_BYTES)
    throw new RangeError(`XTS data unit is limited to 2^20 blocks (${XTS_MAX_DATA_BYTES} bytes)`);
}

/**
 * Builds a reusable XTS-AES cipher for `key` = key1 ‖ key2 (32 bytes → AES-128-XTS, 64 bytes → AES-256-XTS).
 * Key halves may be equal (IEEE 1619's first vector uses all-zero halves); callers that derive keys should not
 * make them equal. Throws RangeError for any other key length.
 *
 * @example
 * const xts = createXts(key);
 * const c = xts.encrypt(tweak, plaintext);
 * const p = xts.decrypt(tweak, c);
 */
export function createXts(key: Uint8Array): XtsCipher {
  checkKey(key);
  const half = key.length / 2;
  const k1 = key.subarray(0, half);
  const k2 = key.subarray(half);
  const xk1e = unsafe.expandKeyLE(k1);
  const xk1d = unsafe.expandKeyDecLE(k1);
  const xk2e = unsafe.expandKeyLE(k2);
  const { encrypt: encWords, decrypt: decWords } = unsafe;

  // Scratch: the data unit is processed in place in an aligned word view, grown on demand and reused, so a
  // frame costs two memcpy's (in and out) and no per-block allocation.
  let scratch = new Uint32Array(0);
  let scratch8 = new Uint8Array(0);
  const ensure = (bytes: number) => {
    const words = ((bytes + 15) >>> 4) << 2;
    if (scratch.length < words) {
      scratch = new Uint32Array(Math.max(words, scratch.length * 2));
      scratch8 = new Uint8Array(scratch.buffer);
    }
  };
  const tweakWords = new Uint32Array(4);
  const tweakBytes = new Uint8Array(tweakWords.buffer);

  /** T = AES-Enc(key2, tweak), as four little-endian words. */
  const startTweak = (tweak: Uint8Array): [number, number, number, number] => {
    tweakBytes.set(tweak);
    if (!IS_LE) swapWords(tweakWords, 4);
    const r = encWords(xk2e, tweakWords[0]!, tweakWords[1]!, tweakWords[2]!, tweakWords[3]!);
    return [r.s0, r.s1, r.s2, r.s3];
  };

  /**
   * The core: processes `len` bytes already in `scratch` in place. `dec` selects decryption. Tweak words are
   * kept as four locals: multiplying by α (IEEE 1619 §5.2) is a 128-bit left shift over the little-endian
   * words with 0x87 folded into the low byte when the top bit falls out.
   */
  const run = (tweak: Uint8Array, len: number, dec: boolean): void => {
    const w = scratch;
    const xk = dec ? xk1d : xk1e;
    const block = dec ? decWords : encWords;
    let [t0, t1, t2, t3] = startTweak(tweak);
    const full = len >>> 4;
    const tail = len & 15;
    // With a partial last block, the last full block takes part in ciphertext stealing below.
    const plain = tail === 0 ? full : full - 1;
    let i = 0;
    for (let j = 0; j < plain; j++, i += 4) {
      const r = block(xk, w[i]! ^ t0, w[i + 1]! ^ t1, w[i + 2]! ^ t2, w[i + 3]! ^ t3);
      w[i] = r.s0 ^ t0;
      w[i + 1] = r.s1 ^ t1;
      w[i + 2] = r.s2 ^ t2;
      w[i + 3] = r.s3 ^ t3;
      const c = t3 >>> 31;
      t3 = (t3 << 1) | (t2 >>> 31);
      t2 = (t2 << 1) | (t1 >>> 31);
      t1 = (t1 << 1) | (t0 >>> 31);
      t0 = (t0 << 1) ^ (c * 0x87);
    }
    if (tail === 0) return;
    // Ciphertext stealing (IEEE 1619 §5.3.2 / §5.4.2). Block m-1 sits at word i, the partial block m after it.
    // Encryption uses tweak T(m-1) then T(m); decryption must undo them in the other order.
    const c = t3 >>> 31;
    const n3 = (t3 << 1) | (t2 >>> 31);
    const n2 = (t2 << 1) | (t1 >>> 31);
    const n1 = (t1 << 1) | (t0 >>> 31);
    const n0 = (t0 << 1) ^ (c * 0x87);
    const first = dec ? [n0, n1, n2, n3] : [t0, t1, t2, t3];
    const second = dec ? [t0, t1, t2, t3] : [n0, n1, n2, n3];
    let r = block(xk, w[i]! ^ first[0]!, w[i + 1]! ^ first[1]!, w[i + 2]! ^ first[2]!, w[i + 3]! ^ first[3]!);
    w[i] = r.s0 ^ first[0]!;
    w[i + 1] = r.s1 ^ first[1]!;
    w[i + 2] = r.s2 ^ first[2]!;
    w[i + 3] = r.s3 ^ first[3]!;
    // Swap the first `tail` bytes of block m-1 (now CC / PP) with the partial block m: block m gets the
    // stolen head, block m-1 becomes partial ‖ the kept rest.
    if (!IS_LE) swapWords(w.subarray(i, i + 4), 4);
    const b8 = scratch8;
    const p = i << 2;
    for (let k = 0; k < tail; k++) {
      const x = b8[p + 16 + k]!;
      b8[p + 16 + k] = b8[p + k]!;
      b8[p + k] = x;
    }
    if (!IS_LE) swapWords(w.subarray(i, i + 4), 4);
    r = block(xk, w[i]! ^ second[0]!, w[i + 1]! ^ second[1]!, w[i + 2]! ^ second[2]!, w[i + 3]! ^ second[3]!);
    w[i] = r.s0 ^ second[0]!;
    w[i + 1] = r.s1 ^ second[1]!;
    w[i + 2] = r.s2 ^ second[2]!;
    w[i + 3] = r.s3 ^ second[3]!;
  };

  const into = (dec: boolean, tweak: Uint8Array, data: Uint8Array, out: Uint8Array, off: number): void => {
    checkArgs(tweak, data);
    if (!(out instanceof Uint8Array)) throw new TypeError('XTS output must be a Uint8Array');
    if (!Number.isInteger(off) || off < 0 || off + data.length > out.length)
      throw new RangeError('XTS output buffer too small for the data at that offset');
    const len = data.length;
    ensure(len);
    scratch8.set(data);
    const words = ((len + 15) >>> 4) << 2;
    if (!IS_LE) swapWords(scratch, words);
    run(tweak, len, dec);
    if (!IS_LE) swapWords(scratch, words);
    out.set(scratch8.subarray(0, len), off);
  };

  const blockIn = new Uint32Array(4);
  const blockIn8 = new Uint8Array(blockIn.buffer);
  return {
    keyHalfBytes: half as 16 | 32,
    encrypt(tweak, data) {
      const out = new Uint8Array(data.length);
      into(false, tweak, data, out, 0);
      return out;
    },
    decrypt(tweak, data) {
      const out = new Uint8Array(data.length);
      into(true, tweak, data, out, 0);
      return out;
    },
    encryptInto: (tweak, data, out, off) => into(false, tweak, data, out, off),
    decryptInto: (tweak, data, out, off) => into(true, tweak, data, out, off),
    encryptTweakKeyBlock(block, out) {
      if (block.length !== 16 || out.length < 16) throw new RangeError('AES block must be 16 bytes');
      blockIn8.set(block);
      if (!IS_LE) swapWords(blockIn, 4);
      const r = encWords(xk2e, blockIn[0]!, blockIn[1]!, blockIn[2]!, blockIn[3]!);
      blockIn[0] = r.s0;
      blockIn[1] = r.s1;
      blockIn[2] = r.s2;
      blockIn[3] = r.s3;
      if (!IS_LE) swapWords(blockIn, 4);
      out.set(blockIn8);
    },
  };
}

// One-shot helpers keep the most recent cipher so that repeated calls with the same key (tests, tools) do not
// re-expand the key schedule; the frame layer holds its own `createXts` object instead.
let cached: { key: Uint8Array; xts: XtsCipher } | undefined;
function cipherFor(key: Uint8Array): XtsCipher {
  checkKey(key);
  if (cached && cached.key.length === key.length && cached.key.every((b, i) => b === key[i]))
    return cached.xts;
  const xts = createXts(key);
  cached = { key: key.slice(), xts };
  return xts;
}

/**
 * XTS-AES encryption of one data unit, byte-identical to OpenSSL's `aes-128-xts` / `aes-256-xts`.
 * @param key key1 ‖ key2: 32 bytes (AES-128-XTS) or 64 bytes (AES-256-XTS)
 * @param tweak 16 bytes (IEEE 1619: the data unit number, little-endian)
 * @param data at least 16 bytes; a partial last block is handled by ciphertext stealing
 * @returns a new array of `data.length` bytes
 * @throws RangeError for a bad key, tweak or data length
 */
export function xtsEncrypt(key: Uint8Array, tweak: Uint8Array, data: Uint8Array): Uint8Array {
  return cipherFor(key).encrypt(tweak, data);
}

/**
 * XTS-AES decryption of one data unit; the inverse of {@link xtsEncrypt}.
 * @throws RangeError for a bad key, tweak or data length
 */
export function xtsDecrypt(key: Uint8Array, tweak: Uint8Array, data: Uint8Array): Uint8Array {
  return cipherFor(key).decrypt(tweak, data);
}
