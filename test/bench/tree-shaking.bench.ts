// What a Vite app that installs the package downloads: one that only joins and publishes, against the same app
// that also uses the components and recording, both built in this run from the packed tarball. The JavaScript a
// page loads at start (entry and its static imports) and everything emitted (with the chunks loaded on demand);
// the difference is what tree-shaking and the lazy chunks save an app that only calls. And what a page of the
// join-only app really downloads in Chromium while it joins and publishes (chunks loaded at join count there).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Rolldown } from 'vite';
import type { BenchRow } from './run.js';
import { installSdk, packSdk } from '../e2e/consumer-project.js';
import { launchBrowser, openPage, serve, until } from '../e2e/harness.js';

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const gz = (code: string | Uint8Array) => gzipSync(code, { level: 9 }).length;

const JOIN = `import AgoraRTC from 'agora-rtc-web';
const client = AgoraRTC.createRtcClient();
await client.init('0123456789abcdef0123456789abcdef');
const uid = await client.join(null, 'room 1', 0);
const stream = AgoraRTC.createStream({ streamID: uid, local: true, audio: true, video: true });
await stream.init();
await client.publish(stream);
window.published = true;
`;
const FULL = `${JOIN}import 'agora-rtc-web/components';
document.body.append(document.createElement('agora-call'));
await client.startRecording('key');
console.log(await AgoraRTC.recordings.list());
`;

/** A string only each part's code has (Vite keeps the SDK's chunk names, but a chunk may be merged into another). */
const PARTS = {
  recording: 'This browser cannot record (no MediaRecorder or IndexedDB).',
  whiteboard: 'whiteboard.page must be an integer',
  yjs: 'Yjs was already imported',
} as const;
type Part = keyof typeof PARTS;

interface Sizes {
  /** min+gzip of the entry chunk and its static imports. */
  start: number;
  /** min+gzip of every emitted JS file (chunks and workers). */
  all: number;
  /** Which parts' code the page loads at start, and which are emitted at all (in chunks loaded on use). */
  atStart: Part[];
  emitted: Part[];
  /** min+gzip of each emitted JS file, and the parts it holds. */
  files: Map<string, { gz: number; parts: Part[] }>;
}

async function appSizes(dir: string, code: string): Promise<Sizes> {
  writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="./app.js"></script>');
  writeFileSync(join(dir, 'app.js'), code);
  const out = (await build({
    root: dir,
    configFile: false,
    logLevel: 'silent',
    base: './',
    build: { outDir: join(dir, 'dist'), target: 'es2022' },
  })) as Rolldown.RolldownOutput;
  const chunks = new Map(out.output.filter((o) => o.type === 'chunk').map((c) => [c.fileName, c]));
  const seen = new Set<string>();
  const todo = [...chunks.values()].filter((c) => c.isEntry).map((c) => c.fileName);
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    todo.push(...chunks.get(f)!.imports);
  }
  const js = out.output.filter((o) => o.fileName.endsWith('.js'));
  const text = (o: (typeof js)[number]) =>
    o.type === 'chunk'
      ? o.code
      : typeof o.source === 'string'
        ? o.source
        : new TextDecoder().decode(o.source);
  const size = (o: (typeof js)[number]) => gz(text(o));
  const parts = (files: typeof js) =>
    (Object.keys(PARTS) as Part[]).filter((p) => files.some((o) => text(o).includes(PARTS[p])));
  const start = js.filter((o) => seen.has(o.fileName));
  return {
    start: start.reduce((n, o) => n + size(o), 0),
    all: js.reduce((n, o) => n + size(o), 0),
    atStart: parts(start),
    emitted: parts(js),
    files: new Map(js.map((o) => [o.fileName, { gz: size(o), parts: parts([o]) }])),
  };
}

/** The emitted JS files a page of the app requested by the time it has joined and published. */
async function loadedByCall(app: Sizes, dist: string): Promise<string[]> {
  const server = await serve({ staticDirs: { '/app/': dist } });
  const browser = await launchBrowser();
  try {
    const page = await openPage(browser, `${server.url}/app/index.html`);
    await until(() => page.evaluate(() => (window as { published?: boolean }).published === true), 60_000);
    const paths = await page.evaluate(() =>
      performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname),
    );
    return paths.map((p) => p.replace(/^\/app\//, '')).filter((f) => app.files.has(f));
  } finally {
    await browser.close();
    await server.close();
  }
}

export default async function treeShaking(): Promise<BenchRow[]> {
  const tmp = mkdtempSync(join(tmpdir(), 'agora-tree-shaking-'));
  try {
    const tarball = await packSdk(tmp);
    const join = await appSizes(await installSdk(`${tmp}/join`, tarball), JOIN);
    const full = await appSizes(await installSdk(`${tmp}/full`, tarball), FULL);
    const loaded = await loadedByCall(join, `${tmp}/join/dist`);
    const loadedGz = loaded.reduce((n, f) => n + join.files.get(f)!.gz, 0);
    const loadedParts = [...new Set(loaded.flatMap((f) => join.files.get(f)!.parts))];
    return [
      {
        name: 'Vite app that joins and publishes: JS a page downloads until published (Chromium, min+gzip)',
        value: kb(loadedGz),
        baseline: `${kb(join.all)} all it emitted`,
        ratio: `${loaded.length} files; recording, whiteboard or yjs code among them: ${loadedParts.join(', ') || 'none'}`,
        target: 'none of those',
      },
      {
        name: 'Vite app that joins and publishes: JS loaded at start (min+gzip)',
        value: kb(join.start),
        baseline: `${kb(full.start)} same app + components + recording`,
        ratio: `${(join.start / full.start).toFixed(2)}× (saves ${kb(full.start - join.start)})`,
        target: '—',
      },
      {
        name: 'Vite app that joins and publishes: all JS emitted, lazy chunks and worker included',
        value: kb(join.all),
        baseline: `${kb(full.all)} same app + components + recording`,
        ratio: `${(join.all / full.all).toFixed(2)}×`,
        target: '—',
      },
      {
        name: 'Vite app that joins and publishes: recording, whiteboard or yjs code in the JS loaded at start',
        value: join.atStart.join(', ') || 'none',
        baseline: `${full.atStart.join(', ') || 'none'} same app + components + recording`,
        ratio: `emitted as chunks loaded on use: ${join.emitted.join(', ') || 'none'}`,
        target: 'none',
      },
      {
        name: 'Vite app that joins and publishes: JS not loaded at start (on use: encryption, recording + WebM, call test, whiteboard + yjs; the service-worker check at init)',
        value: kb(join.all - join.start),
        baseline: `${kb(join.start)} loaded at start`,
        ratio: `${((join.all - join.start) / join.all).toFixed(2)} of all its JS`,
        target: '—',
      },
    ];
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
