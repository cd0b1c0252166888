// CPU of a 2-page call with statistics and network quality running (a network-quality listener, so the 2 s
// monitor samples every link, and getStats every 2 s as an app's stats panel would) against the same call without
// them, rounds interleaved in one browser; the CPU measurement is crypto-call.bench.ts's.
import type { Page } from 'playwright-core';
import type { BenchRow } from './run.js';
import { callCpu, median } from './crypto-call.bench.js';
import { launchBrowser, serve } from '../e2e/harness.js';

const ROUNDS = Number(process.env.BENCH_QUALITY_ROUNDS) || 6;

async function withQuality(p: Page): Promise<void> {
  await p.evaluate(() => {
    const w = window as unknown as {
      T: { client: { on(e: string, f: (e: unknown) => void): void; getStats(): Promise<unknown> } };
      seen: number;
    };
    w.seen = 0;
    w.T.client.on('network-quality', () => void w.seen++);
    setInterval(() => void w.T.client.getStats(), 2000);
  });
}

export default async function bench(): Promise<BenchRow[]> {
  const server = await serve({ staticDirs: { '/test-pages/': 'test/e2e/pages' } });
  const tag = `--agora-bench-quality-${process.pid}`;
  const browser = await launchBrowser([tag]);
  const url = `${server.url}/test-pages/call.html`;
  try {
    const plain: number[] = [];
    const quality: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      // Alternate which goes first: the same call measures a few % apart depending on what ran just before.
      for (const on of i % 2 === 0 ? [false, true] : [true, false]) {
        const cpu = await callCpu(browser, tag, url, undefined, undefined, on ? withQuality : undefined);
        (on ? quality : plain).push(cpu);
      }
    }
    const paired = median(quality.map((x, i) => x / plain[i]!));
    return [
      {
        name: `CPU of a 2-page 480P call with getStats + network-quality every 2 s (median of ${ROUNDS} paired rounds)`,
        value: `${(median(quality) * 100).toFixed(0)}% of a core`,
        baseline: `${(median(plain) * 100).toFixed(0)}% without`,
        ratio: `${paired.toFixed(3)}×`,
        target: '≤ 1.02×',
      },
    ];
  } finally {
    await browser.close();
    await server.close();
  }
}
