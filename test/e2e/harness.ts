// What every browser test needs: our real server (in-process, or as a child process that a test may kill) and
// Debian's Chromium with fake camera, microphone and screen. Pages are served by the test server itself, never
// by a Playwright route (Chromium blocks routed pages from reaching localhost).
import { SIGNAL_PATH } from '../../src/protocol/messages.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chromium, type Browser, type Page } from 'playwright-core';
import puppeteer, { type Browser as FirefoxBrowser } from 'puppeteer-core';
import { startServer, type RunningServer, type ServerOptions } from '../../server/app.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const FIREFOX = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

export type BrowserName = 'chromium' | 'firefox';
/** The browsers of a suite's users: all of one kind, or Firefox and Chromium in turn ('mixed'). */
export type Pairing = BrowserName | 'mixed';

/**
 * The pairings a cross-browser test runs in. `AGORA_BROWSERS=chromium` (or `firefox`, `mixed`, comma-separated)
 * narrows the run, e.g. for a Firefox-only run or on a machine without Firefox.
 */
export const PAIRINGS: Pairing[] = (process.env.AGORA_BROWSERS ?? 'chromium,firefox,mixed')
  .split(',')
  .map((s) => s.trim())
  .filter((s): s is Pairing => ['chromium', 'firefox', 'mixed'].includes(s));

/** One user's page in either browser, with what the cross-browser tests ask of it. */
export interface UserPage {
  readonly browserName: BrowserName;
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  evaluate<R>(fn: () => R | Promise<R>): Promise<R>;
  /** Closes the page with its own browser context (as a user closing the window). */
  close(): Promise<void>;
}

/** Something whose page functions can be evaluated: a Playwright page or a UserPage. */
export type Evaluator = Page | UserPage;

/** Runs `fn(arg)` in the page, whichever browser it is in. */
export function run<R, A>(page: Evaluator, fn: (arg: A) => R | Promise<R>, arg: A): Promise<R> {
  return 'browserName' in page
    ? page.evaluate(fn, arg)
    : ((page as Page).evaluate(fn as never, arg) as Promise<R>);
}

/** A well-formed App ID for tests (static-key mode). */
export const APP_ID = '0123456789abcdef0123456789abcdef';
export const OTHER_APP_ID = 'fedcba9876543210fedcba9876543210';

/** Chromium with CHROMIUM_ARGS; a switch in `extraArgs` replaces the default of the same name. */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  const name = (arg: string) => arg.split('=')[0];
  const replaced = new Set(extraArgs.map(name));
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS.filter((a) => !replaced.has(name(a))), ...extraArgs],
  });
}

/** The flags every test browser gets: fake devices, no sandbox or GPU, no throttling of background pages. */
export const CHROMIUM_ARGS = [
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--auto-select-desktop-capture-source=Entire screen',
  '--autoplay-policy=no-user-gesture-required',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // Pages in the background still get timers and frames: several users share one browser here.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

/**
 * Debian's Firefox ESR, driven over WebDriver BiDi (Playwright cannot drive stock Firefox), with fake camera and
 * microphone and no permission prompts. Firefox gathers ICE candidates only with a default route, which the test
 * run's namespace has (scripts/netns.mjs). `display`: run with a window on that X display instead of headless
 * (Firefox captures a screen only when not headless).
 */
export async function launchFirefox(
  display?: string,
  /** More prefs (they win over these) and environment, e.g. real devices of a test's own sound server. */
  extra: { prefs?: Record<string, unknown>; env?: Record<string, string> } = {},
): Promise<FirefoxBrowser> {
  const env = { ...(display ? { DISPLAY: display } : {}), ...extra.env };
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: !display,
    ...(Object.keys(env).length ? { env: { ...process.env, ...env } } : {}),
    extraPrefsFirefox: {
      'media.navigator.streams.fake': true,
      'media.navigator.permission.disabled': true,
      'media.autoplay.default': 0,
      'media.peerconnection.ice.obfuscate_host_addresses': false,
      'media.autoplay.block-webaudio': false,
      // Each user here is a tab of one window, so most are never focused; a user's own window would be, and
      // Firefox holds enumerateDevices back until the document has focus.
      'media.devices.unfocused.enabled': true,
      // Several users share one Firefox here, each a tab: background tabs keep full-rate timers and frames.
      'dom.min_background_timeout_value': 4,
      'dom.timeout.enable_budget_timer_throttling': false,
      'layout.throttled_frame_rate': 60,
      ...extra.prefs,
    },
  });
}

/** A user page of the test server in its own browser context, in Chromium or Firefox. */
export async function openUser(browser: Browser | FirefoxBrowser, url: string): Promise<UserPage> {
  if ('newContext' in browser) {
    const page = await openPage(browser, url);
    return {
      browserName: 'chromium',
      evaluate: (fn: (arg: unknown) => unknown, arg?: unknown) => page.evaluate(fn as never, arg),
      close: () => page.context().close(),
    } as UserPage;
  }
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('[page error]', (e as Error).message));
  await page.goto(url);
  return {
    browserName: 'firefox',
    evaluate: (fn: (arg: unknown) => unknown, arg?: unknown) => page.evaluate(fn, arg),
    close: () => context.close(),
  } as UserPage;
}

