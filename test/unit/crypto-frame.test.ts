// The per-frame format and key derivation, in Node (WebCrypto is the same API as in the worker).
import { describe, expect, it } from 'vitest';
import { deriveFrameKeys, ENCRYPTION_MODES, type EncryptionMode } from '../../src/crypto/keys.js';
import {
  clearHeaderBytes,
  createFrameCipher,
  createFrameContext,
  decryptFrame,
  encryptFrame,
  NONCE_BYTES,
  openFrame,
  type FrameCipher,
  type MediaKind,
} from '../../src/crypto/frame.js';

const ciphers = new Map<string, Promise<FrameCipher>>();
/** Key derivation is deliberately slow (PBKDF2): derive each (secret, mode) once per run. */
function cipherFor(secret: string, mode: EncryptionMode): Promise<FrameCipher> {
  const k = `${secret}\u0000${mode}`;
  let c = ciphers.get(k);
  if (!c) ciphers.set(k, (c = deriveFrameKeys(secret, mode).then(createFrameCipher)));
  return c;
}

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
/** A VP8-looking key frame (frame tag, start code 9d 01 2a, size) followed by random bytes. */
function vp8Key(len: number): Uint8Array {
  const f = random(len);
  f.set([0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01]);
  return f;
}

describe('key derivation', () => {
  it('gives the same keys for the same secret and mode, on every call', async () => {
    const a = await deriveFrameKeys('s3cret', 'aes-256-xts');
    const b = await deriveFrameKeys('s3cret', 'aes-256-xts');
    expect(a.xtsKey).toEqual(b.xtsKey);
    expect(a.macKey).toEqual(b.macKey);
    expect(a.xtsKey!.length).toBe(64);
    expect((await deriveFrameKeys('s3cret', 'aes-128-xts')).xtsKey!.length).toBe(32);
  });

  it("treats '' as aes-128-xts, as the manual does", async () => {
    expect(await deriveFrameKeys('x', '')).toEqual(await deriveFrameKeys('x', 'aes-128-xts'));
  });

  it('gives different keys for a different secret or a different mode', async () => {
    const a = await deriveFrameKeys('s3cret', 'aes-128-xts');
    const b = await deriveFrameKeys('s3cret!', 'aes-128-xts');
    const c = await deriveFrameKeys('s3cret', 'aes-256-xts');
    expect(a.xtsKey).not.toEqual(b.xtsKey);
    expect(a.xtsKey).not.toEqual(c.xtsKey!.subarray(0, 32));
    expect(a.macKey).not.toEqual(c.macKey);
    // key1 and key2 of one XTS key differ (they come from one HKDF output)
    expect(a.xtsKey!.subarray(0, 16)).not.toEqual(a.xtsKey!.subarray(16));
  });

  it('rejects an empty secret and unknown modes', async () => {
    await expect(deriveFrameKeys('', 'aes-128-xts')).rejects.toThrow(TypeError);
    await expect(deriveFrameKeys('x', 'aes-512-xts' as EncryptionMode)).rejects.toThrow(TypeError);
  });
});

