// The manual's built-in encryption (加密数据) through the SDK: same secret and mode → the call works both ways;
// anything else → nothing decodes, and nothing is ever sent in clear.
import { describe, expect, test } from 'vitest';
import { APP_ID, PAIRINGS, audioPeak, run, until, videoFrames, type Evaluator } from './harness.js';
import { browserSuite, crossBrowserSuite } from './setup.js';

interface Ev {
  ev: string;
  uid?: number;
  reason?: string;
  direction?: string;
}

const events = (p: Evaluator) => run(p, () => (window as unknown as { events: Ev[] }).events, undefined);
const join = (p: Evaluator, channel: string, opts: Record<string, unknown>) =>
  run(
    p,
    ([appId, channel, opts]) =>
      (
        window as unknown as { T: { join(a: string, c: string, u: number, o: object): Promise<number> } }
      ).T.join(appId, channel, 0, opts),
    [APP_ID, channel, opts] as const,
  );

describe.each(PAIRINGS)('encrypted calls (%s)', (pairing) => {
  const { user } = crossBrowserSuite(pairing);

  test.each(['', 'aes-128-xts', 'aes-256-xts', 'aes-128-gcm', 'aes-256-gcm'])(
    'mode "%s": same secret on both sides → video and sound both ways',
    async (mode) => {
      const [a, b] = await Promise.all([user(), user()]);
      const channel = `enc ${mode || 'default'}`;
      const uidA = await join(a, channel, { secret: 'correct horse', mode });
      const uidB = await join(b, channel, { secret: 'correct horse', mode });
      for (const [page, uid] of [
        [a, uidB],
        [b, uidA],
      ] as const) {
        const v = await videoFrames(page, `#remote-${uid} video`);
        expect(v.width, 'decoded video').toBeGreaterThan(0);
        expect(v.frames).toBeGreaterThan(3);
        expect(await audioPeak(page, `#remote-${uid} video`), 'audible').toBeGreaterThan(0.01);
      }
      expect((await events(a)).filter((e) => e.ev === 'crypt-error')).toEqual([]);
      await Promise.all([a.close(), b.close()]);
    },
  );

  test('different secrets: nothing decodes and the receiver gets crypt-error', async () => {
    const [a, b] = await Promise.all([user(), user()]);
    const uidA = await join(a, 'enc mismatch', { secret: 'one secret' });
    const uidB = await join(b, 'enc mismatch', { secret: 'another secret' });
    await until(
      async () => (await events(b)).find((e) => e.ev === 'crypt-error' && e.uid === uidA),
      15_000,
      'crypt-error on B',
    );
    const got = (await events(b)).find((e) => e.ev === 'crypt-error')!;
    expect(got).toMatchObject({ uid: uidA, direction: 'recv', reason: 'auth-failed' });
    for (const [page, uid] of [
      [b, uidA],
      [a, uidB],
    ] as const) {
      const v = await videoFrames(page, `#remote-${uid} video`, 1500, 4000);
      expect(v.width).toBe(0);
      expect(v.frames).toBe(0);
    }
    await Promise.all([a.close(), b.close()]);
  });

  test('one side without encryption: no frame decodes on either side', async () => {
    const [a, b] = await Promise.all([user(), user()]);
    const uidA = await join(a, 'enc half', { secret: 's3cret', mode: 'aes-256-xts' });
    const uidB = await join(b, 'enc half', {});
    await until(
      async () => (await events(b)).some((e) => e.ev === 'stream-subscribed'),
      15_000,
      'B subscribed',
    );
    await until(
      async () => (await events(a)).some((e) => e.ev === 'crypt-error' && e.reason === 'not-encrypted'),
      15_000,
      'A rejects clear frames',
    );
    expect((await videoFrames(b, `#remote-${uidA} video`, 1500, 4000)).frames).toBe(0);
    expect((await videoFrames(a, `#remote-${uidB} video`, 1500, 4000)).frames).toBe(0);
    await Promise.all([a.close(), b.close()]);
  });
});

