// The encoded-transform worker on a bare RTCPeerConnection pair in real Chromium (no SDK): two users in one page,
// each with its own worker from src/crypto/attach.ts. Same secret → media flows both ways; different secret →
// nothing decodes and crypt-error arrives; what goes on the wire is not what the encoder made.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audioPeak, launchBrowser, openPage, serve, until, videoFrames } from './harness.js';
import type { RunningServer } from '../../server/app.js';
import { ENCRYPTION_MODES } from '../../src/crypto/modes.js';

let server: RunningServer;
let browser: Browser;

// The page loads the shipped files, dist/sdk/agora-rtc-crypto.js and agora-rtc-worker.js (built by `npm test`).
beforeAll(async () => {
  server = await serve({ staticDirs: { '/test-pages/': 'test/e2e/pages' } });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

interface Connect {
  secretA: string | null;
  secretB: string | null;
  mode: string;
  path?: 'script-transform' | 'encoded-streams';
}

async function call(opts: Connect): Promise<{ page: Page; path: string; detected: string }> {
  const page = await openPage(browser, `${server.url}/test-pages/crypto-transform.html`);
  await page.waitForFunction(
    () => typeof (window as unknown as { connect?: unknown }).connect === 'function',
  );
  const r = await page.evaluate(
    (o) =>
      (window as unknown as { connect(o: unknown): Promise<{ path: string; detected: string }> }).connect(o),
    opts,
  );
  return { page, ...r };
}

async function hangup(page: Page): Promise<void> {
  await page.evaluate(() => (window as unknown as { hangup(): void }).hangup()).catch(() => undefined);
  await page.context().close();
}

/** Frames the <video> of `who` presented over `ms`, without waiting for a first frame that may never come. */
async function framesNow(page: Page, who: 'A' | 'B', ms: number): Promise<{ width: number; frames: number }> {
  return page.evaluate(
    async ({ who, ms }) => {
      const v = document.querySelector(`#remote${who} video`) as HTMLVideoElement;
      let frames = 0;
      const tick = () => {
        frames++;
        v.requestVideoFrameCallback(tick);
      };
      v.requestVideoFrameCallback(tick);
      await new Promise((r) => setTimeout(r, ms));
      return { width: v.videoWidth, frames };
    },
    { who, ms },
  );
}

type Stats = Record<string, { frames: number; dropped: number }>;
const stats = (page: Page, who: 'A' | 'B') =>
  page.evaluate((w) => (window as unknown as { stats(w: string): Promise<Stats> }).stats(w), who);
const errors = (page: Page, who: 'A' | 'B') =>
  page.evaluate(
    (w) => (window as unknown as { errors(w: string): { reason: string; direction: string }[] }).errors(w),
    who,
  );

/** Waits for the first crypt-error reports of `who`. */
async function firstErrors(page: Page, who: 'A' | 'B'): Promise<{ reason: string; direction: string }[]> {
  let got: { reason: string; direction: string }[] = [];
  await until(async () => (got = await errors(page, who)).length > 0, 15_000, `crypt-error at ${who}`);
  return got;
}

describe('encoded-transform worker in Chromium', () => {
  for (const mode of ENCRYPTION_MODES) {
    it(`${mode}: same secret → video decodes and audio is heard, both directions`, async () => {
      const { page, path } = await call({ secretA: 'open sesame', secretB: 'open sesame', mode });
      try {
        expect(path).toBe('script-transform');
        for (const who of ['A', 'B'] as const) {
          const v = await videoFrames(page, `#remote${who} video`, 1500);
          expect(v.width, `${who} sees video`).toBeGreaterThan(0);
          expect(v.frames, `${who} video frames`).toBeGreaterThan(5);
          expect(await audioPeak(page, `#remote${who} video`, 2000), `${who} hears audio`).toBeGreaterThan(
            0.01,
          );
        }
        const s = await stats(page, 'B');
        expect(s['recv:video:A']!.frames).toBeGreaterThan(10);
        expect(s['recv:audio:A']!.frames).toBeGreaterThan(10);
        expect(s['recv:video:A']!.dropped).toBe(0);
        expect(await errors(page, 'B')).toEqual([]);
      } finally {
        await hangup(page);
      }
    });
  }

  it('different secrets → no frame decodes and crypt-error reports auth-failed', async () => {
    const { page } = await call({ secretA: 'one secret', secretB: 'another secret', mode: 'aes-128-xts' });
    try {
      const errs = await firstErrors(page, 'B');
      expect(errs[0]).toMatchObject({ direction: 'recv', reason: 'auth-failed', uid: 'A' });
      await new Promise((r) => setTimeout(r, 2000));
      const v = await framesNow(page, 'B', 1500);
      expect(v).toEqual({ width: 0, frames: 0 });
      const s = await stats(page, 'B');
      expect(s['recv:video:A']!.frames).toBeGreaterThan(5);
      expect(s['recv:video:A']!.dropped).toBe(s['recv:video:A']!.frames);
      expect(s['recv:audio:A']!.dropped).toBe(s['recv:audio:A']!.frames);
      expect(await audioPeak(page, '#remoteB video', 1500)).toBeLessThan(0.01);
    } finally {
      await hangup(page);
    }
  });

  it('a receiver without keys drops everything and says no-key (fail closed)', async () => {
    const { page } = await call({ secretA: 's', secretB: null, mode: 'aes-256-gcm' });
    try {
      const errs = await firstErrors(page, 'B');
      expect(errs[0]).toMatchObject({ direction: 'recv', reason: 'no-key' });
      // B sends nothing either: with no keys its sender drops frames instead of sending them in clear.
      await new Promise((r) => setTimeout(r, 1500));
      expect((await framesNow(page, 'A', 1000)).frames).toBe(0);
      const s = await stats(page, 'B');
      expect(s['send:video:A']!.dropped).toBe(s['send:video:A']!.frames);
    } finally {
      await hangup(page);
    }
  });

  it('the bytes on the wire are not the plaintext: only the codec header stays clear', async () => {
    const { page } = await call({ secretA: 'wire', secretB: 'wire', mode: 'aes-128-xts' });
    try {
      const samples = await page.evaluate(() =>
        (
          window as unknown as {
            sample(n: number): Promise<
              {
                kind: string;
                plain: number[];
                wire: number[];
                plainLength: number;
                wireLength: number;
                keyFrame: boolean;
              }[]
            >;
          }
        ).sample(40),
      );
      expect(samples.length).toBe(40);
      let keyFrames = 0;
      for (const s of samples) {
        const h = s.kind === 'audio' ? 1 : s.keyFrame ? 10 : 3;
        expect(s.wireLength).toBe(s.plainLength + 12 + 2 + 10);
        // The header stays clear; only a key frame's start code (bytes 3-5) is flipped, checked below.
        const unflipped = s.wire
          .slice(0, h)
          .map((b, i) => (s.kind === 'video' && h === 10 && i >= 3 && i < 6 ? b ^ 0xff : b));
        expect(unflipped).toEqual(s.plain.slice(0, h));
        const n = Math.min(s.plain.length, s.wire.length) - h;
        let same = 0;
        for (let i = h; i < h + n; i++) if (s.plain[i] === s.wire[i]) same++;
        // Random ciphertext matches the plaintext on ~1/256 of the bytes; plaintext would match on all of them.
        if (n >= 16) expect(same, `${s.kind} frame, ${n} compared bytes`).toBeLessThan(Math.max(3, n / 8));
        if (s.kind === 'video' && s.keyFrame) {
          keyFrames++;
          // VP8 start code, flipped on the wire so that a receiver without the keys decodes nothing.
          expect(s.wire.slice(3, 6)).toEqual([0x9d ^ 0xff, 0x01 ^ 0xff, 0x2a ^ 0xff]);
        }
      }
      expect(samples.some((s) => s.kind === 'video')).toBe(true);
      expect(keyFrames + samples.filter((s) => s.kind === 'video' && !s.keyFrame).length).toBeGreaterThan(0);
    } finally {
      await hangup(page);
    }
  });

  it('replaceTrack keeps the transform on the sender: the new track is encrypted and decodes', async () => {
    const { page } = await call({ secretA: 'swap', secretB: 'swap', mode: 'aes-256-xts' });
    try {
      expect((await videoFrames(page, '#remoteB video', 800)).width).toBe(640);
      const r = await page.evaluate(() =>
        (window as unknown as { replaceVideo(): Promise<{ sameTransform: boolean }> }).replaceVideo(),
      );
      expect(r.sameTransform).toBe(true);
      await until(
        () => framesNow(page, 'B', 300).then((v) => v.width === 320),
        15_000,
        'the canvas track at B',
      );
      const before = (await stats(page, 'B'))['recv:video:A']!;
      expect((await framesNow(page, 'B', 1500)).frames).toBeGreaterThan(5);
      const after = (await stats(page, 'B'))['recv:video:A']!;
      expect(after.frames).toBeGreaterThan(before.frames);
      expect(after.dropped).toBe(0);
    } finally {
      await hangup(page);
    }
  });

  it('the legacy createEncodedStreams path works too: media decodes both ways', async () => {
    const ok = await call({
      secretA: 'legacy',
      secretB: 'legacy',
      mode: 'aes-128-xts',
      path: 'encoded-streams',
    });
    try {
      expect(ok.path).toBe('encoded-streams');
      const v = await videoFrames(ok.page, '#remoteB video', 1000);
      expect(v.frames).toBeGreaterThan(3);
      expect(await audioPeak(ok.page, '#remoteA video', 1500)).toBeGreaterThan(0.01);
    } finally {
      await hangup(ok.page);
    }
  });
});
