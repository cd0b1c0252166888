// Issue 15, item 3: how many signaling clients one node holds, at what join rate and latency, and at what memory,
// beside a bare `ws` relay (the floor) and beside two nodes sharing one Redis, all measured in the same run.
// Each client opens a WebSocket, says hello and joins a channel of MEMBERS users; joins are paced at RATE/s and all
// clients stay connected until the end. Loopback only; bounded by BENCH_CLIENTS (default 10,000) and a deadline.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { SIGNAL_PATH } from '../../src/protocol/messages.js';
import { startRedis } from '../redis-server.js';
import type { BenchRow } from './run.js';

const APP = '0123456789abcdef0123456789abcdef';
const CLIENTS = Number(process.env.BENCH_CLIENTS) || 10_000;
const RATE = Number(process.env.BENCH_JOIN_RATE) || 500;
const MEMBERS = 4;
const DEADLINE_MS = 120_000;
const SERVER = fileURLToPath(new URL('./load-server.ts', import.meta.url));

interface Node {
  url: string;
  rssMb(): Promise<number>;
  stop(): Promise<void>;
}

async function startNode(mode: 'agora' | 'bare', redisUrl?: string, heartbeatMs?: number): Promise<Node> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', SERVER, mode, ...(redisUrl ? [redisUrl] : [])],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, ...(heartbeatMs ? { HEARTBEAT_MS: String(heartbeatMs) } : {}) },
    },
  );
  const lines = createInterface({ input: child.stdout! });
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  lines.on('line', (l) => {
    queue.push(l);
    wake?.();
  });
  const next = async () => {
    while (queue.length === 0) await new Promise<void>((r) => (wake = r));
    return JSON.parse(queue.shift()!) as Record<string, unknown>;
  };
  const { url } = (await next()) as { url: string };
  return {
    url,
    async rssMb() {
      child.stdin!.write('stats\n');
      return ((await next()) as { rssMb: number }).rssMb;
    },
    async stop() {
      child.stdin!.end();
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

interface Result {
  joined: number;
  joinsPerSecond: number;
  p50: number;
  p99: number;
  rssIdleMb: number;
  rssMb: number;
}

/** CLIENTS clients joining at RATE/s, spread over `nodes` in turn. */
async function load(nodes: Node[]): Promise<Result> {
  const rssIdle = (await Promise.all(nodes.map((n) => n.rssMb()))).reduce((a, b) => a + b, 0);
  const sockets: WebSocket[] = [];
  const latencies: number[] = [];
  const t0 = performance.now();
  const deadline = Date.now() + DEADLINE_MS;
  const one = (i: number) =>
    new Promise<void>((resolve) => {
      const ws = new WebSocket(nodes[i % nodes.length]!.url.replace('http', 'ws') + SIGNAL_PATH, {
        perMessageDeflate: false,
      });
      sockets.push(ws);
      let sentAt = 0;
      ws.on('error', () => resolve());
      ws.on('open', () => ws.send(JSON.stringify({ t: 'hello', id: 1, appId: APP, sdk: 'bench' })));
      ws.on('message', (data) => {
        const m = JSON.parse(String(data)) as { t: string; id?: number };
        if (m.t === 'ok' && m.id === 1) {
          sentAt = performance.now();
          const state = { published: false, audioMuted: false, videoMuted: false };
          ws.send(
            JSON.stringify({
              t: 'join',
              id: 2,
              channel: `ch ${Math.floor(i / MEMBERS)}`,
              uid: 0,
              key: null,
              state,
            }),
          );
        } else if (m.id === 2) {
          if (m.t === 'ok') latencies.push(performance.now() - sentAt);
          resolve();
        }
      });
    });
  const pending: Promise<void>[] = [];
  for (let i = 0; i < CLIENTS && Date.now() < deadline; i++) {
    // Paced: client i starts at i / RATE seconds.
    const wait = t0 + (i / RATE) * 1000 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(one(i));
  }
  await Promise.race([
    Promise.all(pending),
    new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now()))),
  ]);
  const seconds = (performance.now() - t0) / 1000;
  // Let the heap settle with everyone connected before reading memory.
  await new Promise((r) => setTimeout(r, 2000));
  const rss = (await Promise.all(nodes.map((n) => n.rssMb()))).reduce((a, b) => a + b, 0);
  for (const ws of sockets) ws.terminate();
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  return {
    joined: latencies.length,
    joinsPerSecond: latencies.length / seconds,
    p50: q(0.5),
    p99: q(0.99),
    rssIdleMb: rssIdle,
    rssMb: rss,
  };
}

async function measure(
  mode: 'agora' | 'bare',
  count: number,
  redisUrl?: string,
  heartbeatMs?: number,
): Promise<Result> {
  const nodes = await Promise.all(
    Array.from({ length: count }, () => startNode(mode, redisUrl, heartbeatMs)),
  );
  try {
    return await load(nodes);
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
  }
}

