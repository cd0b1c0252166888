// <agora-call> under the settings a site or a browser brings: sound blocked by the autoplay policy, an encrypted
// call from attributes, a key-url whose first key is about to expire, reduced motion and light/dark schemes.
import { describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { until } from './harness.js';
import { browserSuite } from './setup.js';
import { configureApps, DEMO_KEYED_APP_ID } from '../../server/demo-keys.js';
import { callAttrs, callPage, myUid, remoteUids, tileFrames } from './components-helpers.js';

/** The remote tile's <video> as a person would notice it: is it playing, and with sound? */
const remoteVideo = (p: Page, uid: number) =>
  p.evaluate((uid) => {
    const v = document
      .querySelector('agora-call')
      ?.shadowRoot?.querySelector(`.tile[data-uid="${uid}"] agora-video`)
      ?.shadowRoot?.querySelector('video');
    return v ? { playing: !v.paused, muted: v.muted } : null;
  }, uid);

describe('<agora-call> where the browser blocks sound until the user interacts', () => {
  // Replaces the suite's default (no gesture required).
  const suite = browserSuite(['--autoplay-policy=document-user-activation-required']);

  test('the remote video plays muted, "click to enable sound" appears, and a click gives the sound', async () => {
    const a = await callPage(
      suite.browser,
      suite.server.url,
      callAttrs('blocked sound', 'Ada', { autojoin: true, lang: 'en' }),
    );
    // B's element comes from the page's own script, and B reports the block on its console: Playwright's
    // evaluate counts as a user gesture, which would lift the block, so nothing touches B's page before.
    const context = await suite.browser.newContext();
    const attrsB = callAttrs('blocked sound', 'Grace', {
      autojoin: true,
      lang: 'en',
      // A viewer that captures nothing: nothing on the page but the call's sound itself.
      'no-camera': true,
      'no-microphone': true,
    });
    // A string, so the test runner's transform cannot add helpers the page lacks.
    await context.addInitScript(`addEventListener('DOMContentLoaded', () => {
      const el = document.createElement('agora-call');
      for (const [k, v] of Object.entries(${JSON.stringify(attrsB)})) el.setAttribute(k, v === true ? '' : v);
      el.addEventListener('agora-autoplay-blocked', () => console.log('agora-autoplay-blocked'));
      document.body.append(el);
    });`);
    const b = await context.newPage();
    const blocked = b.waitForEvent('console', {
      predicate: (m) => m.text() === 'agora-autoplay-blocked',
      timeout: 30_000,
    });
    await b.goto(`${suite.server.url}/test-pages/components.html`);
    await blocked;
    const button = b.locator('[data-banner="sound"]');
    await button.waitFor({ timeout: 5000 });
    expect(await button.innerText()).toMatch(/sound/i);
    const uidA = await myUid(a);
    expect(await b.locator(`.tile[data-uid="${uidA}"]`).count()).toBe(1);
    expect(await remoteVideo(b, uidA)).toEqual({ playing: true, muted: true });
    expect((await tileFrames(b, uidA, 1000)).frames).toBeGreaterThan(3);

    await button.click();
    await expect.poll(() => button.count(), { timeout: 5000 }).toBe(0);
    expect(await remoteVideo(b, uidA)).toEqual({ playing: true, muted: false });
    await Promise.all([a.context().close(), context.close()]);
  });
});

describe('<agora-call> attributes', () => {
  const suite = browserSuite();
  const open = (name: string, extra: Record<string, string | true>) =>
    callPage(
      suite.browser,
      suite.server.url,
      callAttrs('secret room', name, { autojoin: true, lang: 'en', ...extra }),
    );

  test('encryption-secret and encryption-mode: the same secret decodes; another secret shows no picture', async () => {
    const a = await open('Ada', { 'encryption-secret': 'the secret', 'encryption-mode': 'aes-256-gcm' });
    const b = await open('Grace', { 'encryption-secret': 'the secret', 'encryption-mode': 'aes-256-gcm' });
    const c = await open('Eve', { 'encryption-secret': 'a guess', 'encryption-mode': 'aes-256-gcm' });
    await until(async () => (await remoteUids(c)).length === 2, 20_000, 'C has both tiles');
    const [uidA, uidB] = [await myUid(a), await myUid(b)];
    expect((await tileFrames(b, uidA)).frames).toBeGreaterThan(5);
    expect((await tileFrames(a, uidB)).frames).toBeGreaterThan(5);
    // C is in the call (tiles, names) but decodes nothing of theirs.
    const seen = await c.evaluate(
      async (uids) => {
        await new Promise((r) => setTimeout(r, 3000));
        return uids.map((uid) => {
          const v = document
            .querySelector('agora-call')
            ?.shadowRoot?.querySelector(`.tile[data-uid="${uid}"] agora-video`)
            ?.shadowRoot?.querySelector('video');
          return v?.videoWidth ?? 0;
        });
      },
      [uidA, uidB],
    );
    expect(seen).toEqual([0, 0]);
    await Promise.all([a, b, c].map((p) => p.context().close()));
  });

  test('an unknown encryption-mode: an error banner with its code, agora-error saying what is wrong, no call', async () => {
    const a = await suite.browser
      .newContext({ permissions: ['camera', 'microphone'] })
      .then((c) => c.newPage());
    await a.goto(`${suite.server.url}/test-pages/components.html`);
    const detail = a.evaluate(
      (attrs) =>
        new Promise<{ code: number; name: string; message: string }>((resolve) => {
          void customElements.whenDefined('agora-call').then(() => {
            const el = document.createElement('agora-call');
            for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, typeof v === 'string' ? v : '');
            el.addEventListener('agora-error', (e) => resolve((e as CustomEvent).detail));
            document.body.append(el);
          });
        }),
      callAttrs('secret room', 'Ada', {
        autojoin: true,
        lang: 'en',
        'encryption-secret': 'the secret',
        'encryption-mode': 'rot13',
      }),
    );
    expect(await detail).toMatchObject({ code: 2, name: 'ERR_INVALID_ARGUMENT' });
    expect((await detail).message).toMatch(/rot13/);
    const banner = a.locator('[data-banner="error"]');
    await banner.waitFor({ timeout: 15_000 });
    expect(await banner.innerText()).toMatch(/Error code 2/);
    expect(await a.locator('.tile').count()).toBe(0);
    // Never in the call: the view says the join failed, not that the user left.
    expect(await a.locator('.left-msg').innerText()).toBe('Could not join the call.');
    expect(await a.locator('[data-action="rejoin"]').innerText()).toBe('Try again');
    await a.context().close();
  });

  test("prefers-reduced-motion: tiles' speaking highlight and the controls do not animate; prefers-color-scheme picks the light or dark theme", async () => {
    const a = await open('Ada', {});
    await until(async () => (await a.locator('.tile').count()) === 1, 20_000, 'in the call');
    // The tiles' boxes never animate (that held a newcomer's first frame); their speaking highlight and the
    // controls' colours do, unless reduced motion is asked for.
    const motion = () =>
      a
        .locator('.tile')
        .first()
        .evaluate((tile) => {
          const control = (tile.getRootNode() as ShadowRoot).querySelector('.control')!;
          return [getComputedStyle(tile, '::after'), getComputedStyle(control)]
            .map((s) => s.transitionDuration)
            .join(', ');
        });
    const background = () => a.locator('agora-call').evaluate((el) => getComputedStyle(el).backgroundColor);
    await a.emulateMedia({ reducedMotion: 'no-preference', colorScheme: 'dark' });
    expect(await motion()).toBe('0.15s, 0.12s');
    const dark = await background();
    await a.emulateMedia({ reducedMotion: 'reduce', colorScheme: 'light' });
    expect((await motion()).split(', ').every((d) => d === '0s')).toBe(true);
    const light = await background();
    expect(light).not.toBe(dark);
    // Light is lighter: compare the sum of the RGB channels.
    const sum = (c: string) => (c.match(/\d+/g) ?? []).slice(0, 3).reduce((s, n) => s + Number(n), 0);
    expect(sum(light)).toBeGreaterThan(sum(dark));
    await a.context().close();
  });
});

