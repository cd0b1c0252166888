// End-to-end encryption of a channel's chat and whiteboard: AES-256-GCM with a key derived from the channel's
// encryption secret (setEncryptionSecret), so the server relays and stores only ciphertext. PBKDF2 for the same
// reason as the media keys (src/crypto/keys.ts: a typed passphrase must be slow to guess), with its own salt so the
// content key is unrelated to the media keys; the channel name is in the salt too, so one secret used in two
// channels gives two keys. Wire format: 12-byte random IV ‖ ciphertext ‖ 16-byte tag.
import { PBKDF2_ITERATIONS } from '../crypto/keys.js';
import { fromBase64, toBase64 } from './base64.js';
import type { TextSeal } from './chat.js';

const SALT_PREFIX = 'agora-rtc-web/collab/v1/';
const enc = new TextEncoder();
const dec = new TextDecoder();

/** Chromium refuses `additionalData: undefined` (not a BufferSource): the field is left out instead. */
const gcm = (iv: Uint8Array<ArrayBuffer>, context?: Uint8Array<ArrayBuffer>): AesGcmParams =>
  context ? { name: 'AES-GCM', iv, additionalData: context } : { name: 'AES-GCM', iv };

export class ContentSeal implements TextSeal {
  private constructor(private readonly key: CryptoKey) {}

  static async derive(secret: string, channel: string): Promise<ContentSeal> {
    const s = crypto.subtle;
    const pw = await s.importKey('raw', enc.encode(secret.normalize('NFC')), 'PBKDF2', false, ['deriveKey']);
    const key = await s.deriveKey(
      {
        name: 'PBKDF2',
        hash: 'SHA-256',
        salt: enc.encode(SALT_PREFIX + channel),
        iterations: PBKDF2_ITERATIONS,
      },
      pw,
      { name: 'AES-GCM', length: 256 },
      false,
      ['encrypt', 'decrypt'],
    );
    return new ContentSeal(key);
  }

  /**
   * `context` is authenticated, not stored: bytes sealed with one open only with the same (a snapshot's part can
   * never be taken for an update).
   */
  async sealBytes(
    plain: Uint8Array<ArrayBuffer>,
    context?: Uint8Array<ArrayBuffer>,
  ): Promise<Uint8Array<ArrayBuffer>> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ct = new Uint8Array(await crypto.subtle.encrypt(gcm(iv, context), this.key, plain));
    const out = new Uint8Array(12 + ct.length);
    out.set(iv);
    out.set(ct, 12);
    return out;
  }

  /** null when the bytes were not sealed with this key and `context` (another secret) or were altered. */
  async openBytes(
    sealed: Uint8Array<ArrayBuffer>,
    context?: Uint8Array<ArrayBuffer>,
  ): Promise<Uint8Array<ArrayBuffer> | null> {
    if (sealed.length < 28) return null;
    try {
      const plain = await crypto.subtle.decrypt(
        gcm(sealed.subarray(0, 12), context),
        this.key,
        sealed.subarray(12),
      );
      return new Uint8Array(plain);
    } catch {
      return null;
    }
  }

  async seal(text: string): Promise<string> {
    return toBase64(await this.sealBytes(enc.encode(text)));
  }

  async open(wire: string): Promise<string | null> {
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = fromBase64(wire);
    } catch {
      return null;
    }
    const plain = await this.openBytes(bytes);
    return plain && dec.decode(plain);
  }
}
