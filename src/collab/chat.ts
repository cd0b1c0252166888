// The channel's text chat: client.sendMessage / client.getMessages and the `message` event. The server stamps
// each message with the sender's uid and name and the time, keeps the channel's last 500 and hands them to late
// joiners (server/collab.ts). In an encrypted channel the text travels sealed (src/collab/seal.ts).
import { AgoraError } from '../client/errors.js';
import type { ChatMessage, ChatRequest } from '../protocol/messages.js';

/** Longest message, in UTF-16 code units (the server's default limit, less room for encryption). */
export const MAX_MESSAGE_CHARS = 2000;
/** Messages getMessages keeps (the server's default history). */
export const HISTORY = 500;

/** A chat message as the `message` event and getMessages give it. Show `text` and `name` as text, never HTML. */
export interface MessageEvent {
  type: 'message';
  /** The sender (this client's own uid for its own messages). */
  uid: number;
  /** The sender's display name ('' for none). */
  name: string;
  text: string;
  /** Unix milliseconds when the server received it. */
  ts: number;
  /** Said before this client joined: delivered right after join, oldest first. */
  history?: boolean;
}

/** Turns text into what goes on the wire and back (identity, or AES-GCM in an encrypted channel). */
export interface TextSeal {
  seal(text: string): Promise<string>;
  /** null when the text cannot be opened (another secret). */
  open(wire: string): Promise<string | null>;
}

export interface ChatHost {
  request(msg: Omit<ChatRequest, 'id'>): Promise<{ message: ChatMessage }>;
  emit(e: MessageEvent): void;
  /** A message could not be opened (sealed with another secret): it is left out. */
  onUnreadable(uid: number): void;
  /** The seal of the current stay. */
  seal(): TextSeal | null;
}

/** The manual's plain-text rule for what a user types: a string, not blank, not too long. */
export function checkMessage(text: unknown): asserts text is string {
  if (typeof text !== 'string') throw new TypeError('sendMessage(text): text must be a string.');
  if (text.trim() === '')
    throw new AgoraError('ERR_INVALID_ARGUMENT', 'sendMessage(text): the text is empty.');
  if (text.length > MAX_MESSAGE_CHARS)
    throw new AgoraError(
      'ERR_INVALID_ARGUMENT',
      `sendMessage(text): the text is ${text.length} characters; the limit is ${MAX_MESSAGE_CHARS}. Split it.`,
    );
}

export class Chat {
  private history: MessageEvent[] = [];
  /** The last server sequence number seen: after a rejoin only newer messages are announced. */
  private lastSeq = 0;
  /** Opening of sealed messages in order, so events keep the server's order. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly host: ChatHost) {}

  messages(): MessageEvent[] {
    return this.history.map((m) => ({ ...m }));
  }

  async send(text: string): Promise<MessageEvent> {
    const seal = this.host.seal();
    const wire = seal ? await seal.seal(text) : text;
    const { message } = await this.host.request({ t: 'chat', text: wire });
    return this.enqueue(message, false, text);
  }

  /**
   * After join: the channel's history, announced as `message` events marked `history`. After a rejoin only what
   * was said meanwhile is new.
   */
  joined(list: ChatMessage[] | undefined, rejoin: boolean): void {
    if (!rejoin) {
      this.history = [];
      this.lastSeq = 0;
    }
    for (const m of list ?? []) if (m.seq > this.lastSeq) void this.enqueue(m, !rejoin);
  }

  pushed(message: ChatMessage): void {
    void this.enqueue(message, false);
  }

  left(): void {
    this.history = [];
    this.lastSeq = 0;
  }

  /** Opens (when sealed), records and announces a message in arrival order; `plain` is the text when we sent it. */
  private enqueue(m: ChatMessage, history: boolean, plain?: string): Promise<MessageEvent> {
    if (m.seq > this.lastSeq) this.lastSeq = m.seq;
    const seal = this.host.seal();
    const done = this.queue.then(async () => {
      const text = plain ?? (seal ? await seal.open(m.text) : m.text);
      const evt: MessageEvent = {
        type: 'message',
        uid: m.uid,
        name: m.name,
        text: text ?? '',
        ts: m.ts,
        ...(history ? { history: true } : {}),
      };
      // A message sealed with another secret cannot be read: it is skipped, not shown as gibberish.
      if (text === null) {
        this.host.onUnreadable(m.uid);
        return evt;
      }
      this.history.push(evt);
      if (this.history.length > HISTORY) this.history.splice(0, this.history.length - HISTORY);
      this.host.emit({ ...evt });
      return evt;
    });
    this.queue = done.then(
      () => undefined,
      () => undefined,
    );
    return done;
  }
}
