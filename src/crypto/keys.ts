// Key derivation: the manual's encryption secret (a string every user of the channel types in) and mode become
// the keys of the frame format. Only WebCrypto is used, so this runs the same in a window, a worker and Node.
//
// PBKDF2-HMAC-SHA256 → 32-byte master, then HKDF-SHA256 expands it into independent keys, one per purpose:
// - PBKDF2 because the secret is a human-chosen passphrase: anyone who records the (encrypted) media can try
//   guesses offline, and each guess must cost the attacker PBKDF2_ITERATIONS hashes. HKDF alone has no work factor.
// - The salt is fixed and public, "agora-rtc-web/e2ee/v1/" + mode: every user must reach the same keys with nothing
//   but the secret and the mode (there is no key exchange), so the salt cannot be random; putting the mode in it
//   gives unrelated keys per mode, so a frame of one mode never verifies under another.
// - HKDF afterwards so that one slow PBKDF2 yields several keys that are independent of one another (the XTS key,
//   the MAC key, the GCM key), each bound to its purpose by its `info` label.
import { parseMode, type EncryptionMode } from './modes.js';

export { parseMode, ENCRYPTION_MODES, type EncryptionMode } from './modes.js';

/**
 * PBKDF2 iterations. 100k SHA-256 iterations cost roughly 30–80 ms once per join in a browser (WebCrypto runs
 * it natively), which is unnoticeable next to connection set-up but multiplies an offline guesser's work.
 */
export const PBKDF2_ITERATIONS = 100_000;

/** The public salt prefix; the mode name is appended. Changing it changes every key: it versions the format. */
export const KDF_SALT_PREFIX = 'agora-rtc-web/e2ee/v1/';

/** Derived key material for one (secret, mode). Structured-cloneable, so it can be posted to the worker. */
export interface FrameKeys {
  mode: EncryptionMode;
  /** XTS modes: key1 ‖ key2 (32 or 64 bytes), for `createXts`. */
  xtsKey?: Uint8Array;
  /** XTS modes: 32-byte AES-256 key that makes each frame's one-time Poly1305 key (the integrity tag). */
  macKey?: Uint8Array;
  /** GCM modes: a non-extractable AES-GCM key (encrypt + decrypt). */
  gcmKey?: CryptoKey;
}

const enc = new TextEncoder();

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (!s)
    throw new Error(
      'WebCrypto (crypto.subtle) is unavailable: it needs a secure context (https or localhost)',
    );
  return s;
}

async function hkdf(master: CryptoKey, info: string, bytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const bits = await subtle().deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: enc.encode(info) },
    master,
    bytes * 8,
  );
  return new Uint8Array(bits);
}

/**
 * Derives the frame keys from the encryption secret and mode. Deterministic: every user with the same secret and
 * mode gets the same keys; a different secret or a different mode gives unrelated keys.
 * @param secret the manual's encryption secret; must be non-empty (an empty secret means "no encryption", which
 *   the caller handles by not attaching transforms at all)
 * @param mode one of the modes; `''` means `'aes-128-xts'`, as in the manual
 * @throws TypeError for an empty secret or an unknown mode
 */
export async function deriveFrameKeys(secret: string, mode: EncryptionMode | '' = ''): Promise<FrameKeys> {
  if (typeof secret !== 'string' || secret.length === 0)
    throw new TypeError('encryption secret must be a non-empty string');
  const m = parseMode(mode);
  if (!m) throw new TypeError(`unknown encryption mode: ${JSON.stringify(mode)}`);
  const s = subtle();
  const pw = await s.importKey('raw', enc.encode(secret.normalize('NFC')), 'PBKDF2', false, ['deriveBits']);
  const masterBits = await s.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt: enc.encode(KDF_SALT_PREFIX + m), iterations: PBKDF2_ITERATIONS },
    pw,
    256,
  );
  const master = await s.importKey('raw', masterBits, 'HKDF', false, ['deriveBits']);
  if (m === 'aes-128-xts' || m === 'aes-256-xts') {
    const xtsKey = await hkdf(master, `${m}/xts-key`, m === 'aes-128-xts' ? 32 : 64);
    const macKey = await hkdf(master, `${m}/poly1305-key`, 32);
    return { mode: m, xtsKey, macKey };
  }
  const raw = await hkdf(master, `${m}/gcm-key`, m === 'aes-128-gcm' ? 16 : 32);
  const gcmKey = await s.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
  raw.fill(0);
  return { mode: m, gcmKey };
}
