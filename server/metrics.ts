// What an operator watches: GET /metrics in Prometheus text format (prom-client), and GET /healthz for the load
// balancer. The signaling server reports events through SignalingMetrics; gauges are read from it when scraped.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Route } from './http.js';

/** What the signaling server tells its metrics (every call is cheap: a counter or a histogram bucket). */
export interface SignalingMetrics {
  /** A join (or session rejoin) succeeded `seconds` after its message arrived. */
  joined(seconds: number): void;
  /** A join was refused with this error. */
  rejected(code: number, name: string): void;
  /** A member left its channel (left, vanished, key expired, moved…). */
  left(): void;
  /** One relay message delivered to its target (on this node or through the cluster). */
  relayed(): void;
  /** One Redis command's round trip, when the server runs in a cluster. */
  redisRoundTrip(seconds: number): void;
}

export interface MetricsSources {
  stats(): { connections: number; channels: number; members: number };
}

/** Joins per second over this many seconds, for the joins/s gauge (the counter's rate() is the Prometheus way). */
const RATE_WINDOW_S = 10;

export class ServerMetrics implements SignalingMetrics {
  readonly registry = new Registry();
  private readonly joins: Counter;
  private readonly leaves: Counter;
  private readonly rejects: Counter<'code' | 'name'>;
  private readonly relays: Counter;
  private readonly joinLatency: Histogram;
  private readonly redis: Histogram;
  /** Joins in each of the last RATE_WINDOW_S seconds (ring indexed by Unix second). */
  private readonly perSecond = new Array<number>(RATE_WINDOW_S).fill(0);
  private lastSecond = 0;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'agora_' });
    const gauge = (name: string, help: string, read: () => number): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    };
    gauge('agora_connections', 'Open signaling WebSockets on this node.', () => sources.stats().connections);
    gauge('agora_channels', 'Channels with members on this node.', () => sources.stats().channels);
    gauge('agora_members', 'Channel members connected to this node.', () => sources.stats().members);
    gauge('agora_joins_per_second', `Joins per second over the last ${RATE_WINDOW_S} s.`, () =>
      this.joinRate(),
    );
    this.joins = new Counter({ name: 'agora_joins_total', help: 'Successful joins and rejoins.', registers });
    this.leaves = new Counter({
      name: 'agora_leaves_total',
      help: 'Members that left a channel.',
      registers,
    });
    this.rejects = new Counter({
      name: 'agora_join_rejected_total',
      help: 'Refused joins, by error code.',
      labelNames: ['code', 'name'],
      registers,
    });
    this.relays = new Counter({
      name: 'agora_relayed_messages_total',
      help: 'Relay messages (offers, answers, candidates…) delivered.',
      registers,
    });
    this.joinLatency = new Histogram({
      name: 'agora_join_latency_seconds',
      help: 'From a join message arriving to its answer being sent.',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.redis = new Histogram({
      name: 'agora_redis_round_trip_seconds',
      help: 'Round trip of Redis commands (cluster mode).',
      buckets: [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.1],
      registers,
    });
  }

  joined(seconds: number): void {
    this.joins.inc();
    this.joinLatency.observe(seconds);
    this.roll();
    this.perSecond[this.lastSecond % RATE_WINDOW_S]!++;
  }

  rejected(code: number, name: string): void {
    this.rejects.inc({ code: String(code), name });
  }

  left(): void {
    this.leaves.inc();
  }

  relayed(): void {
    this.relays.inc();
  }

  redisRoundTrip(seconds: number): void {
    this.redis.observe(seconds);
  }

  /** Clears the seconds that passed since the last join. */
  private roll(): void {
    const now = Math.floor(Date.now() / 1000);
    for (let s = Math.max(this.lastSecond + 1, now - RATE_WINDOW_S + 1); s <= now; s++) {
      this.perSecond[s % RATE_WINDOW_S] = 0;
    }
    this.lastSecond = Math.max(this.lastSecond, now);
  }

  private joinRate(): number {
    this.roll();
    return this.perSecond.reduce((a, b) => a + b, 0) / RATE_WINDOW_S;
  }

  /** GET /metrics: open to any client that reaches it (keep it off the public proxy; see docs/deploy.md). */
  route(): Route {
    return {
      method: 'GET',
      path: '/metrics',
      handle: async (_req: IncomingMessage, res: ServerResponse) => {
        const body = await this.registry.metrics();
        res.writeHead(200, { 'Content-Type': this.registry.contentType, 'Cache-Control': 'no-store' });
        res.end(body);
      },
    };
  }
}

/** GET /healthz: 200 `{"status":"ready"}`, or 503 `{"status":"draining"}` so a load balancer sends no one new. */
export function healthRoute(draining: () => boolean): Route {
  return {
    method: 'GET',
    path: '/healthz',
    handle(_req, res) {
      const status = draining() ? 'draining' : 'ready';
      const body = JSON.stringify({ status });
      res.writeHead(status === 'ready' ? 200 : 503, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': String(Buffer.byteLength(body)),
        'Cache-Control': 'no-store',
      });
      res.end(body);
    },
  };
}
