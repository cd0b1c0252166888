// The WebSocket to the signaling server: requests with replies, pushes, keep-alive, and the reconnect policy
// the manual describes for the `error` event.
import { AgoraError } from '../client/errors.js';
import type { ErrorName } from '../protocol/codes.js';
import type { ClientMessage, ServerMessage } from '../protocol/messages.js';

type Request = Extract<ClientMessage, { id: number }>;
type RequestBody = Request extends infer R ? (R extends Request ? Omit<R, 'id'> : never) : never;

export interface LinkHandlers {
  /** A push from the server (anything that is not a reply). */
  onPush(msg: ServerMessage): void;
  /** The socket dropped unexpectedly; reconnecting has begun. */
  onInterrupted(): void;
  /** No reconnect succeeded within LOST_AFTER_MS; retries go on. */
  onLost(): void;
  /** A new socket is open after an interruption; the owner restores its session on it. */
  onReconnected(): Promise<void>;
}

/** The manual: CONNECTION_LOST when reconnecting has not succeeded within 10 s. */
export const LOST_AFTER_MS = 10_000;
/** Nothing heard for this long means the server or the path to it is gone, even if TCP has not noticed. */
const SILENCE_MS = 6_000;
const PING_MS = 2_000;
const CONNECT_TIMEOUT_MS = 5_000;

/** Back-off with full jitter: 100 ms doubling to 2 s, so a restarted server is found again within ~2 s. */
export function reconnectDelay(attempt: number, random = Math.random): number {
  const cap = Math.min(2_000, 100 * 2 ** attempt);
  return Math.round(cap / 2 + (random() * cap) / 2);
}