describe('frame format', () => {
  const cases: { kind: MediaKind; codec: string; key: boolean; len: number }[] = [
    { kind: 'video', codec: 'video/VP8', key: true, len: 5000 },
    { kind: 'video', codec: 'video/VP8', key: false, len: 777 },
    { kind: 'audio', codec: 'audio/opus', key: false, len: 120 },
    { kind: 'audio', codec: 'audio/opus', key: false, len: 3 },
  ];
  for (const mode of ENCRYPTION_MODES) {
    for (const c of cases) {
      it(`${mode}: round-trips a ${c.len}-byte ${c.kind} ${c.key ? 'key ' : ''}frame with its header in clear`, async () => {
        const cipher = await cipherFor('channel secret', mode);
        const tx = createFrameContext(cipher);
        const rx = createFrameContext(cipher);
        const plain = c.kind === 'video' && c.key ? vp8Key(c.len) : random(c.len);
        const wire = await encryptFrame(tx, c.kind, c.codec, c.key, plain);
        const h = clearHeaderBytes(c.kind, c.codec, c.key);
        expect(wire.length).toBe(plain.length + NONCE_BYTES + 2 + cipher.tagBytes);
        const clear = plain.slice(0, h);
        // A VP8 key frame's start code travels flipped, so that receivers without the keys decode nothing.
        if (c.kind === 'video' && h === 10) for (let i = 3; i < 6; i++) clear[i] = clear[i]! ^ 0xff;
        expect(wire.subarray(0, h)).toEqual(clear);
        if (plain.length - h >= 4) expect(wire.subarray(h, plain.length)).not.toEqual(plain.subarray(h));
        expect(await decryptFrame(rx, wire)).toEqual(plain);
      });
    }
  }

  it('keeps 10 bytes clear on VP8 key frames, 3 on delta frames, 1 on audio', () => {
    expect(clearHeaderBytes('video', 'video/VP8', true)).toBe(10);
    expect(clearHeaderBytes('video', 'VP8', false)).toBe(3);
    expect(clearHeaderBytes('audio', 'audio/opus', false)).toBe(1);
    expect(clearHeaderBytes('audio', undefined, false)).toBe(1);
    expect(clearHeaderBytes('video', 'video/H264', true)).toBe(0);
  });

  for (const mode of ENCRYPTION_MODES) {
    it(`${mode}: round-trips every short body length 0..40 after the header`, async () => {
      const cipher = await cipherFor('short', mode);
      const ctx = createFrameContext(cipher);
      for (let len = 0; len <= 41; len++) {
        const plain = random(len);
        const wire = await encryptFrame(ctx, 'audio', 'audio/opus', false, plain);
        expect(await decryptFrame(ctx, wire), `${len} bytes`).toEqual(plain);
        if (len > 3) expect(wire.subarray(1, len)).not.toEqual(plain.subarray(1));
      }
    });
  }

  for (const mode of ENCRYPTION_MODES) {
    it(`${mode}: drops a frame made with another secret (null, auth-failed)`, async () => {
      const tx = createFrameContext(await cipherFor('right', mode));
      const rx = createFrameContext(await cipherFor('wrong', mode));
      for (const len of [2, 20, 1500]) {
        const wire = await encryptFrame(tx, 'video', 'video/VP8', false, random(len));
        expect(await decryptFrame(rx, wire)).toBeNull();
        expect(await openFrame(rx, wire)).toEqual({ ok: false, reason: 'auth-failed' });
      }
    });

    it(`${mode}: drops a frame with any one byte flipped, or truncated`, async () => {
      const ctx = createFrameContext(await cipherFor('tamper', mode));
      const wire = await encryptFrame(ctx, 'video', 'video/VP8', true, vp8Key(64));
      for (let i = 0; i < wire.length; i++) {
        const bad = wire.slice();
        bad[i]! ^= 0x01;
        expect(await decryptFrame(ctx, bad), `byte ${i}`).toBeNull();
      }
      expect(await decryptFrame(ctx, wire.subarray(0, wire.length - 1))).toBeNull();
      expect(await decryptFrame(ctx, wire.subarray(1))).toBeNull();
      expect(await decryptFrame(ctx, new Uint8Array(0))).toBeNull();
      expect(await decryptFrame(ctx, wire)).not.toBeNull();
    });
  }

  it('says why: plaintext is not-encrypted, another mode is mode-mismatch', async () => {
    const xts = createFrameContext(await cipherFor('same', 'aes-128-xts'));
    const gcm = createFrameContext(await cipherFor('same', 'aes-256-gcm'));
    const plain = vp8Key(900);
    plain[plain.length - 11] = 0x00;
    plain[plain.length - 17] = 0x00;
    expect(await openFrame(xts, plain)).toEqual({ ok: false, reason: 'not-encrypted' });
    const fromGcm = await encryptFrame(gcm, 'video', 'video/VP8', true, plain);
    expect(await openFrame(xts, fromGcm)).toEqual({ ok: false, reason: 'mode-mismatch' });
    const fromXts = await encryptFrame(xts, 'video', 'video/VP8', true, plain);
    expect(await openFrame(gcm, fromXts)).toEqual({ ok: false, reason: 'mode-mismatch' });
  });

  it('never repeats a nonce: across frames of one sender and across senders', async () => {
    const cipher = await cipherFor('nonces', 'aes-128-xts');
    const seen = new Set<string>();
    for (let s = 0; s < 4; s++) {
      const ctx = createFrameContext(cipher);
      for (let i = 0; i < 500; i++) {
        const wire = await encryptFrame(ctx, 'audio', 'audio/opus', false, random(30));
        const nonce = Buffer.from(wire.subarray(30, 30 + NONCE_BYTES)).toString('hex');
        expect(seen.has(nonce)).toBe(false);
        seen.add(nonce);
      }
    }
    expect(seen.size).toBe(2000);
  });

  it('draws a new salt when the 32-bit frame counter would wrap', async () => {
    const ctx = createFrameContext(await cipherFor('wrap', 'aes-128-gcm'));
    ctx.counter = 0xffffffff;
    const salt = ctx.salt;
    const a = await encryptFrame(ctx, 'audio', 'audio/opus', false, random(20));
    const b = await encryptFrame(ctx, 'audio', 'audio/opus', false, random(20));
    expect(a.subarray(20, 28)).toEqual(salt);
    expect(b.subarray(20, 28)).not.toEqual(salt);
    expect(b.subarray(28, 32)).toEqual(new Uint8Array(4));
  });

  it('encrypts the same plaintext differently every time', async () => {
    const ctx = createFrameContext(await cipherFor('fresh', 'aes-256-xts'));
    const plain = random(300);
    const a = await encryptFrame(ctx, 'video', 'video/VP8', false, plain);
    const b = await encryptFrame(ctx, 'video', 'video/VP8', false, plain);
    expect(a.subarray(3, 300)).not.toEqual(b.subarray(3, 300));
  });
});
