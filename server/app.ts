// One server for everything `npm start` offers: static SDK/demo files, the HTTP API and the signaling WebSocket,
// all on one port so the SDK's default signaling URL (the origin it was loaded from) just works.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SIGNAL_PATH } from '../src/protocol/messages.js';
import { FeedbackStore, feedbackRoute, type FeedbackOptions } from './feedback.js';
import { createHttpHandler, type Route } from './http.js';
import { DEV_ORIGINS, originGuard } from './origins.js';
import { staticPolicy, type AppPolicy } from './policy.js';
import { SfuDriver } from './sfu/sfu.js';
import type { IceOptions } from './turn.js';
import { healthRoute, ServerMetrics } from './metrics.js';
import { RedisCluster } from './cluster/redis.js';
import { RedisSfuRooms } from './cluster/sfu-rooms.js';
import { DEFAULT_LIMITS, SignalingServer, type ServerLimits, type SignalingStats } from './signaling.js';

export type { Route } from './http.js';
export type { SignalingStats, ServerLimits } from './signaling.js';
export { DEFAULT_LIMITS } from './signaling.js';

export interface ServerOptions {
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** No join/leave log lines. */
  quiet?: boolean;
  /** Which apps may join and with what keys; default: any well-formed App ID, static key. */
  policy?: AppPolicy;
  /** Extra URL prefix → directory, e.g. {'/test-pages/': 'test/e2e/pages'}. */
  staticDirs?: Record<string, string>;
  /** Extra HTTP endpoints, matched before static files. */
  routes?: Route[];
  /** WebSocket ping interval; default 1000. A client silent for 2.5 intervals is dropped. */
  heartbeatMs?: number;
  /** How long a member whose socket closed without leave is kept for a session rejoin; default 3000. */
  graceMs?: number;
  /** Ratings and complaints: where the JSON-lines file goes and its size cap (default feedback/feedback.jsonl). */
  feedback?: FeedbackOptions;
  /** Operator token for GET /api/feedback; without one the endpoint does not exist. */
  feedbackToken?: string;
  /** Project root; default: found by walking up from this file (works from server/ and dist/node/server/). */
  root?: string;
  /**
   * What clients may cost the server (members per channel, connections per address, hello deadline, budgets…);
   * each missing field takes its {@link DEFAULT_LIMITS} value. The one place limits are set (main.ts maps the
   * environment onto it).
   */
  limits?: Partial<ServerLimits>;
  /**
   * Web origins whose pages may open the signaling socket and call the HTTP API: exact origins
   * (`https://app.example.com`), any port (`http://localhost:*`), or `'*'` for any. Default: the server's own
   * origin plus `http://localhost:*` and `http://127.0.0.1:*` (development). Others get 403.
   */
  allowedOrigins?: readonly string[];
  /**
   * Media through Janus past `meshMax` members (default 4; 0 = always): Janus WebSocket API URLs and its
   * api_secret. Without it every channel stays a mesh. See docs/sfu.md.
   */
  sfu?: { urls: string[]; apiSecret?: string; meshMax?: number };
  /**
   * STUN and TURN servers for the members' media links (`STUN_URLS`, `TURN_URLS`, `TURN_SECRET`): each member gets
   * them at join and rejoin, TURN with coturn REST credentials renewed before they expire. Default: none.
   */
  ice?: IceOptions | null;
  /**
   * `redis://host:port` (`REDIS_URL`): this node shares channel membership, uid allocation and channel news with
   * every other node on that Redis. Default: none (one process, state in memory).
   */
  redisUrl?: string;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  port: number;
  /** Stops listening and closes every WebSocket and HTTP connection. */
  close(): Promise<void>;
  stats(): SignalingStats;
  /**
   * Graceful shutdown's first half (what SIGTERM does under `npm start`): GET /healthz turns 503 "draining", new
   * connections and joins are refused, every member is told to reconnect to another node; resolves when no socket
   * is left or after `timeoutMs`. Then call close().
   */
  drain(timeoutMs: number): Promise<void>;
  /** drain() was called. */
  readonly draining: boolean;
  /** The Prometheus registry behind GET /metrics (for tests and embedding servers). */
  metrics: ServerMetrics;
  /** The origins in force (besides the server's own). */
  allowedOrigins: readonly string[];
  /** The limits in force. */
  limits: Readonly<ServerLimits>;
  /** A channel's chat history and whiteboard document as the server stores them (see SignalingServer). */
  channelContent: SignalingServer['channelContent'];
}

/**
 * A ready App ID for the demo, fixed so bookmarks and docs keep working. Any well-formed 32-hex App ID works
 * in static-key mode; this one is simply printed at start-up.
 */
export const DEMO_APP_ID = createHash('md5').update('agora-rtc-web demo app').digest('hex');

/** The nearest ancestor directory whose package.json names this project. */
export function findProjectRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(from);
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'agora-rtc-web')
          return dir;
      } catch {
        // An unreadable package.json is not ours; keep walking.
      }
    }
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

