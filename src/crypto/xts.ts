// XTS-AES (IEEE Std 1619-2007 / NIST SP 800-38E) with ciphertext stealing. WebCrypto has neither XTS nor raw AES
// blocks, so the mode is built here on ./aes.ts (noble's key schedule, compact-table rounds: see there why). A data
// unit is processed in place in one reused word buffer, so a frame costs two copies and no per-block allocation.
import { decryptWords, encryptWords, expandDecryptKey, expandEncryptKey, IS_LE, swapWords } from './aes.js';

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
  const xk1e = expandEncryptKey(k1);
  const xk1d = expandDecryptKey(k1);
  const xk2e = expandEncryptKey(k2);

  let scratch = new Uint32Array(0);
  let scratch8 = new Uint8Array(0);
  const ensure = (bytes: number) => {
    const words = ((bytes + 15) >>> 4) << 2;
    if (scratch.length < words) {
      scratch = new Uint32Array(Math.max(words, scratch.length * 2));
      scratch8 = new Uint8Array(scratch.buffer);
    }
  };
  // Tweaks as little-endian words: T, T·α (and T·α² for ciphertext stealing).
  const tw = new Uint32Array(8);
  const tw8 = new Uint8Array(tw.buffer);

  /** tw[at..at+3] = tw[from..from+3] · α (IEEE 1619 §5.2): a 128-bit left shift, 0x87 folded in on carry. */
  const double = (from: number, at: number) => {
    const t0 = tw[from]!;
    const t1 = tw[from + 1]!;
    const t2 = tw[from + 2]!;
    const t3 = tw[from + 3]!;
    tw[at + 3] = (t3 << 1) | (t2 >>> 31);
    tw[at + 2] = (t2 << 1) | (t1 >>> 31);
    tw[at + 1] = (t1 << 1) | (t0 >>> 31);
    tw[at] = (t0 << 1) ^ ((t3 >>> 31) * 0x87);
  };

  /** w[i..i+3] = AES(xk, w ⊕ T) ⊕ T with T = tw[t..t+3]. */
  const xex = (dec: boolean, w: Uint32Array, i: number, t: number) => {
    w[i] = w[i]! ^ tw[t]!;
    w[i + 1] = w[i + 1]! ^ tw[t + 1]!;
    w[i + 2] = w[i + 2]! ^ tw[t + 2]!;
    w[i + 3] = w[i + 3]! ^ tw[t + 3]!;
    if (dec) decryptWords(xk1d, w, i);
    else encryptWords(xk1e, w, i);
    w[i] = w[i]! ^ tw[t]!;
    w[i + 1] = w[i + 1]! ^ tw[t + 1]!;
    w[i + 2] = w[i + 2]! ^ tw[t + 2]!;
    w[i + 3] = w[i + 3]! ^ tw[t + 3]!;
  };

  /** Processes the `len` bytes already in `scratch`, in place. */
  const run = (tweak: Uint8Array, len: number, dec: boolean): void => {
    const w = scratch;
    tw8.set(tweak);
    if (!IS_LE) swapWords(tw, 4);
    encryptWords(xk2e, tw, 0);
    const full = len >>> 4;
    const tail = len & 15;
    // With a partial last block, the last full block takes part in ciphertext stealing below.
    const plain = tail === 0 ? full : full - 1;
    let i = 0;
    for (let j = 0; j < plain; j++, i += 4) {
      xex(dec, w, i, 0);
      double(0, 0);
    }
    if (tail === 0) return;
    // Ciphertext stealing (IEEE 1619 §5.3.2 / §5.4.2). Block m-1 sits at word i, the partial block m after it.
    // Encryption uses tweak T(m-1) then T(m); decryption must undo them in the other order.
    double(0, 4);
    xex(dec, w, i, dec ? 4 : 0);
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
    xex(dec, w, i, dec ? 0 : 4);
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
      encryptWords(xk2e, blockIn, 0);
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
