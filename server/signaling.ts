// The signaling service: App ID and channel-key checks (through the AppPolicy), channel membership keyed by
// (App ID, channel), publish/mute state broadcast, and relay of opaque WebRTC payloads between members of one
// channel. Media never passes through here. Wire format: src/protocol/messages.ts.
import { randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { ErrorCode, type ErrorName } from '../src/protocol/codes.js';
import {
  MAX_FRAME_BYTES,
  isPeerState,
  type IceGrant,
  type ChatMessage,
  type PeerInfo,
  type RecordingInfo,
  type PeerState,
  type ServerMessage,
} from '../src/protocol/messages.js';
import {
  MAX_UID,
  checkAppId,
  checkChannelName,
  checkDisplayName,
  checkUid,
} from '../src/protocol/validate.js';
import { Bucket, ChannelCollab, DEFAULT_COLLAB_LIMITS, decodeBase64, type CollabLimits } from './collab.js';
import { parseFeedback, type FeedbackStore } from './feedback.js';
import type {
  ClusterEntry,
  ClusterEvent,
  ClusterRecording,
  ClusterSnapshot,
  RedisCluster,
} from './cluster/redis.js';
import type { SignalingMetrics } from './metrics.js';
import { DEFAULT_TURN_TTL_SECONDS, iceGrant, renewAtMs, type IceOptions } from './turn.js';
import type { AppPolicy, JoinCheck, PolicyError } from './policy.js';
import { SfuRefusal, type SfuDriver } from './sfu/sfu.js';
import { parseSfuOp, type SfuPushBody } from '../src/protocol/sfu.js';

/**
 * What one client, one address or one channel may cost the server. Every limit answers with a clear error (or an
 * HTTP status) rather than a silent drop; see docs/security.md for the threat model behind each.
 */
export interface ServerLimits extends CollabLimits {
  /** Members in one channel; a join beyond it gets ERR_JOIN_CHANNEL_REJECTED (17). */
  maxMembersPerChannel: number;
  /** Open sockets from one IP address; the upgrade beyond it gets HTTP 429. */
  maxConnectionsPerIp: number;
  /** Channels one IP address has members in; a join into one more gets ERR_JOIN_CHANNEL_REJECTED (17). */
  maxChannelsPerIp: number;
  /** A socket that has not said a good `hello` this long after connecting is closed (code 4002). */
  helloTimeoutMs: number;
  /** Messages a socket may send per second (sustained) and in a burst; beyond, ERR_TOO_OFTEN (12). */
  messagesPerSecond: number;
  messageBurst: number;
  /** A state change of a member goes out at once at most this often; changes in between coalesce (latest wins). */
  stateIntervalMs: number;
  /** Frames per second a channel's broadcasts (state, join, leave) may cost, summed over recipients. */
  channelSendsPerSecond: number;
  /** A relay to a member with this much unsent data is refused to its sender with ERR_TOO_OFTEN. */
  relayBackpressureBytes: number;
  /** A sender whose relays were refused this many times in a row is disconnected (code 1008). */
  maxRefusedRelays: number;
  /** A socket with this much unsent data is closed (code 4003); its member keeps the grace period. */
  maxBufferedBytes: number;
  /** All sockets' unsent data together; beyond it relays are refused with ERR_TOO_OFTEN. */
  maxBufferedTotalBytes: number;
  /** Nesting depth of JSON in a message (relay data included); deeper frames are refused unparsed. */
  maxJsonDepth: number;
}

/** Defaults a 2-core node holds under the floods of docs/security.md. */
export const DEFAULT_LIMITS: Readonly<ServerLimits> = Object.freeze({
  maxMembersPerChannel: 128,
  maxConnectionsPerIp: 64,
  maxChannelsPerIp: 32,
  helloTimeoutMs: 5000,
  messagesPerSecond: 200,
  messageBurst: 400,
  stateIntervalMs: 250,
  channelSendsPerSecond: 5000,
  relayBackpressureBytes: 1024 * 1024,
  maxRefusedRelays: 200,
  maxBufferedBytes: 4 * 1024 * 1024,
  maxBufferedTotalBytes: 64 * 1024 * 1024,
  maxJsonDepth: 32,
  ...DEFAULT_COLLAB_LIMITS,
});

export interface SignalingOptions {
  policy: AppPolicy;
  limits: ServerLimits;
  /** Interval of WebSocket pings; a socket silent for 2.5 intervals is considered vanished. */
  heartbeatMs: number;
  /** How long a member whose socket closed without `leave` stays in its channel, waiting for a session rejoin. */
  graceMs: number;
  log: (line: string) => void;
  /** Where ratings and complaints go; none: the server refuses them with ERR_NOT_SUPPORTED. */
  feedback?: FeedbackStore;
  /** Media through Janus (docs/sfu.md): without it every channel stays a mesh. */
  sfu?: SfuDriver;
  /** A channel with more members than this moves to the SFU (0: always SFU); default 4. */
  meshMax?: number;
  /** STUN/TURN servers handed to each member at join and rejoin (TURN credentials renewed before they expire). */
  ice?: IceOptions | null;
  /** Counters and histograms for GET /metrics. */
  metrics?: SignalingMetrics;
}

export interface SignalingStats {
  connections: number;
  channels: number;
  members: number;
}

/** Sent `expiring` this long before a Channel Key's service expiry, so the app can renew in time. */
const EXPIRING_LEAD_MS = 30_000;
const MAX_KEY_CHARS = 2048;
const MAX_SESSION_CHARS = 128;
/** setTimeout fires at once for delays beyond this (~24.8 days); longer waits are chained. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** A member asked for a sealed snapshot that did not answer within this is not waited for any longer. */
const COMPACT_ASK_MS = 30_000;

/** Close codes (4000–4999 are the application's) the SDK can tell apart from network failures. */
export const CloseCode = {
  /** The same user rejoined with its session on a newer socket. */
  REPLACED: 4001,
  /** No good `hello` within the deadline. */
  NO_HELLO: 4002,
  /** The socket did not read what the server sent; the member may rejoin with its session. */
  TOO_SLOW: 4003,
  /** The client kept breaking a limit after being told (ERR_TOO_OFTEN). */
  POLICY: 1008,
  SHUTDOWN: 1001,
} as const;

interface Conn {
  readonly ws: WebSocket;
  readonly id: number;
  /** Remote address, for the per-address limits. */
  readonly ip: string;
  /** The page's Origin header (null from programs), for apps that list their origins. */
  readonly origin: string | null;
  /** Set by a successful hello. */
  appId: string | null;
  member: Member | null;
  /** The heartbeat tick at which the socket last showed life. */
  seenTick: number;
  /** Terminated by the heartbeat: its member leaves at once instead of waiting out the grace period. */
  vanished: boolean;
  tokens: number;
  refilledAt: number;
  throttleNoticeAt: number;
  /** Relays of this socket refused in a row (back-pressure); reset by one that goes through. */
  refusedRelays: number;
  /** Kinds of rejected frames already logged for this socket: one line per kind, not one per frame. */
  logged: Set<string>;
  /** Its TCP socket is corked until the end of this turn of the event loop (see SignalingServer.send). */
  corked: boolean;
  helloTimer?: NodeJS.Timeout;
  /** The last error sent to it, so the join metrics can count refusals by code. */
  lastError?: { code: number; name: string };
}

interface Channel {
  readonly key: string;
  readonly appId: string;
  readonly name: string;
  /** Insertion order is join order (a session rejoin keeps its place). */
  readonly members: Map<number, Member>;
  /** The one recording of the channel, and the Recording Key it was started with (stop needs the same key). */
  recording: ClusterRecording | null;
  /** Cluster mode: recording news heard from the other nodes (a read from Redis older than one is dropped). */
  recordingNews: number;
  /** Members whose latest state the others have not been sent yet (coalesced: latest state wins). */
  readonly pending: Set<Member>;
  /** Cluster mode: the members connected to other nodes, and which node each is on. */
  readonly remote: Map<number, { node: string; info: PeerInfo }>;
  /** uid → the news counter when news about it last changed `remote` (a comparison with Redis keeps newer news). */
  readonly remoteNews: Map<number, number>;
  flushTimer?: NodeJS.Timeout;
  /** Broadcast budget: frames this channel may still send now (refills at channelSendsPerSecond). */
  tokens: number;
  refilledAt: number;
  /** How its media travels; a channel moves to the SFU past meshMax and stays there until it empties. */
  media?: 'mesh' | 'sfu';
  /** Chat history and shared document (server/collab.ts). */
  readonly collab: ChannelCollab;
}

interface Member {
  readonly uid: number;
  readonly session: string;
  readonly channel: Channel;
  /** The address it joined from, for the per-address channel count. */
  ip: string;
  state: PeerState;
  /** Display name given at join ('' = none). */
  name: string;
  /** The state the others were last sent. */
  sentState: PeerState;
  stateSentAt: number;
  /** null while the socket is gone and the grace period runs. */
  conn: Conn | null;
  expiresAt: number;
  /** Its chat and document budgets (CollabLimits). */
  readonly chatBudget: Bucket;
  readonly docBudget: Bucket;
  cancelExpiring?: () => void;
  cancelExpiry?: () => void;
  cancelGrace?: () => void;
  cancelIce?: () => void;
}

/** A join request, checked for shape. */
interface JoinParams {
  appId: string;
  name: string;
  chKey: string;
  /** As requested (0 = assign one). */
  uid: number;
  session: string | undefined;
  state: PeerState;
  displayName: string;
  key: string | null;
}

interface IpUse {
  conns: number;
  /** Its refusals were logged already (one line while the address stays over its limit, not one per attempt). */
  refusalLogged?: boolean;
  /** Channel key → members from this address in it. */
  channels: Map<string, number>;
}

type Msg = Record<string, unknown>;

/** Reads only own properties: client JSON may carry `__proto__`, `constructor` and the like. */
function field(m: Msg, name: string): unknown {
  return Object.hasOwn(m, name) ? m[name] : undefined;
}

function later(atMs: number, fn: () => void): () => void {
  let handle: NodeJS.Timeout;
  const arm = (): void => {
    const delay = atMs - Date.now();
    handle = delay > MAX_TIMER_MS ? setTimeout(arm, MAX_TIMER_MS) : setTimeout(fn, Math.max(0, delay));
    handle.unref();
  };
  arm();
  return () => clearTimeout(handle);
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function info(m: Member): PeerInfo {
  return m.name ? { uid: m.uid, ...m.state, name: m.name } : { uid: m.uid, ...m.state };
}

function copyState(s: PeerState): PeerState {
  const copy = { published: s.published, audioMuted: s.audioMuted, videoMuted: s.videoMuted };
  return s.screen ? { ...copy, screen: true } : copy;
}

function sameState(a: PeerState, b: PeerState): boolean {
  return (
    a.published === b.published &&
    a.audioMuted === b.audioMuted &&
    a.videoMuted === b.videoMuted &&
    !a.screen === !b.screen
  );
}

function recordingOf(ch: Channel): RecordingInfo | null {
  return ch.recording && { uid: ch.recording.uid, startedAt: ch.recording.startedAt };
}

function isPolicyError(v: unknown): v is PolicyError {
  return typeof v === 'object' && v !== null && typeof (v as PolicyError).code === 'number';
}

/** App IDs are not secrets, but the logs need no more than enough to tell apps apart. */
function shortApp(appId: string): string {
  return `${appId.slice(0, 8)}…`;
}

/**
 * true when the JSON text nests arrays/objects deeper than `max`. Checked before JSON.parse, so a frame nested
 * 30,000 deep costs one scan and is never built (nor later re-serialised, which would throw).
 */
export function jsonTooDeep(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

export class SignalingServer {
  private readonly wss: WebSocketServer;
  private readonly conns = new Set<Conn>();
  private readonly channels = new Map<string, Channel>();
  private readonly ips = new Map<string, IpUse>();
  private readonly heartbeat: NodeJS.Timeout;
  /** The server's own lateness: a stalled loop must not be blamed on the clients. */
  private readonly loopDelay: IntervalHistogram;
  private tick = 0;
  private lastBeatAt = Date.now();
  /** Unsent bytes of all sockets: summed now and then, grown by each send in between (an upper bound). */
  private bufferedTotal = 0;
  private summedAt = 0;
  private nextConnId = 1;
  private closing = false;
  private draining = false;
  private readonly corkedConns: Conn[] = [];
  private readonly limits: ServerLimits;
  private cluster: RedisCluster | null = null;
  /** Counts news from the other nodes (see Channel.remoteNews). */
  private news = 0;
  private resyncing = false;
  private resyncAgain = false;
  /**
   * Cluster mode: channels whose content is being read from Redis for their first member on this node, with the
   * content news that came meanwhile (applied after the read; the numbers weed out what the read already had).
   */
  private readonly loading = new Map<string, { events: ClusterEvent[]; done: Promise<ChannelCollab> }>();
  /** Single node: content of emptied channels that their app keeps (AppPolicy.keepCollabSeconds), until it expires. */
  private readonly kept = new Map<string, { collab: ChannelCollab; timer: NodeJS.Timeout }>();

  constructor(private readonly opts: SignalingOptions) {
    this.limits = opts.limits;
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_FRAME_BYTES,
      clientTracking: false,
      perMessageDeflate: false,
    });
    this.loopDelay = monitorEventLoopDelay({ resolution: 20 });
    this.loopDelay.enable();
    this.heartbeat = setInterval(() => this.beat(), opts.heartbeatMs);
    this.heartbeat.unref();
  }

  /**
   * Hand over an HTTP upgrade request already known to be for the signaling path (and from an allowed origin).
   * An address over its connection limit gets 429 before any WebSocket state exists.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    if (this.draining) {
      // The SDK moves on to the next URL of its list (or the load balancer's next node).
      const body = 'This server is draining; connect to another node.\n';
      socket.end(
        `HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain\r\nRetry-After: 5\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      return;
    }
    const ip = req.socket.remoteAddress ?? 'unknown';
    const use = this.ipUse(ip);
    const max = this.limits.maxConnectionsPerIp;
    const refuse = (): void => {
      if (!use.refusalLogged) {
        use.refusalLogged = true;
        this.opts.log(`ip ${ip}: over ${max} connections; refusing more`);
      }
      const body = `Too many connections from your address (limit ${max}).\n`;
      socket.end(
        `HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Type: text/plain\r\nRetry-After: 5\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    };
    if (use.conns >= max) return refuse();
    // Counted from the upgrade until the TCP socket closes, whatever happens in between.
    use.conns++;
    const cluster = this.cluster;
    let counted = false;
    socket.once('close', () => {
      use.conns--;
      if (counted) cluster?.disconnect(ip);
      this.dropIpUse(ip, use);
    });
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : null;
    const upgrade = (): void => {
      if (this.closing || socket.destroyed) return void socket.destroy();
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, ip, origin));
    };
    if (!cluster) return upgrade();
    // Several nodes: the limit holds for the address's sockets on all of them together.
    cluster.connect(ip, max).then(
      (ok) => {
        if (!ok) return refuse();
        if (socket.destroyed) return cluster.disconnect(ip);
        counted = true;
        upgrade();
      },
      (e: Error) => {
        // Redis away: this node's own count still limits the address.
        this.opts.log(`ip ${ip}: cluster count unavailable (${e.message}); counted on this node only`);
        upgrade();
      },
    );
  }

  stats(): SignalingStats {
    let members = 0;
    for (const ch of this.channels.values()) members += ch.members.size;
    return { connections: this.conns.size, channels: this.channels.size, members };
  }

  /** Draining: no new connections or joins (GET /healthz answers 503). */
  get isDraining(): boolean {
    return this.draining;
  }

  /**
   * For a restart or a scale-down (SIGTERM): refuse new connections, tell every client to reconnect elsewhere
   * (each SDK moves to the next URL of its list and rejoins with its session; media between peers keeps flowing),
   * and resolve once no socket is left or after `timeoutMs`. close() still has to be called.
   */
  async drain(timeoutMs: number): Promise<void> {
    if (!this.draining) {
      this.draining = true;
      this.opts.log(`drain  ${this.conns.size} connections told to reconnect elsewhere`);
      const msg = JSON.stringify({
        t: 'reconnect',
        message: 'This server is shutting down: reconnect to another node.',
      } satisfies ServerMessage);
      for (const c of this.conns) {
        this.send(c, msg);
        // A client that does not act on the push is closed; it reconnects as after any drop.
        setTimeout(() => c.ws.close(CloseCode.SHUTDOWN, 'Server draining.'), 2000).unref();
      }
    }
    const end = Date.now() + timeoutMs;
    while (this.conns.size > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  }

  /** Cluster mode (REDIS_URL): membership, uids and channel news are shared with the other nodes from now on. */
  useCluster(cluster: RedisCluster): void {
    this.cluster = cluster;
  }

  /** Disconnects from the cluster; the other nodes drop this node's members within a heartbeat. */
  async leaveCluster(): Promise<void> {
    await this.cluster?.close();
    this.cluster = null;
  }

  /** What this node holds, for Redis after it restarted empty. */
  clusterSnapshot(): ClusterSnapshot {
    const members: ClusterSnapshot['members'] = [];
    for (const ch of this.channels.values())
      for (const m of ch.members.values())
        members.push({ ch: ch.key, entry: { session: m.session, info: info(m), expiresAt: m.expiresAt } });
    const conns = new Map<string, number>();
    const channels = new Map<string, Map<string, number>>();
    for (const [ip, use] of this.ips) {
      if (use.conns > 0) conns.set(ip, use.conns);
      if (use.channels.size > 0) channels.set(ip, new Map(use.channels));
    }
    const recordings: ClusterSnapshot['recordings'] = [];
    for (const ch of this.channels.values())
      if (ch.recording && ch.members.has(ch.recording.uid))
        recordings.push({ ch: ch.key, recording: ch.recording });
    return { members, conns, channels, recordings };
  }

  /** The nodes whose members this node's members see. */
  *remoteNodes(): Iterable<string> {
    for (const ch of this.channels.values()) for (const r of ch.remote.values()) yield r.node;
  }

  /**
   * After Redis came back (restarted, maybe empty): news published meanwhile were lost, so each channel's view of
   * the other nodes' members is compared with Redis. Members of live nodes that are missing from Redis left;
   * members found there and not seen here joined. A node that has not written itself again yet keeps its members
   * (it is declared dead if it never does).
   */
  private async resync(cluster: RedisCluster): Promise<void> {
    const asked = this.news;
    const seen = new Map([...this.channels.values()].map((ch) => [ch, ch.recordingNews]));
    const { entries, alive, recordings } = await cluster.read([...this.channels.keys()]);
    for (const [key, list] of entries) {
      const ch = this.channels.get(key);
      if (!ch) continue;
      // News that came while Redis was being read are newer than what it returned.
      const newer = (uid: number): boolean => (ch.remoteNews.get(uid) ?? 0) > asked;
      for (const [uid, n] of ch.remoteNews) if (n <= asked) ch.remoteNews.delete(uid);
      const stored = new Set<number>();
      for (const e of list) {
        const uid = e.info.uid;
        stored.add(uid);
        if (e.node === cluster.nodeId || ch.members.has(uid) || !alive.has(e.node) || newer(uid)) continue;
        const known = ch.remote.get(uid);
        ch.remote.set(uid, { node: e.node, info: e.info });
        if (!known) this.broadcast(ch, null, { t: 'peer-join', peer: e.info });
        else if (JSON.stringify(known.info) !== JSON.stringify(e.info))
          this.broadcast(ch, null, { t: 'peer-state', peer: e.info });
      }
      for (const [uid, r] of [...ch.remote]) {
        if (stored.has(uid) || !alive.has(r.node) || newer(uid)) continue;
        ch.remote.delete(uid);
        this.broadcast(ch, null, { t: 'peer-leave', uid });
        this.opts.log(
          `leave  app=${shortApp(ch.appId)} channel=${JSON.stringify(ch.name)} uid=${uid} (gone from Redis after it restarted)`,
        );
      }
    }
    // A recording started (or written again) elsewhere while the news did not reach this node.
    for (const [ch, news] of seen) this.storedRecording(ch, recordings.get(ch.key) ?? null, news, cluster);
  }

  /** One comparison at a time (an older read must not undo a newer one); a request meanwhile runs once more after. */
  private requestResync(): void {
    const cluster = this.cluster;
    if (!cluster || this.closing) return;
    if (this.resyncing) {
      this.resyncAgain = true;
      return;
    }
    this.resyncing = true;
    void (async () => {
      do {
        this.resyncAgain = false;
        await this.resync(cluster).catch((e: Error) =>
          this.opts.log(`redis: comparing views failed: ${e.message}`),
        );
      } while (this.resyncAgain && this.cluster === cluster);
      this.resyncing = false;
    })();
  }

  /** News from the other nodes, for the members of this one. */
  onClusterEvent(ev: ClusterEvent): void {
    if (ev.k === 'sync') {
      // Nodes and links come back one by one: compare now, and again while the others catch up.
      for (const ms of [0, 1000, 3000]) setTimeout(() => this.requestResync(), ms).unref();
      return;
    }
    if (ev.k === 'node-down') {
      for (const ch of [...this.channels.values()]) {
        for (const [uid, r] of [...ch.remote]) {
          if (r.node !== ev.node) continue;
          ch.remote.delete(uid);
          ch.remoteNews.set(uid, ++this.news);
          this.broadcast(ch, null, { t: 'peer-leave', uid });
          // Its node cannot end its recording any more: the first node to hear of the death does, in Redis too.
          if (ch.recording?.uid === uid) this.endRecording(ch);
          this.opts.log(
            `leave  app=${shortApp(ch.appId)} channel=${JSON.stringify(ch.name)} uid=${uid} (its node died)`,
          );
        }
      }
      return;
    }
    if (ev.k === 'chat' || ev.k === 'doc' || ev.k === 'compact') {
      const loading = this.loading.get(ev.ch);
      if (loading) loading.events.push(ev);
      else {
        const chan = this.channels.get(ev.ch);
        if (chan) this.onContentNews(chan, chan.collab, ev);
      }
      return;
    }
    const ch = this.channels.get(ev.ch);
    if (!ch) return;
    switch (ev.k) {
      case 'join':
      case 'state': {
        if (ch.members.has(ev.peer.uid)) return;
        const known = ch.remote.has(ev.peer.uid);
        if (ev.k === 'state' && !known) return;
        ch.remote.set(ev.peer.uid, { node: ev.node, info: ev.peer });
        ch.remoteNews.set(ev.peer.uid, ++this.news);
        // Every node counts the same members, so the channel moves to the SFU on all of them at that join.
        if (!known && this.chooseMedia(ch)) this.broadcast(ch, null, { t: 'sfu', op: 'mode', mode: 'sfu' });
        this.broadcast(ch, null, { t: known ? 'peer-state' : 'peer-join', peer: ev.peer });
        return;
      }
      case 'leave':
        if (ch.remote.get(ev.uid)?.node !== ev.node) return;
        ch.remote.delete(ev.uid);
        ch.remoteNews.set(ev.uid, ++this.news);
        this.broadcast(ch, null, { t: 'peer-leave', uid: ev.uid });
        // Its node ends its recording in Redis and says so; the members here need not wait for that news.
        if (ch.recording?.uid === ev.uid) this.endRecording(ch, false);
        return;
      case 'recording':
        ch.recordingNews++;
        if (!ev.recording) this.endRecording(ch, false);
        else if (ch.recording?.uid !== ev.recording.uid) {
          ch.recording = ev.recording;
          this.broadcast(ch, null, { t: 'recording', recording: recordingOf(ch) });
        }
        return;
      case 'moved': {
        const local = ch.members.get(ev.peer.uid);
        if (local) this.dropMoved(local);
        if (this.channels.get(ch.key) !== ch) return;
        ch.remote.set(ev.peer.uid, { node: ev.node, info: ev.peer });
        ch.remoteNews.set(ev.peer.uid, ++this.news);
        this.broadcast(ch, null, { t: 'peer-state', peer: ev.peer });
        return;
      }
      case 'relay': {
        const out = ch.members.get(ev.to)?.conn;
        if (!out) return;
        this.send(out, { t: 'relay', from: ev.from, data: ev.data });
        this.opts.metrics?.relayed();
        return;
      }
    }
  }

  /** Content another node stored in Redis: into this node's copy, and to this node's members when `ch` is given. */
  private onContentNews(
    ch: Channel | null,
    collab: ChannelCollab,
    ev: Extract<ClusterEvent, { k: 'chat' | 'doc' | 'compact' }>,
  ): void {
    if (ev.k === 'chat') {
      if (collab.insertChat(ev.message) && ch) this.broadcast(ch, null, { t: 'chat', message: ev.message });
    } else if (ev.k === 'doc') {
      collab.storeDoc(Buffer.from(ev.update, 'base64'), ev.update, ev.sealed, ev.seq);
      if (ch)
        this.broadcast(
          ch,
          null,
          ev.sealed
            ? { t: 'doc', from: ev.from, update: ev.update, sealed: true }
            : { t: 'doc', from: ev.from, update: ev.update },
        );
    } else {
      collab.compact(ev.upto, ev.updates);
    }
  }

  /**
   * Cluster mode, a channel's first member on this node: its content from Redis, with what other nodes stored while
   * it was being read. Joins to the same channel meanwhile share the read.
   */
  private loadCollab(chKey: string, cluster: RedisCluster): Promise<ChannelCollab> {
    const current = this.loading.get(chKey);
    if (current) return current.done;
    const events: ClusterEvent[] = [];
    const done = (async () => {
      try {
        const stored = await cluster.loadContent(chKey);
        const collab = new ChannelCollab(this.limits);
        collab.load(stored);
        for (const ev of events)
          if (ev.k === 'chat' || ev.k === 'doc' || ev.k === 'compact') this.onContentNews(null, collab, ev);
        return collab;
      } finally {
        this.loading.delete(chKey);
      }
    })();
    this.loading.set(chKey, { events, done });
    return done;
  }

  /** How long the app keeps a channel's content after it empties (AppPolicy.keepCollabSeconds), in ms. */
  keepContentMs(chKey: string): number {
    const appId = chKey.slice(0, chKey.indexOf('/'));
    const s = this.opts.policy.keepCollabSeconds?.(appId) ?? 0;
    return Number.isFinite(s) && s > 0 ? Math.min(s, MAX_TIMER_MS / 1000) * 1000 : 0;
  }

  /** The channel emptied: its content goes, or waits for the next member if its app keeps it. */
  private closeCollab(ch: Channel): void {
    const ms = this.cluster ? 0 : this.keepContentMs(ch.key);
    if (ms === 0 || ch.collab.empty) {
      ch.collab.close();
      return;
    }
    ch.collab.compactAsk = null;
    const timer = setTimeout(() => {
      this.kept.delete(ch.key);
      ch.collab.close();
    }, ms);
    timer.unref();
    this.kept.set(ch.key, { collab: ch.collab, timer });
  }

  /** The kept content of an emptied channel, for its next member (single node). */
  private takeKept(chKey: string): ChannelCollab | undefined {
    const k = this.kept.get(chKey);
    if (!k) return undefined;
    clearTimeout(k.timer);
    this.kept.delete(chKey);
    return k.collab;
  }

  /** The member rejoined on another node with its session: gone from here without anyone seeing it leave. */
  private dropMoved(m: Member): void {
    this.clearTimers(m);
    const ch = m.channel;
    ch.members.delete(m.uid);
    ch.pending.delete(m);
    this.countChannel(m.ip, ch.key, -1);
    const old = m.conn;
    m.conn = null;
    if (old) {
      old.member = null;
      old.ws.close(CloseCode.REPLACED, 'Replaced: this user rejoined on another node.');
    }
    if (ch.members.size === 0) {
      this.channels.delete(ch.key);
      clearTimeout(ch.flushTimer);
      this.closeCollab(ch);
    }
    this.opts.log(
      `moved  app=${shortApp(ch.appId)} channel=${JSON.stringify(ch.name)} uid=${m.uid} (to another node)`,
    );
  }

  /**
   * What the server holds of a channel's shared content, as stored (for tests and operators): its chat history and
   * its document (merged plain update, or the sealed ciphertexts); null when the channel does not exist.
   */
  channelContent(
    appId: string,
    channel: string,
  ): { chat: ChatMessage[]; doc: Uint8Array | string[] | null } | null {
    const key = `${appId}/${channel}`;
    const collab = this.channels.get(key)?.collab ?? this.kept.get(key)?.collab;
    return collab ? { chat: [...collab.chat], doc: collab.storedDoc() } : null;
  }

  /** Closes every socket (code 1001) and forgets all channels without telling anyone they left. */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.heartbeat);
    this.loopDelay.disable();
    for (const ch of this.channels.values()) {
      clearTimeout(ch.flushTimer);
      ch.collab.close();
      for (const m of ch.members.values()) this.clearTimers(m);
    }
    this.channels.clear();
    for (const k of this.kept.values()) {
      clearTimeout(k.timer);
      k.collab.close();
    }
    this.kept.clear();
    const open = [...this.conns];
    const closed = open.map((c) =>
      c.ws.readyState === WebSocket.CLOSED
        ? Promise.resolve()
        : new Promise<void>((resolve) => c.ws.once('close', () => resolve())),
    );
    for (const c of open) c.ws.close(CloseCode.SHUTDOWN, 'Server shutting down.');
    // A client that never answers the closing handshake must not hold up shutdown.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(closed),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, 1000);
      }),
    ]);
    clearTimeout(timer);
    for (const c of open) c.ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  // ---- connections ----

  private ipUse(ip: string): IpUse {
    let use = this.ips.get(ip);
    if (!use) {
      use = { conns: 0, channels: new Map() };
      this.ips.set(ip, use);
    }
    return use;
  }

  private dropIpUse(ip: string, use: IpUse): void {
    if (use.conns === 0 && use.channels.size === 0 && this.ips.get(ip) === use) this.ips.delete(ip);
  }

  /** `mirror`: also in Redis (a join's claim counted itself there already). */
  private countChannel(ip: string, chKey: string, delta: 1 | -1, mirror = true): void {
    if (mirror) this.cluster?.countChannel(ip, chKey, delta);
    const use = this.ipUse(ip);
    const n = (use.channels.get(chKey) ?? 0) + delta;
    if (n > 0) use.channels.set(chKey, n);
    else use.channels.delete(chKey);
    this.dropIpUse(ip, use);
  }

  /** One log line per kind and socket: a flood of bad frames must not become a flood of logs. */
  private logOnce(conn: Conn, kind: string, line: string): void {
    if (conn.logged.has(kind)) return;
    conn.logged.add(kind);
    this.opts.log(line);
  }

  private accept(ws: WebSocket, ip: string, origin: string | null): void {
    // A handshake that completes after close() began would otherwise outlive the server.
    if (this.closing) {
      ws.terminate();
      return;
    }
    const now = Date.now();
    const conn: Conn = {
      ws,
      id: this.nextConnId++,
      ip,
      origin,
      appId: null,
      member: null,
      seenTick: this.tick,
      vanished: false,
      tokens: this.limits.messageBurst,
      refilledAt: now,
      throttleNoticeAt: 0,
      refusedRelays: 0,
      logged: new Set(),
      corked: false,
    };
    this.conns.add(conn);
    conn.helloTimer = setTimeout(() => {
      if (conn.appId !== null || ws.readyState !== WebSocket.OPEN) return;
      this.logOnce(conn, 'no hello', `conn ${conn.id}: no hello in ${this.limits.helloTimeoutMs} ms; closed`);
      ws.close(CloseCode.NO_HELLO, `No hello within ${this.limits.helloTimeoutMs} ms.`);
    }, this.limits.helloTimeoutMs);
    conn.helloTimer.unref();
    ws.on('pong', () => {
      conn.seenTick = this.tick;
    });
    ws.on('message', (data, isBinary) => this.onMessage(conn, data, isBinary));
    // Oversized frames and protocol violations surface here; ws closes the socket itself.
    ws.on('error', (e) => this.logOnce(conn, 'socket error', `conn ${conn.id}: socket error: ${e.message}`));
    ws.on('close', () => this.onClose(conn));
  }

  private onClose(conn: Conn): void {
    this.conns.delete(conn);
    clearTimeout(conn.helloTimer);
    const m = conn.member;
    conn.member = null;
    if (!m || this.closing) return;
    m.conn = null;
    if (conn.vanished) {
      this.removeMember(m, 'vanished');
      return;
    }
    m.cancelGrace = later(Date.now() + this.opts.graceMs, () => this.removeMember(m, 'disconnected'));
  }

  /**
   * Pings every socket and drops the ones that missed two pings in a row. Staleness is counted in the server's
   * own ticks, and a tick that came late (the loop stalled) blames no one: pongs that arrived during a stall are
   * still unread when the late timer fires.
   */
  private beat(): void {
    const now = Date.now();
    const hb = this.opts.heartbeatMs;
    // A whole interval late: a stall, not the usual jitter of a busy machine (so dead sockets are still reaped
    // on a loaded one).
    const late = now - this.lastBeatAt > hb * 2 || this.loopDelay.max > hb * 1e6;
    this.lastBeatAt = now;
    this.loopDelay.reset();
    this.tick++;
    let buffered = 0;
    for (const c of this.conns) {
      if (late) c.seenTick = Math.max(c.seenTick, this.tick - 1);
      else if (this.tick - c.seenTick > 2) {
        c.vanished = true;
        c.ws.terminate();
        continue;
      }
      buffered += c.ws.bufferedAmount;
      try {
        c.ws.ping();
      } catch {
        // The socket is closing; its close event cleans up.
      }
    }
    this.bufferedTotal = buffered;
  }

  /** `msg` may be pre-serialised, so a broadcast stringifies once for the whole channel. */
  private send(conn: Conn, msg: ServerMessage | string): void {
    const ws = conn.ws;
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > this.limits.maxBufferedBytes) {
      // Its own link is too slow for what it receives: closed, but as a disconnect (grace period, session
      // rejoin), never as a vanish, so traffic aimed at it cannot take it out of its channel.
      this.opts.log(`conn ${conn.id}: not reading its messages; closed (it may rejoin)`);
      ws.close(CloseCode.TOO_SLOW, 'Too much unread data: reconnect and rejoin.');
      // A reader that does not read does not answer the closing handshake either.
      setTimeout(() => ws.terminate(), 1000).unref();
      return;
    }
    const text = typeof msg === 'string' ? msg : JSON.stringify(msg);
    this.bufferedTotal += text.length;
    this.cork(conn);
    ws.send(text);
  }

  /**
   * Frames sent to one socket in one turn of the event loop leave in one write: a burst of joins or state changes
   * costs one system call per recipient instead of one per frame (the flood's profile was mostly writev).
   */
  private cork(conn: Conn): void {
    if (conn.corked) return;
    // ws keeps its TCP socket private; cork() nests with the cork ws itself uses around a frame.
    const socket = (conn.ws as unknown as { _socket?: Socket | null })._socket;
    if (!socket) return;
    socket.cork();
    conn.corked = true;
    this.corkedConns.push(conn);
    if (this.corkedConns.length === 1) {
      setImmediate(() => {
        for (const c of this.corkedConns.splice(0)) {
          c.corked = false;
          (c.ws as unknown as { _socket?: Socket | null })._socket?.uncork();
        }
      });
    }
  }

  private ok(
    conn: Conn,
    id: number,
    result?: NonNullable<Extract<ServerMessage, { t: 'ok' }>['result']>,
  ): void {
    this.send(conn, result === undefined ? { t: 'ok', id } : { t: 'ok', id, result });
  }

  private err(conn: Conn, id: number | undefined, name: ErrorName, message: string): void {
    const code = ErrorCode[name];
    conn.lastError = { code, name };
    this.send(
      conn,
      id === undefined ? { t: 'err', code, name, message } : { t: 'err', id, code, name, message },
    );
  }

  private policyErr(conn: Conn, id: number, e: PolicyError): void {
    conn.lastError = { code: e.code, name: e.name };
    this.send(conn, { t: 'err', id, code: e.code, name: e.name, message: e.message });
  }

  /** Join/leave news: always sent (a member must know who is there), but paid from the channel's budget. */
  private broadcast(ch: Channel, except: Member | null, msg: ServerMessage): void {
    const text = JSON.stringify(msg);
    this.refill(ch);
    for (const m of ch.members.values()) {
      if (m !== except && m.conn) {
        this.send(m.conn, text);
        ch.tokens--;
      }
    }
  }

  /** All sockets' unsent data is over budget; the exact sum is taken at most every 100 ms, when the estimate says so. */
  private overBudget(): boolean {
    const max = this.limits.maxBufferedTotalBytes;
    if (this.bufferedTotal <= max) return false;
    const now = Date.now();
    if (now - this.summedAt >= 100) {
      this.summedAt = now;
      let sum = 0;
      for (const c of this.conns) sum += c.ws.bufferedAmount;
      this.bufferedTotal = sum;
    }
    return this.bufferedTotal > max;
  }

  private refill(ch: Channel): void {
    const now = Date.now();
    const rate = this.limits.channelSendsPerSecond;
    ch.tokens = Math.min(rate, ch.tokens + ((now - ch.refilledAt) / 1000) * rate);
    ch.refilledAt = now;
  }

  private takeToken(conn: Conn): boolean {
    const now = Date.now();
    const { messagesPerSecond: rate, messageBurst: burst } = this.limits;
    conn.tokens = Math.min(burst, conn.tokens + ((now - conn.refilledAt) / 1000) * rate);
    conn.refilledAt = now;
    if (conn.tokens < 1) return false;
    conn.tokens -= 1;
    return true;
  }

  private tooOften(conn: Conn, id: number | undefined, message: string): void {
    // Dropped; one notice a second is enough to tell a client what happened.
    const now = Date.now();
    if (now - conn.throttleNoticeAt < 1000) return;
    conn.throttleNoticeAt = now;
    this.err(conn, id, 'ERR_TOO_OFTEN', message);
  }

  // ---- messages ----

  private onMessage(conn: Conn, data: RawData, isBinary: boolean): void {
    conn.seenTick = this.tick;
    // Closed by the server (a limit): what was still in flight is not acted on, nor logged again.
    if (conn.ws.readyState !== WebSocket.OPEN) return;
    let id: number | undefined;
    try {
      if (!this.takeToken(conn)) {
        this.tooOften(
          conn,
          undefined,
          `More than ${this.limits.messagesPerSecond} messages a second; some were dropped.`,
        );
        return;
      }
      if (isBinary) {
        this.logOnce(conn, 'binary', `conn ${conn.id}: sent a binary frame (refused)`);
        this.err(conn, undefined, 'ERR_INVALID_ARGUMENT', 'Binary frames are not accepted; send JSON text.');
        return;
      }
      const text = Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.isBuffer(data)
          ? data.toString('utf8')
          : Buffer.from(new Uint8Array(data)).toString('utf8');
      if (jsonTooDeep(text, this.limits.maxJsonDepth)) {
        this.logOnce(conn, 'too deep', `conn ${conn.id}: sent JSON nested too deep (refused)`);
        this.err(
          conn,
          undefined,
          'ERR_INVALID_ARGUMENT',
          `The message nests objects/arrays more than ${this.limits.maxJsonDepth} deep; it was not read.`,
        );
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        this.logOnce(conn, 'not json', `conn ${conn.id}: sent a frame that is not JSON (refused)`);
        this.err(conn, undefined, 'ERR_INVALID_ARGUMENT', 'The frame is not valid JSON.');
        return;
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        this.err(
          conn,
          undefined,
          'ERR_INVALID_ARGUMENT',
          'A message must be a JSON object with a "t" field.',
        );
        return;
      }
      const m = parsed as Msg;
      const rawId = field(m, 'id');
      id = typeof rawId === 'number' && Number.isSafeInteger(rawId) ? rawId : undefined;
      const t = field(m, 't');
      switch (t) {
        case 'ping':
          this.send(conn, { t: 'pong' });
          return;
        case 'state':
          this.onState(conn, id, m);
          return;
        case 'relay':
          this.onRelay(conn, id, m);
          return;
        case 'sfu':
          void this.onSfu(conn, id, m);
          return;
        case 'doc':
          this.onDoc(conn, m);
          return;
        case 'doc-compact':
          this.onDocCompact(conn, m);
          return;
        case 'join':
          if (id === undefined) {
            this.err(conn, undefined, 'ERR_INVALID_ARGUMENT', `"join" needs a numeric "id" to answer to.`);
            return;
          }
          this.timedJoin(conn, id, m);
          return;
        case 'hello':
        case 'chat':
        case 'leave':
        case 'renew':
        case 'recording-key':
        case 'recording-start':
        case 'recording-stop':
        case 'feedback':
          if (id === undefined) {
            this.err(conn, undefined, 'ERR_INVALID_ARGUMENT', `"${t}" needs a numeric "id" to answer to.`);
            return;
          }
          if (t === 'hello') this.onHello(conn, id, m);
          else if (t === 'chat') this.onChat(conn, id, m);
          else if (t === 'leave') this.onLeave(conn, id);
          else if (t === 'renew') this.onRenew(conn, id, m);
          else if (t === 'recording-start')
            this.onRecordingStart(conn, id, m).catch(() =>
              this.err(conn, id, 'ERR_FAILED', 'The server could not reach its cluster store; try again.'),
            );
          else if (t === 'recording-stop') this.onRecordingStop(conn, id, m);
          else if (t === 'feedback') void this.onFeedback(conn, id, m);
          else this.onRecordingKey(conn, id, m);
          return;
        default: {
          const shown = typeof t === 'string' ? JSON.stringify(t.slice(0, 32)) : typeof t;
          this.err(conn, id, 'ERR_INVALID_ARGUMENT', `Unknown message type ${shown}.`);
        }
      }
    } catch (e) {
      // A bug, not a client fault: reported even when quiet, once per socket and message.
      const what = e instanceof Error ? e.message : String(e);
      if (!conn.logged.has(`failed ${what}`)) {
        conn.logged.add(`failed ${what}`);
        console.error(
          `conn ${conn.id}: handler failed: ${e instanceof Error ? (e.stack ?? e.message) : what}`,
        );
      }
      try {
        this.err(conn, id, 'ERR_FAILED', 'The server failed to handle this message.');
      } catch {
        // Nothing more to do for this socket.
      }
    }
  }

  private onHello(conn: Conn, id: number, m: Msg): void {
    const appId = field(m, 'appId');
    const sdk = field(m, 'sdk');
    const bad = checkAppId(appId);
    if (bad !== null) {
      if (!conn.member) conn.appId = null;
      this.err(conn, id, 'ERR_INVALID_APP_ID', bad);
      return;
    }
    if (sdk !== undefined && typeof sdk !== 'string') {
      this.err(conn, id, 'ERR_INVALID_ARGUMENT', '"sdk" must be a string.');
      return;
    }
    const app = appId as string;
    if (conn.member && conn.appId !== app) {
      this.err(
        conn,
        id,
        'ERR_JOIN_CHANNEL_REJECTED',
        'This connection is in a channel of another App ID; leave the channel before switching App ID.',
      );
      return;
    }
    const denied = this.opts.policy.checkApp(app, conn.origin);
    if (denied) {
      if (!conn.member) conn.appId = null;
      this.policyErr(conn, id, denied);
      return;
    }
    conn.appId = app;
    clearTimeout(conn.helloTimer);
    this.ok(conn, id, this.opts.sfu ? { sfu: true } : undefined);
  }

  /** A join, counted for the metrics: how long it took, or why it was refused. */
  private timedJoin(conn: Conn, id: number, m: Msg): void {
    const metrics = this.opts.metrics;
    const t0 = performance.now();
    const before = conn.member;
    conn.lastError = undefined;
    const done = (): void => {
      // Set by err()/policyErr() during onJoin (TypeScript cannot see that through the call).
      const refused = conn.lastError as Conn['lastError'];
      if (conn.member && conn.member !== before) metrics?.joined((performance.now() - t0) / 1000);
      else if (refused) metrics?.rejected(refused.code, refused.name);
    };
    const pending = this.onJoin(conn, id, m);
    if (!pending) {
      done();
      return;
    }
    pending.then(done, (e: unknown) => {
      // Redis unreachable (or a bug): the join fails, the server goes on.
      console.error(`conn ${conn.id}: cluster join failed: ${e instanceof Error ? e.message : String(e)}`);
      this.err(conn, id, 'ERR_FAILED', 'The server could not reach its cluster store; try again.');
      done();
    });
  }

  private onJoin(conn: Conn, id: number, m: Msg): void | Promise<void> {
    const appId = conn.appId;
    if (appId === null) {
      this.err(conn, id, 'ERR_NOT_INITIALIZED', 'Send hello with the App ID (client.init) before joining.');
      return;
    }
    if (conn.member) {
      this.err(
        conn,
        id,
        'ERR_JOIN_CHANNEL_REJECTED',
        `Already in channel "${conn.member.channel.name}" as uid ${conn.member.uid}; leave it before joining again.`,
      );
      return;
    }
    const channel = field(m, 'channel');
    const badChannel = checkChannelName(channel);
    if (badChannel !== null) {
      this.err(conn, id, 'ERR_INVALID_CHANNEL_NAME', badChannel);
      return;
    }
    const uid = field(m, 'uid');
    const badUid = checkUid(uid);
    if (badUid !== null) {
      this.err(conn, id, 'ERR_INVALID_ARGUMENT', badUid);
      return;
    }
    const key = field(m, 'key');
    if (key !== null && (typeof key !== 'string' || key.length > MAX_KEY_CHARS)) {
      this.err(
        conn,
        id,
        'ERR_INVALID_ARGUMENT',
        'key must be a Channel Key string, or null for a static App ID.',
      );
      return;
    }
    const session = field(m, 'session');
    if (session !== undefined && (typeof session !== 'string' || session.length > MAX_SESSION_CHARS)) {
      this.err(
        conn,
        id,
        'ERR_INVALID_ARGUMENT',
        'session must be the string the server gave at the first join.',
      );
      return;
    }
    const state = field(m, 'state');
    if (!this.validState(conn, id, state)) return;
    const displayName = field(m, 'name') ?? '';
    const badName = checkDisplayName(displayName);
    if (badName !== null) {
      this.err(conn, id, 'ERR_INVALID_ARGUMENT', badName);
      return;
    }
    const name = channel as string;
    const chKey = `${appId}/${name}`; // App IDs are exactly 32 hex characters, so this key is unambiguous.
    const existingChannel = this.channels.get(chKey);
    const requested = uid as number;

    const present = requested === 0 ? undefined : existingChannel?.members.get(requested);
    // A session rejoin continues a stay whose key was checked at join and at each renew: not checked again, so
    // a reconnect after the 5-minute join window does not lock a member out of its own call.
    if (present && typeof session === 'string' && sameSecret(session, present.session)) {
      this.takeOver(conn, id, present, state);
      return;
    }

    if (this.draining) {
      this.err(
        conn,
        id,
        'ERR_JOIN_CHANNEL_REJECTED',
        'This server is draining: connect to another node and join there.',
      );
      return;
    }
    const join: JoinParams = {
      appId,
      name,
      chKey,
      uid: requested,
      session: typeof session === 'string' ? session : undefined,
      state,
      displayName: displayName as string,
      key: key as string | null,
    };
    if (this.cluster) return this.clusterJoin(conn, id, join, this.cluster);

    // The key before anything about the channel: without a good key, "uid in use" and "channel full" would tell
    // a stranger who is in a keyed channel.
    const assigned = requested === 0 ? this.freeUid(existingChannel) : requested;
    const expiresAt = this.checkJoinKey(conn, id, join, assigned);
    if (expiresAt === null) return;
    if (present) {
      this.uidInUse(conn, id, join);
      return;
    }
    if ((existingChannel?.members.size ?? 0) >= this.limits.maxMembersPerChannel) {
      this.channelFull(conn, id, join);
      return;
    }
    if (!this.ipMayJoin(conn, id, chKey)) return;
    this.admit(conn, id, join, assigned, randomBytes(18).toString('base64url'), expiresAt, null);
  }

  /**
   * A join when the members live in Redis: the uid is claimed there (unique across nodes), the channel's members
   * come from there, and a member rejoining with its session from another node (drained or dead) is moved here.
   */
  private async clusterJoin(conn: Conn, id: number, join: JoinParams, cluster: RedisCluster): Promise<void> {
    const infoOf = (uid: number): PeerInfo => {
      const base = { uid, ...copyState(join.state) };
      return join.displayName ? { ...base, name: join.displayName } : base;
    };
    const limits = {
      maxMembers: this.limits.maxMembersPerChannel,
      ip: conn.ip,
      maxChannelsPerIp: this.limits.maxChannelsPerIp,
    };
    // Claimed in Redis (and counted for the address there), but the socket went away meanwhile.
    const undo = (uid: number): void => {
      void cluster.release(join.chKey, uid).catch(() => undefined);
      cluster.countChannel(conn.ip, join.chKey, -1);
    };
    if (join.uid !== 0 && join.session !== undefined) {
      const entry = { session: join.session, info: infoOf(join.uid), expiresAt: 0 };
      const stored = await cluster.lookup(join.chKey, join.uid);
      if (stored && sameSecret(stored.session, join.session)) {
        entry.expiresAt = stored.expiresAt;
        const r = await cluster.claim(join.chKey, join.uid, entry, limits, true);
        if (r.ok) {
          const collab = await this.collabFor(conn, join.chKey, () => undo(join.uid), cluster);
          if (collab === null) return;
          this.admit(conn, id, join, join.uid, join.session, stored.expiresAt, r.peers, true, collab);
          return;
        }
      }
    }
    const existing = this.channels.get(join.chKey);
    let uid = join.uid === 0 ? this.freeUid(existing) : join.uid;
    const expiresAt = this.checkJoinKey(conn, id, join, uid);
    if (expiresAt === null || !this.ipMayJoin(conn, id, join.chKey)) return;
    const session = randomBytes(18).toString('base64url');
    for (let attempt = 0; ; attempt++) {
      const r = await cluster.claim(
        join.chKey,
        uid,
        { session, info: infoOf(uid), expiresAt },
        limits,
        false,
      );
      if (r.ok) {
        const collab = await this.collabFor(conn, join.chKey, () => undo(uid), cluster);
        if (collab === null) return;
        this.admit(conn, id, join, uid, session, expiresAt, r.peers, false, collab);
        return;
      }
      if (r.reason === 'full') return this.channelFull(conn, id, join);
      if (r.reason === 'ip-channels') return this.ipChannelsFull(conn, id);
      if (join.uid !== 0) return this.uidInUse(conn, id, join);
      // uid 0: another node took the random uid first; draw again.
      if (attempt >= 8) throw new Error('could not find a free uid in the cluster');
      uid = this.freeUid(this.channels.get(join.chKey));
    }
  }

  /**
   * After a claim in Redis: the channel's content, read from Redis when this node does not have the channel yet
   * (undefined: it has). null when the socket went meanwhile (the claim is given back).
   */
  private async collabFor(
    conn: Conn,
    chKey: string,
    undo: () => void,
    cluster: RedisCluster,
  ): Promise<ChannelCollab | undefined | null> {
    let collab: ChannelCollab | undefined;
    try {
      if (this.stillWaiting(conn) && !this.channels.has(chKey))
        collab = await this.loadCollab(chKey, cluster);
    } catch (e) {
      undo();
      throw e;
    }
    if (this.stillWaiting(conn)) return collab;
    undo();
    return null;
  }

  /** The socket is still open and not in a channel (after an await). */
  private stillWaiting(conn: Conn): boolean {
    return conn.ws.readyState === WebSocket.OPEN && !conn.member && this.conns.has(conn);
  }

  /** The policy's verdict on the key: the stay's expiry, or null after replying the error. */
  private checkJoinKey(conn: Conn, id: number, join: JoinParams, uid: number): number | null {
    const verdict: unknown = this.opts.policy.checkJoin({
      appId: join.appId,
      channel: join.name,
      uid,
      key: join.key,
      now: Math.floor(Date.now() / 1000),
    });
    if (isPolicyError(verdict)) {
      this.policyErr(conn, id, verdict);
      return null;
    }
    return this.expiryOf(verdict);
  }

  private uidInUse(conn: Conn, id: number, join: JoinParams): void {
    this.err(
      conn,
      id,
      'ERR_JOIN_CHANNEL_REJECTED',
      `uid ${join.uid} is already in use in channel "${join.name}"; join with another uid, or 0 to have one assigned.`,
    );
  }

  private channelFull(conn: Conn, id: number, join: JoinParams): void {
    this.err(
      conn,
      id,
      'ERR_JOIN_CHANNEL_REJECTED',
      `Channel "${join.name}" is full (${this.limits.maxMembersPerChannel} members, this server's limit); try again later.`,
    );
  }

  private ipMayJoin(conn: Conn, id: number, chKey: string): boolean {
    const use = this.ipUse(conn.ip);
    if (use.channels.has(chKey) || use.channels.size < this.limits.maxChannelsPerIp) return true;
    this.ipChannelsFull(conn, id);
    return false;
  }

  private ipChannelsFull(conn: Conn, id: number): void {
    this.err(
      conn,
      id,
      'ERR_JOIN_CHANNEL_REJECTED',
      `Your address already has members in ${this.limits.maxChannelsPerIp} channels (this server's limit); leave one first.`,
    );
  }

  /**
   * The member enters its channel on this node. `cluster`: every entry of the channel in Redis (null on a single
   * node); `moved`: it came from another node with its session, so the others see no join.
   */
  private admit(
    conn: Conn,
    id: number,
    join: JoinParams,
    uid: number,
    session: string,
    expiresAt: number,
    cluster: ClusterEntry[] | null,
    moved = false,
    collab?: ChannelCollab,
  ): void {
    const now = Date.now();
    const existing = this.channels.get(join.chKey);
    const ch: Channel = existing ?? {
      key: join.chKey,
      appId: join.appId,
      name: join.name,
      members: new Map<number, Member>(),
      recording: null,
      recordingNews: 0,
      media: this.opts.sfu && this.meshMax(join.appId) === 0 ? 'sfu' : 'mesh',
      pending: new Set<Member>(),
      remote: new Map(),
      remoteNews: new Map(),
      tokens: this.limits.channelSendsPerSecond,
      refilledAt: now,
      collab: collab ?? this.takeKept(join.chKey) ?? new ChannelCollab(this.limits),
    };
    if (!existing) this.channels.set(join.chKey, ch);
    if (!existing && cluster && this.cluster) this.readRecording(ch, this.cluster);
    const member: Member = {
      uid,
      session,
      channel: ch,
      ip: conn.ip,
      state: copyState(join.state),
      name: join.displayName,
      sentState: copyState(join.state),
      stateSentAt: 0,
      conn,
      expiresAt,
      chatBudget: new Bucket(this.limits.chatBurst),
      docBudget: new Bucket(this.limits.docBurst),
    };
    ch.remote.delete(uid);
    if (cluster && this.cluster) {
      for (const e of cluster) {
        if (e.node === this.cluster.nodeId || e.info.uid === uid) continue;
        // Normally known from its news; not when that news was lost (Redis restarted): tell the members here.
        if (!ch.remote.has(e.info.uid)) this.broadcast(ch, null, { t: 'peer-join', peer: e.info });
        ch.remote.set(e.info.uid, { node: e.node, info: e.info });
      }
    }
    const peers = [...ch.members.values()].map(info).concat([...ch.remote.values()].map((r) => r.info));
    ch.members.set(uid, member);
    this.countChannel(conn.ip, join.chKey, 1, cluster === null);
    conn.member = member;
    const toSfu = this.chooseMedia(ch);
    this.ok(conn, id, {
      uid,
      session,
      peers,
      expiresAt,
      recording: recordingOf(ch),
      ...(ch.media === 'sfu' ? { media: 'sfu' as const } : {}),
      ...this.grantIce(member),
      ...ch.collab.snapshot(),
    });
    if (toSfu) this.broadcast(ch, member, { t: 'sfu', op: 'mode', mode: 'sfu' });
    if (moved) {
      this.broadcast(ch, member, { t: 'peer-state', peer: info(member) });
      this.cluster?.publish({ k: 'moved', ch: ch.key, node: this.cluster.nodeId, peer: info(member) });
    } else {
      this.broadcast(ch, member, { t: 'peer-join', peer: info(member) });
      this.cluster?.publish({ k: 'join', ch: ch.key, node: this.cluster.nodeId, peer: info(member) });
    }
    this.scheduleExpiry(member);
    this.opts.log(
      `${moved ? 'moved ' : 'join  '} app=${shortApp(join.appId)} channel=${JSON.stringify(join.name)} uid=${uid} (${ch.members.size + ch.remote.size} in channel)`,
    );
  }

  /**
   * Session rejoin after a reconnect: the new socket becomes the member, the others see at most a state change.
   * The stay continues as it was (its key was checked at join and at each renew), so a key older than the join
   * window does not lock a reconnecting member out of its own call.
   */
  private takeOver(conn: Conn, id: number, member: Member, state: PeerState): void {
    const old = member.conn;
    if (old && old !== conn) {
      old.member = null;
      old.ws.close(CloseCode.REPLACED, 'Replaced: this user rejoined on a newer connection.');
    }
    member.cancelGrace?.();
    member.cancelGrace = undefined;
    member.conn = conn;
    conn.member = member;
    const ch = member.channel;
    if (member.ip !== conn.ip) {
      this.countChannel(member.ip, ch.key, -1);
      this.countChannel(conn.ip, ch.key, 1);
      member.ip = conn.ip;
    }
    const peers = [...ch.members.values()]
      .filter((p) => p !== member)
      .map(info)
      .concat([...ch.remote.values()].map((r) => r.info));
    this.ok(conn, id, {
      uid: member.uid,
      session: member.session,
      peers,
      expiresAt: member.expiresAt,
      recording: recordingOf(ch),
      ...(ch.media === 'sfu' ? { media: 'sfu' as const } : {}),
      ...this.grantIce(member),
      ...ch.collab.snapshot(),
    });
    this.setState(member, state);
    // Re-arms the timers; an `expiring` missed while disconnected is sent again.
    this.scheduleExpiry(member);
    this.opts.log(`rejoin app=${shortApp(ch.appId)} channel=${JSON.stringify(ch.name)} uid=${member.uid}`);
  }

  private onLeave(conn: Conn, id: number): void {
    const m = conn.member;
    if (!m) {
      this.err(conn, id, 'ERR_LEAVE_CHANNEL_REJECTED', 'Not in a channel: join before leaving.');
      return;
    }
    this.removeMember(m, 'left');
    this.ok(conn, id);
  }

  private async onFeedback(conn: Conn, id: number, m: Msg): Promise<void> {
    const appId = conn.appId;
    if (appId === null) {
      this.err(conn, id, 'ERR_NOT_INITIALIZED', 'Send hello with the App ID (client.init) first.');
      return;
    }
    const store = this.opts.feedback;
    if (!store) {
      this.err(conn, id, 'ERR_NOT_SUPPORTED', 'This server does not collect ratings and complaints.');
      return;
    }
    const rec = parseFeedback(m);
    if (typeof rec === 'string') {
      this.err(conn, id, 'ERR_INVALID_ARGUMENT', rec);
      return;
    }
    try {
      await store.append({ at: new Date().toISOString(), appId, ...rec });
      this.ok(conn, id);
    } catch (e) {
      console.error(`feedback store: ${e instanceof Error ? e.message : String(e)}`);
      this.err(conn, id, 'ERR_FAILED', 'The server could not store the feedback.');
    }
  }

  private onRenew(conn: Conn, id: number, msg: Msg): void {
    const req = this.keyRequest(conn, id, msg, 'Channel Key', 'there is no stay to renew the key of.');
    if (!req) return;
    const verdict: unknown = this.opts.policy.checkJoin(req.check);
    if (isPolicyError(verdict)) {
      this.policyErr(conn, id, verdict);
      return;
    }
    req.member.expiresAt = this.expiryOf(verdict);
    this.scheduleExpiry(req.member);
    const m = req.member;
    void this.cluster
      ?.update(m.channel.key, m.uid, { session: m.session, info: info(m), expiresAt: m.expiresAt })
      .catch(() => undefined);
    this.ok(conn, id, { expiresAt: req.member.expiresAt });
  }
  /** Recording Key check (service type ARS) for the member's own app, channel and uid; nothing changes. */
  private onRecordingKey(conn: Conn, id: number, msg: Msg): void {
    const req = this.recordingKeyVerdict(conn, id, msg);
    if (req) this.ok(conn, id, { expiresAt: req.expiresAt });
  }

  /**
   * One recorder per channel (over all nodes: Redis decides); everyone, the recorder included, hears that the
   * channel is being recorded.
   */
  private async onRecordingStart(conn: Conn, id: number, msg: Msg): Promise<void> {
    const req = this.recordingKeyVerdict(conn, id, msg);
    if (!req) return;
    const m = req.member;
    const ch = m.channel;
    const wanted: ClusterRecording = { uid: m.uid, startedAt: Date.now(), key: req.key };
    const cluster = this.cluster;
    const running = ch.recording ?? (cluster ? await cluster.startRecording(ch.key, wanted) : null);
    if (running) {
      this.err(
        conn,
        id,
        'ERR_ALREADY_IN_USE',
        running.uid === m.uid
          ? 'You are already recording this channel.'
          : `User ${running.uid} is already recording this channel (one recording per channel at a time).`,
      );
      return;
    }
    if (conn.member !== m) {
      // Left while Redis answered: the recording it started ends with it.
      if (cluster) void cluster.endRecording(ch.key, m.uid).catch(() => undefined);
      return;
    }
    ch.recording = wanted;
    const recording = recordingOf(ch)!;
    this.ok(conn, id, { expiresAt: req.expiresAt, recording });
    this.broadcast(ch, null, { t: 'recording', recording });
  }

  /** Cluster mode, a channel new on this node: it may be recorded through another node. */
  private readRecording(ch: Channel, cluster: RedisCluster): void {
    const seen = ch.recordingNews;
    void cluster
      .recording(ch.key)
      .then((rec) => this.storedRecording(ch, rec, seen, cluster))
      .catch(() => undefined);
  }

  /**
   * The channel's recording as Redis held it when the channel had had `seen` recording news (a newer news wins). A
   * recording whose recorder is no longer in the channel (its node died with nobody else there to end it) is ended.
   */
  private storedRecording(
    ch: Channel,
    rec: ClusterRecording | null,
    seen: number,
    cluster: RedisCluster,
  ): void {
    if (!rec || ch.recording || ch.recordingNews !== seen || this.channels.get(ch.key) !== ch) return;
    if (!ch.members.has(rec.uid) && !ch.remote.has(rec.uid)) {
      void cluster.endRecording(ch.key, rec.uid);
      return;
    }
    ch.recording = rec;
    this.broadcast(ch, null, { t: 'recording', recording: recordingOf(ch) });
  }

  private onRecordingStop(conn: Conn, id: number, msg: Msg): void {
    const m = conn.member;
    const key = field(msg, 'key');
    if (!m) {
      this.err(conn, id, 'ERR_NOT_INITIALIZED', 'Not in a channel: there is no recording to stop.');
      return;
    }
    const rec = m.channel.recording;
    if (!rec || rec.uid !== m.uid) {
      this.err(
        conn,
        id,
        'ERR_NOT_READY',
        rec
          ? `User ${rec.uid} records this channel, not you: only the recorder can stop it.`
          : 'This channel is not being recorded: call startRecording first.',
      );
      return;
    }
    if (typeof key !== 'string' || !sameSecret(key, rec.key)) {
      this.err(
        conn,
        id,
        'ERR_INVALID_CHANNEL_KEY',
        'Stop the recording with the Recording Key it was started with.',
      );
      return;
    }
    this.endRecording(m.channel);
    this.ok(conn, id);
  }

  /** The recording ends for the members here, and (`share`) in Redis for the other nodes' members. */
  private endRecording(ch: Channel, share = true): void {
    const ended = recordingOf(ch);
    if (!ended) return;
    ch.recording = null;
    this.broadcast(ch, null, { t: 'recording', recording: null, ended });
    if (share) void this.cluster?.endRecording(ch.key, ended.uid).catch(() => undefined);
  }

  /** The member's Recording Key verdict: the key and its expiry, or null after replying an error. */
  private recordingKeyVerdict(
    conn: Conn,
    id: number,
    msg: Msg,
  ): { member: Member; key: string; expiresAt: number } | null {
    const req = this.keyRequest(
      conn,
      id,
      msg,
      'Recording Key',
      'join before checking a Recording Key (it is checked for your channel and uid).',
    );
    if (!req) return null;
    const check = this.opts.policy.checkRecordingKey;
    const verdict: unknown =
      check === undefined
        ? {
            code: ErrorCode.ERR_INVALID_CHANNEL_KEY,
            name: 'ERR_INVALID_CHANNEL_KEY',
            message: 'This server does not check Recording Keys, so recording is not available here.',
          }
        : check.call(this.opts.policy, req.check);
    if (isPolicyError(verdict)) {
      this.policyErr(conn, id, verdict);
      return null;
    }
    return { member: req.member, key: req.check.key!, expiresAt: this.expiryOf(verdict) };
  }

  /** A key request of a joined member: the member and what the policy checks, or null after replying an error. */
  private keyRequest(
    conn: Conn,
    id: number,
    msg: Msg,
    what: string,
    notJoined: string,
  ): { member: Member; check: JoinCheck } | null {
    const m = conn.member;
    if (!m) {
      this.err(conn, id, 'ERR_NOT_INITIALIZED', `Not in a channel: ${notJoined}`);
      return null;
    }
    const key = field(msg, 'key');
    if (typeof key !== 'string' || key.length > MAX_KEY_CHARS) {
      this.err(conn, id, 'ERR_INVALID_ARGUMENT', `key must be a ${what} string.`);
      return null;
    }
    const ch = m.channel;
    return {
      member: m,
      check: { appId: ch.appId, channel: ch.name, uid: m.uid, key, now: Math.floor(Date.now() / 1000) },
    };
  }

  /** A member's publish/mute state as the protocol defines it; otherwise the sender gets an error. */
  private validState(conn: Conn, id: number | undefined, state: unknown): state is PeerState {
    if (isPeerState(state)) return true;
    this.err(
      conn,
      id,
      'ERR_INVALID_ARGUMENT',
      'state must be {published, audioMuted, videoMuted}, all booleans.',
    );
    return false;
  }

  /** `id` is optional here; an error echoes it when the sender gave one. */
  private onState(conn: Conn, id: number | undefined, msg: Msg): void {
    const m = conn.member;
    if (!m) {
      this.err(conn, id, 'ERR_NOT_INITIALIZED', 'Not in a channel: join before sending state.');
      return;
    }
    const state = field(msg, 'state');
    if (!this.validState(conn, id, state)) return;
    this.setState(m, state);
  }

  /**
   * A member's new state reaches the others at once when the member has not changed it within stateIntervalMs
   * and the channel's broadcast budget allows; otherwise it waits for the channel's next flush, where only the
   * latest state of each member goes out. Only real changes go out, so the others' mute events fire once per
   * change (a change undone before the flush is not sent at all).
   */
  private setState(m: Member, state: PeerState): void {
    m.state = copyState(state);
    const ch = m.channel;
    if (sameState(m.state, m.sentState)) {
      ch.pending.delete(m);
      return;
    }
    if (!ch.pending.has(m) && Date.now() - m.stateSentAt >= this.limits.stateIntervalMs) {
      this.refill(ch);
      if (ch.tokens >= ch.members.size - 1) {
        this.sendState(m);
        return;
      }
    }
    ch.pending.add(m);
    this.scheduleFlush(ch);
  }

  private sendState(m: Member): void {
    m.sentState = copyState(m.state);
    m.stateSentAt = Date.now();
    this.broadcast(m.channel, m, { t: 'peer-state', peer: info(m) });
    const cluster = this.cluster;
    if (cluster) {
      const peer = info(m);
      cluster.publish({ k: 'state', ch: m.channel.key, node: cluster.nodeId, peer });
      void cluster
        .update(m.channel.key, m.uid, { session: m.session, info: peer, expiresAt: m.expiresAt })
        .catch(() => undefined);
    }
  }

  private scheduleFlush(ch: Channel): void {
    if (ch.flushTimer || ch.pending.size === 0) return;
    // Waits for the budget of one broadcast, and for the earliest pending member's interval to pass.
    const deficit = Math.max(0, ch.members.size - 1 - ch.tokens);
    const wait = Math.max(
      this.limits.stateIntervalMs / 4,
      (deficit / this.limits.channelSendsPerSecond) * 1000,
    );
    ch.flushTimer = setTimeout(() => this.flush(ch), wait);
    ch.flushTimer.unref();
  }

  private flush(ch: Channel): void {
    ch.flushTimer = undefined;
    if (this.channels.get(ch.key) !== ch) return;
    this.refill(ch);
    const now = Date.now();
    const cost = ch.members.size - 1;
    // Oldest first (Set order is insertion order); what the budget cannot pay for waits for the next flush.
    for (const m of ch.pending) {
      if (ch.tokens < cost) break;
      if (now - m.stateSentAt < this.limits.stateIntervalMs) continue;
      ch.pending.delete(m);
      if (!sameState(m.state, m.sentState)) this.sendState(m);
    }
    this.scheduleFlush(ch);
  }

  private onRelay(conn: Conn, id: number | undefined, msg: Msg): void {
    const m = conn.member;
    if (!m) {
      this.err(conn, id, 'ERR_NOT_INITIALIZED', 'Not in a channel: join before relaying.');
      return;
    }
    const to = field(msg, 'to');
    const data = field(msg, 'data');
    if (checkUid(to) !== null || to === 0 || to === m.uid) {
      this.err(
        conn,
        id,
        'ERR_INVALID_ARGUMENT',
        'relay "to" must be the uid of another member of your channel.',
      );
      return;
    }
    if (data === undefined) {
      this.err(conn, id, 'ERR_INVALID_ARGUMENT', 'relay needs "data".');
      return;
    }
    const target = m.channel.members.get(to as number);
    const elsewhere = target ? undefined : m.channel.remote.get(to as number);
    if (elsewhere && this.cluster) {
      this.cluster.relay(elsewhere.node, {
        k: 'relay',
        ch: m.channel.key,
        from: m.uid,
        to: to as number,
        data,
      });
      this.opts.metrics?.relayed();
      return;
    }
    if (!target) {
      this.err(conn, id, 'ERR_INVALID_ARGUMENT', `uid ${String(to)} is not in your channel; relay dropped.`);
      return;
    }
    // A target between sockets (grace period) misses this; it renegotiates after its rejoin.
    const out = target.conn;
    if (!out) return;
    // Back-pressure lands on the sender: the receiver is never the one dropped for someone else's traffic.
    const slowTarget = out.ws.bufferedAmount > this.limits.relayBackpressureBytes;
    if (slowTarget || this.overBudget()) {
      conn.refusedRelays++;
      if (conn.refusedRelays > this.limits.maxRefusedRelays) {
        this.opts.log(`conn ${conn.id}: kept relaying after ERR_TOO_OFTEN; disconnected`);
        conn.vanished = true;
        conn.ws.close(CloseCode.POLICY, 'Kept relaying faster than the receiver reads.');
        setTimeout(() => conn.ws.terminate(), 1000).unref();
        return;
      }
      this.tooOften(
        conn,
        id,
        slowTarget
          ? `uid ${target.uid} is not reading fast enough; relays to it are dropped until it catches up.`
          : 'The server is busy sending; relays are dropped for now.',
      );
      return;
    }
    conn.refusedRelays = 0;
    this.send(out, { t: 'relay', from: m.uid, data });
    this.opts.metrics?.relayed();
  }

  /** A chat message: stamped with the sender and the time, kept for late joiners, sent to everyone in the channel. */
  private onChat(conn: Conn, id: number, msg: Msg): void {
    const m = conn.member;
    if (!m) {
      this.err(conn, id, 'ERR_NOT_INITIALIZED', 'Not in a channel: join before sending chat messages.');
      return;
    }
    const text = field(msg, 'text');
    const bad = m.channel.collab.checkChat(text);
    if (bad) {
      this.err(conn, id, 'ERR_INVALID_ARGUMENT', bad);
      return;
    }
    if (!m.chatBudget.take(this.limits.chatPerSecond, this.limits.chatBurst)) {
      this.err(
        conn,
        id,
        'ERR_TOO_OFTEN',
        `More than ${this.limits.chatPerSecond} chat messages a second; this one was not sent.`,
      );
      return;
    }
    const cluster = this.cluster;
    if (!cluster) {
      const message = m.channel.collab.addChat(m.uid, m.name, text as string);
      this.ok(conn, id, { message });
      this.broadcast(m.channel, m, { t: 'chat', message });
      return;
    }
    // Several nodes: Redis numbers the message, so every node orders the history alike.
    const draft = { uid: m.uid, name: m.name, text: text as string, ts: Date.now() };
    cluster.appendChat(m.channel.key, draft, this.limits.chatHistory).then(
      (message) => {
        this.ok(conn, id, { message });
        if (m.channel.collab.insertChat(message)) this.broadcast(m.channel, m, { t: 'chat', message });
      },
      (e: unknown) => {
        this.logOnce(conn, 'chat store', `conn ${conn.id}: chat not stored: ${String(e)}`);
        this.err(conn, id, 'ERR_FAILED', 'The server could not store the message; try again.');
      },
    );
  }

  /** A shared-document update: merged into the channel's document and passed on to the other members. */
  private onDoc(conn: Conn, msg: Msg): void {
    const m = conn.member;
    if (!m) {
      this.err(
        conn,
        undefined,
        'ERR_NOT_INITIALIZED',
        'Not in a channel: join before updating the whiteboard.',
      );
      return;
    }
    const update = field(msg, 'update');
    const sealed = field(msg, 'sealed') ?? false;
    const bytes = decodeBase64(update, this.limits.docUpdateBytes);
    if (typeof bytes === 'string' || typeof sealed !== 'boolean') {
      this.logOnce(conn, 'bad doc', `conn ${conn.id}: sent a malformed document update (refused)`);
      this.err(
        conn,
        undefined,
        'ERR_INVALID_ARGUMENT',
        typeof bytes === 'string' ? bytes : '"sealed" must be a boolean.',
      );
      return;
    }
    if (!m.docBudget.take(this.limits.docPerSecond, this.limits.docBurst)) {
      this.tooOften(
        conn,
        undefined,
        `More than ${this.limits.docPerSecond} whiteboard updates a second; some were dropped.`,
      );
      return;
    }
    const collab = m.channel.collab;
    const refuse = (why: string): void => {
      this.logOnce(conn, 'doc refused', `conn ${conn.id}: document update refused: ${why}`);
      this.err(conn, undefined, 'ERR_INVALID_ARGUMENT', why);
    };
    const push: ServerMessage = sealed
      ? { t: 'doc', from: m.uid, update: update as string, sealed: true }
      : { t: 'doc', from: m.uid, update: update as string };
    const cluster = this.cluster;
    if (!cluster) {
      const refused = collab.applyDoc(bytes, update as string, sealed);
      if (refused) return refuse(refused);
      this.broadcast(m.channel, m, push);
      this.maybeAskCompact(m);
      return;
    }
    const refused = collab.checkDoc(bytes, sealed);
    if (refused) return refuse(refused);
    // Several nodes: stored and numbered in Redis first (one connection, so a member's updates keep their order).
    cluster.appendDoc(m.channel.key, m.uid, update as string, sealed).then(
      (r) => {
        if (r === null)
          return refuse(`This channel's document is ${sealed ? 'plain' : 'encrypted'}: refused.`);
        collab.storeDoc(bytes, update as string, sealed, r.seq);
        this.broadcast(m.channel, m, push);
        this.maybeAskCompact(m);
      },
      (e: unknown) => {
        this.logOnce(conn, 'doc store', `conn ${conn.id}: document update not stored: ${String(e)}`);
        this.err(conn, undefined, 'ERR_FAILED', 'The server could not store the whiteboard update.');
      },
    );
  }

  /**
   * An encrypted channel's stored updates only pile up (the server cannot merge ciphertext): past docCompactAfter,
   * the member that just added one is asked for a sealed snapshot of everything this node has passed on to it.
   */
  private maybeAskCompact(m: Member): void {
    const collab = m.channel.collab;
    if (collab.sealedCount <= this.limits.docCompactAfter || !m.conn) return;
    const ask = collab.compactAsk;
    if (ask && Date.now() - ask.at < COMPACT_ASK_MS) return;
    const upto = collab.contiguousSeq();
    if (upto === 0) return;
    collab.compactAsk = { uid: m.uid, upto, at: Date.now() };
    this.send(m.conn, { t: 'doc-compact', upto });
  }

  /** The sealed snapshot the server asked for: it replaces the stored updates it covers, on every node. */
  private onDocCompact(conn: Conn, msg: Msg): void {
    const m = conn.member;
    if (!m) {
      this.err(
        conn,
        undefined,
        'ERR_NOT_INITIALIZED',
        'Not in a channel: join before compacting its document.',
      );
      return;
    }
    const collab = m.channel.collab;
    const ask = collab.compactAsk;
    const upto = field(msg, 'upto');
    const update = field(msg, 'update');
    if (!ask || ask.uid !== m.uid || upto !== ask.upto) {
      this.logOnce(conn, 'compact unasked', `conn ${conn.id}: sent a document snapshot it was not asked for`);
      this.err(
        conn,
        undefined,
        'ERR_INVALID_ARGUMENT',
        'The server did not ask you for this document snapshot.',
      );
      return;
    }
    // A refused part leaves the request open: the member may send a good one.
    const bytes = decodeBase64(update, this.limits.docCompactBytes);
    if (typeof bytes === 'string') {
      this.err(conn, undefined, 'ERR_INVALID_ARGUMENT', `document snapshot: ${bytes}`);
      return;
    }
    // A snapshot larger than one frame comes in parts, in order; one without `parts` is a single part. Each part is
    // at most docCompactBytes, so maxParts of them stay within the document limit.
    const got = ask.parts ?? [];
    const part = field(msg, 'part') ?? 0;
    const of = field(msg, 'parts') ?? 1;
    const maxParts = Math.max(1, Math.floor(this.limits.docMaxBytes / this.limits.docCompactBytes));
    const cut = collab.replaceable(upto);
    const wrong =
      !Number.isInteger(of) || (of as number) < 1 || (of as number) > maxParts
        ? `parts must be a whole number from 1 to ${maxParts}.`
        : part !== got.length || (ask.of !== undefined && of !== ask.of)
          ? `expected part ${got.length} of ${ask.of ?? of}, got part ${String(part)} of ${String(of)}.`
          : got.length + 1 === of && of > cut
            ? `a snapshot in ${of} parts cannot replace ${cut} updates.`
            : null;
    if (wrong) {
      this.err(conn, undefined, 'ERR_INVALID_ARGUMENT', `document snapshot: ${wrong}`);
      return;
    }
    got.push(update as string);
    if (got.length < (of as number)) {
      ask.parts = got;
      ask.of = of as number;
      return;
    }
    collab.compactAsk = null;
    const done = (): void => {
      const refused = collab.compact(ask.upto, got);
      if (refused) this.err(conn, undefined, 'ERR_INVALID_ARGUMENT', refused);
    };
    if (!this.cluster) return done();
    this.cluster.compactSealed(m.channel.key, ask.upto, got).then(done, (e: unknown) => {
      this.logOnce(conn, 'compact store', `conn ${conn.id}: document snapshot not stored: ${String(e)}`);
    });
  }

  // ---- membership ----

  /** The app's MESH_MAX from the registry, else the server's. */
  private meshMax(appId: string): number {
    return this.opts.policy.meshMax?.(appId) ?? this.opts.meshMax ?? 4;
  }

  /** Moves the channel to the SFU once it has more than meshMax members; true when it just moved. */
  private chooseMedia(ch: Channel): boolean {
    if (!this.opts.sfu || ch.media === 'sfu') return false;
    // Members on other nodes count too.
    if (ch.members.size + ch.remote.size <= this.meshMax(ch.appId)) return false;
    const moved = ch.media === 'mesh';
    ch.media = 'sfu';
    if (moved)
      this.opts.log(`sfu    app=${shortApp(ch.appId)} channel=${JSON.stringify(ch.name)} moves to the SFU`);
    return moved;
  }

  /**
   * A member's SFU negotiation (src/protocol/sfu.ts). The driver finds the room by the member's own channel: a
   * member never names a room or a handle, so it cannot reach another channel's.
   */
  private async onSfu(conn: Conn, id: number | undefined, msg: Msg): Promise<void> {
    const m = conn.member;
    const sfu = this.opts.sfu;
    if (!m || !sfu || m.channel.media !== 'sfu') {
      this.err(conn, id, 'ERR_INVALID_ARGUMENT', 'Your channel does not use the SFU.');
      return;
    }
    const op = parseSfuOp(msg);
    if (op === null) {
      this.err(conn, id, 'ERR_INVALID_ARGUMENT', 'Malformed SFU request.');
      return;
    }
    if (op.op === 'subscribe' && !m.channel.members.has(op.uid) && !m.channel.remote.has(op.uid)) {
      this.err(conn, id, 'ERR_INVALID_ARGUMENT', `uid ${op.uid} is not in your channel.`);
      return;
    }
    const member = {
      channel: m.channel.key,
      uid: m.uid,
      push: (body: SfuPushBody) => {
        if (m.conn) this.send(m.conn, { t: 'sfu', ...body });
      },
    };
    try {
      const result = await sfu.request(member, op);
      // The SFU's replies (publish → { jsep }) are typed in src/protocol/sfu.ts, not in OkReply.
      if (id !== undefined && conn.ws.readyState === WebSocket.OPEN) this.ok(conn, id, result as never);
    } catch (e) {
      const refusal = e instanceof SfuRefusal ? e : null;
      if (!refusal) this.logOnce(conn, 'sfu failed', `conn ${conn.id}: SFU request failed: ${String(e)}`);
      if (conn.ws.readyState === WebSocket.OPEN)
        this.err(conn, id, refusal?.code ?? 'ERR_FAILED', refusal?.message ?? 'The SFU did not answer.');
    }
  }

  private freeUid(ch: Channel | undefined): number {
    for (;;) {
      const uid = randomInt(1, MAX_UID + 1);
      if (!ch?.members.has(uid)) return uid;
    }
  }

  private expiryOf(verdict: unknown): number {
    const e = (verdict as { expiresAt?: unknown }).expiresAt;
    if (typeof e !== 'number' || !Number.isFinite(e) || e < 0) {
      throw new Error(`policy returned an invalid expiresAt: ${String(e)}`);
    }
    return e;
  }

  private clearTimers(m: Member): void {
    m.cancelExpiring?.();
    m.cancelExpiry?.();
    m.cancelGrace?.();
    m.cancelIce?.();
    m.cancelExpiring = m.cancelExpiry = m.cancelGrace = m.cancelIce = undefined;
  }

  /**
   * Fresh ICE servers for a member (for its join or rejoin reply), and the push of the next ones before their TURN
   * credential expires. A member between sockets gets its next set when it rejoins.
   */
  private grantIce(m: Member): { ice?: IceGrant } {
    const opts = this.opts.ice;
    if (!opts) return {};
    const grant = iceGrant(opts, m.uid);
    m.cancelIce?.();
    m.cancelIce = undefined;
    if (grant.expiresAt > 0) {
      m.cancelIce = later(renewAtMs(grant, opts.ttlSeconds ?? DEFAULT_TURN_TTL_SECONDS), () => {
        m.cancelIce = undefined;
        if (!m.conn) return;
        const next = this.grantIce(m);
        if (next.ice) this.send(m.conn, { t: 'ice', ice: next.ice });
      });
    }
    return { ice: grant };
  }

  private scheduleExpiry(m: Member): void {
    m.cancelExpiring?.();
    m.cancelExpiry?.();
    m.cancelExpiring = m.cancelExpiry = undefined;
    if (m.expiresAt === 0) return;
    const at = m.expiresAt * 1000;
    m.cancelExpiring = later(at - EXPIRING_LEAD_MS, () => {
      if (m.conn) this.send(m.conn, { t: 'expiring', expiresAt: m.expiresAt });
    });
    m.cancelExpiry = later(at, () => {
      if (m.conn) {
        this.send(m.conn, {
          t: 'kick',
          code: ErrorCode.ERR_CHANNEL_KEY_EXPIRED,
          name: 'ERR_CHANNEL_KEY_EXPIRED',
          message: 'The Channel Key expired and was not renewed; you have left the channel.',
        });
      }
      this.removeMember(m, 'key expired');
    });
  }

  private removeMember(m: Member, why: string): void {
    this.clearTimers(m);
    const ch = m.channel;
    if (ch.members.get(m.uid) !== m) return;
    ch.members.delete(m.uid);
    ch.pending.delete(m);
    this.countChannel(m.ip, ch.key, -1);
    if (m.conn) m.conn.member = null;
    m.conn = null;
    this.opts.sfu?.leave(ch.key, m.uid);
    if (ch.members.size === 0) {
      this.channels.delete(ch.key);
      clearTimeout(ch.flushTimer);
      // Members on other nodes may still use the channel's room (shared through Redis).
      if (ch.media === 'sfu') this.opts.sfu?.channelClosed(ch.key, ch.remote.size === 0);
      this.closeCollab(ch);
    }
    this.broadcast(ch, m, { t: 'peer-leave', uid: m.uid });
    this.opts.metrics?.left();
    const cluster = this.cluster;
    if (cluster) {
      cluster.publish({ k: 'leave', ch: ch.key, node: cluster.nodeId, uid: m.uid });
      void cluster.release(ch.key, m.uid).catch(() => undefined);
    }
    // The recorder left (or vanished): its recording ended with it.
    if (ch.recording?.uid === m.uid) this.endRecording(ch);
    this.opts.log(
      `leave  app=${shortApp(ch.appId)} channel=${JSON.stringify(ch.name)} uid=${m.uid} (${why}; ${ch.members.size} left)`,
    );
  }
}
