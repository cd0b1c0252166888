// Issue 10, finding 1: 300 members from one address, each sending 50 state changes a second into one channel.
// What a member of ANOTHER channel sees meanwhile (the worst round trip of its hello, sent every 100 ms) and the
// server's worst event-loop delay, for three servers measured in the same run:
// - "limits off": every limit raised out of reach and no coalescing: the server before issue 10, except for what
//   cannot be turned off (the heartbeat that does not blame clients for its own stalls, and corked writes);
// - "defaults": the flood as it comes from one address (the per-address limits refuse most of it);
// - "as from 300 addresses": per-address and per-channel limits raised, so only the broadcast budget and the
//   coalescing of state changes protect.
// Server and flood each run in their own process, as they would in an attack; everything stays on loopback.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import type { BenchRow } from './run.js';
import type { ServerLimits } from '../../server/app.js';
import { SIGNAL_PATH } from '../../src/protocol/messages.js';

const APP = '0123456789abcdef0123456789abcdef';
const MEMBERS = 300;
const RATE = 50;
const SECONDS = 8;
const SERVER = fileURLToPath(new URL('./flood-server.ts', import.meta.url));
const FLOOD = fileURLToPath(new URL('../unit/flood-clients.ts', import.meta.url));

const OFF: Partial<ServerLimits> = {
  maxConnectionsPerIp: 1e9,
  maxChannelsPerIp: 1e9,
  maxMembersPerChannel: 1e9,
  stateIntervalMs: 0,
  channelSendsPerSecond: 1e12,
};
const SPREAD: Partial<ServerLimits> = { maxConnectionsPerIp: 1e9, maxMembersPerChannel: 1e9 };

interface Run {
  worstHelloMs: number;
  p50HelloMs: number;
  maxDelayMs: number;
  /** The server's CPU time over wall time during the flood: near 1 means it was the bottleneck. */
  cpuShare: number;
  bystanderDropped: boolean;
  joined: number;
}

function tsx(file: string, args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', file, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
}

async function run(limits: Partial<ServerLimits>): Promise<Run> {
  const server = tsx(SERVER, [JSON.stringify(limits)]);
  const out = createInterface({ input: server.stdout! });
  const replies: string[] = [];
  let wake: (() => void) | undefined;
  out.on('line', (l) => {
    replies.push(l);
    wake?.();
  });
  const reply = async (): Promise<Record<string, unknown>> => {
    while (replies.length === 0) await new Promise<void>((r) => (wake = r));
    return JSON.parse(replies.shift()!) as Record<string, unknown>;
  };
  const { url } = (await reply()) as { url: string };
  try {
    // The bystander: a member of another channel.
    const ws = new WebSocket(url.replace('http', 'ws') + SIGNAL_PATH);
    await once(ws, 'open');
    let closed = false;
    ws.on('close', () => (closed = true));
    const pending = new Map<number, number>();
    const rtts: number[] = [];
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { id?: number };
      const sent = m.id === undefined ? undefined : pending.get(m.id);
      if (sent !== undefined) {
        rtts.push(performance.now() - sent);
        pending.delete(m.id!);
      }
    });
    let id = 1;
    ws.send(JSON.stringify({ t: 'hello', id: id++, appId: APP, sdk: 'bench' }));
    ws.send(
      JSON.stringify({
        t: 'join',
        id: id++,
        channel: 'quiet',
        uid: 1,
        key: null,
        state: { published: true, audioMuted: false, videoMuted: false },
      }),
    );
    await new Promise((r) => setTimeout(r, 300));
    rtts.length = 0;

    server.stdin!.write('reset\n');
    const flood = tsx(FLOOD, [url, String(MEMBERS), String(RATE), String(SECONDS), APP]);
    let floodOut = '';
    flood.stdout!.on('data', (b: Buffer) => (floodOut += b.toString()));
    const floodDone = once(flood, 'exit');
    let done = false;
    void floodDone.then(() => (done = true));
    const timer = setInterval(() => {
      if (ws.readyState !== WebSocket.OPEN) return;
      pending.set(id, performance.now());
      ws.send(JSON.stringify({ t: 'hello', id: id++, appId: APP, sdk: 'bench' }));
    }, 100);
    while (!done) await new Promise((r) => setTimeout(r, 100));
    // Hellos still unanswered count with the time they have waited so far, after a short drain.
    await new Promise((r) => setTimeout(r, 1000));
    clearInterval(timer);
    const now = performance.now();
    for (const sent of pending.values()) rtts.push(now - sent);
    server.stdin!.write('stats\n');
    const stats = (await reply()) as { maxDelayMs: number; cpuShare: number };
    ws.terminate();
    const sorted = [...rtts].sort((a, b) => a - b);
    return {
      worstHelloMs: sorted[sorted.length - 1] ?? NaN,
      p50HelloMs: sorted[Math.floor(sorted.length / 2)] ?? NaN,
      maxDelayMs: stats.maxDelayMs,
      cpuShare: stats.cpuShare,
      bystanderDropped: closed,
      joined: (JSON.parse(floodOut || '{}') as { joined?: number }).joined ?? 0,
    };
  } finally {
    server.stdin!.end();
    await once(server, 'exit');
  }
}

const ms = (x: number) => `${Math.round(x)} ms`;

export default async function floodBench(): Promise<BenchRow[]> {
  const before = await run(OFF);
  const rows: BenchRow[] = [];
  for (const [label, limits] of [
    ['defaults', {}],
    ['as from 300 addresses', SPREAD],
  ] as const) {
    const after = await run(limits);
    const tag = `${MEMBERS}×${RATE}/s flood, ${label} (${after.joined} joined; limits off: ${before.joined})`;
    rows.push(
      {
        name: `other channel's worst hello round trip, ${tag}`,
        value: ms(after.worstHelloMs),
        baseline: `${ms(before.worstHelloMs)} limits off`,
        ratio: `${(after.worstHelloMs / before.worstHelloMs).toFixed(3)}×`,
        target: '≤ 100 ms',
      },
      {
        name: `other channel's median hello round trip, ${label}`,
        value: ms(after.p50HelloMs),
        baseline: `${ms(before.p50HelloMs)} limits off`,
        ratio: `${(after.p50HelloMs / before.p50HelloMs).toFixed(3)}×`,
        target: '—',
      },
      {
        name: `server's max event-loop delay, ${label}`,
        value: ms(after.maxDelayMs),
        baseline: `${ms(before.maxDelayMs)} limits off`,
        ratio: `${(after.maxDelayMs / before.maxDelayMs).toFixed(3)}×`,
        target: '—',
      },
      {
        name: `server's CPU time / wall time during the flood, ${label}`,
        value: after.cpuShare.toFixed(2),
        baseline: `${before.cpuShare.toFixed(2)} limits off`,
        ratio: `${(after.cpuShare / before.cpuShare).toFixed(3)}×`,
        target: '—',
      },
      {
        name: `member of the other channel dropped, ${label}`,
        value: after.bystanderDropped ? 'yes' : 'no',
        baseline: before.bystanderDropped ? 'yes (limits off)' : 'no (limits off)',
        ratio: '—',
        target: 'no',
      },
    );
  }
  return rows;
}
