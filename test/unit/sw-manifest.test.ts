// The precache manifest written into /agora-sw.js at build time: the right files at the URLs the server serves
// them at, each with a content hash, so that a changed file (and only it) gets a new revision.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeServiceWorker } from '../../scripts/build-sw.mjs';

const root = mkdtempSync(join(tmpdir(), 'agora-sw-manifest-'));
const put = (rel: string, text: string) => {
  mkdirSync(join(root, rel, '..'), { recursive: true });
  writeFileSync(join(root, rel), text);
};
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function manifest(): Promise<Record<string, string>> {
  await writeServiceWorker(root);
  const sw = readFileSync(join(root, 'dist/sw/agora-sw.js'), 'utf8');
  const entries = JSON.parse(/precache\((\[.*?\])\)/.exec(sw)![1]!) as Array<{
    url: string;
    revision: string;
  }>;
  return Object.fromEntries(entries.map((e) => [e.url, e.revision]));
}

describe('the service worker precache manifest', () => {
  put('dist/sw-src/agora-sw.js', 'precache(self.__WB_MANIFEST);');
  put('dist/sdk/agora-rtc.js', 'export default 1;');
  put('dist/sdk/agora-rtc.iife.js', 'var AgoraRTC = 1;');
  put('dist/sdk/agora-rtc.js.map', '{}');
  put('dist/sdk/types/index.d.ts', 'export {};');
  put('index.html', '<h1>demo</h1>');
  put('demo/sample.html', '<h1>sample</h1>');
  put('demo/sample.js', 'var x;');
  put('public/agora-fallback.html', '<p>fallback</p>');

  it('lists the SDK bundles, /, the demo and the fallback page at their served URLs, without maps or types', async () => {
    expect(Object.keys(await manifest()).sort()).toEqual([
      '/',
      '/agora-fallback.html',
      '/demo/sample.html',
      '/demo/sample.js',
      '/sdk/agora-rtc.iife.js',
      '/sdk/agora-rtc.js',
    ]);
  });

  it('gives a changed file, and only it, a new revision', async () => {
    const before = await manifest();
    put('dist/sdk/agora-rtc.iife.js', 'var AgoraRTC = 2;');
    const after = await manifest();
    expect(after['/sdk/agora-rtc.iife.js']).not.toBe(before['/sdk/agora-rtc.iife.js']);
    for (const url of Object.keys(before).filter((u) => u !== '/sdk/agora-rtc.iife.js'))
      expect(after[url], url).toBe(before[url]);
  });
});
