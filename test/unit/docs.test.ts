// `npm run docs`: the API reference from the JSDoc, with the manual's Chinese names of every method and event, and
// `npm start`'s server serving it at /docs/.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startServer, type RunningServer } from '../../server/app.js';

import { buildDocs, manualEntries } from '../../scripts/docs.mjs';

/** The part of lunr (TypeDoc's search, which ships it) that the docs page's search box uses. */
interface Lunr {
  Index: { load(data: unknown): { search(q: string): { ref: string }[] } };
}
const lunr = createRequire(import.meta.url)('lunr') as Lunr;

/** What the docs page's search box lists for `text`: the query it makes, run on the index it loads. */
function search(text: string): string[] {
  const js = readFileSync('dist/docs/assets/search.js', 'utf8');
  const data = JSON.parse(inflateSync(Buffer.from(/"([^"]+)"/.exec(js)![1]!, 'base64')).toString()) as {
    rows: { name: string; parent?: string }[];
    index: unknown;
  };
  const query = text
    .split(' ')
    .map((w) => (w ? `*${w}*` : ''))
    .join(' ');
  return lunr.Index.load(data.index)
    .search(query)
    .map(({ ref }) => data.rows[Number(ref)]!)
    .map((row) => (row.parent ? `${row.parent}.${row.name}` : row.name));
}

describe('API reference', () => {
  let built: { linked: number; missing: string[] };
  let server: RunningServer;

  beforeAll(async () => {
    built = await buildDocs();
    server = await startServer({ port: 0, host: '127.0.0.1', quiet: true });
  }, 180_000);
  afterAll(() => server?.close());

  test("every method and event of the manual's API reference is linked, by its Chinese name", () => {
    const entries = manualEntries();
    expect(entries).toHaveLength(38);
    expect(entries).toContainEqual({ zh: '加入 AgoraRTC 频道', name: 'join', path: ['Client', 'join'] });
    expect(built).toEqual({ linked: 38, missing: [] });
    const manual = readFileSync('dist/docs/documents/手册_(manual).html', 'utf8');
    const rows = [...manual.matchAll(/<td>([^<]*)<\/td>\s*<td><a href="([^"]*)"/g)];
    expect(rows.map((r) => r[1])).toEqual(entries.map((e) => `${e.zh} (${e.name})`));
    for (const [, , href] of rows) {
      const file = new URL(href!, 'file:///r/dist/docs/documents/').pathname.replace('/r/', '');
      expect(() => readFileSync(file)).not.toThrow();
    }
  });

  test('the method pages carry the Chinese name, and the search box finds them in Chinese or English', () => {
    expect(readFileSync('dist/docs/classes/Client.html', 'utf8')).toContain('加入 AgoraRTC 频道 (join)');
    expect(readFileSync('dist/docs/interfaces/ClientEvents.html', 'utf8')).toContain(
      '远程音视频流已添加事件 (stream-added)',
    );
    expect(search('加入')[0]).toBe('Client.join');
    expect(search('加入频道')[0]).toBe('Client.join');
    expect(search('加入 AgoraRTC 频道')[0]).toBe('Client.join');
    expect(search('远程音视频流已添加事件')[0]).toBe('ClientEvents.stream-added');
    expect(search('播放音/视频流')[0]).toBe('Stream.play');
    expect(search('join')).toContain('Client.join');
  });

  test('the server serves it at /docs/', async () => {
    const index = await fetch(`${server.url}/docs/`);
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('agora-rtc-web');
    expect((await fetch(`${server.url}/docs/classes/Client.html`)).status).toBe(200);
  });
});
