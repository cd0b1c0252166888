// The signaling service: App ID and channel-key checks (through the AppPolicy), channel membership keyed by
// (App ID, channel), publish/mute state broadcast, and relay of opaque WebRTC payloads between members of one
// channel. Media never passes through here. Wire format: src/protocol/messages.ts.
import { randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { ErrorCode, type ErrorName } from '../src/protocol/codes.js';
import {
  MAX_FRAME_BYTES,
  isPeerState,
  type PeerInfo,
  type RecordingInfo,
  type PeerState,
  type ServerMessage,
} from '../src/protocol/messages.js';
import { MAX_UID, checkAppId, checkChannelName, checkUid } from '../src/protocol/validate.js';
import type { AppPolicy, JoinCheck, PolicyError } from './policy.js';

export interface SignalingOptions {
  policy: AppPolicy;
  /** Interval of WebSocket pings; a socket silent for 2.5 intervals is considered vanished. */
  heartbeatMs: number;
  /** How long a member whose socket closed without `leave` stays in its channel, waiting for a session rejoin. */
  graceMs: number;
  log: (line: string) => void;
}

export interface SignalingStats {
  connections: number;
  channels: number;
  members: number;
}

/** Sent `expiring` this long before a Channel Key's service expiry, so the app can renew in time. */
const EXPIRING_LEAD_MS = 30_000;
/** Per-socket token bucket: sustained rate and burst. A 4-user mesh exchanging ICE candidates stays far below. */
const RATE_PER_S = 200;
const BURST = 400;
/** A reader this far behind is not keeping up (or not reading at all); dropping it protects the server's memory. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const MAX_KEY_CHARS = 2048;
const MAX_SESSION_CHARS = 128;
/** setTimeout fires at once for delays beyond this (~24.8 days); longer waits are chained. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Close codes (4000–4999 are the application's) the SDK can tell apart from network failures. */
export const CloseCode = {
  /** The same user rejoined with its session on a newer socket. */
  REPLACED: 4001,
  SHUTDOWN: 1001,
} as const;

interface Conn {
  readonly ws: WebSocket;
  readonly id: number;
  /** Set by a successful hello. */
  appId: string | null;
  member: Member | null;
  lastSeen: number;
  /** Terminated by the heartbeat: its member leaves at once instead of waiting out the grace period. */
  vanished: boolean;
  tokens: number;
  refilledAt: number;
  throttleNoticeAt: number;
}

interface Channel {
  readonly key: string;
  readonly appId: string;
  readonly name: string;
  /** Insertion order is join order (a session rejoin keeps its place). */
  readonly members: Map<number, Member>;
  /** The one recording of the channel, and the Recording Key it was started with (stop needs the same key). */
  recording: (RecordingInfo & { key: string }) | null;
}

interface Member {
  readonly uid: number;
  readonly session: string;
  readonly channel: Channel;
  state: PeerState;
  /** null while the socket is gone and the grace period runs. */
  conn: Conn | null;
  expiresAt: number;
  cancelExpiring?: () => void;
  cancelExpiry?: () => void;
  cancelGrace?: () => void;
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
  return { uid: m.uid, ...m.state };
}

function copyState(s: PeerState): PeerState {
  return { published: s.published, audioMuted: s.audioMuted, videoMuted: s.videoMuted };
}

function sameState(a: PeerState, b: PeerState): boolean {
  return a.published === b.published && a.audioMuted === b.audioMuted && a.videoMuted === b.videoMuted;
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

export class SignalingServer {
  private readonly wss: WebSocketServer;
  private readonly conns = new Set<Conn>();
  private readonly channels = new Map<string, Channel>();
  private readonly heartbeat: NodeJS.Timeout;
  private nextConnId = 1;
  private closing = false;

  constructor(private readonly opts: SignalingOptions) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_FRAME_BYTES,
      clientTracking: false,
      perMessageDeflate: false,
    });
    this.heartbeat = setInterval(() => this.beat(), opts.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Hand over an HTTP upgrade request already known to be for the signaling path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
  }

  stats(): SignalingStats {
    let members = 0;
    for (const ch of this.channels.values()) members += ch.members.size;
    return { connections: this.conns.size, channels: this.channels.size, members };
  }

  /** Closes every socket (code 1001) and forgets all channels without telling anyone they left. */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.heartbeat);
    for (const ch of this.channels.values()) for (const m of ch.members.values()) this.clearTimers(m);
    this.channels.clear();
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

  private accept(ws: WebSocket): void {
    // A handshake that completes after close() began would otherwise outlive the server.
    if (this.closing) {
      ws.terminate();
      return;
    }
    const now = Date.now();
    const conn: Conn = {
      ws,
      id: this.nextConnId++,
      appId: null,
      member: null,
      lastSeen: now,
      vanished: false,
      tokens: BURST,
      refilledAt: now,
      throttleNoticeAt: 0,
    };
    this.conns.add(conn);
    ws.on('pong', () => {
      conn.lastSeen = Date.now();
    });
    ws.on('message', (data, isBinary) => this.onMessage(conn, data, isBinary));
    // Oversized frames and protocol violations surface here; ws closes the socket itself.
    ws.on('error', (e) => this.opts.log(`conn ${conn.id}: socket error: ${e.message}`));
    ws.on('close', () => this.onClose(conn));
  }

  private onClose(conn: Conn): void {
    this.conns.delete(conn);
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

  private beat(): void {
    const now = Date.now();
    const limit = this.opts.heartbeatMs * 2.5;
    for (const c of this.conns) {
      if (now - c.lastSeen > limit) {
        c.vanished = true;
        c.ws.terminate();
        continue;
      }
      try {
        c.ws.ping();
      } catch {
        // The socket is closing; its close event cleans up.
      }
    }
  }

  /** `msg` may be pre-serialised, so a broadcast stringifies once for the whole channel. */
  private send(conn: Conn, msg: ServerMessage | string): void {
    const ws = conn.ws;
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.opts.log(`conn ${conn.id}: not reading its messages; dropped`);
      conn.vanished = true;
      ws.terminate();
      return;
    }
    ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
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
    this.send(
      conn,
      id === undefined ? { t: 'err', code, name, message } : { t: 'err', id, code, name, message },
    );
  }

  private policyErr(conn: Conn, id: number, e: PolicyError): void {
    this.send(conn, { t: 'err', id, code: e.code, name: e.name, message: e.message });
  }

  private broadcast(ch: Channel, except: Member | null, msg: ServerMessage): void {
    const text = JSON.stringify(msg);
    for (const m of ch.members.values()) if (m !== except && m.conn) this.send(m.conn, text);
  }

  private takeToken(conn: Conn): boolean {
    const now = Date.now();
    conn.tokens = Math.min(BURST, conn.tokens + ((now - conn.refilledAt) / 1000) * RATE_PER_S);
    conn.refilledAt = now;
    if (conn.tokens < 1) return false;
    conn.tokens -= 1;
    return true;
  }

  // ---- messages ----

  private onMessage(conn: Conn, data: RawData, isBinary: boolean): void {
    conn.lastSeen = Date.now();
    let id: number | undefined;
    try {
      if (!this.takeToken(conn)) {
        // Dropped; one notice a second is enough to tell a buggy client what happened.
        if (conn.lastSeen - conn.throttleNoticeAt >= 1000) {
          conn.throttleNoticeAt = conn.lastSeen;
          this.err(
            conn,
            undefined,
            'ERR_TOO_OFTEN',
            `More than ${RATE_PER_S} messages a second; some were dropped.`,
          );
        }
        return;
      }
      if (isBinary) {
        this.err(conn, undefined, 'ERR_INVALID_ARGUMENT', 'Binary frames are not accepted; send JSON text.');
        return;
      }
      const text = Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.isBuffer(data)
          ? data.toString('utf8')
          : Buffer.from(new Uint8Array(data)).toString('utf8');
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
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
        case 'hello':
        case 'join':
        case 'leave':
        case 'renew':
        case 'recording-key':
        case 'recording-start':
        case 'recording-stop':
          if (id === undefined) {
            this.err(conn, undefined, 'ERR_INVALID_ARGUMENT', `"${t}" needs a numeric "id" to answer to.`);
            return;
          }
          if (t === 'hello') this.onHello(conn, id, m);
          else if (t === 'join') this.onJoin(conn, id, m);
          else if (t === 'leave') this.onLeave(conn, id);
          else if (t === 'renew') this.onRenew(conn, id, m);
          else if (t === 'recording-start') this.onRecordingStart(conn, id, m);
          else if (t === 'recording-stop') this.onRecordingStop(conn, id, m);
          else this.onRecordingKey(conn, id, m);
          return;
        default: {
          const shown = typeof t === 'string' ? JSON.stringify(t.slice(0, 32)) : typeof t;
          this.err(conn, id, 'ERR_INVALID_ARGUMENT', `Unknown message type ${shown}.`);
        }
      }
    } catch (e) {
      // A bug, not a client fault: reported even when quiet.
      console.error(
        `conn ${conn.id}: handler failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
      );
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
    const denied = this.opts.policy.checkApp(app);
    if (denied) {
      if (!conn.member) conn.appId = null;
      this.policyErr(conn, id, denied);
      return;
    }
    conn.appId = app;
    this.ok(conn, id);
  }

  private onJoin(conn: Conn, id: number, m: Msg): void {
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
    const name = channel as string;
    const chKey = `${appId}/${name}`; // App IDs are exactly 32 hex characters, so this key is unambiguous.
    const existingChannel = this.channels.get(chKey);
    const requested = uid as number;

    const present = requested === 0 ? undefined : existingChannel?.members.get(requested);
    if (present) {
      if (typeof session === 'string' && sameSecret(session, present.session)) {
        this.takeOver(conn, id, present, state);
        return;
      }
      this.err(
        conn,
        id,
        'ERR_JOIN_CHANNEL_REJECTED',
        `uid ${requested} is already in use in channel "${name}"; join with another uid, or 0 to have one assigned.`,
      );
      return;
    }

    const assigned = requested === 0 ? this.freeUid(existingChannel) : requested;
    const verdict: unknown = this.opts.policy.checkJoin({
      appId,
      channel: name,
      uid: assigned,
      key: key as string | null,
      now: Math.floor(Date.now() / 1000),
    });
    if (isPolicyError(verdict)) {
      this.policyErr(conn, id, verdict);
      return;
    }
    const expiresAt = this.expiryOf(verdict);

    const ch: Channel = existingChannel ?? {
      key: chKey,
      appId,
      name,
      members: new Map<number, Member>(),
      recording: null,
    };
    if (!existingChannel) this.channels.set(chKey, ch);
    const member: Member = {
      uid: assigned,
      session: randomBytes(18).toString('base64url'),
      channel: ch,
      state: copyState(state),
      conn,
      expiresAt,
    };
    const peers = [...ch.members.values()].map(info);
    ch.members.set(assigned, member);
    conn.member = member;
    this.ok(conn, id, {
      uid: assigned,
      session: member.session,
      peers,
      expiresAt,
      recording: recordingOf(ch),
    });
    this.broadcast(ch, member, { t: 'peer-join', peer: info(member) });
    this.scheduleExpiry(member);
    this.opts.log(
      `join   app=${shortApp(appId)} channel=${JSON.stringify(name)} uid=${assigned} (${ch.members.size} in channel)`,
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
    const changed = !sameState(member.state, state);
    member.state = copyState(state);
    const ch = member.channel;
    const peers = [...ch.members.values()].filter((p) => p !== member).map(info);
    this.ok(conn, id, {
      uid: member.uid,
      session: member.session,
      peers,
      expiresAt: member.expiresAt,
      recording: recordingOf(ch),
    });
    if (changed) this.broadcast(ch, member, { t: 'peer-state', peer: info(member) });
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
    this.ok(conn, id, { expiresAt: req.member.expiresAt });
  }

  /** Recording Key check (service type ARS) for the member's own app, channel and uid; nothing changes. */
  private onRecordingKey(conn: Conn, id: number, msg: Msg): void {
    const req = this.recordingKeyVerdict(conn, id, msg);
    if (req) this.ok(conn, id, { expiresAt: req.expiresAt });
  }

  /** One recorder per channel; everyone, the recorder included, hears that the channel is being recorded. */
  private onRecordingStart(conn: Conn, id: number, msg: Msg): void {
    const req = this.recordingKeyVerdict(conn, id, msg);
    if (!req) return;
    const ch = req.member.channel;
    if (ch.recording) {
      this.err(
        conn,
        id,
        'ERR_ALREADY_IN_USE',
        ch.recording.uid === req.member.uid
          ? 'You are already recording this channel.'
          : `User ${ch.recording.uid} is already recording this channel (one recording per channel at a time).`,
      );
      return;
    }
    ch.recording = { uid: req.member.uid, startedAt: Date.now(), key: req.key };
    const recording = recordingOf(ch)!;
    this.ok(conn, id, { expiresAt: req.expiresAt, recording });
    this.broadcast(ch, null, { t: 'recording', recording });
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

  private endRecording(ch: Channel): void {
    const ended = recordingOf(ch);
    if (!ended) return;
    ch.recording = null;
    this.broadcast(ch, null, { t: 'recording', recording: null, ended });
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
    // Only real changes go out, so the others' mute events fire once per change.
    if (sameState(m.state, state)) return;
    m.state = copyState(state);
    this.broadcast(m.channel, m, { t: 'peer-state', peer: info(m) });
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
    if (!target) {
      this.err(conn, id, 'ERR_INVALID_ARGUMENT', `uid ${String(to)} is not in your channel; relay dropped.`);
      return;
    }
    // A target between sockets (grace period) misses this; it renegotiates after its rejoin.
    if (target.conn) this.send(target.conn, { t: 'relay', from: m.uid, data });
  }

  // ---- membership ----

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
    m.cancelExpiring = m.cancelExpiry = m.cancelGrace = undefined;
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
    if (m.conn) m.conn.member = null;
    m.conn = null;
    if (ch.members.size === 0) this.channels.delete(ch.key);
    this.broadcast(ch, m, { t: 'peer-leave', uid: m.uid });
    // The recorder left (or vanished): its recording ended with it.
    if (ch.recording?.uid === m.uid) this.endRecording(ch);
    this.opts.log(
      `leave  app=${shortApp(ch.appId)} channel=${JSON.stringify(ch.name)} uid=${m.uid} (${why}; ${ch.members.size} left)`,
    );
  }
}
