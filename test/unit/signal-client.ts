// A raw WebSocket client of our signaling protocol, for the server's unit tests: it queues what the server
// pushes, waits for the message a test expects, and numbers requests.
import { expect } from 'vitest';
import { WebSocket, type ClientOptions } from 'ws';
import type { ErrReply, JoinResult, OkReply, PeerState, ServerMessage } from '../../src/protocol/messages.js';
import { SIGNAL_PATH } from '../../src/protocol/messages.js';

export type Pred = (m: ServerMessage) => boolean;

export const IDLE: PeerState = { published: false, audioMuted: false, videoMuted: false };
/** A well-formed App ID: with no registry the server takes it in static-key mode. */
export const TEST_APP_ID = '0123456789abcdef0123456789abcdef';

export class SignalClient {
  readonly queue: ServerMessage[] = [];
  private waiters: Array<{ pred: Pred; resolve: (m: ServerMessage) => void }> = [];
  private nextId = 1;
  readonly closed: Promise<{ code: number; reason: string }>;

  /** Use `open`. `frames`, when given, collects every text frame the server sent (to search them afterwards). */
  constructor(
    readonly ws: WebSocket,
    frames?: string[],
  ) {
    ws.on('message', (data) => {
      const text = String(data);
      frames?.push(text);
      const msg = JSON.parse(text) as ServerMessage;
      const w = this.waiters.find((x) => x.pred(msg));
      if (w) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(msg);
      } else {
        this.queue.push(msg);
      }
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  /** Connect to the server at `url` (http://…); subclasses get an instance of their own class. */
  static async open<T extends SignalClient>(
    this: new (ws: WebSocket, frames?: string[]) => T,
    url: string,
    opts: { frames?: string[]; ws?: ClientOptions } = {},
  ): Promise<T> {
    const ws = new WebSocket(url.replace('http', 'ws') + SIGNAL_PATH, opts.ws);
    ws.on('error', () => {});
    const c = new this(ws, opts.frames);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return c;
  }

  /** Objects go as JSON; strings and buffers as they are (to send malformed frames). */
  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' || Buffer.isBuffer(msg) ? msg : JSON.stringify(msg));
  }

  /** The first message (queued or coming) matching `pred`. */
  next<T extends ServerMessage = ServerMessage>(pred: Pred = () => true, ms = 2000): Promise<T> {
    const i = this.queue.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.queue.splice(i, 1)[0] as T);
    return new Promise<T>((resolve, reject) => {
      const w = { pred, resolve: (m: ServerMessage) => (clearTimeout(timer), resolve(m as T)) };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`no matching message within ${ms} ms; queued: ${JSON.stringify(this.queue)}`));
      }, ms);
      this.waiters.push(w);
    });
  }

  /** Resolves with whatever matched in `ms` (expect it to be undefined). */
  async none(pred: Pred, ms: number): Promise<ServerMessage | undefined> {
    return this.next(pred, ms).catch(() => undefined);
  }

  async request(msg: Record<string, unknown>, ms?: number): Promise<OkReply | ErrReply> {
    const id = this.nextId++;
    this.send({ ...msg, id });
    return this.next<OkReply | ErrReply>((m) => (m.t === 'ok' || m.t === 'err') && m.id === id, ms);
  }

  hello(appId: string): Promise<OkReply | ErrReply> {
    return this.request({ t: 'hello', appId, sdk: 'test' });
  }

  /** join without a key (after hello); `extra` adds or overrides fields. */
  join(channel: string, uid = 0, extra: Record<string, unknown> = {}): Promise<OkReply | ErrReply> {
    return this.request({ t: 'join', channel, uid, key: null, state: IDLE, ...extra });
  }

  /** hello + join that must succeed. */
  async enter(
    channel: string,
    uid = 0,
    appId = TEST_APP_ID,
    extra: Record<string, unknown> = {},
  ): Promise<JoinResult> {
    expect(await this.hello(appId)).toMatchObject({ t: 'ok' });
    const r = await this.join(channel, uid, extra);
    expect(r).toMatchObject({ t: 'ok' });
    return (r as OkReply).result as JoinResult;
  }

  async ping(ms?: number): Promise<void> {
    this.send({ t: 'ping' });
    await this.next((m) => m.t === 'pong', ms);
  }

  close(): void {
    this.ws.close();
  }
}

/** The HTTP status of a WebSocket upgrade (101 when it opened). */
export function upgradeStatus(s: { url: string }, ws: ClientOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = new WebSocket(s.url.replace('http', 'ws') + SIGNAL_PATH, ws);
    sock.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      sock.terminate();
    });
    sock.on('open', () => {
      resolve(101);
      sock.terminate();
    });
    sock.on('error', (e) => (e.message.includes('Unexpected server response') ? undefined : reject(e)));
  });
}
