// Drive <agora-call> the way a user sees it: pages of the test server with the components bundle, elements
// created with attributes, everything found through the element's (open) shadow roots.
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import type { Browser as FirefoxBrowser } from 'puppeteer-core';
import { APP_ID, openUser, run, type Evaluator, type UserPage } from './harness.js';

export const SHOTS = 'test-results/components';
mkdirSync(SHOTS, { recursive: true });

/** A page with one <agora-call> carrying `attrs`, in its own browser context (full frame rate). */
export async function callPage(
  browser: Browser,
  baseUrl: string,
  attrs: Record<string, string | true>,
  viewport = { width: 1280, height: 800 },
): Promise<Page> {
  const context = await browser.newContext({ permissions: ['camera', 'microphone'], viewport });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('[page error]', e.message));
  await page.goto(`${baseUrl}/test-pages/components.html`);
  await page.evaluate(async (attrs) => {
    await customElements.whenDefined('agora-call');
    const el = document.createElement('agora-call');
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v === true ? '' : v);
    document.body.append(el);
  }, attrs);
  return page;
}

export const callAttrs = (channel: string, name: string, extra: Record<string, string | true> = {}) => ({
  'app-id': APP_ID,
  channel,
  'display-name': name,
  'video-profile': '240P',
  ...extra,
});

/** Decoded frames of the video in the tile of `uid` (shadow DOM aware): size and frame count over `ms`. */
export function tileFrames(page: Evaluator, uid: number, ms = 1500) {
  return run(
    page,
    async ({ uid, ms }) => {
      const find = () =>
        document
          .querySelector('agora-call')
          ?.shadowRoot?.querySelector(`.tile[data-uid="${uid}"] agora-video`)
          ?.shadowRoot?.querySelector('video') ?? null;
      const end = Date.now() + 15_000;
      let v = find();
      while ((!v || v.videoWidth === 0) && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 50));
        v = find();
      }
      if (!v) return { width: 0, frames: 0 };
      let frames = 0;
      const video = v;
      const tick = () => {
        frames++;
        video.requestVideoFrameCallback(tick);
      };
      video.requestVideoFrameCallback(tick);
      await new Promise((r) => setTimeout(r, ms));
      return { width: video.videoWidth, frames };
    },
    { uid, ms },
  );
}

/** uid this page joined with (from the agora-joined event or the client). */
export const myUid = (page: Evaluator) =>
  run(page, () => document.querySelector('agora-call')!.client.currentUid, undefined);

/** The remote tiles' uids in the page's call. */
export const remoteUids = (page: Page) =>
  page.$$eval('.tile[data-local="false"]', (els) => els.map((e) => Number(e.getAttribute('data-uid'))));

/** axe-core's serious and critical violations inside the page's <agora-call> (shadow roots included). */
export async function axeViolations(
  page: Page,
): Promise<Array<{ id: string; impact: string; targets: string }>> {
  if (!(await page.evaluate(() => 'axe' in window)))
    await page.addScriptTag({ path: createRequire(import.meta.url).resolve('axe-core/axe.min.js') });
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(el: Element): Promise<AxeResult> } }).axe;
    type AxeResult = { violations: Array<{ id: string; impact: string; nodes: Array<{ target: unknown }> }> };
    const r = await axe.run(document.querySelector('agora-call')!);
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, targets: JSON.stringify(v.nodes.map((n) => n.target)) }));
  });
}

/**
 * The same page as callPage in Firefox (driven by puppeteer: test/e2e/harness.ts), for calls between browsers.
 * Its elements are reached with callView / clickControl rather than Playwright locators.
 */
export async function firefoxCallPage(
  browser: FirefoxBrowser,
  baseUrl: string,
  attrs: Record<string, string | true>,
): Promise<UserPage> {
  const page = await openUser(browser, `${baseUrl}/test-pages/components.html`);
  await page.evaluate(async (attrs) => {
    await customElements.whenDefined('agora-call');
    const el = document.createElement('agora-call');
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v === true ? '' : v);
    document.body.append(el);
  }, attrs);
  return page;
}

/** What a person sees of the remote tiles in any browser: uid, name and marks of each. */
export function callView(page: Evaluator): Promise<Array<{ uid: number; label: string; marks: string[] }>> {
  return run(
    page,
    () =>
      [
        ...(document.querySelector('agora-call')?.shadowRoot?.querySelectorAll('.tile[data-local="false"]') ??
          []),
      ].map((t) => ({
        uid: Number(t.getAttribute('data-uid')),
        label: t.querySelector('.label')?.textContent ?? '',
        marks: [...t.querySelectorAll('[data-mark]')].map((m) => m.getAttribute('data-mark')!),
      })),
    undefined,
  );
}

/** Clicks a call control (`data-control`: microphone, camera, leave, …) in any browser. */
export function clickControl(page: Evaluator, control: string): Promise<void> {
  return run(
    page,
    (control) => {
      const el = document
        .querySelector('agora-call')
        ?.shadowRoot?.querySelector<HTMLElement>(`[data-control="${control}"]`);
      if (!el) throw new Error(`no ${control} control`);
      el.click();
    },
    control,
  );
}