export class SignalingLink {
  private ws: WebSocket | null = null;
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: AgoraError) => void }>();
  private wantOpen = false;
  private reconnecting = false;
  private attempt = 0;
  private timers = new Set<ReturnType<typeof setTimeout>>();
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private lastHeard = 0;
  private lostTimer: ReturnType<typeof setTimeout> | undefined;
  /** Which of the URLs the next connection goes to: a failed attempt moves along the list, wrapping around. */
  private index = 0;
  private readonly urls: readonly string[];

  /** `urls`: one server, or several nodes of one deployment tried in order (failover). */
  constructor(
    urls: string | readonly string[],
    private readonly handlers: LinkHandlers,
  ) {
    this.urls = typeof urls === 'string' ? [urls] : [...urls];
  }

  /** The URL in use (or tried next). */
  get url(): string {
    return this.urls[this.index]!;
  }

  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Open the first socket; fails if the server cannot be reached. */
  async open(): Promise<void> {
    this.wantOpen = true;
    if (this.connected) return;
    // Each URL once, in order, from the current one.
    for (let tried = 1; ; tried++) {
      try {
        await this.connect();
        return;
      } catch (e) {
        if (tried >= this.urls.length || !this.wantOpen) throw e;
      }
    }
  }

  /** Close for good: no reconnecting, pending requests fail. */
  close(): void {
    this.wantOpen = false;
    this.reconnecting = false;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    clearTimeout(this.lostTimer);
    clearInterval(this.pingTimer);
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = ws.onmessage = ws.onerror = null;
      ws.close(1000, 'client closed');
    }
    this.failPending(new AgoraError('ERR_ABORTED', 'The connection to the signaling server was closed.'));
  }

  /** Send a request and wait for its reply. */
  request<T = unknown>(body: RequestBody, timeoutMs = 10_000): Promise<T> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      return Promise.reject(
        new AgoraError(
          'ERR_CONNECTION_INTERRUPTED',
          'Not connected to the signaling server; the SDK is reconnecting.',
        ),
      );
    }
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new AgoraError('ERR_TIMEDOUT', `The signaling server did not answer "${body.t}" in time.`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      ws.send(JSON.stringify({ ...body, id }));
    });
  }

  /** Fire and forget; dropped while disconnected (state is restored on rejoin). */
  send(msg: Exclude<ClientMessage, Request>): boolean {
    if (!this.connected) return false;
    this.ws!.send(JSON.stringify(msg));
    return true;
  }

  private connect(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let ws: WebSocket;
      try {
        ws = new WebSocket(this.url);
      } catch (e) {
        reject(new AgoraError('ERR_INVALID_ARGUMENT', `Bad signaling URL ${this.url}.`, { cause: e }));
        return;
      }
      this.ws = ws;
      let opened = false;
      const timer = setTimeout(() => ws.close(), CONNECT_TIMEOUT_MS);
      ws.onopen = () => {
        opened = true;
        clearTimeout(timer);
        this.lastHeard = Date.now();
        this.startPing();
        resolve();
      };
      ws.onmessage = (ev) => this.onMessage(ev.data);
      ws.onerror = () => undefined; // onclose follows and says what to do
      ws.onclose = () => {
        clearTimeout(timer);
        if (this.ws !== ws) return;
        this.ws = null;
        clearInterval(this.pingTimer);
        this.failPending(
          new AgoraError('ERR_CONNECTION_INTERRUPTED', 'The connection to the signaling server dropped.'),
        );
        if (!opened) {
          this.index = (this.index + 1) % this.urls.length;
          reject(
            new AgoraError(
              'ERR_CONNECTION_LOST',
              globalThis.navigator?.onLine === false
                ? `Could not connect to the signaling server at ${this.url} (CLOSE_BEFORE_OPEN): this browser is offline.`
                : `Could not connect to the signaling server at ${this.url} (CLOSE_BEFORE_OPEN): is it running and reachable?`,
            ),
          );
          return;
        }
        if (this.wantOpen) this.beginReconnect();
      };
    });
  }

  private onMessage(data: unknown): void {
    this.lastHeard = Date.now();
    if (typeof data !== 'string') return;
    let msg: ServerMessage;
    try {
      msg = JSON.parse(data) as ServerMessage;
    } catch {
      return;
    }
    if ((msg.t === 'ok' || msg.t === 'err') && msg.id !== undefined) {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.t === 'ok') p.resolve(msg.result);
      else p.reject(new AgoraError(msg.name as ErrorName, msg.message));
      return;
    }
    if (msg.t === 'pong') return;
    if (msg.t === 'reconnect') {
      // The node is draining: go to the next one now rather than wait for its close.
      this.index = (this.index + 1) % this.urls.length;
      this.ws?.close();
      return;
    }
    this.handlers.onPush(msg);
  }

  private startPing(): void {
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      if (Date.now() - this.lastHeard > SILENCE_MS) {
        // The server went silent without closing: treat the socket as dead.
        this.ws?.close();
        return;
      }
      this.send({ t: 'ping' });
    }, PING_MS);
  }

  private beginReconnect(): void {
    if (this.reconnecting) return;
    this.reconnecting = true;
    this.attempt = 0;
    this.handlers.onInterrupted();
    this.lostTimer = setTimeout(() => {
      if (this.reconnecting) this.handlers.onLost();
    }, LOST_AFTER_MS);
    this.scheduleAttempt();
  }

  private scheduleAttempt(): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      void this.tryReconnect();
    }, reconnectDelay(this.attempt++));
    this.timers.add(t);
  }

  private async tryReconnect(): Promise<void> {
    if (!this.wantOpen || !this.reconnecting) return;
    try {
      await this.connect();
      await this.handlers.onReconnected();
      this.reconnecting = false;
      clearTimeout(this.lostTimer);
    } catch {
      if (!this.wantOpen) return;
      // A socket that opened but could not restore the session is dropped and tried again.
      if (this.connected) {
        const ws = this.ws!;
        this.ws = null;
        ws.onclose = null;
        ws.close();
      }
      this.scheduleAttempt();
    }
  }

  private failPending(err: AgoraError): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(err);
  }
}
