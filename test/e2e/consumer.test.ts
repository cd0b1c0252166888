// The package as a developer meets it: `npm pack`, the tarball installed with `npm install` into throwaway projects
// made here in a temp dir (a Vite app, a webpack 5 app, plain Node ESM, a strict TypeScript file), built with the
// bundlers from our devDependencies, and an encrypted call between two pages of each app in Chromium. Nothing is
// cached between runs: every run packs, installs and builds from scratch.
// How npm installs the tarball's dependencies without a registry: test/e2e/consumer-project.ts.
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { build as viteBuild } from 'vite';
import webpack from 'webpack';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunningServer } from '../../server/app.js';
import { installSdk, packSdk, run } from './consumer-project.js';
import { APP_ID, launchBrowser, openPage, serve, until, videoFrames } from './harness.js';

const fixtures = resolve('test/e2e/consumer');
let tmp = '';
let tarball = '';

const project = (name: string, devLinks: string[] = []) => installSdk(join(tmp, name), tarball, devLinks);

/**
 * The emitted files holding the whiteboard's code or yjs (found by a string of each: webpack numbers its chunks),
 * which a call that never opens the whiteboard must not load.
 */
const boardFiles = (out: string) =>
  readdirSync(out, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.js'))
    .filter((f) =>
      /whiteboard\.page must be an integer|Yjs was already imported/.test(readFileSync(join(out, f), 'utf8')),
    );

const page = (title: string, script: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body>` +
  `<div id="local" style="width:320px;height:240px"></div><div id="remote" style="width:320px;height:240px"></div>` +
  `${script}</body></html>`;

async function buildVite(): Promise<string> {
  const dir = await project('vite-app');
  for (const f of ['app.js', 'components.js']) cpSync(join(fixtures, f), join(dir, f));
  writeFileSync(join(dir, 'index.html'), page('vite app', '<script type="module" src="./app.js"></script>'));
  writeFileSync(
    join(dir, 'components.html'),
    page('vite components', '<script type="module" src="./components.js"></script>'),
  );
  await viteBuild({
    root: dir,
    configFile: false,
    base: '/vite-app/',
    logLevel: 'warn',
    build: {
      outDir: join(dir, 'dist'),
      emptyOutDir: true,
      rollupOptions: { input: [join(dir, 'index.html'), join(dir, 'components.html')] },
    },
  });
  return join(dir, 'dist');
}

async function buildWebpack(): Promise<{ out: string; warnings: string[] }> {
  const dir = await project('webpack-app');
  for (const f of ['app.js', 'components.js']) cpSync(join(fixtures, f), join(dir, f));
  const out = join(dir, 'dist');
  const stats = await new Promise<webpack.Stats>((ok, fail) =>
    webpack(
      {
        mode: 'production',
        context: dir,
        entry: { main: './app.js', components: './components.js' },
        output: { path: out, filename: '[name].js', publicPath: 'auto', clean: true },
        devtool: false,
        performance: { hints: false },
      },
      (err, s) => (err || !s ? fail(err ?? new Error('no stats')) : ok(s)),
    ),
  );
  const info = stats.toJson({ all: false, errors: true, warnings: true });
  if (stats.hasErrors()) throw new Error(info.errors!.map((e) => e.message).join('\n'));
  writeFileSync(join(out, 'index.html'), page('webpack app', '<script src="./main.js"></script>'));
  writeFileSync(
    join(out, 'components.html'),
    page('webpack components', '<script src="./components.js"></script>'),
  );
  return { out, warnings: info.warnings!.map((w) => w.message) };
}

describe('npm package in consumer projects', () => {
  let server: RunningServer;
  let browser: Browser;
  let vite = '';
  let wp: { out: string; warnings: string[] };
  let nodeApp = '';
  let tsApp = '';

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'agora-consumer-'));
    tarball = await packSdk(tmp);
    [vite, wp, nodeApp, tsApp] = await Promise.all([
      buildVite(),
      buildWebpack(),
      project('node-app'),
      project('ts-app', ['@types/node', 'typescript']),
    ]);
    server = await serve({ staticDirs: { '/vite-app/': vite, '/webpack-app/': wp.out } });
    browser = await launchBrowser();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('webpack 5 builds the SDK without a warning (workers, chunks and import.meta need no configuration)', () => {
    expect(wp.warnings).toEqual([]);
  });

  for (const app of ['vite-app', 'webpack-app']) {
    test(`${app}: two pages make an encrypted call, with the worker and chunks the app's bundler emitted (and no recording, whiteboard or yjs chunk)`, async () => {
      const channel = `consumer ${app} ${Date.now()}`;
      const url = `${server.url}/${app}/index.html?appId=${APP_ID}&channel=${encodeURIComponent(channel)}&secret=s3cret-${app}`;
      const pages: Page[] = [];
      try {
        for (let i = 0; i < 2; i++) pages.push(await openPage(browser, url));
        for (const p of pages) {
          await until(
            () =>
              p.evaluate(() => {
                const s = (window as unknown as { state: { remoteUid: number; error: string } }).state;
                if (s.error) throw new Error(s.error);
                return s.remoteUid !== 0;
              }),
            45_000,
            `${app} subscribed to the other page`,
          );
        }
        for (const p of pages) {
          const v = await videoFrames(p, '#remote video');
          expect(v.width).toBeGreaterThan(0);
          expect(v.frames > 0 || v.advanced).toBe(true);
          const seen = await p.evaluate(() => ({
            cryptErrors: (window as unknown as { state: { cryptErrors: number } }).state.cryptErrors,
            files: performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname),
          }));
          expect(seen.cryptErrors).toBe(0);
          // Everything came from the app's own build output, nothing from the SDK server's /sdk/.
          const scripts = seen.files.filter((f) => f.endsWith('.js'));
          expect(scripts.filter((f) => !f.startsWith(`/${app}/`))).toEqual([]);
          expect(scripts.length).toBeGreaterThan(1);
          // A call that neither records nor tests loads no such chunk (Vite keeps their names; webpack numbers them).
          expect(scripts.filter((f) => /recording|calltest|webm/.test(f))).toEqual([]);
          // Nor the whiteboard's code or yjs, which the app's bundler did emit.
          const board = boardFiles(app === 'vite-app' ? vite : wp.out).map((f) => `/${app}/${f}`);
          expect(board.length).toBeGreaterThanOrEqual(2);
          expect(scripts.filter((f) => board.includes(f))).toEqual([]);
        }
      } finally {
        for (const p of pages) await p.context().close();
      }
    });
  }

  for (const app of ['vite-app', 'webpack-app']) {
    test(`${app}: <agora-call lang="zh"> shows its Chinese labels, loaded from the app's own chunk`, async () => {
      const p = await openPage(browser, `${server.url}/${app}/components.html`);
      try {
        const label = await until(
          () =>
            p.evaluate(() => {
              const text = document.querySelector('agora-call')?.shadowRoot?.textContent ?? '';
              return text.includes('加入通话') ? '加入通话' : null;
            }),
          30_000,
          'the Chinese join button',
        );
        expect(label).toBe('加入通话');
        const scripts = await p.evaluate(() =>
          performance
            .getEntriesByType('resource')
            .map((e) => new URL(e.name).pathname)
            .filter((f) => f.endsWith('.js')),
        );
        expect(scripts.filter((f) => !f.startsWith(`/${app}/`))).toEqual([]);
      } finally {
        await p.context().close();
      }
    });
  }

  test('plain Node ESM imports agora-rtc-web/server: makes and checks a Channel Key, runs the server, which serves the SDK', async () => {
    const dir = nodeApp;
    cpSync(join(fixtures, 'server.mjs'), join(dir, 'server.mjs'));
    const { stdout } = await run(process.execPath, ['server.mjs'], { cwd: dir });
    const out = JSON.parse(stdout) as { key: string; ok: boolean; sdk: number };
    expect(out.key).toMatch(/^004[0-9a-f]{40}0123456789abcdef0123456789abcdef/);
    expect(out.ok).toBe(true);
    expect(out.sdk).toBe(200);
  });

  test('tsc --strict compiles the manual sample, the Promise style and the components with no any from our types', async () => {
    const dir = tsApp;
    cpSync(join(fixtures, 'consumer.ts'), join(dir, 'consumer.ts'));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'ES2022',
          module: 'ESNext',
          moduleResolution: 'Bundler',
          lib: ['ES2023', 'DOM', 'DOM.Iterable'],
          types: ['node'],
          skipLibCheck: false,
        },
        files: ['consumer.ts'],
      }),
    );
    const tsc = join(dir, 'node_modules/typescript/bin/tsc');
    const result = await run(process.execPath, [tsc, '-p', dir]).catch((e: { stdout: string }) => e);
    expect(result.stdout).toBe('');
  });
});
