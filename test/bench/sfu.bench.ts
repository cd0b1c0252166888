// Mesh vs SFU (Janus) in the same run: per-page upload and browser CPU for 2, 4 and 6 participants (8 with
// BENCH_SFU_SIZES=2,4,6,8; too heavy for this 2-core box's default run), a late joiner's join → first remote
// frame, the longest remote-video gap while a 5-page channel moves from the mesh to Janus (baseline: a fifth page
// joining a mesh), and Janus's own CPU and memory.
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import type { BenchRow } from './run.js';
import { median, treeCpu } from './crypto-call.bench.js';
import { APP_ID, launchBrowser, openPage, serve, until } from '../e2e/harness.js';
import { startJanus, type JanusProcess } from '../e2e/janus.js';
import { gapLog, longestGap, watchGaps } from '../e2e/sfu-helpers.js';
import type { RunningServer } from '../../server/app.js';

const SIZES = (process.env.BENCH_SFU_SIZES ?? '2,4,6')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const JOINS = Number(process.env.BENCH_SFU_JOINS ?? 7);
/** Moves (and as many mesh joins for the baseline) whose longest gaps give the medians. */
const MOVES = Number(process.env.BENCH_SFU_MOVES ?? 5);
const MEASURE_MS = 6_000;
const TICK = 100;

type T = {
  T: {
    join(a: string, c: string, u: number, o: object): Promise<number>;
    has(ev: string, uid?: number): boolean;
    client: { transport: { connections(): Map<number, RTCPeerConnection> } };
  };
};

async function join(page: Page, channel: string, opts: object = {}): Promise<number> {
  return page.evaluate(([appId, channel, opts]) => (window as unknown as T).T.join(appId, channel, 0, opts), [
    APP_ID,
    channel,
    opts,
  ] as const);
}

/** Bytes sent so far over all of the page's connections (audio and video). */
function bytesSent(page: Page): Promise<number> {
  return page.evaluate(async () => {
    let n = 0;
    for (const pc of (window as unknown as T).T.client.transport.connections().values()) {
      (await pc.getStats()).forEach((r: { type: string; bytesSent?: number }) => {
        if (r.type === 'outbound-rtp') n += r.bytesSent ?? 0;
      });
    }
    return n;
  });
}

async function everyoneSubscribed(pages: Page[], uids: number[]): Promise<void> {
  for (const [i, p] of pages.entries()) {
    for (const [j, uid] of uids.entries()) {
      if (i === j) continue;
      await until(
        () => p.evaluate((uid) => (window as unknown as T).T.has('stream-subscribed', uid), uid),
        90_000,
        `page ${i} subscribed to ${uid}`,
      );
    }
  }
}

/** n pages at 120P: median upload per page (kbit/s) and the browser's CPU (cores) over MEASURE_MS. */
async function callLoad(
  browser: Browser,
  tag: string,
  server: RunningServer,
  n: number,
): Promise<{ kbps: number; cpu: number }> {
  const channel = `load ${n} ${Math.random()}`;
  const pages: Page[] = [];
  const uids: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = await openPage(browser, `${server.url}/test-pages/call.html`);
    pages.push(p);
    uids.push(await join(p, channel));
  }
  await everyoneSubscribed(pages, uids);
  await new Promise((r) => setTimeout(r, 3_000));
  const before = await Promise.all(pages.map(bytesSent));
  const cpu0 = treeCpu(tag);
  await new Promise((r) => setTimeout(r, MEASURE_MS));
  const cpu = (treeCpu(tag) - cpu0) / (MEASURE_MS / 1000);
  const after = await Promise.all(pages.map(bytesSent));
  await Promise.all(pages.map((p) => p.context().close()));
  const kbps = median(after.map((a, i) => ((a - before[i]!) * 8) / MEASURE_MS));
  return { kbps, cpu };
}

/** A publisher in a channel; each new viewer joins and times join() → its first decoded remote frame. */
async function firstFrames(browser: Browser, server: RunningServer): Promise<number[]> {
  const channel = `first ${Math.random()}`;
  const publisher = await openPage(browser, `${server.url}/test-pages/call.html`);
  const uid = await join(publisher, channel, { profile: '240P' });
  const times: number[] = [];
  for (let i = 0; i < JOINS; i++) {
    const viewer = await openPage(browser, `${server.url}/test-pages/call.html`);
    const ms = await viewer.evaluate(
      async ([appId, channel, uid]) => {
        const t0 = performance.now();
        await (window as unknown as T).T.join(appId, channel, 0, { publish: false });
        for (;;) {
          const v = document.querySelector(`#remote-${uid} video`) as HTMLVideoElement | null;
          if (v && v.videoWidth > 0) {
            await new Promise<void>((r) => v.requestVideoFrameCallback(() => r()));
            return performance.now() - t0;
          }
          await new Promise((r) => setTimeout(r, 5));
        }
      },
      [APP_ID, channel, uid] as const,
    );
    times.push(ms);
    await viewer.context().close();
  }
  await publisher.context().close();
  return times;
}

