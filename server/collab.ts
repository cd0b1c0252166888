// A channel's shared content on the server: its chat history and its yjs document (the whiteboard). Both live in
// memory on the channel and go with it when its last member leaves (unless the app keeps it: AppPolicy's
// keepCollabSeconds). The signaling server calls in here for the `chat`, `doc` and `doc-compact` messages and hands
// a joining member `snapshot()`. With several nodes this is each node's copy of what Redis holds
// (server/cluster/redis.ts): sequence numbers then come from Redis. Wire format: src/protocol/messages.ts.
import * as Y from 'yjs';
import { DOC_COMPACT_BYTES, DOC_MAX_BYTES, type ChatMessage } from '../src/protocol/messages.js';

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
  /** Sealed updates stored before the server asks a member for a sealed snapshot to replace them. */
  docCompactAfter: number;
  /** Largest sealed snapshot (one frame), in bytes once decoded. */
  docCompactBytes: number;
}

export const DEFAULT_COLLAB_LIMITS: Readonly<CollabLimits> = Object.freeze({
  chatMaxChars: 4000,
  chatHistory: 500,
  chatPerSecond: 5,
  chatBurst: 20,
  docUpdateBytes: 32 * 1024,
  docPerSecond: 60,
  docBurst: 240,
  docMaxBytes: DOC_MAX_BYTES,
  docCompactAfter: 200,
  docCompactBytes: DOC_COMPACT_BYTES,
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

/** A sealed update as stored: its place in the channel's document (sequence number) and its ciphertext. */
export interface SealedEntry {
  seq: number;
  update: string;
}

/** What Redis holds of a channel (server/cluster/redis.ts), for a node that takes the channel in. */
export interface StoredContent {
  chat: ChatMessage[];
  chatSeq: number;
  kind: 'plain' | 'sealed' | null;
  /** Document updates in order (plain: merged by whoever compacted; sealed: ciphertexts). */
  entries: SealedEntry[];
}

/**
 * A sealed snapshot's parts as stored: numbered so that the last is `upto` and the list stays in order, each part
 * with its own number (a copy read back from Redis keeps one entry per number). The updates it replaces are numbered
 * one after the other up to `upto`, and there are at least as many of them as parts (`compact` checks), so the
 * numbers stay above the previous snapshot's.
 */
export const snapshotEntries = (upto: number, parts: string[]): SealedEntry[] =>
  parts.map((update, k) => ({ seq: upto - parts.length + 1 + k, update }));

const byteLength = (b64: string): number => Math.floor((b64.length * 3) / 4) - b64.match(/=*$/)![0].length;

/**
 * One channel's chat and document. A plain document is a Y.Doc the server merges updates into (so a late joiner
 * gets one compact update). A sealed (end-to-end encrypted) document is opaque to the server: it keeps the
 * ciphertexts in order, numbered, and hands them all to a late joiner, until a member replaces those up to some
 * number with one sealed snapshot (`compact`); the first update decides which kind the channel has.
 */
export class ChannelCollab {
  readonly chat: ChatMessage[] = [];
  private chatSeq = 0;
  private docSeq = 0;
  private doc: Y.Doc | null = null;
  private sealed: SealedEntry[] | null = null;
  /** Bytes accepted into the document so far (an upper bound of its encoded size). */
  private docBytes = 0;
  /** Sealed updates up to this number are inside the snapshot that replaced them. */
  private compactedUpto = 0;
  /**
   * The member asked for a sealed snapshot, up to which update, and when (one request at a time); `parts`: the
   * parts of a snapshot larger than one frame received so far, of `of`.
   */
  compactAsk: { uid: number; upto: number; at: number; parts?: string[]; of?: number } | null = null;

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
    const message: ChatMessage = { seq: this.chatSeq + 1, uid, name, text, ts: Date.now() };
    this.insertChat(message);
    return message;
  }

  /** Puts a numbered message in its place (messages from other nodes may arrive out of order); false if known. */
  insertChat(message: ChatMessage): boolean {
    let i = this.chat.length;
    while (i > 0 && this.chat[i - 1]!.seq > message.seq) i--;
    if (this.chat[i - 1]?.seq === message.seq) return false;
    if (i === 0 && this.chat.length >= this.limits.chatHistory && message.seq < this.chat[0]!.seq)
      return false;
    this.chat.splice(i, 0, message);
    this.chatSeq = Math.max(this.chatSeq, message.seq);
    if (this.chat.length > this.limits.chatHistory)
      this.chat.splice(0, this.chat.length - this.limits.chatHistory);
    return true;
  }

  /**
   * Whether an update may go into the document: null when it may, otherwise why not. A plain update is decoded in
   * full first, so malformed bytes change nothing.
   */
  checkDoc(bytes: Uint8Array, sealed: boolean): string | null {
    if (this.docBytes + bytes.length > this.limits.docMaxBytes)
      return `The channel's document reached ${this.limits.docMaxBytes} bytes (this server's limit); clear it first.`;
    if (sealed && this.doc)
      return 'This channel has a plain document: sealed updates are refused (same secret for all).';
    if (!sealed && this.sealed) return 'This channel has an encrypted document: plain updates are refused.';
    if (!sealed) {
      try {
        Y.decodeUpdate(bytes);
      } catch {
        return 'update is not a yjs update.';
      }
    }
    return null;
  }

  /** Checks and takes one update into the document: null when accepted, otherwise why not. */
  applyDoc(bytes: Uint8Array, base64: string, sealed: boolean): string | null {
    return this.checkDoc(bytes, sealed) ?? this.storeDoc(bytes, base64, sealed, this.docSeq + 1);
  }

  /**
   * Takes an update numbered `seq` (by this node, or by Redis for all nodes) without the limits: with several
   * nodes, what Redis accepted is the channel's content. A sealed update already compacted away is ignored.
   */
  storeDoc(bytes: Uint8Array, base64: string, sealed: boolean, seq: number): string | null {
    if (sealed) {
      if (this.doc) return 'This channel has a plain document.';
      this.sealed ??= [];
      const list = this.sealed;
      if (seq <= this.compactedUpto) return null;
      let i = list.length;
      while (i > 0 && list[i - 1]!.seq > seq) i--;
      if (list[i - 1]?.seq === seq) return null;
      list.splice(i, 0, { seq, update: base64 });
    } else {
      if (this.sealed) return 'This channel has an encrypted document.';
      this.doc ??= new Y.Doc({ gc: true });
      try {
        Y.applyUpdate(this.doc, bytes);
      } catch {
        return 'update is not a yjs update.';
      }
    }
    this.docSeq = Math.max(this.docSeq, seq);
    this.docBytes += bytes.length;
    return null;
  }

  /** Sealed updates stored (what compaction brings down to one). */
  get sealedCount(): number {
    return this.sealed?.length ?? 0;
  }

  /**
   * The last sealed update up to which this copy has every one (updates from other nodes may still be on their
   * way): what a member of this node can be asked to compact. 0 when there is nothing to compact.
   */
  contiguousSeq(): number {
    const list = this.sealed;
    if (!list || list.length < 2) return 0;
    let i = 0;
    while (i + 1 < list.length && list[i + 1]!.seq === list[i]!.seq + 1) i++;
    return i > 0 ? list[i]!.seq : 0;
  }

  /**
   * Replaces every sealed update numbered up to `upto` by a sealed snapshot (in several parts when it is larger
   * than one frame, numbered up to `upto`): null when done, otherwise why not. The server cannot check what is
   * inside; only the member it asked may send one.
   */
  compact(upto: number, parts: string[]): string | null {
    const list = this.sealed;
    if (!list) return 'This channel has no encrypted document to compact.';
    const cut = this.replaceable(upto);
    if (cut === 0) return null;
    if (parts.length > cut) return `A snapshot in ${parts.length} parts cannot replace ${cut} updates.`;
    list.splice(0, cut, ...snapshotEntries(upto, parts));
    this.compactedUpto = upto;
    this.docBytes = list.reduce((sum, e) => sum + byteLength(e.update), 0);
    return null;
  }

  /** How many stored sealed updates a snapshot up to `upto` replaces (0: none, or already compacted). */
  replaceable(upto: number): number {
    const list = this.sealed;
    if (!list || upto <= this.compactedUpto) return 0;
    const n = list.findIndex((e) => e.seq > upto);
    return n === -1 ? list.length : n;
  }

  /** Fills a fresh copy from what Redis holds. */
  load(stored: StoredContent): void {
    for (const m of stored.chat) this.insertChat(m);
    this.chatSeq = Math.max(this.chatSeq, stored.chatSeq);
    for (const e of stored.entries)
      this.storeDoc(Buffer.from(e.update, 'base64'), e.update, stored.kind === 'sealed', e.seq);
  }

  /** Nothing said or drawn yet. */
  get empty(): boolean {
    return this.chat.length === 0 && !this.doc && !this.sealed;
  }

  /** What a joining member gets: the chat history and the document so far. */
  snapshot(): { chat: ChatMessage[]; doc?: string; sealedDoc?: string[] } {
    const out: { chat: ChatMessage[]; doc?: string; sealedDoc?: string[] } = { chat: [...this.chat] };
    if (this.doc) out.doc = Buffer.from(Y.encodeStateAsUpdate(this.doc)).toString('base64');
    if (this.sealed) out.sealedDoc = this.sealed.map((e) => e.update);
    return out;
  }

  /** The document as stored, for the server's tests: the merged plain update, or the sealed ciphertexts. */
  storedDoc(): Uint8Array | string[] | null {
    if (this.doc) return Y.encodeStateAsUpdate(this.doc);
    return this.sealed ? this.sealed.map((e) => e.update) : null;
  }

  close(): void {
    this.doc?.destroy();
    this.doc = null;
    this.sealed = null;
  }
}