export async function startServer(opts: ServerOptions = {}): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  const root = opts.root ?? findProjectRoot();
  const log = opts.quiet ? () => {} : (line: string) => console.log(line);

  // The HTTP API. The demo key endpoint (POST /api/channel-key) belongs here once the key module lands.
  const routes: Route[] = [...(opts.routes ?? [])];
  const feedback = new FeedbackStore(opts.feedback);
  const listFeedback = feedbackRoute(feedback, opts.feedbackToken);
  if (listFeedback) routes.push(listFeedback);

  const limits: ServerLimits = { ...DEFAULT_LIMITS };
  for (const [name, value] of Object.entries(opts.limits ?? {}) as Array<[keyof ServerLimits, unknown]>) {
    if (!(name in DEFAULT_LIMITS)) throw new TypeError(`limits.${name} is not a limit of this server.`);
    if (value === undefined) continue;
    if (typeof value !== 'number' || !(value >= 0)) {
      throw new RangeError(`limits.${name} must be a number ≥ 0; got ${String(value)}.`);
    }
    limits[name] = value;
  }
  const guard = originGuard(opts.allowedOrigins ?? DEV_ORIGINS, [host]);
  // Every API route answers only to allowed pages (a foreign page's POST, or a DNS-rebound name, gets 403).
  for (const r of routes.splice(0)) {
    routes.push({
      method: r.method,
      path: r.path,
      handle(req, res) {
        const refused = guard.check(req);
        if (refused === null) return r.handle(req, res);
        const body = JSON.stringify({ error: refused });
        res.writeHead(403, {
          'Content-Type': 'application/json; charset=utf-8',
          'Content-Length': String(Buffer.byteLength(body)),
          'Cache-Control': 'no-store',
        });
        res.end(body);
      },
    });
  }

  const sfu = opts.sfu
    ? new SfuDriver({
        urls: opts.sfu.urls,
        ...(opts.sfu.apiSecret ? { apiSecret: opts.sfu.apiSecret } : {}),
        log,
      })
    : undefined;
  // Defined before the signaling server exists; read only when scraped.
  const metrics = new ServerMetrics({ stats: (): SignalingStats => signaling.stats() });
  // Health and metrics answer scrapers and load balancers, which send no Origin and may use any Host name.
  routes.push(
    healthRoute(() => signaling.isDraining),
    metrics.route(),
  );
  const signaling: SignalingServer = new SignalingServer({
    ...(sfu ? { sfu, meshMax: opts.sfu?.meshMax ?? 4 } : {}),
    limits,
    policy: opts.policy ?? staticPolicy,
    heartbeatMs: opts.heartbeatMs ?? 1000,
    graceMs: opts.graceMs ?? 3000,
    log,
    feedback,
    ice: opts.ice ?? null,
    metrics,
  });
  let sfuRooms: RedisSfuRooms | undefined;
  if (opts.redisUrl) {
    try {
      const cluster = await RedisCluster.connect({
        url: opts.redisUrl,
        onEvent: (ev) => signaling.onClusterEvent(ev),
        onRoundTrip: (s) => metrics.redisRoundTrip(s),
        keepContentMs: (ch) => signaling.keepContentMs(ch),
        log,
        snapshot: () => signaling.clusterSnapshot(),
        knownNodes: () => signaling.remoteNodes(),
      });
      signaling.useCluster(cluster);
      // Every node puts a channel's members in one Janus room.
      if (sfu) sfu.share((sfuRooms = await RedisSfuRooms.connect(opts.redisUrl, log)));
    } catch (e) {
      sfuRooms?.close();
      await signaling.close();
      throw e;
    }
  }
  const server = createServer(createHttpHandler({ root, staticDirs: opts.staticDirs, routes }));
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    let pathname = '';
    try {
      pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      // Falls through to the refusal below.
    }
    if (pathname !== SIGNAL_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const refused = guard.check(req);
    if (refused !== null) {
      const body = `${refused}\n`;
      socket.end(
        `HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      return;
    }
    signaling.handleUpgrade(req, socket, head);
  });

  try {
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 8080, host, () => {
        server.off('error', reject);
        resolveListen();
      });
    });
  } catch (e) {
    await signaling.close();
    throw e;
  }
  server.on('error', (e) => console.error(`server error: ${e.message}`));

  const port = (server.address() as AddressInfo).port;
  const shownHost =
    host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    stats: () => signaling.stats(),
    drain: (timeoutMs) => signaling.drain(timeoutMs),
    get draining() {
      return signaling.isDraining;
    },
    metrics,
    channelContent: (appId, channel) => signaling.channelContent(appId, channel),
    allowedOrigins: guard.patterns,
    limits: Object.freeze(limits),
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((r) => server.close(() => r()));
        await signaling.close();
        sfu?.close();
        sfuRooms?.close();
        await signaling.leaveCluster();
        server.closeAllConnections();
        await stopped;
      })();
      return closing;
    },
  };
}
