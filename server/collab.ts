// A channel's shared content on the server: its chat history and its yjs document (the whiteboard). Both live in
// memory on the channel and go with it when its last member leaves. The signaling server calls in here for the
// `chat` and `doc` messages and hands a joining member `snapshot()`. Wire format: src/protocol/messages.ts.
import * as Y from 'yjs';
import type { ChatMessage } from '../src/protocol/messages.js';

/** What one member may put into its channel's shared content; see docs/whiteboard-and-chat.md. */
export interface CollabLimits {
  /** Longest chat message, in UTF-16 code units (ciphertext of an encrypted channel counts as sent). */
  chatMaxChars: number;
  /** Chat messages a channel keeps for late joiners (oldest dropped first). */
  chatHistory: number;
  /** Chat messages a member may send per second (sustained) and in a burst; beyond, ERR_TOO_OFTEN. */
  chatPerSecond: number;
  chatBurst: number;
  /** Largest document update, in bytes once decoded. */
  docUpdateBytes: number;
  /** Document updates a member may send per second and in a burst (a live stroke sends ~30 a second). */
  docPerSecond: number;
  docBurst: number;
  /** Largest document of one channel, in encoded bytes; updates beyond are refused. */
  docMaxBytes: number;
}

export const DEFAULT_COLLAB_LIMITS: Readonly<CollabLimits> = Object.freeze({
  chatMaxChars: 4000,
  chatHistory: 500,
  chatPerSecond: 5,
  chatBurst: 20,
  docUpdateBytes: 32 * 1024,
  docPerSecond: 60,
  docBurst: 240,
  docMaxBytes: 8 * 1024 * 1024,
});

/** Token bucket of one member and one kind of message. */
export class Bucket {
  private tokens: number;
  private at = Date.now();
  constructor(burst: number) {
    this.tokens = burst;
  }
  take(perSecond: number, burst: number): boolean {
    const now = Date.now();
    this.tokens = Math.min(burst, this.tokens + ((now - this.at) / 1000) * perSecond);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The bytes of a base64 string of at most `max` bytes, or an error message a person can act on. */
export function decodeBase64(v: unknown, max: number): Uint8Array | string {
  if (typeof v !== 'string' || v.length % 4 !== 0 || !BASE64.test(v))
    return 'update must be a base64 string of a yjs update.';
  if ((v.length / 4) * 3 > max + 2) return `update is larger than ${max} bytes; send smaller updates.`;
  const bytes = Buffer.from(v, 'base64');
  if (bytes.length === 0) return 'update is empty.';
  if (bytes.length > max) return `update is larger than ${max} bytes; send smaller updates.`;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/**
 * One channel's chat and document. A plain document is a Y.Doc the server merges updates into (so a late joiner
 * gets one compact update). A sealed (end-to-end encrypted) document is opaque to the server: it keeps the
 * ciphertexts in order and hands them all to a late joiner; the first update decides which kind the channel has.
 */
export class ChannelCollab {
  readonly chat: ChatMessage[] = [];
  private seq = 0;
  private doc: Y.Doc | null = null;
  private sealed: string[] | null = null;
  /** Bytes accepted into the document so far (an upper bound of its encoded size). */
  private docBytes = 0;

  constructor(private readonly limits: CollabLimits) {}

  /** A chat text that fits the limits, or an error message. */
  checkChat(text: unknown): string | null {
    if (typeof text !== 'string') return 'chat text must be a string.';
    if (text.trim().length === 0) return 'chat text is empty.';
    if (text.length > this.limits.chatMaxChars)
      return `chat text is longer than ${this.limits.chatMaxChars} characters; split it.`;
    return null;
  }

  addChat(uid: number, name: string, text: string): ChatMessage {
    const message: ChatMessage = { seq: ++this.seq, uid, name, text, ts: Date.now() };
    this.chat.push(message);
    if (this.chat.length > this.limits.chatHistory)
      this.chat.splice(0, this.chat.length - this.limits.chatHistory);
    return message;
  }

  /**
   * Takes one update into the document: null when accepted, otherwise why not. A plain update is decoded in full
   * before it touches the document, so malformed bytes change nothing.
   */
  applyDoc(bytes: Uint8Array, base64: string, sealed: boolean): string | null {
    if (this.docBytes + bytes.length > this.limits.docMaxBytes)
      return `The channel's document reached ${this.limits.docMaxBytes} bytes (this server's limit); clear it first.`;
    if (sealed) {
      if (this.doc)
        return 'This channel has a plain document: sealed updates are refused (same secret for all).';
      this.sealed ??= [];
      this.sealed.push(base64);
    } else {
      if (this.sealed) return 'This channel has an encrypted document: plain updates are refused.';
      try {
        Y.decodeUpdate(bytes);
      } catch {
        return 'update is not a yjs update.';
      }
      this.doc ??= new Y.Doc({ gc: true });
      try {
        Y.applyUpdate(this.doc, bytes);
      } catch {
        return 'update is not a yjs update.';
      }
    }
    this.docBytes += bytes.length;
    return null;
  }

  /** What a joining member gets: the chat history and the document so far. */
  snapshot(): { chat: ChatMessage[]; doc?: string; sealedDoc?: string[] } {
    const out: { chat: ChatMessage[]; doc?: string; sealedDoc?: string[] } = { chat: [...this.chat] };
    if (this.doc) out.doc = Buffer.from(Y.encodeStateAsUpdate(this.doc)).toString('base64');
    if (this.sealed) out.sealedDoc = [...this.sealed];
    return out;
  }

  /** The document as stored, for the server's tests: the merged plain update, or the sealed ciphertexts. */
  storedDoc(): Uint8Array | string[] | null {
    if (this.doc) return Y.encodeStateAsUpdate(this.doc);
    return this.sealed ? [...this.sealed] : null;
  }

  close(): void {
    this.doc?.destroy();
    this.doc = null;
    this.sealed = null;
  }
}