/** Five pages: the longest remote-video gap any of the first four sees while the fifth joins (and, with an SFU at MESH_MAX=4, the call moves). */
async function fifthJoinGap(browser: Browser, server: RunningServer): Promise<number> {
  const channel = `move ${Math.random()}`;
  const pages: Page[] = [];
  const uids: number[] = [];
  for (let i = 0; i < 4; i++) {
    const p = await openPage(browser, `${server.url}/test-pages/call.html`);
    pages.push(p);
    uids.push(await join(p, channel));
  }
  await everyoneSubscribed(pages, uids);
  await new Promise((r) => setTimeout(r, 2_000));
  for (const p of pages) await watchGaps(p);
  const fifth = await openPage(browser, `${server.url}/test-pages/call.html`);
  pages.push(fifth);
  uids.push(await join(fifth, channel));
  await everyoneSubscribed(pages, uids);
  await new Promise((r) => setTimeout(r, 10_000)); // the move closes the mesh within 10 s
  const gap = Math.max(...(await Promise.all(pages.slice(0, 4).map(longestGap))));
  // BENCH_SFU_GAP_LOG=1: what each watching page saw (whole-page stalls show as every remote pausing at once).
  if (process.env.BENCH_SFU_GAP_LOG)
    for (const [i, p] of pages.slice(0, 4).entries())
      console.log(`page ${i}:\n  ${(await gapLog(p)).join('\n  ')}`);
  await Promise.all(pages.map((p) => p.context().close()));
  return gap;
}

function procCpu(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK;
}

function procRssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

export default async function bench(): Promise<BenchRow[]> {
  const janus: JanusProcess = await startJanus();
  const sfuOpts = { urls: [janus.url], apiSecret: janus.apiSecret };
  const pages = { '/test-pages/': 'test/e2e/pages' };
  const mesh = await serve({ staticDirs: pages });
  const sfu = await serve({ staticDirs: pages, sfu: { ...sfuOpts, meshMax: 0 } });
  const moving = await serve({ staticDirs: pages, sfu: { ...sfuOpts, meshMax: 4 } });
  const tag = `--agora-bench-sfu-${process.pid}`;
  const browser = await launchBrowser([tag]);
  const rows: BenchRow[] = [];
  try {
    for (const n of SIZES) {
      const m = await callLoad(browser, tag, mesh, n);
      const j0 = procCpu(janus.child.pid!);
      const t0 = Date.now();
      const s = await callLoad(browser, tag, sfu, n);
      // Over the whole SFU call, joins included.
      const janusCpu = (procCpu(janus.child.pid!) - j0) / ((Date.now() - t0) / 1000);
      rows.push({
        name: `upload per page, ${n} pages at 120P (median page)`,
        value: `${s.kbps.toFixed(0)} kbit/s SFU`,
        baseline: `${m.kbps.toFixed(0)} kbit/s mesh`,
        ratio: `${(s.kbps / m.kbps).toFixed(2)}×`,
        target: 'flat as the channel grows',
      });
      rows.push({
        name: `browser CPU, ${n} pages at 120P (all pages)`,
        value: `${(s.cpu * 100).toFixed(0)}% of a core SFU (+ Janus ${(janusCpu * 100).toFixed(1)}%, ${procRssMb(janus.child.pid!).toFixed(0)} MB)`,
        baseline: `${(m.cpu * 100).toFixed(0)}% mesh`,
        ratio: `${(s.cpu / m.cpu).toFixed(2)}×`,
        target: '—',
      });
    }
    if (JOINS > 0) {
      const fm = await firstFrames(browser, mesh);
      const fs = await firstFrames(browser, sfu);
      rows.push({
        name: `late joiner: join → first remote frame (median of ${JOINS})`,
        value: `${median(fs).toFixed(0)} ms SFU`,
        baseline: `${median(fm).toFixed(0)} ms mesh`,
        ratio: `${(median(fs) / median(fm)).toFixed(2)}×`,
        target: '≤ 1.5×',
      });
    }
    if (MOVES > 0) {
      // Interleaved, so that both see the same load on this shared machine.
      const still: number[] = [];
      const moved: number[] = [];
      for (let i = 0; i < MOVES; i++) {
        still.push(await fifthJoinGap(browser, mesh));
        moved.push(await fifthJoinGap(browser, moving));
      }
      const fmt = (xs: number[]) => xs.map((x) => x.toFixed(0)).join('/');
      rows.push({
        name: `longest remote-video gap while a 5th page joins (4 pages watching; median of ${MOVES}, each: ${fmt(moved)} vs ${fmt(still)})`,
        value: `${median(moved).toFixed(0)} ms moving to the SFU`,
        baseline: `${median(still).toFixed(0)} ms staying a mesh`,
        ratio: `${(median(moved) / median(still)).toFixed(2)}×`,
        target: '≤ 1 s',
      });
    }
  } finally {
    await browser.close();
    await Promise.all([mesh.close(), sfu.close(), moving.close()]);
    await janus.stop();
  }
  return rows;
}
