// SIGTERM on a node during a call: the node drains, both users follow their signalingUrl list to the next node and
// rejoin there, and the media link between them is never torn down.
import { expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { WebSocket } from 'ws';
import { outcome, twoNodeSuite } from './setup.js';
import { SIGNAL_PATH } from '../../src/protocol/messages.js';
import { APP_ID, ServerProcess, freePort, openPage, until, videoFrames } from './harness.js';

const suite = twoNodeSuite();

async function members(n: ServerProcess): Promise<number> {
  const text = await (await fetch(`${n.url}/metrics`)).text();
  return Number(/^agora_members (\d+)/m.exec(text)?.[1] ?? -1);
}

function join(p: Page, publish: boolean): Promise<number> {
  return p.evaluate(
    ([appId, signalingUrl, publish]) => window.T.join(appId, 'drain', 0, { signalingUrl, publish }),
    [APP_ID, [suite.node1.wsUrl, suite.node2.wsUrl], publish] as const,
  );
}

/** Keeps the page's one RTCPeerConnection and every state it goes through. */
function watchLink(p: Page): Promise<void> {
  return p.evaluate(() => {
    const mesh = (
      window.T.client as unknown as { transport: { connections(): Map<number, RTCPeerConnection> } }
    ).transport;
    const pc = [...mesh.connections().values()][0]!;
    const w = window as unknown as { watched: RTCPeerConnection; states: string[] };
    w.watched = pc;
    w.states = [pc.connectionState];
    pc.addEventListener('connectionstatechange', () => w.states.push(pc.connectionState));
  });
}

function linkAfter(p: Page): Promise<{ same: boolean; states: string[] }> {
  return p.evaluate(() => {
    const mesh = (
      window.T.client as unknown as { transport: { connections(): Map<number, RTCPeerConnection> } }
    ).transport;
    const w = window as unknown as { watched: RTCPeerConnection; states: string[] };
    return { same: [...mesh.connections().values()][0] === w.watched, states: w.states };
  });
}

test('SIGTERM: /healthz says draining, both users rejoin on the next node of their list, the media link never drops', async () => {
  const a = await openPage(suite.browser, `${suite.pages.url}/test-pages/call.html`);
  const b = await openPage(suite.browser, `${suite.pages.url}/test-pages/call.html`);
  const uidA = await join(a, true);
  const uidB = await join(b, false);
  await until(
    () => b.evaluate((uid) => window.T.has('stream-subscribed', uid), uidA),
    20_000,
    'B subscribed',
  );
  expect((await videoFrames(b, `#remote-${uidA} video`)).frames).toBeGreaterThan(5);
  expect(await members(suite.node1)).toBe(2);
  await until(() =>
    a.evaluate(
      () =>
        (
          window.T.client as unknown as { transport: { connections(): Map<number, unknown> } }
        ).transport.connections().size === 1,
    ),
  );
  await Promise.all([watchLink(a), watchLink(b)]);

  // A client that ignores the reconnect push keeps the node draining for a moment (it is closed after 2 s).
  const idle = new WebSocket(suite.node1.wsUrl);
  await new Promise((r) => idle.once('open', r));
  idle.on('error', () => undefined);

  const exited = suite.node1.terminate();
  await until(
    async () => {
      const res = await fetch(`${suite.node1.url}/healthz`);
      return res.status === 503 && ((await res.json()) as { status: string }).status === 'draining';
    },
    5000,
    '/healthz draining',
  );
  await until(async () => (await members(suite.node2)) === 2, 20_000, 'both users on node 2');
  expect(await exited).toBe(0);

  // The same link, never out of 'connected'; frames still arrive; no one saw the other leave.
  for (const p of [a, b]) {
    const link = await linkAfter(p);
    expect(link.same).toBe(true);
    expect(link.states.filter((s) => s !== 'connected')).toEqual([]);
  }
  expect((await videoFrames(b, `#remote-${uidA} video`)).frames).toBeGreaterThan(5);
  expect(await b.evaluate((uid) => window.T.has('peer-leave', uid), uidA)).toBe(false);
  expect(await a.evaluate((uid) => window.T.has('peer-leave', uid), uidB)).toBe(false);
  await Promise.all([a.context().close(), b.context().close()]);
});

test('signalingUrl list: a node that is down is skipped at init; bad lists and policies are refused', async () => {
  const page = await openPage(suite.browser, `${suite.pages.url}/test-pages/call.html`);
  const dead = `ws://127.0.0.1:${await freePort()}${SIGNAL_PATH}`;
  const script = (opts: string) =>
    `const c = AgoraRTC.createRtcClient(${opts}); await c.init('${APP_ID}'); await c.join(null, 'failover', 0); await c.leave();`;
  expect(
    await outcome(
      page,
      script(`{ signalingUrl: ['${dead}', '${suite.node2.wsUrl}'], serviceWorker: false }`),
    ),
  ).toBe('ok');
  // Every node down: init fails with the manual's CONNECTION_LOST once the whole list was tried.
  expect(await outcome(page, script(`{ signalingUrl: ['${dead}', '${dead}'], serviceWorker: false }`))).toBe(
    112,
  );
  expect(await outcome(page, `AgoraRTC.createRtcClient({ signalingUrl: [] });`)).toBe(2);
  expect(
    await outcome(page, `AgoraRTC.createRtcClient({ signalingUrl: ['${suite.node2.wsUrl}', 'http://x'] });`),
  ).toBe('TypeError');
  expect(await outcome(page, `AgoraRTC.createRtcClient({ iceTransportPolicy: 'none' });`)).toBe(2);
  expect(await outcome(page, `AgoraRTC.createRtcClient({ iceTransportPolicy: 1 });`)).toBe('TypeError');
  await page.context().close();
});
