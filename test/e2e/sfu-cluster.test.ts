// Two signaling nodes (real processes) on one Redis and one Janus, MESH_MAX=0: a page on each node, in one
// channel, decodes the other's video through Janus. Each node holds its own Janus session and handles; only the
// room shared through Redis puts both members in one VideoRoom (separate rooms would carry nothing between them).
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { startRedis, type RedisInstance } from '../redis-server.js';
import { APP_ID, ServerProcess, openPage, until, videoFrames } from './harness.js';
import { twoNodeSuite } from './setup.js';
import { startJanus, type JanusProcess } from './janus.js';
import { videoUploads } from './sfu-helpers.js';

let redis: RedisInstance;
let janus: JanusProcess;
beforeAll(async () => {
  [redis, janus] = await Promise.all([startRedis(), startJanus()]);
});
afterAll(async () => {
  await janus?.stop();
  await redis?.stop();
});
const suite = twoNodeSuite(() => ({
  REDIS_URL: redis.url,
  SFU_URLS: janus.url,
  SFU_API_SECRET: janus.apiSecret,
  MESH_MAX: '0',
}));

function join(p: Page, channel: string, node: ServerProcess): Promise<number> {
  return p.evaluate(([appId, channel, signalingUrl]) => window.T.join(appId, channel, 0, { signalingUrl }), [
    APP_ID,
    channel,
    node.wsUrl,
  ] as const);
}

test('MESH_MAX=0 on two nodes: a page on each node decodes the other through one Janus room', async () => {
  const a = await openPage(suite.browser, `${suite.pages.url}/test-pages/call.html`);
  const b = await openPage(suite.browser, `${suite.pages.url}/test-pages/call.html`);
  const uidA = await join(a, 'sfu two nodes', suite.node1);
  const uidB = await join(b, 'sfu two nodes', suite.node2);
  for (const [p, uid, name] of [
    [a, uidB, 'A (node 1) decoding B'],
    [b, uidA, 'B (node 2) decoding A'],
  ] as const) {
    await until(() => p.evaluate((uid) => window.T.has('stream-subscribed', uid), uid), 30_000, name);
    await until(
      async () => (await videoFrames(p, `#remote-${uid} video`, 1000, 30_000)).frames > 5,
      30_000,
      name,
    );
  }
  // Through Janus, not peer to peer: each page has one outgoing video (its publisher connection).
  expect(await videoUploads(a)).toBe(1);
  expect(await videoUploads(b)).toBe(1);
  const v = await videoFrames(b, `#remote-${uidA} video`);
  expect(v.width).toBeGreaterThan(0);
  await Promise.all([a.context().close(), b.context().close()]);
});
