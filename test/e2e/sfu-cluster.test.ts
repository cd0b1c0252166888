// Two signaling nodes (real processes) on one Redis and one Janus, MESH_MAX=0: a page on each node, in one
// channel, decodes the other's video through Janus. Each node holds its own Janus session and handles; only the
// room shared through Redis puts both members in one VideoRoom (separate rooms would carry nothing between them),
// also after Redis restarted empty.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { Redis } from 'ioredis';
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

/** Until `page` decodes video from `uid` through Janus. */
async function decodes(page: Page, uid: number, name: string): Promise<void> {
  await until(() => page.evaluate((uid) => window.T.has('stream-subscribed', uid), uid), 30_000, name);
  await until(
    async () => (await videoFrames(page, `#remote-${uid} video`, 1000, 30_000)).frames > 5,
    30_000,
    name,
  );
}

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
  await decodes(a, uidB, 'A (node 1) decoding B');
  await decodes(b, uidA, 'B (node 2) decoding A');
  // Through Janus, not peer to peer: each page has one outgoing video (its publisher connection).
  expect(await videoUploads(a)).toBe(1);
  expect(await videoUploads(b)).toBe(1);
  const v = await videoFrames(b, `#remote-${uidA} video`);
  expect(v.width).toBeGreaterThan(0);
  await Promise.all([a.context().close(), b.context().close()]);
});

test('Redis restarted empty mid-call: node 1 claims its room again, so a page joining through node 2 gets that room and decodes the page on node 1', async () => {
  const a = await openPage(suite.browser, `${suite.pages.url}/test-pages/call.html`);
  const uidA = await join(a, 'sfu redis restart', suite.node1);
  const rooms = async () => {
    const store = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    try {
      return Object.keys(await store.hgetall('agora:sfu:rooms'));
    } finally {
      store.disconnect();
    }
  };
  const channel = `${APP_ID}/sfu redis restart`;
  await until(async () => (await rooms()).includes(channel), 20_000, "A's room stored");
  await redis.restart();
  // Node 2 has nobody in the channel, so it knows no room for it: only Redis can tell it which one.
  await until(async () => (await rooms()).includes(channel), 20_000, 'node 1 claiming its room again');
  const c = await openPage(suite.browser, `${suite.pages.url}/test-pages/call.html`);
  const uidC = await join(c, 'sfu redis restart', suite.node2);
  await decodes(c, uidA, 'C (node 2, joined after the restart) decoding A');
  await decodes(a, uidC, 'A decoding C');
  await Promise.all([a.context().close(), c.context().close()]);
});
