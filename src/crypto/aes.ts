// The AES block function for per-frame media encryption: noble's key schedule (@noble/ciphers `unsafe.expandKeyLE`
// / `expandKeyDecLE`, audited) with a round function on compact FIPS-197 T-tables (4 KB per direction).
//
// Why not noble's own round function: it looks bytes up in two merged 64K-entry tables per direction (640 KB for
// encryption, 640 KB for decryption with their S-box pairs). That is fastest in a hot loop, but media frames arrive
// one at a time, 15-60 ms apart, and between them the video codec evicts those tables from the CPU caches: in a
// Chromium worker, one 4 KB frame right after a pause took ~360 µs with noble's tables against ~40 µs in a loop
// (docs/encryption.md, "Why a compact AES round"). These 8.5 KB of tables stay in L1/L2, so a frame costs about
// the same cold as hot. test/unit/aes.test.ts checks every output against noble's `unsafe.encrypt/decrypt`.
import { unsafe } from '@noble/ciphers/aes.js';

/** Round keys as noble lays them out: little-endian words, Nr + 1 blocks of four. */
export type RoundKeys = Uint32Array;

/** Encryption round keys for a 16-, 24- or 32-byte AES key (noble's key schedule). */
export const expandEncryptKey = (key: Uint8Array): RoundKeys => unsafe.expandKeyLE(key);
/** Equivalent-inverse-cipher round keys (FIPS 197 §5.3.5) for {@link decryptWords}. */
export const expandDecryptKey = (key: Uint8Array): RoundKeys => unsafe.expandKeyDecLE(key);

/** Whether this host stores words little-endian (every browser we know of does). */
export const IS_LE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** noble's word-level AES reads words as little-endian byte groups; on a big-endian host we flip them. */
export function swapWords(w: Uint32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const x = w[i]!;
    w[i] = ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
  }
}

const SBOX = new Uint8Array(256);
const INV_SBOX = new Uint8Array(256);
/** GF(2^8) product modulo x^8 + x^4 + x^3 + x + 1 (FIPS 197 §4.2); only used to build the tables. */
function gmul(a: number, b: number): number {
  let r = 0;
  for (; b; b >>>= 1, a = ((a << 1) ^ (a & 0x80 ? 0x11b : 0)) & 0xff) if (b & 1) r ^= a;
  return r;
}
{
  // S-box (FIPS 197 §5.1.1): multiplicative inverse, then the affine map b ^ rotl(b,1..4) ^ 0x63.
  const exp = new Uint8Array(256);
  const log = new Uint8Array(256);
  for (let i = 0, x = 1; i < 255; i++, x = gmul(x, 3)) {
    exp[i] = x;
    log[x] = i;
  }
  for (let a = 0; a < 256; a++) {
    const inv = a === 0 ? 0 : exp[(255 - log[a]!) % 255]!;
    let s = inv;
    for (let k = 1, r = inv; k <= 4; k++) {
      r = ((r << 1) | (r >>> 7)) & 0xff;
      s ^= r;
    }
    SBOX[a] = s ^ 0x63;
    INV_SBOX[s ^ 0x63] = a;
  }
}
const rotl8 = (n: number) => (n << 8) | (n >>> 24);
/** T0..T3 in the little-endian lane order noble's round keys use: T0[x] holds the MixColumns column of S[x]. */
function tables(box: Uint8Array, col: (s: number) => number): Uint32Array[] {
  const t0 = new Uint32Array(256).map((_, j) => col(box[j]!));
  const t1 = t0.map(rotl8);
  const t2 = t1.map(rotl8);
  return [t0, t1, t2, t2.map(rotl8)];
}
const [E0, E1, E2, E3] = tables(SBOX, (s) => (gmul(s, 3) << 24) | (s << 16) | (s << 8) | gmul(s, 2)) as [
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
];
const [D0, D1, D2, D3] = tables(
  INV_SBOX,
  (s) => (gmul(s, 11) << 24) | (gmul(s, 13) << 16) | (gmul(s, 9) << 8) | gmul(s, 14),
) as [Uint32Array, Uint32Array, Uint32Array, Uint32Array];

/**
 * Encrypts the block held in `w[i..i+3]` (little-endian words) in place. In place rather than returning the four
 * words: a per-block result object is an allocation whenever V8 does not inline the call.
 */
