// The product demo at `/`: one click from the start card to the pre-join screen, an invite link that puts a
// second person in the same call, and the embed snippet; judged from screenshots at 1280×800 and 390×844.
import { expect, test } from 'vitest';
import { until } from './harness.js';
import { browserSuite } from './setup.js';
import { SHOTS, remoteUids } from './components-helpers.js';

const suite = browserSuite();

test('/ → room and name pre-filled, Continue → pre-join → call; the invite link brings a phone into the same call', async () => {
  const open = async (path: string, viewport: { width: number; height: number }) => {
    const context = await suite.browser.newContext({ permissions: ['camera', 'microphone'], viewport });
    const p = await context.newPage();
    p.on('pageerror', (e) => console.error('[page error]', e.message));
    await p.goto(`${suite.server.url}${path}`);
    return p;
  };
  const host = await open('/', { width: 1280, height: 800 });
  const room = await host.locator('#channel').inputValue();
  expect(room).toMatch(/^room-[a-z0-9]+$/);
  expect(await host.locator('#name').inputValue()).toMatch(/^Guest \d{4}$/);
  expect(await host.locator('#snippet').textContent()).toContain(`channel="${room}"`);
  expect(await host.locator('#snippet').textContent()).toContain('/sdk/agora-components.js');
  await host.screenshot({ path: `${SHOTS}/demo-landing-1280.png` });
  await host.locator('#name').fill('Ada Lovelace');
  await host.locator('#start button[type="submit"]').click();
  await host.locator('[data-action="allow"]').click();
  await host.locator('select[data-kind="videoinput"]').waitFor();
  await host.waitForTimeout(500);
  await host.screenshot({ path: `${SHOTS}/demo-prejoin-1280.png` });
  await host.locator('agora-call button[type="submit"]').click();
  expect(host.url()).toBe(`${suite.server.url}/?channel=${room}`);

  const guest = await open(`/?channel=${room}`, { width: 390, height: 844 });
  await guest.screenshot({ path: `${SHOTS}/demo-landing-390.png` }); // the invite goes straight to pre-join
  expect(await guest.locator('agora-call .field input').inputValue()).toMatch(/^Guest \d{4}$/);
  await guest.locator('agora-call .field input').fill('Grace Hopper');
  await guest.locator('agora-call button[type="submit"]').click();
  await until(
    async () => (await remoteUids(guest)).length === 1 && (await remoteUids(host)).length === 1,
    20_000,
    'in one call',
  );
  expect(await guest.locator('.tile[data-local="false"] .label').textContent()).toBe('Ada Lovelace');
  await guest.waitForTimeout(800);
  await host.screenshot({ path: `${SHOTS}/demo-call-1280.png` });
  await guest.screenshot({ path: `${SHOTS}/demo-call-390.png` });

  const sample = await open('/demo/sample.html', { width: 1280, height: 800 });
  expect(await sample.locator('#appId').inputValue()).toMatch(/^[0-9a-f]{32}$/);
  // On a phone nothing runs off the side (the sample's recordings column once did).
  const phone = await open('/demo/sample.html', { width: 390, height: 844 });
  await phone.locator('#appId').waitFor();
  expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  expect(await guest.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await phone.screenshot({ path: `${SHOTS}/sample-390.png` });
  for (const p of [host, guest, sample, phone]) await p.context().close();
});
