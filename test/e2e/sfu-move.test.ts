// MESH_MAX=4: a channel starts as a mesh and moves to Janus when its fifth member joins, during the call. Every
// page decodes every other afterwards and uploads one stream instead of four. The longest video gap during the
// move is printed here and measured in `npm run bench` (sfu.bench.ts), not asserted (timing on a shared box).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { APP_ID, until, videoFrames } from './harness.js';
import { browserSuite } from './setup.js';
import { startJanus, type JanusProcess } from './janus.js';
import { gapLog, longestGap, videoUploads, watchGaps } from './sfu-helpers.js';

let janus: JanusProcess;
beforeAll(async () => {
  janus = await startJanus();
});
afterAll(async () => {
  await janus?.stop();
});

describe('a channel moving from the mesh to the SFU', () => {
  const suite = browserSuite([], {
    get sfu() {
      return { urls: [janus.url], apiSecret: janus.apiSecret, meshMax: 4 };
    },
  });

  test('five pages with MESH_MAX=4: the fifth join moves the call to Janus; everyone decodes everyone, one upload each', async () => {
    const pages: Page[] = [];
    const uids: number[] = [];
    const decodesAll = async (n: number) => {
      for (const [i, p] of pages.slice(0, n).entries()) {
        for (const [j, uid] of uids.slice(0, n).entries()) {
          if (i === j) continue;
          await until(
            () => p.evaluate((uid) => window.T.has('stream-subscribed', uid), uid),
            60_000,
            `page ${i} subscribed to ${uid}`,
          );
          // Waited for, not sampled once: five pages on two shared cores stall now and then.
          await until(
            async () => (await videoFrames(p, `#remote-${uid} video`, 1000, 60_000)).frames > 2,
            60_000,
            `page ${i} decoding ${uid}`,
          );
        }
      }
    };
    for (let i = 0; i < 4; i++) {
      const p = await suite.user();
      pages.push(p);
      uids.push(await p.evaluate((appId) => window.T.join(appId, 'moving', 0), APP_ID));
    }
    await decodesAll(4);
    // A mesh of four: each page sends its video to three others.
    for (const p of pages) expect(await videoUploads(p)).toBe(3);
    for (const p of pages) await watchGaps(p);

    const fifth = await suite.user();
    pages.push(fifth);
    uids.push(await fifth.evaluate((appId) => window.T.join(appId, 'moving', 0), APP_ID));
    // The old pages drop their mesh once the SFU carries everything: one upload each.
    for (const [i, p] of pages.entries()) {
      await until(async () => (await videoUploads(p)) === 1, 60_000, `page ${i} uploads one stream`);
    }
    const gaps = await Promise.all(pages.slice(0, 4).map((p) => longestGap(p)));
    if (process.env.SFU_GAP_LOG) for (const p of pages.slice(0, 4)) console.log((await gapLog(p)).join('\n'));
    await decodesAll(5);
    console.log(
      `longest remote-video gap during the move, per page (ms): ${gaps.map(Math.round).join(', ')}`,
    );
    await Promise.all(pages.map((p) => p.context().close()));
  });
});
