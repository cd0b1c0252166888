// <agora-call> as a site uses it: one element per page, real Chromium, the real server. What is asserted is what
// a person sees: decoding video in the other's tile, names, marks, layouts, banners, labels.
import { describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { until } from './harness.js';
import { browserSuite } from './setup.js';
import { configureApps, DEMO_KEYED_APP_ID } from '../../server/demo-keys.js';
import {
  SHOTS,
  axeViolations,
  callAttrs,
  callPage,
  myUid,
  remoteUids,
  tileFrames,
} from './components-helpers.js';

const suite = browserSuite();
const page = (attrs: Record<string, string | true>, viewport?: { width: number; height: number }) =>
  callPage(suite.browser, suite.server.url, attrs, viewport);
const tile = (p: Page, uid: number) => p.locator(`.tile[data-uid="${uid}"]`);

describe('<agora-call>', () => {
  test('two autojoin pages see each other: video and name; mute mark, camera placeholder, spotlight for a shared screen, leave removes the tile', async () => {
    const a = await page(callAttrs('two pages', 'Ada Lovelace', { autojoin: true }));
    const b = await page(callAttrs('two pages', '<b>Grace</b>', { autojoin: true }));
    await until(
      async () => (await remoteUids(a)).length === 1 && (await remoteUids(b)).length === 1,
      20_000,
      'both tiles',
    );
    const [uidA, uidB] = [await myUid(a), await myUid(b)];
    expect(await remoteUids(a)).toEqual([uidB]);

    const seenByB = await tileFrames(b, uidA);
    expect(seenByB.width).toBeGreaterThan(0);
    expect(seenByB.frames).toBeGreaterThan(3);
    expect((await tileFrames(a, uidB)).frames).toBeGreaterThan(3);
    // Names as text, never markup.
    await expect.poll(() => tile(b, uidA).locator('.label').textContent()).toBe('Ada Lovelace');
    expect(await tile(a, uidB).locator('.label').textContent()).toBe('<b>Grace</b>');
    expect(await tile(a, uidB).locator('b').count()).toBe(0);
    await b.screenshot({ path: `${SHOTS}/call-2-1280.png` });

    // Microphone off on A: B sees the muted mark.
    await a.locator('[data-control="microphone"]').click();
    await until(() => tile(b, uidA).locator('[data-mark="muted"]').count(), 10_000, 'muted mark on B');
    await a.locator('[data-control="microphone"]').click();
    await until(
      async () => (await tile(b, uidA).locator('[data-mark="muted"]').count()) === 0,
      10_000,
      'mark gone',
    );

    // Camera off on A: B shows the initials placeholder, not a frozen frame.
    await a.locator('[data-control="camera"]').click();
    await until(
      async () => (await tile(b, uidA).getAttribute('data-video')) === 'off',
      10_000,
      'placeholder on B',
    );
    expect(await tile(b, uidA).locator('.avatar').textContent()).toContain('AL');
    expect(await tile(b, uidA).locator('agora-video').isVisible()).toBe(false);
    await b.screenshot({ path: `${SHOTS}/call-2-camera-off.png` });
    await a.locator('[data-control="camera"]').click();
    await until(
      async () => (await tile(b, uidA).getAttribute('data-video')) === 'on',
      10_000,
      'video back on B',
    );
    expect((await tileFrames(b, uidA)).frames).toBeGreaterThan(3);

    // A shares the screen: B switches to the spotlight layout with A's screen large.
    await a.locator('[data-control="screen"]').click();
    await until(
      async () => (await tile(b, uidA).getAttribute('class'))?.includes('spot'),
      15_000,
      'spotlight on B',
    );
    const big = (await tile(b, uidA).boundingBox())!;
    const small = (await tile(b, uidB).boundingBox())!;
    expect(big.width * big.height).toBeGreaterThan(4 * small.width * small.height);
    expect((await tileFrames(b, uidA)).width).toBe(1280); // the fake screen, not the 320×240 camera
    await b.screenshot({ path: `${SHOTS}/call-2-spotlight.png` });
    await a.locator('[data-control="screen"]').click();
    await until(
      async () => !(await tile(b, uidA).getAttribute('class'))?.includes('spot'),
      15_000,
      'grid again',
    );

    // A leaves: the tile goes away on B; A sees the rejoin screen.
    await a.locator('[data-control="leave"]').click();
    await until(async () => (await remoteUids(b)).length === 0, 10_000, 'tile removed on B');
    // Screen readers hear it, politely.
    expect(await b.locator('[role="status"][aria-live="polite"]').textContent()).toContain(
      'Ada Lovelace left',
    );
    expect(await a.locator('[data-action="rejoin"]').isVisible()).toBe(true);
    await a.context().close();
    await b.context().close();
  });

  test('pre-join: nothing is captured before the user agrees; the microphone chosen there is the one the call uses; no serious accessibility violation in pre-join or call', async () => {
    const p = await page(callAttrs('prejoin room', 'Ada', { lang: 'en' }));
    await p.locator('[data-action="allow"]').waitFor();
    expect(await p.evaluate(() => document.querySelector('agora-call')!.localStream)).toBeNull();
    expect(await p.locator('.preview agora-video').count()).toBe(0);
    expect(await axeViolations(p)).toEqual([]);

    await p.locator('[data-action="allow"]').click();
    await p.locator('select[data-kind="audioinput"]').waitFor();
    const mics = await p
      .locator('select[data-kind="audioinput"] option')
      .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(mics.length).toBeGreaterThan(1);
    const chosen = mics[mics.length - 1]!;
    await p.locator('select[data-kind="audioinput"]').selectOption(chosen);
    await p.waitForTimeout(300);
    await p.screenshot({ path: `${SHOTS}/prejoin-1280.png` });
    expect(await axeViolations(p)).toEqual([]);

    await p.locator('button[type="submit"]').click();
    await until(
      () => p.evaluate(() => document.querySelector('agora-call')!.callState === 'connected'),
      15_000,
      'joined',
    );
    const used = await p.evaluate(async () => {
      const video = document
        .querySelector('agora-call')!
        .shadowRoot!.querySelector('.tile[data-local="true"] agora-video')!
        .shadowRoot!.querySelector('video')!;
      return (video.srcObject as MediaStream).getAudioTracks()[0]!.getSettings().deviceId;
    });
    expect(used).toBe(chosen);
    expect(await axeViolations(p)).toEqual([]);
    await p.context().close();
  });

  test('keyboard only: Tab reaches the controls with a visible focus ring, Space toggles the microphone, Escape closes the settings menu', async () => {
    const p = await page(callAttrs('keyboard', 'Ada', { autojoin: true, lang: 'en' }));
    await until(
      () => p.evaluate(() => document.querySelector('agora-call')!.callState === 'connected'),
      15_000,
      'joined',
    );
    const focused = () =>
      p.evaluate(() => {
        const el = document.querySelector('agora-call')!.shadowRoot!.activeElement as HTMLElement | null;
        return el ? { control: el.dataset.control ?? '', outline: getComputedStyle(el).outlineStyle } : null;
      });
    let seen = '';
    for (let i = 0; i < 10 && seen !== 'microphone'; i++) {
      await p.keyboard.press('Tab');
      seen = (await focused())?.control ?? '';
    }
    expect(seen).toBe('microphone');
    expect((await focused())!.outline).toBe('solid');
    await p.keyboard.press('Space');
    await expect
      .poll(() => p.locator('[data-control="microphone"]').getAttribute('aria-label'))
      .toBe('Unmute microphone');
    for (let i = 0; i < 10 && seen !== 'devices'; i++) {
      await p.keyboard.press('Tab');
      seen = (await focused())?.control ?? '';
    }
    await p.keyboard.press('Enter');
    await p.locator('.menu[role="dialog"]').waitFor();
    // On a phone the menu stays on screen, though its button sits off centre.
    await p.setViewportSize({ width: 390, height: 844 });
    const menu = (await p.locator('.menu[role="dialog"]').boundingBox())!;
    expect(menu.x).toBeGreaterThan(0);
    expect(menu.x + menu.width).toBeLessThan(390);
    await p.screenshot({ path: `${SHOTS}/settings-390.png` });
    await p.keyboard.press('Escape');
    await p.locator('.menu[role="dialog"]').waitFor({ state: 'detached' });
    expect((await focused())?.control).toBe('devices');
    await p.context().close();
  });

  test('network quality: every tile gets its mark once scored, and the statistics panel shows what flows', async () => {
    const a = await page(callAttrs('quality marks', 'Ada', { autojoin: true, lang: 'en' }));
    const b = await page(callAttrs('quality marks', 'Grace', { autojoin: true, lang: 'en' }));
    await until(async () => (await remoteUids(a)).length === 1, 20_000, 'B on A');
    const uidB = (await remoteUids(a))[0]!;
    // A clean loopback call scores excellent or good (1-2) on the scale of docs/quality.md.
    const mark = a.locator(`.tile[data-uid="${uidB}"] [data-mark="network"]`);
    await mark.waitFor({ timeout: 20_000 });
    expect(Number(await mark.getAttribute('data-score'))).toBeLessThanOrEqual(2);
    expect(await mark.getAttribute('title')).toMatch(/^Network: (excellent|good)$/);
    await a.locator('.tile[data-local="true"] [data-mark="network"]').waitFor({ timeout: 20_000 });

    await a.locator('[data-control="stats"]').click();
    const panel = a.locator('.stats[role="region"]');
    await panel.waitFor();
    // The row of B: a received bitrate, a frame rate and the 240P size (320×240).
    const row = panel.locator('tbody tr').filter({ hasText: 'Grace' });
    await expect
      .poll(async () => (await row.locator('td').allInnerTexts()).slice(0, 3), { timeout: 10_000 })
      .toEqual([expect.stringMatching(/^[1-9]/), expect.stringMatching(/^[1-9]/), '320×240']);
    // Its styles come with it (agora-components-extras.js): a card above the bar, inside the page.
    const box = (await panel.boundingBox())!;
    const button = (await a.locator('[data-control="stats"]').boundingBox())!;
    expect(box.y + box.height).toBeLessThanOrEqual(button.y);
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(a.viewportSize()!.width);
    await a.screenshot({ path: `${SHOTS}/stats-1280.png` });
    // On a phone too, though the button sits off centre.
    await a.setViewportSize({ width: 390, height: 844 });
    await a.screenshot({ path: `${SHOTS}/stats-390.png` });
    const phone = (await panel.boundingBox())!;
    expect(phone.x).toBeGreaterThan(0);
    expect(phone.x + phone.width).toBeLessThan(390);
    expect(await axeViolations(a)).toEqual([]);
    await a.locator('[data-control="stats"]').click();
    expect(await panel.count()).toBe(0);
    await Promise.all([a.context().close(), b.context().close()]);
  });

  test('a browser without WebRTC: the element says so and links the fallback page naming what is missing, not a call UI', async () => {
    const context = await suite.browser.newContext();
    await context.addInitScript(() => {
      const w = window as unknown as Record<string, unknown>;
      delete w.RTCPeerConnection;
      delete w.webkitRTCPeerConnection;
    });
    const p = await context.newPage();
    await p.goto(`${suite.server.url}/test-pages/components.html`);
    const errors: string[] = [];
    p.on('pageerror', (e) => errors.push(e.message));
    await p.evaluate(
      async (attrs) => {
        await customElements.whenDefined('agora-call');
        const el = document.createElement('agora-call');
        el.addEventListener(
          'agora-error',
          (e) => ((window as unknown as { err: unknown }).err = (e as CustomEvent).detail),
        );
        for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
        document.body.append(el);
      },
      callAttrs('unsupported', 'Ada', { lang: 'en' }),
    );
    const view = p.locator('[data-view="unsupported"]');
    await view.waitFor();
    expect(await view.innerText()).toMatch(/cannot make calls/);
    const href = await view.locator('a').getAttribute('href');
    expect(new URL(href!).pathname).toBe('/agora-fallback.html');
    expect(new URL(href!).searchParams.get('missing')).toContain('peerConnection');
    expect(await p.locator('[data-action="allow"], .controls').count()).toBe(0);
    expect(await p.evaluate(() => (window as unknown as { err: { code: number } }).err.code)).toBe(4);
    // The link leads to a page that renders and names the missing feature.
    await p.goto(href!);
    expect(await p.locator('body').innerText()).toMatch(/RTCPeerConnection/);
    expect(errors).toEqual([]);
    await context.close();
  });

  test('lang="zh" shows Chinese labels, lang="en" English, and switching the attribute relabels at once', async () => {
    const p = await page(callAttrs('lang room', '', { lang: 'zh' }));
    await expect.poll(() => p.locator('button[type="submit"]').textContent()).toContain('加入通话');
    expect(await p.locator('[data-action="allow"]').textContent()).toContain('使用摄像头和麦克风');
    expect(await p.locator('label.field').textContent()).toContain('你的名字');
    await p.evaluate(() => document.querySelector('agora-call')!.setAttribute('lang', 'en'));
    await expect.poll(() => p.locator('button[type="submit"]').textContent()).toContain('Join call');
    expect(await p.locator('label.field').textContent()).toContain('Your name');
    await p.context().close();
  });

  test('two copies of the components bundle on one page do not throw, and the element still works', async () => {
    const p = await page(callAttrs('copies', 'Ada', { lang: 'en' }));
    const errors: string[] = [];
    p.on('pageerror', (e) => errors.push(e.message));
    // A string, so the test runner does not rewrite the page's own import().
    const second = await p.evaluate(
      "import('/sdk/agora-components.js?copy=2').then(() => 'loaded', (e) => String(e))",
    );
    expect(second).toBe('loaded');
    await p.evaluate(() => document.body.append(document.createElement('agora-call')));
    await until(
      () =>
        p
          .locator('button[type="submit"]')
          .count()
          .then((n) => n === 2),
      5_000,
      'both elements render',
    );
    expect(errors).toEqual([]);
    await p.context().close();
  });
});

describe('<agora-call> recording (a keyed app whose key-url also makes Recording Keys)', () => {
  const apps = configureApps({ AGORA_DEMO_KEYS: '1' }, null);
  const keyed = browserSuite([], { policy: apps.policy, routes: apps.routes });
  const open = (name: string) =>
    callPage(keyed.browser, keyed.server.url, {
      ...callAttrs('recorded room', name, { autojoin: true, lang: 'en' }),
      'app-id': DEMO_KEYED_APP_ID,
      'key-url': '/api/channel-key',
    });
  const mark = (p: Page) => p.locator('[data-mark="recording"]');

  test('record starts a recording everyone sees with its running time; the others cannot start a second; stop ends it and keeps the file', async () => {
    const a = await open('Ada');
    const b = await open('Grace');
    await until(async () => (await remoteUids(a)).length === 1, 20_000, 'both in the call');
    await a.locator('[data-control="record"]').click();
    await mark(a).waitFor({ timeout: 15_000 });
    await mark(b).waitFor({ timeout: 15_000 });
    expect(await mark(b).innerText()).toMatch(/^Recording 0:0\d$/);
    // The mark's styles come with it: the red pill, whatever the theme.
    expect(await mark(b).evaluate((m) => getComputedStyle(m).backgroundColor)).toBe('rgb(179, 38, 30)');
    await expect.poll(() => mark(b).innerText(), { timeout: 5000 }).toMatch(/^Recording 0:0[2-9]$/);
    expect(await b.locator('[data-control="record"]').isDisabled()).toBe(true);
    expect(await a.locator('[data-control="record"]').getAttribute('aria-pressed')).toBe('true');

    await a.locator('[data-control="record"]').click();
    await expect.poll(() => mark(b).count(), { timeout: 15_000 }).toBe(0);
    await expect.poll(() => mark(a).count(), { timeout: 15_000 }).toBe(0);
    // The element's SDK is the page's one module instance of /sdk/agora-rtc.js.
    const list = () =>
      a.evaluate(async () => {
        // (an import() written here would be rewritten by the test runner's transform)
        const load = new Function('u', 'return import(u)') as (u: string) => Promise<unknown>;
        const { default: AgoraRTC } = (await load('/sdk/agora-rtc.js')) as {
          default: {
            recordings: {
              list(): Promise<Array<{ channel: string; complete: boolean; durationMs: number }>>;
            };
          };
        };
        return AgoraRTC.recordings.list();
      });
    // The file is finalised (duration and cues) right after the stop.
    await expect
      .poll(list, { timeout: 15_000 })
      .toEqual([expect.objectContaining({ channel: 'recorded room', complete: true })]);
    const stored = await list();
    // Recorded for 2 s or more by the mark; on a loaded machine the encoder may start up to a second late.
    expect(stored[0]!.durationMs).toBeGreaterThan(1000);
    await Promise.all([a.context().close(), b.context().close()]);
  });
});
