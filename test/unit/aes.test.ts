// The compact-table AES round function (src/crypto/aes.ts) against FIPS 197's published examples and, block by
// block, against @noble/ciphers' own round function on the same round keys.
import { randomBytes } from 'node:crypto';
import { unsafe } from '@noble/ciphers/aes.js';
import { describe, expect, it } from 'vitest';
import { decryptWords, encryptWords, expandDecryptKey, expandEncryptKey } from '../../src/crypto/aes.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const words = (b: Uint8Array) => new Uint32Array(b.slice().buffer);
const bytes = (w: Uint32Array) => Buffer.from(w.buffer, w.byteOffset, 16).toString('hex');

describe('compact AES block', () => {
  // FIPS 197 (2001 / upd1 2023), Appendix C: example vectors for AES-128, AES-192 and AES-256.
  const PT = '00112233445566778899aabbccddeeff';
  it.each([
    ['AES-128', '000102030405060708090a0b0c0d0e0f', '69c4e0d86a7b0430d8cdb78070b4c55a'],
    ['AES-192', '000102030405060708090a0b0c0d0e0f1011121314151617', 'dda97ca4864cdfe06eaf70a0ec0d7191'],
    [
      'AES-256',
      '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
      '8ea2b7ca516745bfeafc49904b496089',
    ],
  ])('%s matches the FIPS 197 Appendix C example both ways', (_name, key, ct) => {
    const w = words(hex(PT));
    encryptWords(expandEncryptKey(hex(key)), w, 0);
    expect(bytes(w)).toBe(ct);
    decryptWords(expandDecryptKey(hex(key)), w, 0);
    expect(bytes(w)).toBe(PT);
  });

  it.each([16, 24, 32])('equals noble’s round function for random %i-byte keys and blocks', (len) => {
    for (let n = 0; n < 300; n++) {
      const key = randomBytes(len);
      const xe = expandEncryptKey(key);
      const xd = expandDecryptKey(key);
      const w = words(randomBytes(16));
      const want = unsafe.encrypt(xe, w[0]!, w[1]!, w[2]!, w[3]!);
      const got = w.slice();
      encryptWords(xe, got, 0);
      expect([...got]).toEqual([want.s0, want.s1, want.s2, want.s3].map((x) => x >>> 0));
      const back = unsafe.decrypt(xd, got[0]!, got[1]!, got[2]!, got[3]!);
      decryptWords(xd, got, 0);
      expect([...got]).toEqual([back.s0, back.s1, back.s2, back.s3].map((x) => x >>> 0));
      expect([...got]).toEqual([...w]);
    }
  });

  it('works on any block of a longer word buffer, leaving its neighbours alone', () => {
    const key = randomBytes(16);
    const buf = words(randomBytes(48));
    const before = buf.slice();
    encryptWords(expandEncryptKey(key), buf, 4);
    expect([...buf.subarray(0, 4)]).toEqual([...before.subarray(0, 4)]);
    expect([...buf.subarray(8)]).toEqual([...before.subarray(8)]);
    expect([...buf.subarray(4, 8)]).not.toEqual([...before.subarray(4, 8)]);
  });
});
