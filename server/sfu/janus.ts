// A client of Janus's JSON API over WebSocket (subprotocol `janus-protocol`): one session, its plugin handles,
// request/response by transaction, events routed to the handle that sent them. Only the signaling server uses
// it; browsers never reach Janus's API.
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';

/** What Janus sends about a handle outside a reply (plugin events, its ICE candidates, media and hangups). */
export interface JanusEvent {
  janus: string;
  sender?: number;
  transaction?: string;
  plugindata?: { plugin: string; data: Record<string, unknown> };
  jsep?: { type: string; sdp: string; e2ee?: boolean };
  candidate?: { candidate?: string; sdpMid?: string; sdpMLineIndex?: number; completed?: boolean };
  [k: string]: unknown;
}

export class JanusError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'JanusError';
  }
}

/** Sessions die after 60 s without a request (Janus's session_timeout); keep them alive well inside that. */
const KEEPALIVE_MS = 20_000;
const REQUEST_TIMEOUT_MS = 10_000;

interface Pending {
  resolve(msg: JanusEvent): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

export class JanusSession {
  private readonly pending = new Map<string, Pending>();
  private readonly handles = new Map<number, (e: JanusEvent) => void>();
  private keepalive?: NodeJS.Timeout;
  private sessionId = 0;
  private closedWith: Error | null = null;
  /** Called once when the connection to Janus is lost (not after close()). */
  onLost: ((e: Error) => void) | null = null;

  private constructor(
    private readonly ws: WebSocket,
    private readonly apiSecret: string | undefined,
  ) {
    ws.on('message', (data) => this.onMessage(String(data)));
    ws.on('close', () => this.fail(new Error('The connection to Janus closed.')));
    ws.on('error', () => undefined); // 'close' follows
  }

  /** Connects to a Janus WebSocket API URL and creates a session. */
  static async open(url: string, apiSecret?: string): Promise<JanusSession> {
    const ws = new WebSocket(url, 'janus-protocol', { maxPayload: 4 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const s = new JanusSession(ws, apiSecret);
    const created = await s.request({ janus: 'create' });
    s.sessionId = (created.data as { id: number }).id;
    s.keepalive = setInterval(() => {
      s.request({ janus: 'keepalive' }).catch(() => undefined);
    }, KEEPALIVE_MS);
    s.keepalive.unref();
    return s;
  }

  get closed(): boolean {
    return this.closedWith !== null;
  }

  /** Attaches a VideoRoom handle; its events go to `onEvent`. */
  async attach(onEvent: (e: JanusEvent) => void): Promise<number> {
    const r = await this.request({ janus: 'attach', plugin: 'janus.plugin.videoroom' });
    const id = (r.data as { id: number }).id;
    this.handles.set(id, onEvent);
    return id;
  }

  async detach(handle: number): Promise<void> {
    this.handles.delete(handle);
    await this.request({ janus: 'detach', handle_id: handle }).catch(() => undefined);
  }

  /**
   * A plugin request on a handle: resolves with the plugin's reply (synchronous requests) or its event
   * (asynchronous ones, after Janus's ack), whichever carries the answer; a plugin `error` rejects.
   */
  async message(
    handle: number,
    body: Record<string, unknown>,
    jsep?: { type: string; sdp: string; e2ee?: boolean },
  ): Promise<JanusEvent> {
    const r = await this.request({ janus: 'message', handle_id: handle, body, ...(jsep ? { jsep } : {}) });
    const data = r.plugindata?.data;
    if (data && typeof data.error === 'string') {
      throw new JanusError(Number(data.error_code) || 0, data.error);
    }
    return r;
  }

  trickle(handle: number, candidate: object): Promise<JanusEvent> {
    return this.request({ janus: 'trickle', handle_id: handle, candidate });
  }

  close(): void {
    if (this.closedWith) return;
    this.closedWith = new Error('Closed.');
    clearInterval(this.keepalive);
    if (this.sessionId) this.send({ janus: 'destroy', transaction: tx() });
    this.ws.close();
    this.rejectAll(this.closedWith);
  }

  private send(body: Record<string, unknown>): void {
    const full = {
      ...body,
      ...(this.sessionId ? { session_id: this.sessionId } : {}),
      ...(this.apiSecret ? { apisecret: this.apiSecret } : {}),
    };
    this.ws.send(JSON.stringify(full));
  }

  private request(body: Record<string, unknown>): Promise<JanusEvent> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const transaction = tx();
    return new Promise<JanusEvent>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(transaction);
        reject(new Error(`Janus did not answer "${String(body.janus)}" within ${REQUEST_TIMEOUT_MS} ms.`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(transaction, { resolve, reject, timer });
      this.send({ ...body, transaction });
    });
  }

  private onMessage(text: string): void {
    let msg: JanusEvent;
    try {
      msg = JSON.parse(text) as JanusEvent;
    } catch {
      return;
    }
    const p = msg.transaction ? this.pending.get(msg.transaction) : undefined;
    if (p && msg.janus !== 'ack') {
      this.pending.delete(msg.transaction!);
      clearTimeout(p.timer);
      if (msg.janus === 'error') {
        const err = msg.error as { code?: number; reason?: string } | undefined;
        p.reject(new JanusError(err?.code ?? 0, err?.reason ?? 'Janus refused the request.'));
      } else p.resolve(msg);
      return;
    }
    if (p) return; // the ack of an asynchronous request: its event follows with the same transaction
    if (typeof msg.sender === 'number') this.handles.get(msg.sender)?.(msg);
  }

  private fail(e: Error): void {
    if (this.closedWith) return;
    this.closedWith = e;
    clearInterval(this.keepalive);
    this.rejectAll(e);
    this.onLost?.(e);
  }

  private rejectAll(e: Error): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(e);
    }
    this.pending.clear();
  }
}

function tx(): string {
  return randomBytes(9).toString('base64url');
}
