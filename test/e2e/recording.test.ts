// Recording in real browsers against the server as `npm start` runs it (demo keys on): pages join the keyed demo
// app with Channel Keys from POST /api/channel-key and record with Recording Keys from the same endpoint
// ("service": "recording"). The files are checked with Debian's ffprobe/ffmpeg as a user's player would read them.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, PAIRINGS, run, until, type Evaluator } from './harness.js';
import { browserSuite, crossBrowserSuite, outcome } from './setup.js';
import { configureApps, DEMO_KEYED_APP_ID } from '../../server/demo-keys.js';
import type { RecordingEntry } from '../../src/recording/store.js';

const apps = configureApps({ AGORA_DEMO_KEYS: '1' }, null);
const suite = browserSuite([], { policy: apps.policy, routes: apps.routes });
const dir = mkdtempSync(join(tmpdir(), 'agora-rec-'));
// KEEP_RECORDINGS=1 keeps the files for a look with ffprobe.
afterAll(() => process.env.KEEP_RECORDINGS || rmSync(dir, { recursive: true, force: true }));

interface Ev {
  ev: string;
  uid?: number;
  status?: number;
  self?: boolean;
  startedAt?: number;
  reason?: string;
  code?: number;
}
type Entry = RecordingEntry;

/** A key from the demo endpoint, as an app's page would fetch it. */
function fetchKey(p: Evaluator, body: { channel: string; uid: number; service?: string }): Promise<string> {
  return run(
    p,
    async (body) => {
      const r = await fetch('/api/channel-key', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!r.ok) throw new Error(`channel-key ${r.status}: ${await r.text()}`);
      return ((await r.json()) as { key: string }).key;
    },
    body,
  );
}

/** Joins the keyed demo app and publishes camera and microphone; returns the uid. */
async function joinCall(p: Evaluator, channel: string): Promise<number> {
  const key = await fetchKey(p, { channel, uid: 0 });
  return run(
    p,
    ({ appId, channel, key }) =>
      (
        window as unknown as { T: { join(a: string, c: string, u: number, o: object): Promise<number> } }
      ).T.join(appId, channel, 0, { key, profile: '240P' }),
    { appId: DEMO_KEYED_APP_ID, channel, key },
  );
}

const events = (p: Evaluator) => run(p, () => (window as unknown as { events: Ev[] }).events, undefined);
const stateChanges = async (p: Evaluator) =>
  (await events(p))
    .filter((e) => e.ev === 'recording-state-change')
    .map(({ status, uid, self }) => ({ status, uid, self }));

/** Runs `body` in the page with `client` (T.client) and `AgoraRTC` in scope. */
function inPage<T>(p: Evaluator, body: string, arg?: unknown): Promise<T> {
  return run(
    p,
    ({ body, arg }) => {
      const w = window as unknown as { T: { client: unknown }; AgoraRTC: unknown };
      return (
        new Function('client', 'AgoraRTC', 'arg', `return (async () => { ${body} })()`) as (
          c: unknown,
          a: unknown,
          arg: unknown,
        ) => Promise<T>
      )(w.T.client, w.AgoraRTC, arg);
    },
    { body, arg },
  );
}

const status = (p: Evaluator) =>
  inPage<{ status: number; uid: number | null; self: boolean }>(
    p,
    'return new Promise((resolve) => client.queryRecordingStatus(resolve));',
  );

/**
 * Saves recording `id` through AgoraRTC.recordings.download, as the user's browser would; `via` is where the
 * browser read it from (the service worker's /agora-recordings/ URL, or a blob: URL).
 */
async function download(p: Page, id: string, name: string): Promise<string> {
  return (await downloadVia(p, id, name)).file;
}
async function downloadVia(p: Page, id: string, name: string): Promise<{ file: string; via: string }> {
  const [dl] = await Promise.all([
    p.waitForEvent('download'),
    inPage(p, 'await AgoraRTC.recordings.download(arg);', id),
  ]);
  const file = join(dir, name);
  await dl.saveAs(file);
  return { file, via: dl.url() };
}

