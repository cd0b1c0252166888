// CPU of a 2-page encrypted call against the same call unencrypted, measured as CPU time of the whole Chromium
// process tree (browser, renderers, GPU and network services) over the same wall time, rounds interleaved.
import { readdirSync, readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import type { BenchRow } from './run.js';
import { APP_ID, launchBrowser, openPage, serve, until } from '../e2e/harness.js';

const ROUNDS = 8;
const WARMUP_MS = 3_000;
const MEASURE_MS = 10_000;
const TICK = 100; // USER_HZ on Linux

function procStat(pid: number): { ppid: number; cpu: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), cpu: Number(f[11]) + Number(f[12]) };
  } catch {
    return null;
  }
}

/** CPU seconds used so far by the browser whose command line carries `tag`, and all its descendants. */
export function treeCpu(tag: string): number {
  const pids = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
  const stats = new Map(pids.map((p) => [p, procStat(p)] as const));
  const root = pids.find((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(tag) && stats.get(p)?.ppid !== undefined;
    } catch {
      return false;
    }
  });
  if (root === undefined) throw new Error('browser process not found');
  const tree = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [p, s] of stats) {
      if (s && !tree.has(p) && tree.has(s.ppid)) {
        tree.add(p);
        grew = true;
      }
    }
  }
  let ticks = 0;
  for (const p of tree) ticks += stats.get(p)?.cpu ?? 0;
  return ticks / TICK;
}

/**
 * CPU (cores) of a 2-page 480P call over MEASURE_MS after a warm-up. `setup` runs in each page once the call is up
 * (e.g. to turn on what a bench compares).
 */
export async function callCpu(
  browser: Browser,
  tag: string,
  url: string,
  secret?: string,
  mode?: string,
  setup?: (p: Page) => Promise<void>,
): Promise<number> {
  const channel = `cpu ${Math.random()}`;
  const pages: Page[] = [];
  for (let i = 0; i < 2; i++) {
    const p = await openPage(browser, url);
    await p.evaluate(
      ([appId, channel, opts]) =>
        (
          window as unknown as { T: { join(a: string, c: string, u: number, o: object): Promise<number> } }
        ).T.join(appId, channel, 0, opts),
      [APP_ID, channel, { profile: '480P', ...(secret ? { secret, mode } : {}) }] as const,
    );
    pages.push(p);
  }
  for (const p of pages) {
    await until(
      () =>
        p.evaluate(() =>
          (window as unknown as { events: { ev: string }[] }).events.some(
            (e) => e.ev === 'stream-subscribed',
          ),
        ),
      15_000,
      'call up',
    );
  }
  if (setup) for (const p of pages) await setup(p);
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  const before = treeCpu(tag);
  await new Promise((r) => setTimeout(r, MEASURE_MS));
  const used = treeCpu(tag) - before;
  await Promise.all(pages.map((p) => p.context().close()));
  return used / (MEASURE_MS / 1000);
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export default async function bench(): Promise<BenchRow[]> {
  const server = await serve({ staticDirs: { '/test-pages/': 'test/e2e/pages' } });
  const tag = `--agora-bench-${process.pid}`;
  const browser = await launchBrowser([tag]);
  const url = `${server.url}/test-pages/call.html`;
  try {
    const modes = (process.env.BENCH_MODES ?? 'aes-128-xts,aes-128-gcm').split(',');
    const plain: number[] = [];
    const enc = new Map(modes.map((m) => [m, [] as number[]]));
    for (let i = 0; i < ROUNDS; i++) {
      // Alternate the order within a round: on this machine the same call measures a few % apart depending on
      // what ran just before it.
      const order: (string | undefined)[] =
        i % 2 === 0 ? [undefined, ...modes] : [...modes.slice().reverse(), undefined];
      for (const m of order) {
        const cpu = await callCpu(browser, tag, url, m && 'bench secret', m);
        if (m) enc.get(m)!.push(cpu);
        else plain.push(cpu);
      }
    }
    const p = median(plain);
    return modes.map((m) => {
      const e = median(enc.get(m)!);
      // Each round pairs an encrypted call with the unencrypted one just before it: the median of the paired
      // ratios cancels most of the machine's drift.
      const paired = median(enc.get(m)!.map((x, i) => x / plain[i]!));
      return {
        name: `CPU of a 2-page 480P call, ${m} (median of ${ROUNDS} paired rounds)`,
        value: `${(e * 100).toFixed(0)}% of a core`,
        baseline: `${(p * 100).toFixed(0)}% unencrypted`,
        ratio: `${paired.toFixed(3)}×`,
        target: '≤ 1.05×',
      };
    });
  } finally {
    await browser.close();
    await server.close();
  }
}