describe('encrypted calls', () => {
  // Three fake cameras: the second one Chromium offers is a depth camera that WebRTC does not send.
  const { user } = browserSuite(['--use-fake-device-for-media-stream=device-count=3']);

  test('the classic script (these pages) loads the classic build of the encryption part, not the ES module SDK', async () => {
    const [a, b] = await Promise.all([user(), user()]);
    const loaded: string[] = [];
    for (const p of [a, b]) p.on('request', (r) => loaded.push(new URL(r.url()).pathname));
    const uidA = await join(a, 'enc classic', { secret: 'classic secret' });
    const uidB = await join(b, 'enc classic', { secret: 'classic secret' });
    for (const [page, uid] of [
      [a, uidB],
      [b, uidA],
    ] as const)
      expect((await videoFrames(page, `#remote-${uid} video`)).frames).toBeGreaterThan(3);
    const sdk = loaded.filter((u) => u.startsWith('/sdk/'));
    expect(sdk).toContain('/sdk/agora-rtc-classic-crypto.js');
    // A second copy of the SDK (the ES core, which the ES chunk imports) would have its own clients and errors.
    expect(sdk.filter((u) => /\/agora-rtc(-crypto)?\.js$/.test(u))).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });

  test('the bytes on the wire are not the plaintext', async () => {
    const [a, b] = await Promise.all([user(), user()]);
    await join(a, 'enc wire', { secret: 'wire secret' });
    const uidB = await join(b, 'enc wire', { secret: 'wire secret', publish: false });
    await until(
      async () => (await events(b)).some((e) => e.ev === 'stream-subscribed'),
      15_000,
      'B subscribed',
    );
    const samples = await a.evaluate(
      (uid) =>
        (
          window as unknown as {
            T: {
              client: {
                frameCrypto: {
                  sample(
                    u: number,
                    n: number,
                  ): Promise<
                    Array<{
                      kind: string;
                      keyFrame: boolean;
                      plain: Uint8Array;
                      wire: Uint8Array;
                      plainLength: number;
                      wireLength: number;
                    }>
                  >;
                };
              };
            };
          }
        ).T.client.frameCrypto
          .sample(uid, 20)
          .then((s) => s.map((f) => ({ ...f, plain: [...f.plain], wire: [...f.wire] }))),
      uidB,
    );
    const video = samples.filter((s) => s.kind === 'video' && s.plainLength > 64);
    expect(video.length).toBeGreaterThan(0);
    for (const f of video) {
      const header = f.keyFrame ? 10 : 3;
      const clear = f.plain.slice(0, header);
      if (f.keyFrame) for (let i = 3; i < 6; i++) clear[i] = clear[i]! ^ 0xff; // start code flipped on the wire
      expect(f.wire.slice(0, header), 'VP8 header in clear, start code flipped').toEqual(clear);
      const body = (x: number[]) => x.slice(header, Math.min(x.length, 48));
      expect(body(f.wire as unknown as number[])).not.toEqual(body(f.plain as unknown as number[]));
      expect(f.wireLength).toBeGreaterThan(f.plainLength);
    }
    await Promise.all([a.close(), b.close()]);
  });

  test('tracks replaced later stay encrypted: camera switch and screen sharing decode on the other side', async () => {
    const [a, b] = await Promise.all([user(), user()]);
    const uidA = await join(a, 'enc replace', { secret: 'replace secret', profile: '240P' });
    await join(b, 'enc replace', { secret: 'replace secret', publish: false });
    expect((await videoFrames(b, `#remote-${uidA} video`)).width).toBe(320);
    const switched = await a.evaluate(async () => {
      const { T } = window as unknown as {
        T: {
          client: {
            getDevices(): Promise<{ deviceId: string; label: string; kind: string }[]>;
            selectDevice(d: object): Promise<void>;
          };
        };
      };
      const cams = (await T.client.getDevices()).filter((d) => d.kind === 'videoinput');
      const next =
        cams.find((d) => d.label === 'fake_device_2') ??
        cams.find((d) => d.label !== 'fake_device_1' && d.label !== 'fake_device_0');
      if (!next) return 'no second camera';
      await T.client.selectDevice(next);
      return next.label;
    });
    expect(switched).toBe('fake_device_2');
    const afterSwitch = await videoFrames(b, `#remote-${uidA} video`);
    expect(afterSwitch.frames, 'frames after the camera switch').toBeGreaterThan(3);
    await a.evaluate(() =>
      (
        window as unknown as { T: { client: { startScreenSharing(id: string): Promise<void> } } }
      ).T.client.startScreenSharing(''),
    );
    await until(
      async () => (await videoFrames(b, `#remote-${uidA} video`, 500)).width === 1280,
      15_000,
      'screen at 1280 wide',
    );
    expect((await videoFrames(b, `#remote-${uidA} video`)).frames, 'screen frames decode').toBeGreaterThan(3);
    expect((await events(b)).filter((e) => e.ev === 'crypt-error')).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });

  test('setEncryptionSecret / setEncryptionMode answer 0 or a negative code, as the manual', async () => {
    const p = await user();
    const got = await p.evaluate(async (appId) => {
      const { AgoraRTC } = window as unknown as { AgoraRTC: typeof import('../../src/index.js').default };
      const c = AgoraRTC.createRtcClient();
      const r: number[] = [];
      r.push(c.setEncryptionSecret('1234'));
      r.push(c.setEncryptionMode('aes-256-xts'));
      r.push(c.setEncryptionMode(''));
      r.push(c.setEncryptionMode('aes-512-xts'));
      r.push(c.setEncryptionSecret(42 as unknown as string));
      await c.init(appId);
      await c.join(null, 'enc api', 0);
      r.push(c.setEncryptionSecret('later'));
      await c.leave();
      r.push(c.setEncryptionSecret(''));
      c.close();
      r.push(c.setEncryptionMode('aes-128-xts'));
      return r;
    }, APP_ID);
    expect(got).toEqual([0, 0, 0, -2, -2, -17, 0, -7]);
    await p.close();
  });

  test('fail closed: a secret in a browser without encoded transforms → join fails with ERR_NOT_SUPPORTED', async () => {
    const [a, b] = await Promise.all([user(), user()]);
    await join(b, 'enc closed', {});
    const err = await a.evaluate(async (appId) => {
      const w = window as unknown as Record<string, unknown>;
      w.RTCRtpScriptTransform = undefined;
      (RTCRtpSender.prototype as unknown as Record<string, unknown>).createEncodedStreams = undefined;
      const { AgoraRTC } = window as unknown as { AgoraRTC: typeof import('../../src/index.js').default };
      const c = AgoraRTC.createRtcClient();
      c.setEncryptionSecret('s');
      await c.init(appId);
      return c.join(null, 'enc closed', 0)!.then(
        () => null,
        (e: { code: number; message: string }) => ({ code: e.code, message: e.message }),
      );
    }, APP_ID);
    expect(err?.code).toBe(4);
    expect(err?.message).toMatch(/clear/);
    await new Promise((r) => setTimeout(r, 500));
    expect((await events(b)).filter((e) => e.ev === 'stream-added')).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });
});
