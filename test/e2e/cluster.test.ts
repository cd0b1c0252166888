// Two signaling nodes on one Redis (both real processes, so one can be killed): a call between users on different
// nodes, the whiteboard and chat of a channel across nodes, and a node crash in the middle of a call.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { startRedis, type RedisInstance } from '../redis-server.js';
import { APP_ID, ServerProcess, openPage, until, videoFrames } from './harness.js';
import { twoNodeSuite } from './setup.js';
import { draw, items, joinCollab, messages, send } from './collab-helpers.js';

let redis: RedisInstance;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});
const suite = twoNodeSuite(() => ({ REDIS_URL: redis.url }));
const has = (p: Page, ev: string, uid?: number, extra: Record<string, unknown> = {}) =>
  p.evaluate(([ev, uid, extra]) => window.T.has(ev, uid, extra), [ev, uid, extra] as const);

/** Joins through `first`, with the other node next in its list. */
function join(
  p: Page,
  channel: string,
  first: ServerProcess,
  other: ServerProcess,
  publish: boolean,
): Promise<number> {
  return p.evaluate(
    ([appId, channel, signalingUrl, publish]) => window.T.join(appId, channel, 0, { signalingUrl, publish }),
    [APP_ID, channel, [first.wsUrl, other.wsUrl], publish] as const,
  );
}

test('users on different nodes: media flows, mute is seen, leave is seen', async () => {
  const a = await openPage(suite.browser, `${suite.pages.url}/test-pages/call.html`);
  const b = await openPage(suite.browser, `${suite.pages.url}/test-pages/call.html`);
  const uidA = await join(a, 'two nodes', suite.node1, suite.node2, true);
  await join(b, 'two nodes', suite.node2, suite.node1, false);
  await until(() => has(b, 'stream-subscribed', uidA), 20_000, 'B subscribed to A across nodes');
  const v = await videoFrames(b, `#remote-${uidA} video`);
  expect(v.width).toBeGreaterThan(0);
  expect(v.frames).toBeGreaterThan(5);
  await a.evaluate(() => window.T.local.disableAudio());
  await until(() => has(b, 'peer-mute-audio', uidA, { muted: true }), 10_000, 'mute across nodes');
  await a.evaluate(() => window.T.client.leave());
  await until(() => has(b, 'peer-leave', uidA), 10_000, 'leave across nodes');
  await Promise.all([a.context().close(), b.context().close()]);
});

test('whiteboard and chat across nodes: a late page on node 2 gets what a page on node 1 drew and said', async () => {
  const a = await openPage(suite.browser, `${suite.pages.url}/test-pages/collab.html`);
  const uidA = await joinCollab(a, APP_ID, 'board across', {
    name: 'Ann',
    signalingUrl: [suite.node1.wsUrl, suite.node2.wsUrl],
  });
  await draw(a, 100);
  await draw(a, 200);
  await send(a, 'said on node 1', '<b>still text</b>');
  await until(async () => (await items(a)).length === 2, 10_000, 'own strokes');

  const b = await openPage(suite.browser, `${suite.pages.url}/test-pages/collab.html`);
  const uidB = await joinCollab(b, APP_ID, 'board across', {
    signalingUrl: [suite.node2.wsUrl, suite.node1.wsUrl],
  });
  await until(async () => (await items(b)).length === 2, 15_000, 'strokes on the late page (node 2)');
  expect(await items(b)).toEqual(await items(a));
  await until(async () => (await messages(b)).length === 2, 15_000, 'history on the late page');
  expect((await messages(b)).map((m) => [m.uid, m.name, m.text, m.history])).toEqual([
    [uidA, 'Ann', 'said on node 1', true],
    [uidA, 'Ann', '<b>still text</b>', true],
  ]);

  // And live, the other way.
  await draw(b, 300);
  await send(b, 'answer from node 2');
  await until(async () => (await items(a)).length === 3, 15_000, "node 2's stroke on node 1");
  await until(async () => (await messages(a)).length === 3, 15_000, "node 2's message on node 1");
  expect((await messages(a))[2]).toMatchObject({ uid: uidB, text: 'answer from node 2' });
  await Promise.all([a.context().close(), b.context().close()]);
});

test('node 1 killed mid-call: its user reconnects to node 2 with the same uid and the call goes on', async () => {
  const a = await openPage(suite.browser, `${suite.pages.url}/test-pages/call.html`);
  const b = await openPage(suite.browser, `${suite.pages.url}/test-pages/call.html`);
  const uidA = await join(a, 'crash', suite.node1, suite.node2, true);
  await join(b, 'crash', suite.node2, suite.node1, false);
  await until(() => has(b, 'stream-subscribed', uidA), 20_000, 'B subscribed to A');
  await suite.node1.kill();
  await until(
    () => has(a, 'error', undefined, { reason: 'CONNECTION_INTERRUPTED' }),
    10_000,
    'A interrupted',
  );
  await until(
    () =>
      a.evaluate(
        () => (window.T.client as unknown as { connectionState: string }).connectionState === 'CONNECTED',
      ),
    20_000,
    'A reconnected (to node 2)',
  );
  expect(await a.evaluate(() => (window.T.client as unknown as { currentUid: number }).currentUid)).toBe(
    uidA,
  );
  // B still gets A's video, and A is in B's channel (a relay from B reaches A: A's mute is seen again).
  expect((await videoFrames(b, `#remote-${uidA} video`)).frames).toBeGreaterThan(5);
  await a.evaluate(() => window.T.local.disableVideo());
  await until(() => has(b, 'peer-mute-video', uidA, { muted: true }), 10_000, 'mute after the move');
  await Promise.all([a.context().close(), b.context().close()]);
});