export function encryptWords(xk: RoundKeys, w: Uint32Array, i: number): void {
  let s0 = w[i]! ^ xk[0]!;
  let s1 = w[i + 1]! ^ xk[1]!;
  let s2 = w[i + 2]! ^ xk[2]!;
  let s3 = w[i + 3]! ^ xk[3]!;
  const last = xk.length - 4;
  let k = 4;
  for (; k < last; k += 4) {
    const t0 = xk[k]! ^ E0[s0 & 0xff]! ^ E1[(s1 >>> 8) & 0xff]! ^ E2[(s2 >>> 16) & 0xff]! ^ E3[s3 >>> 24]!;
    const t1 =
      xk[k + 1]! ^ E0[s1 & 0xff]! ^ E1[(s2 >>> 8) & 0xff]! ^ E2[(s3 >>> 16) & 0xff]! ^ E3[s0 >>> 24]!;
    const t2 =
      xk[k + 2]! ^ E0[s2 & 0xff]! ^ E1[(s3 >>> 8) & 0xff]! ^ E2[(s0 >>> 16) & 0xff]! ^ E3[s1 >>> 24]!;
    const t3 =
      xk[k + 3]! ^ E0[s3 & 0xff]! ^ E1[(s0 >>> 8) & 0xff]! ^ E2[(s1 >>> 16) & 0xff]! ^ E3[s2 >>> 24]!;
    s0 = t0;
    s1 = t1;
    s2 = t2;
    s3 = t3;
  }
  // Last round: SubBytes and ShiftRows only.
  const S = SBOX;
  w[i] =
    xk[k]! ^
    (S[s0 & 0xff]! | (S[(s1 >>> 8) & 0xff]! << 8) | (S[(s2 >>> 16) & 0xff]! << 16) | (S[s3 >>> 24]! << 24));
  w[i + 1] =
    xk[k + 1]! ^
    (S[s1 & 0xff]! | (S[(s2 >>> 8) & 0xff]! << 8) | (S[(s3 >>> 16) & 0xff]! << 16) | (S[s0 >>> 24]! << 24));
  w[i + 2] =
    xk[k + 2]! ^
    (S[s2 & 0xff]! | (S[(s3 >>> 8) & 0xff]! << 8) | (S[(s0 >>> 16) & 0xff]! << 16) | (S[s1 >>> 24]! << 24));
  w[i + 3] =
    xk[k + 3]! ^
    (S[s3 & 0xff]! | (S[(s0 >>> 8) & 0xff]! << 8) | (S[(s1 >>> 16) & 0xff]! << 16) | (S[s2 >>> 24]! << 24));
}

/** Decrypts the block in `w[i..i+3]` in place, with round keys from {@link expandDecryptKey}. */
export function decryptWords(xk: RoundKeys, w: Uint32Array, i: number): void {
  let s0 = w[i]! ^ xk[0]!;
  let s1 = w[i + 1]! ^ xk[1]!;
  let s2 = w[i + 2]! ^ xk[2]!;
  let s3 = w[i + 3]! ^ xk[3]!;
  const last = xk.length - 4;
  let k = 4;
  for (; k < last; k += 4) {
    const t0 = xk[k]! ^ D0[s0 & 0xff]! ^ D1[(s3 >>> 8) & 0xff]! ^ D2[(s2 >>> 16) & 0xff]! ^ D3[s1 >>> 24]!;
    const t1 =
      xk[k + 1]! ^ D0[s1 & 0xff]! ^ D1[(s0 >>> 8) & 0xff]! ^ D2[(s3 >>> 16) & 0xff]! ^ D3[s2 >>> 24]!;
    const t2 =
      xk[k + 2]! ^ D0[s2 & 0xff]! ^ D1[(s1 >>> 8) & 0xff]! ^ D2[(s0 >>> 16) & 0xff]! ^ D3[s3 >>> 24]!;
    const t3 =
      xk[k + 3]! ^ D0[s3 & 0xff]! ^ D1[(s2 >>> 8) & 0xff]! ^ D2[(s1 >>> 16) & 0xff]! ^ D3[s0 >>> 24]!;
    s0 = t0;
    s1 = t1;
    s2 = t2;
    s3 = t3;
  }
  // Last round: InvSubBytes and InvShiftRows only.
  const S = INV_SBOX;
  w[i] =
    xk[k]! ^
    (S[s0 & 0xff]! | (S[(s3 >>> 8) & 0xff]! << 8) | (S[(s2 >>> 16) & 0xff]! << 16) | (S[s1 >>> 24]! << 24));
  w[i + 1] =
    xk[k + 1]! ^
    (S[s1 & 0xff]! | (S[(s0 >>> 8) & 0xff]! << 8) | (S[(s3 >>> 16) & 0xff]! << 16) | (S[s2 >>> 24]! << 24));
  w[i + 2] =
    xk[k + 2]! ^
    (S[s2 & 0xff]! | (S[(s1 >>> 8) & 0xff]! << 8) | (S[(s0 >>> 16) & 0xff]! << 16) | (S[s3 >>> 24]! << 24));
  w[i + 3] =
    xk[k + 3]! ^
    (S[s3 & 0xff]! | (S[(s2 >>> 8) & 0xff]! << 8) | (S[(s1 >>> 16) & 0xff]! << 16) | (S[s0 >>> 24]! << 24));
}