export default async function bench(): Promise<BenchRow[]> {
  const bareR = await measure('bare', 1);
  const one = await measure('agora', 1);
  // The default heartbeat pings every socket every second (a vanished user is gone within 5 s): at 10k sockets
  // that is 10k pings and pongs a second. The same node with a 10 s heartbeat shows what that costs.
  const calm = await measure('agora', 1, undefined, 10_000);
  const redis = await startRedis();
  let two: Result;
  try {
    two = await measure('agora', 2, redis.url);
  } finally {
    await redis.stop();
  }
  const ms = (v: number) => `${v.toFixed(2)} ms`;
  const mb = (v: number) => `${v.toFixed(0)} MB`;
  const x = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
  const perClient = (r: Result) => ((r.rssMb - r.rssIdleMb) * 1024) / Math.max(1, r.joined);
  return [
    {
      name: `clients joined and held (of ${CLIENTS}), one node`,
      value: String(one.joined),
      baseline: `${bareR.joined} (bare ws)`,
      ratio: x(one.joined, bareR.joined),
      target: `${CLIENTS}`,
    },
    {
      name: 'joins/s achieved, one node',
      value: one.joinsPerSecond.toFixed(0),
      baseline: `${bareR.joinsPerSecond.toFixed(0)} (bare ws)`,
      ratio: x(one.joinsPerSecond, bareR.joinsPerSecond),
      target: `${RATE}/s offered`,
    },
    {
      name: 'join latency p50, one node',
      value: ms(one.p50),
      baseline: `${ms(bareR.p50)} (bare ws)`,
      ratio: x(one.p50, bareR.p50),
      target: '—',
    },
    {
      name: 'join latency p99, one node',
      value: ms(one.p99),
      baseline: `${ms(bareR.p99)} (bare ws)`,
      ratio: x(one.p99, bareR.p99),
      target: '≤ 20 ms',
    },
    {
      name: `RSS with all clients, one node`,
      value: mb(one.rssMb),
      baseline: `${mb(bareR.rssMb)} (bare ws)`,
      ratio: x(one.rssMb, bareR.rssMb),
      target: '≤ 300 MB',
    },
    {
      name: 'memory per client, one node',
      value: `${perClient(one).toFixed(1)} KB`,
      baseline: `${perClient(bareR).toFixed(1)} KB (bare ws)`,
      ratio: x(perClient(one), perClient(bareR)),
      target: '—',
    },
    {
      name: 'clients joined and held, one node, 10 s heartbeat',
      value: String(calm.joined),
      baseline: `${one.joined} (1 s heartbeat)`,
      ratio: x(calm.joined, one.joined),
      target: `${CLIENTS}`,
    },
    {
      name: 'joins/s achieved, one node, 10 s heartbeat',
      value: calm.joinsPerSecond.toFixed(0),
      baseline: `${one.joinsPerSecond.toFixed(0)} (1 s heartbeat)`,
      ratio: x(calm.joinsPerSecond, one.joinsPerSecond),
      target: `${RATE}/s offered`,
    },
    {
      name: 'join latency p99, one node, 10 s heartbeat',
      value: ms(calm.p99),
      baseline: `${ms(bareR.p99)} (bare ws)`,
      ratio: x(calm.p99, bareR.p99),
      target: '≤ 20 ms',
    },
    {
      name: 'RSS with all clients, one node, 10 s heartbeat',
      value: mb(calm.rssMb),
      baseline: `${mb(bareR.rssMb)} (bare ws)`,
      ratio: x(calm.rssMb, bareR.rssMb),
      target: '≤ 300 MB',
    },
    {
      name: 'memory per client, one node, 10 s heartbeat',
      value: `${perClient(calm).toFixed(1)} KB`,
      baseline: `${perClient(bareR).toFixed(1)} KB (bare ws)`,
      ratio: x(perClient(calm), perClient(bareR)),
      target: '—',
    },
    {
      name: 'join latency p50, two nodes on Redis',
      value: ms(two.p50),
      baseline: `${ms(one.p50)} (one node)`,
      ratio: x(two.p50, one.p50),
      target: '—',
    },
    {
      name: 'join latency p99, two nodes on Redis',
      value: ms(two.p99),
      baseline: `${ms(one.p99)} (one node)`,
      ratio: x(two.p99, one.p99),
      target: '—',
    },
    {
      name: 'joins/s achieved, two nodes on Redis',
      value: two.joinsPerSecond.toFixed(0),
      baseline: `${one.joinsPerSecond.toFixed(0)} (one node)`,
      ratio: x(two.joinsPerSecond, one.joinsPerSecond),
      target: `${RATE}/s offered`,
    },
    {
      name: 'RSS with all clients, two nodes together',
      value: mb(two.rssMb),
      baseline: `${mb(one.rssMb)} (one node)`,
      ratio: x(two.rssMb, one.rssMb),
      target: '—',
    },
  ];
}