describe('<agora-call> key-url renewal (a keyed app)', () => {
  const apps = configureApps({ AGORA_DEMO_KEYS: '1' }, null);
  const suite = browserSuite([], { policy: apps.policy, routes: apps.routes });

  test('the first key from key-url ends in 20 s: the element fetches a new one when warned, and the call goes on past the expiry', async () => {
    const b = await callPage(suite.browser, suite.server.url, {
      ...callAttrs('renewed room', 'Grace', { autojoin: true, lang: 'en' }),
      'app-id': DEMO_KEYED_APP_ID,
      'key-url': '/api/channel-key',
    });
    await until(async () => (await b.locator('.tile').count()) === 1, 20_000, 'B in the call');
    // A's site hands out a short first key (its key server's choice); later keys are the default hour.
    const context = await suite.browser.newContext({ permissions: ['camera', 'microphone'] });
    let requests = 0;
    let firstExpiry = 0;
    await context.route('**/api/channel-key', async (route) => {
      requests++;
      if (requests > 1) return route.continue();
      const body = { ...(route.request().postDataJSON() as Record<string, unknown>), lifetime: 20 };
      firstExpiry = Date.now() + 20_000;
      return route.continue({ postData: JSON.stringify(body) });
    });
    const a = await context.newPage();
    await a.goto(`${suite.server.url}/test-pages/components.html`);
    await a.evaluate(
      async (attrs) => {
        await customElements.whenDefined('agora-call');
        const el = document.createElement('agora-call');
        for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, typeof v === 'string' ? v : '');
        el.addEventListener('agora-error', (e) =>
          ((window as unknown as { errs: unknown[] }).errs ??= []).push(e),
        );
        document.body.append(el);
      },
      {
        ...callAttrs('renewed room', 'Ada', { autojoin: true, lang: 'en' }),
        'app-id': DEMO_KEYED_APP_ID,
        'key-url': '/api/channel-key',
      },
    );
    await until(async () => (await remoteUids(b)).length === 1, 20_000, 'B sees A');
    const uidA = await myUid(a);
    // Warned at once (less than 30 s left): the element asks key-url again and renews.
    await until(() => requests >= 2, 15_000, 'a second key request');
    await new Promise((r) => setTimeout(r, Math.max(0, firstExpiry + 2500 - Date.now())));
    expect(await remoteUids(b)).toEqual([uidA]);
    expect((await tileFrames(b, uidA, 1000)).frames).toBeGreaterThan(3);
    expect(await a.locator('[data-banner="error"]').count()).toBe(0);
    expect(await a.evaluate(() => (window as unknown as { errs?: unknown[] }).errs?.length ?? 0)).toBe(0);
    await Promise.all([a.context().close(), b.context().close()]);
  });
});