export async function serve(options: ServerOptions = {}): Promise<RunningServer> {
  return startServer({ port: 0, host: '127.0.0.1', quiet: true, ...options });
}

/** The server as its own process (`node dist/node/server/main.js`), for tests that kill and restart it. */
export class ServerProcess {
  child: ChildProcess | undefined;
  constructor(
    readonly port: number,
    readonly env: Record<string, string> = {},
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Its signaling WebSocket, for `createRtcClient({ signalingUrl })`. */
  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}${SIGNAL_PATH}`;
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, ['dist/node/server/main.js'], {
      env: { ...process.env, PORT: String(this.port), HOST: '127.0.0.1', ...this.env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.child = child;
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('http://')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
    });
  }

  /** SIGTERM: the server drains (members told to reconnect elsewhere) and exits; resolves with its exit code. */
  async terminate(): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null) return child?.exitCode ?? null;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    this.child = undefined;
    return code;
  }

  /** SIGKILL: the server vanishes as in a crash; the OS closes its sockets. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    child.kill('SIGKILL');
    await once(child, 'exit');
    this.child = undefined;
  }
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  srv.close();
  await once(srv, 'close');
  return port;
}

/** Open a page of the test server and wait until the SDK global is there. */
export async function openPage(browser: Browser, url: string): Promise<Page> {
  const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('[page error]', e.message));
  await page.goto(url);
  return page;
}

/**
 * Counts decoded frames of the first <video> inside `#<elementId>` for `ms` milliseconds, with its size: what a
 * user would see. Uses requestVideoFrameCallback, falling back to currentTime progress.
 */
export async function videoFrames(
  page: Evaluator,
  selector: string,
  ms = 1500,
  /** How long to wait for a first decoded frame; shorter where none is expected. */
  waitMs = 15_000,
): Promise<{ width: number; height: number; frames: number; advanced: boolean }> {
  return run(
    page,
    async ({ selector, ms, waitMs }) => {
      const deadline = Date.now() + waitMs;
      let v: HTMLVideoElement | null = null;
      while (Date.now() < deadline) {
        v = document.querySelector(selector);
        if (v && v.videoWidth > 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      if (!v) return { width: 0, height: 0, frames: 0, advanced: false };
      const video = v;
      let frames = 0;
      const t0 = video.currentTime;
      const tick = () => {
        frames++;
        video.requestVideoFrameCallback(tick);
      };
      video.requestVideoFrameCallback(tick);
      await new Promise((r) => setTimeout(r, ms));
      return { width: video.videoWidth, height: video.videoHeight, frames, advanced: video.currentTime > t0 };
    },
    { selector, ms, waitMs },
  );
}

/**
 * Peak level (0..1) of the audio of the media in the first <video>/<audio> matching `selector` over `ms`, as an
 * AnalyserNode hears it. Headless Firefox has no audio output here, so its AudioContext never runs: there the
 * level is the one the browser's decoder reports for that track (inbound-rtp audioLevel, or the RMS from its
 * totalAudioEnergy), read from the SDK's transport stats of the page's `window.T.client`.
 */
export async function audioPeak(page: Evaluator, selector: string, ms = 2000): Promise<number> {
  return run(
    page,
    async ({ selector, ms }) => {
      const el = document.querySelector(selector) as HTMLMediaElement | null;
      const stream = el?.srcObject as MediaStream | null;
      const track = stream?.getAudioTracks()[0];
      if (!track) return -1;
      const sleep = (t: number) => new Promise((r) => setTimeout(r, t));
      const ctx = new AudioContext();
      await Promise.race([ctx.resume(), sleep(1000)]);
      let peak = 0;
      const end = Date.now() + ms;
      if (ctx.state === 'running') {
        const src = ctx.createMediaStreamSource(new MediaStream([track]));
        const an = ctx.createAnalyser();
        an.fftSize = 2048;
        src.connect(an);
        const buf = new Float32Array(an.fftSize);
        while (Date.now() < end) {
          an.getFloatTimeDomainData(buf);
          for (const x of buf) peak = Math.max(peak, Math.abs(x));
          await sleep(50);
        }
      } else {
        type Transport = { stats(): Promise<Map<number, RTCStatsReport>> };
        const transport = (window as unknown as { T?: { client?: { transport?: Transport } } }).T?.client
          ?.transport;
        if (!transport) return -1;
        let last: { energy: number; duration: number } | undefined;
        while (Date.now() < end) {
          for (const report of (await transport.stats()).values()) {
            report.forEach((r: Record<string, unknown>) => {
              if (r.type !== 'inbound-rtp' || r.kind !== 'audio' || r.trackIdentifier !== track.id) return;
              peak = Math.max(peak, (r.audioLevel as number | undefined) ?? 0);
              const now = {
                energy: (r.totalAudioEnergy as number) ?? 0,
                duration: (r.totalSamplesDuration as number) ?? 0,
              };
              if (last && now.duration > last.duration)
                peak = Math.max(peak, Math.sqrt((now.energy - last.energy) / (now.duration - last.duration)));
              last = now;
            });
          }
          await sleep(250);
        }
      }
      await ctx.close();
      return peak;
    },
    { selector, ms },
  );
}

/** Poll `fn` until it returns a truthy value (or throw after `ms`). */
export async function until<T>(fn: () => Promise<T> | T, ms = 15_000, what = 'condition'): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