interface Probe {
  streams: Array<{ codec_type: string; codec_name: string; width?: number }>;
  format: { duration?: string; format_name: string };
}
function probe(file: string): Probe {
  return JSON.parse(
    execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', file], {
      encoding: 'utf8',
    }),
  ) as Probe;
}

/** Decodes one video frame at `atS` seconds (seeking there) to a PNG; returns its size in bytes. */
function frameAt(file: string, atS: number): number {
  const png = `${file}.${atS}.png`;
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-ss', String(atS), '-i', file, '-frames:v', '1', png]);
  return statSync(png).size;
}

/** Decodes the whole file (ffmpeg exits non-zero on a broken stream). */
function decodeAll(file: string): void {
  execFileSync('ffmpeg', ['-v', 'error', '-xerror', '-i', file, '-f', 'null', '-']);
}

/**
 * A Chromium this test starts itself on a profile directory, so it can kill the browser process (as a crash or a
 * power cut would) and start it again on the same storage.
 */
async function ownBrowser(profile: string) {
  const child = spawn(
    CHROMIUM,
    [
      ...CHROMIUM_ARGS,
      '--headless=new',
      `--user-data-dir=${profile}`,
      '--remote-debugging-port=0',
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  const ws = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`chromium exited with ${code}: ${err}`)));
  });
  const browser = await chromium.connectOverCDP(ws);
  return {
    async page(url: string): Promise<Page> {
      const page = await browser.contexts()[0]!.newPage();
      await page.goto(url);
      return page;
    },
    async kill(): Promise<void> {
      if (child.exitCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}

describe('recording', () => {
  test('three users: one records 10 s while another leaves and a third joins late; everyone is told, and the file is WebM with video and audio of the right length that seeks', async () => {
    const channel = 'rec three';
    const a = await suite.user();
    const c = await suite.user();
    const uidA = await joinCall(a, channel);
    const uidC = await joinCall(c, channel);
    await until(
      () => a.evaluate((u) => !!document.querySelector(`#remote-${u} video`), uidC),
      15_000,
      'A sees C',
    );

    const recKey = await fetchKey(a, { channel, uid: uidA, service: 'recording' });
    const startedAt = await inPage<number>(a, 'await client.startRecording(arg); return Date.now();', recKey);
    const b = await suite.user();
    const uidB = await joinCall(b, channel);
    // The late joiner learns at once that the channel is recorded, and by whom.
    expect(await stateChanges(b)).toEqual([{ status: 1, uid: uidA, self: false }]);
    expect(await status(b)).toMatchObject({ status: 1, uid: uidA, self: false });
    expect(await status(c)).toMatchObject({ status: 1, uid: uidA, self: false });
    expect(await status(a)).toMatchObject({ status: 1, uid: uidA, self: true });

    await new Promise((r) => setTimeout(r, 4000));
    await inPage(c, 'await client.leave();');
    await new Promise((r) => setTimeout(r, Math.max(0, startedAt + 10_000 - Date.now())));
    const { entry, stoppedAt } = await inPage<{ entry: Entry; stoppedAt: number }>(
      a,
      'const stoppedAt = Date.now(); const entry = await client.stopRecording(arg); return { entry, stoppedAt };',
      recKey,
    );
    const recordedS = (stoppedAt - startedAt) / 1000;

    // Everyone in the channel saw it start; those still there saw it stop.
    expect(await stateChanges(a)).toEqual([
      { status: 1, uid: uidA, self: true },
      { status: 0, uid: uidA, self: true },
    ]);
    await until(async () => (await stateChanges(b)).length === 2, 5000, 'B hears the stop');
    expect(await stateChanges(b)).toEqual([
      { status: 1, uid: uidA, self: false },
      { status: 0, uid: uidA, self: false },
    ]);
    expect(await stateChanges(c)).toEqual([{ status: 1, uid: uidA, self: false }]);
    expect(await status(b)).toMatchObject({ status: 0, uid: null });

    expect(entry).toMatchObject({ appId: DEMO_KEYED_APP_ID, channel, uid: uidA, complete: true });
    expect(entry.mimeType).toMatch(/^video\/webm/);
    expect(Math.abs(entry.durationMs / 1000 - recordedS)).toBeLessThan(1);
    const listed = await inPage<Entry[]>(a, 'return AgoraRTC.recordings.list();');
    expect(listed.find((e) => e.id === entry.id)).toEqual(entry);

    // The SDK's service worker controls the page (init registered it): the file streams out of it.
    expect(await a.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toMatch(/\/agora-sw\.js$/);
    const { file, via } = await downloadVia(a, entry.id, 'three.webm');
    expect(new URL(via).pathname).toBe(`/agora-recordings/${encodeURIComponent(entry.id)}`);
    expect(statSync(file).size).toBe(entry.size);
    // Byte for byte the file the library gives (recordings.get).
    const sameBytes = await inPage<boolean>(
      a,
      `const [streamed, stored] = await Promise.all([
         fetch('/agora-recordings/' + encodeURIComponent(arg)).then((r) => r.arrayBuffer()),
         AgoraRTC.recordings.get(arg).then((b) => b.arrayBuffer()),
       ]);
       const digest = async (x) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', x))].join();
       return streamed.byteLength === stored.byteLength && (await digest(streamed)) === (await digest(stored));`,
      entry.id,
    );
    expect(sameBytes).toBe(true);
    const info = probe(file);
    expect(info.format.format_name).toContain('webm');
    const video = info.streams.find((s) => s.codec_type === 'video');
    const audio = info.streams.find((s) => s.codec_type === 'audio');
    expect(video?.codec_name).toMatch(/^vp[89]$/);
    expect(audio?.codec_name).toBe('opus');
    expect(Math.abs(Number(info.format.duration) - recordedS)).toBeLessThan(1);
    expect(frameAt(file, Math.round(recordedS / 2))).toBeGreaterThan(1000);
    decodeAll(file);
    for (const p of [a, b, c]) await p.context().close();
    void uidB;
  });

  test('the browser dies while recording: on the next start the recording is listed, finalised and plays', async () => {
    const channel = 'rec crash';
    const profile = join(dir, 'profile');
    let chrome = await ownBrowser(profile);
    const a = await chrome.page(`${suite.server.url}/test-pages/call.html`);
    const uidA = await joinCall(a, channel);
    const recKey = await fetchKey(a, { channel, uid: uidA, service: 'recording' });
    const startedAt = await inPage<number>(a, 'await client.startRecording(arg); return Date.now();', recKey);
    await new Promise((r) => setTimeout(r, 5000));
    const killedAt = Date.now();
    // SIGKILL: no pagehide, no leave, no last chunk, nothing flushed by the page.
    await chrome.kill();

    chrome = await ownBrowser(profile);
    try {
      const again = await chrome.page(`${suite.server.url}/test-pages/call.html`);
      const list = await inPage<Entry[]>(again, 'return AgoraRTC.recordings.list();');
      expect(list).toHaveLength(1);
      const entry = list[0]!;
      expect(entry).toMatchObject({ channel, uid: uidA, complete: true, endReason: 'interrupted' });
      const recordedS = (killedAt - startedAt) / 1000;
      // At most the chunk in flight (a second) and the one being written are lost.
      expect(entry.durationMs / 1000).toBeGreaterThan(recordedS - 2.5);
      expect(entry.durationMs / 1000).toBeLessThan(recordedS + 0.5);
      const file = await download(again, entry.id, 'crash.webm');
      const info = probe(file);
      expect(info.streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
      expect(Math.abs(Number(info.format.duration) - entry.durationMs / 1000)).toBeLessThan(0.5);
      decodeAll(file);

      await inPage(again, 'await AgoraRTC.recordings.remove(arg);', entry.id);
      expect(await inPage<Entry[]>(again, 'return AgoraRTC.recordings.list();')).toEqual([]);
    } finally {
      await chrome.kill();
    }
  });

  test('wrong keys are 110, stop without start and a second recorder are clear errors, wrong types are TypeErrors', async () => {
    const channel = 'rec errors';
    const a = await suite.user();
    const b = await suite.user();
    const uidA = await joinCall(a, channel);
    const uidB = await joinCall(b, channel);
    const mediaKey = await fetchKey(a, { channel, uid: uidA });
    const otherChannel = await fetchKey(a, { channel: 'elsewhere', uid: uidA, service: 'recording' });
    const start = (p: Page, key: string) =>
      outcome(p, `await T.client.startRecording(${JSON.stringify(key)});`);
    expect(await start(a, 'not a key')).toBe(110);
    expect(await start(a, mediaKey)).toBe(110);
    expect(await start(a, otherChannel)).toBe(110);
    expect(await outcome(a, 'T.client.startRecording(42);')).toBe('TypeError');
    expect(await outcome(a, 'T.client.queryRecordingStatus("x");')).toBe('TypeError');
    // Nothing started: no one was told anything.
    expect(await stateChanges(b)).toEqual([]);

    const keyA = await fetchKey(a, { channel, uid: uidA, service: 'recording' });
    const stopNothing = await inPage<{ code: number; message: string }>(
      a,
      'try { await client.stopRecording(arg); } catch (e) { return { code: e.code, message: e.message }; }',
      keyA,
    );
    expect(stopNothing).toEqual({ code: 3, message: 'Not recording: call startRecording first.' });

    expect(await start(a, keyA)).toBe('ok');
    const keyB = await fetchKey(b, { channel, uid: uidB, service: 'recording' });
    await until(async () => (await stateChanges(b)).length === 1, 5000, 'B hears the start');
    const second = await inPage<{ code: number; message: string }>(
      b,
      'try { await client.startRecording(arg); } catch (e) { return { code: e.code, message: e.message }; }',
      keyB,
    );
    expect(second.code).toBe(19);
    expect(second.message).toContain(`User ${uidA} is already recording`);
    // Stopping someone else's recording, or with another key, is refused; the recording goes on.
    expect(await outcome(b, `await T.client.stopRecording(${JSON.stringify(keyB)});`)).toBe(3);
    expect(await outcome(a, `await T.client.stopRecording(${JSON.stringify(otherChannel)});`)).toBe(110);
    expect(await status(b)).toMatchObject({ status: 1, uid: uidA });

    // The recorder leaving ends its recording for everyone.
    await inPage(a, 'await client.leave();');
    await until(async () => (await stateChanges(b)).length === 2, 5000, 'B hears the end');
    expect((await stateChanges(b))[1]).toEqual({ status: 0, uid: uidA, self: false });
    await until(
      async () => (await inPage<Entry[]>(a, 'return AgoraRTC.recordings.list();')).every((e) => e.complete),
      10_000,
      'the left recording to be finalised',
    );
    for (const p of [a, b]) await p.context().close();
  });

  test('storage running out while recording stops it cleanly: the recorder gets an error, everyone hears the stop, the file is kept and plays', async () => {
    const channel = 'rec quota';
    const a = await suite.user();
    const b = await suite.user();
    const uidA = await joinCall(a, channel);
    await joinCall(b, channel);
    const key = await fetchKey(a, { channel, uid: uidA, service: 'recording' });
    expect(await outcome(a, `await T.client.startRecording(${JSON.stringify(key)});`)).toBe('ok');
    await new Promise((r) => setTimeout(r, 4000));
    // Simulated: the origin's quota shrinks to what it already uses plus 1 MB (another app filled the disk).
    await a.evaluate(() => {
      const real = StorageManager.prototype.estimate;
      StorageManager.prototype.estimate = async function () {
        const e = await real.call(this);
        return { ...e, quota: (e.usage ?? 0) + 1024 * 1024 };
      };
    });
    await until(
      async () => (await events(a)).find((e) => e.ev === 'error' && e.reason === 'RECORDING_STOPPED'),
      10_000,
      'the recorder to stop',
    );
    expect((await events(a)).find((e) => e.reason === 'RECORDING_STOPPED')?.code).toBe(6);
    await until(async () => (await stateChanges(b)).length === 2, 5000, 'B hears the stop');
    expect(await status(a)).toMatchObject({ status: 0 });
    const [entry] = await inPage<Entry[]>(a, 'return AgoraRTC.recordings.list();');
    expect(entry).toMatchObject({ complete: true, endReason: 'storage-full' });
    expect(entry!.durationMs).toBeGreaterThan(2000);
    // Starting again with so little room is refused up front, with the same error.
    expect(await outcome(a, `await T.client.startRecording(${JSON.stringify(key)});`)).toBe(6);
    const file = await download(a, entry!.id, 'quota.webm');
    expect(
      probe(file)
        .streams.map((s) => s.codec_type)
        .sort(),
    ).toEqual(['audio', 'video']);
    decodeAll(file);
    for (const p of [a, b]) await p.context().close();
  });
});

// Firefox records VP8/Opus WebM only (no VP9): a Firefox user records a call with a Chromium user. The file is read
// through AgoraRTC.recordings.get (puppeteer has no download event to wait on) and checked like the others.
describe.runIf(PAIRINGS.includes('mixed'))('recording in Firefox', () => {
  const mixed = crossBrowserSuite('mixed', { server: { policy: apps.policy, routes: apps.routes } });

  test('a Firefox user records a call with a Chromium user: both are told, the file is VP8/Opus WebM of the right length that decodes', async () => {
    const channel = 'rec firefox';
    const a = await mixed.user(); // Firefox
    const b = await mixed.user(); // Chromium
    const uidA = await joinCall(a, channel);
    const uidB = await joinCall(b, channel);
    await until(
      () =>
        a.evaluate(
          (u) => (document.querySelector(`#remote-${u} video`) as HTMLVideoElement | null)?.videoWidth,
          uidB,
        ),
      20_000,
      'Firefox decodes Chromium',
    );
    const recKey = await fetchKey(a, { channel, uid: uidA, service: 'recording' });
    const startedAt = await inPage<number>(a, 'await client.startRecording(arg); return Date.now();', recKey);
    await until(async () => (await stateChanges(b)).length === 1, 5000, 'Chromium hears the start');
    await new Promise((r) => setTimeout(r, Math.max(0, startedAt + 6_000 - Date.now())));
    const { entry, stoppedAt } = await inPage<{ entry: Entry; stoppedAt: number }>(
      a,
      'const stoppedAt = Date.now(); const entry = await client.stopRecording(arg); return { entry, stoppedAt };',
      recKey,
    );
    const recordedS = (stoppedAt - startedAt) / 1000;
    await until(async () => (await stateChanges(b)).length === 2, 5000, 'Chromium hears the stop');
    expect(await stateChanges(b)).toEqual([
      { status: 1, uid: uidA, self: false },
      { status: 0, uid: uidA, self: false },
    ]);
    expect(entry).toMatchObject({
      channel,
      uid: uidA,
      complete: true,
      mimeType: 'video/webm;codecs=vp8,opus',
    });
    // Firefox's encoder starts later than Chromium's on a loaded machine: a second and a half either way.
    expect(Math.abs(entry.durationMs / 1000 - recordedS)).toBeLessThan(1.5);

    const base64 = await inPage<string>(
      a,
      `const bytes = new Uint8Array(await (await AgoraRTC.recordings.get(arg)).arrayBuffer());
       let s = '';
       for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
       return btoa(s);`,
      entry.id,
    );
    const file = join(dir, 'firefox.webm');
    writeFileSync(file, Buffer.from(base64, 'base64'));
    expect(statSync(file).size).toBe(entry.size);
    const info = probe(file);
    expect(info.format.format_name).toContain('webm');
    expect(info.streams.find((s) => s.codec_type === 'video')?.codec_name).toBe('vp8');
    expect(info.streams.find((s) => s.codec_type === 'audio')?.codec_name).toBe('opus');
    expect(Math.abs(Number(info.format.duration) - recordedS)).toBeLessThan(1.5);
    expect(frameAt(file, Math.round(recordedS / 2))).toBeGreaterThan(1000);
    decodeAll(file);
    await Promise.all([a.close(), b.close()]);
  });
});
