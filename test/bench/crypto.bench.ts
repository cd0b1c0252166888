// Per-frame cost of media encryption in a Chromium worker: our frame format (XTS-AES on src/crypto/aes.ts + Poly1305,
// and AES-GCM) vs WebCrypto AES-CTR over the same bytes, same worker, same run, for 1 KB (audio-ish / small video
// delta) and 50 KB (video key frame) frames. Medians of interleaved batches.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import type { BenchRow } from './run.js';
import { launchBrowser, openPage, serve } from '../e2e/harness.js';

const SIZES = [1024, 50 * 1024];
const BATCHES = 15;

interface Result {
  size: number;
  us: Record<string, number>;
}

export default async function bench(): Promise<BenchRow[]> {
  const root = new URL('../..', import.meta.url).pathname;
  const dir = mkdtempSync(join(tmpdir(), 'agora-crypto-bench-'));
  await build({
    root,
    configFile: false,
    logLevel: 'warn',
    publicDir: false,
    build: {
      outDir: dir,
      emptyOutDir: false,
      minify: true,
      target: 'es2022',
      lib: {
        entry: join(root, 'test/bench/crypto-bench-worker.ts'),
        formats: ['iife'],
        fileName: () => 'worker.js',
        name: 'CryptoBench',
      },
    },
  });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>crypto bench</title>');
  const server = await serve({ staticDirs: { '/crypto-bench/': dir } });
  const browser = await launchBrowser();
  try {
    const page = await openPage(browser, `${server.url}/crypto-bench/index.html`);
    const results = await page.evaluate(
      ({ sizes, batches }) =>
        new Promise<Result[]>((resolve, reject) => {
          const w = new Worker('/crypto-bench/worker.js');
          w.onmessage = (e: MessageEvent<{ ok: boolean; r?: Result[]; err?: string }>) =>
            e.data.ok ? resolve(e.data.r!) : reject(new Error(e.data.err));
          w.onerror = (e) => reject(new Error(e.message));
          w.postMessage({ sizes, batches });
        }),
      { sizes: SIZES, batches: BATCHES },
    );
    const rows: BenchRow[] = [];
    const us = (x: number) => `${x.toFixed(1)} µs`;
    for (const r of results) {
      const label = `${r.size / 1024} KB`;
      const base = r.us['ctr128-enc']!;
      // bytes per µs = MB/s; shown in MiB/s.
      const mbps = (t: number) => `${(r.size / t / 1.048576).toFixed(0)} MiB/s`;
      for (const [key, name] of [
        ['xts128-enc', 'aes-128-xts frame encrypt (XTS + Poly1305-80)'],
        ['xts128-dec', 'aes-128-xts frame decrypt (verify + XTS)'],
        ['xts256-enc', 'aes-256-xts frame encrypt'],
        ['gcm128-enc', 'aes-128-gcm frame encrypt (WebCrypto)'],
      ] as const) {
        const v = r.us[key]!;
        rows.push({
          name: `${name}, ${label} frame, median per frame`,
          value: `${us(v)} (${mbps(v)})`,
          baseline: `WebCrypto AES-CTR ${us(base)} (${mbps(base)})`,
          ratio: `${(v / base).toFixed(2)}×`,
          // 30 fps video at 1 ms per 50 KB frame is 3 % of one core; audio frames are far smaller.
          target: r.size > 10_000 ? '≤ 1000 µs per 50 KB frame' : '≤ 100 µs per 1 KB frame',
        });
      }
    }
    return rows;
  } finally {
    await browser.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
