import parsePrometheusTextFormat, { type ParsedFamily } from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startServer, type RunningServer } from '../../server/app.js';
import { SIGNAL_PATH, type ErrReply } from '../../src/protocol/messages.js';
import { SignalClient } from './signal-client.js';

async function scrape(server: RunningServer): Promise<Map<string, ParsedFamily>> {
  const res = await fetch(`${server.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return new Map(parsePrometheusTextFormat(await res.text()).map((f) => [f.name, f]));
}

/** The value of a counter or gauge (with these labels). */
function value(m: Map<string, ParsedFamily>, name: string, labels: Record<string, string> = {}): number {
  const family = m.get(name);
  if (!family) return 0;
  const sample = family.metrics.find((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
  return Number(sample?.value ?? 0);
}

describe('GET /metrics and GET /healthz', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ port: 0, quiet: true });
  });
  afterAll(() => server.close());

  it('/healthz says ready to a load balancer (no Origin, any Host name)', async () => {
    const res = await fetch(`${server.url}/healthz`, { headers: { Host: 'node-7.internal' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready' });
  });

  it('parses as Prometheus text; its counters and gauges move with joins, refusals, relays and leaves', async () => {
    const before = await scrape(server);
    for (const name of [
      'agora_connections',
      'agora_channels',
      'agora_members',
      'agora_joins_total',
      'agora_join_latency_seconds',
      'agora_join_rejected_total',
      'agora_relayed_messages_total',
      'agora_joins_per_second',
      'agora_redis_round_trip_seconds',
    ]) {
      expect(before.has(name), name).toBe(true);
    }
    expect(before.get('agora_join_latency_seconds')!.type).toBe('HISTOGRAM');

    const a = await SignalClient.open(server.url);
    const b = await SignalClient.open(server.url);
    const ja = await a.enter('metrics room');
    const jb = await b.enter('metrics room');
    const c = await SignalClient.open(server.url);
    await c.hello('0123456789abcdef0123456789abcdef');
    const refused = (await c.join('metrics room', ja.uid)) as ErrReply;
    expect(refused.code).toBe(17);
    a.send({ t: 'relay', to: jb.uid, data: { k: 'sub', on: true } });
    await b.next((m) => m.t === 'relay');

    const during = await scrape(server);
    expect(value(during, 'agora_joins_total') - value(before, 'agora_joins_total')).toBe(2);
    expect(value(during, 'agora_members')).toBe(2);
    expect(value(during, 'agora_channels')).toBe(1);
    expect(value(during, 'agora_connections')).toBe(3);
    expect(value(during, 'agora_joins_per_second')).toBeGreaterThan(0);
    expect(
      value(during, 'agora_join_rejected_total', { code: '17', name: 'ERR_JOIN_CHANNEL_REJECTED' }) -
        value(before, 'agora_join_rejected_total', { code: '17', name: 'ERR_JOIN_CHANNEL_REJECTED' }),
    ).toBe(1);
    const latency = during.get('agora_join_latency_seconds')!.metrics[0]!;
    expect(Number(latency.count)).toBeGreaterThanOrEqual(2);
    expect(
      value(during, 'agora_relayed_messages_total') - value(before, 'agora_relayed_messages_total'),
    ).toBe(1);

    expect(await a.request({ t: 'leave' })).toMatchObject({ t: 'ok' });
    const after = await scrape(server);
    expect(value(after, 'agora_leaves_total') - value(before, 'agora_leaves_total')).toBe(1);
    expect(value(after, 'agora_members')).toBe(1);
    for (const x of [a, b, c]) x.close();
  });
});

describe('drain (SIGTERM under npm start)', () => {
  it('members are told to reconnect, new sockets get 503, /healthz says draining, and drain ends when the last socket closes', async () => {
    const server = await startServer({ port: 0, quiet: true });
    const a = await SignalClient.open(server.url);
    await a.enter('drain room');
    const drained = server.drain(10_000);
    expect(server.draining).toBe(true);
    expect(await a.next((m) => m.t === 'reconnect')).toMatchObject({ t: 'reconnect' });

    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({ status: 'draining' });

    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(server.url.replace('http', 'ws') + SIGNAL_PATH);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(503);

    const t0 = Date.now();
    a.close();
    await drained;
    expect(Date.now() - t0).toBeLessThan(5000);
    await server.close();
  });
});
