// The channel's shared yjs document, carried by the signaling link: local changes go out as `doc` messages
// (coalesced for FLUSH_MS, so a live stroke costs ~40 frames a second rather than one per pointer event), other
// members' updates come in as `doc` pushes, and the join result brings the whole document so far. A new Y.Doc per
// stay (made at join, once yjs is loaded): leaving a channel forgets its content. Sealed (encrypted-channel) updates
// are AES-GCM per update.
import type * as Y from 'yjs';
import { yjs } from './yjs.js';
import type { DocCompactMessage, DocMessage, JoinResult } from '../protocol/messages.js';
import { fromBase64, toBase64 } from './base64.js';
import type { ContentSeal } from './seal.js';

/** Origin of updates that came from the server: they are applied, never sent back. */
export const REMOTE = Symbol('remote');
/** Local changes wait this long to be sent together. */
const FLUSH_MS = 25;
/** Largest update sent in one frame (the server's default docUpdateBytes, less room for sealing). */
export const MAX_UPDATE_BYTES = 30 * 1024;
/** Largest sealed snapshot the server takes (its default docCompactBytes: one frame). */
const MAX_SNAPSHOT_BYTES = 46 * 1024;

export interface DocHost {
  send(msg: DocMessage | DocCompactMessage): boolean;
  /** A document update could not be opened (another secret) or applied. */
  onUnreadable(from: number): void;
}

export class SharedDoc {
  doc: Y.Doc | null = null;
  private pending: Uint8Array[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private seal: ContentSeal | null = null;
  /** Sealing and opening are async: one chain keeps updates in order. */
  private queue: Promise<void> = Promise.resolve();
  private readonly listeners = new Set<(doc: Y.Doc | null) => void>();
  /** Some update of this stay could not be opened: this member's document may lack content, so it never compacts. */
  private incomplete = false;

  constructor(private readonly host: DocHost) {}

  /** Called with the new Y.Doc at every join, null at leave (and now, with the current one). */
  onDoc(fn: (doc: Y.Doc | null) => void): () => void {
    this.listeners.add(fn);
    fn(this.doc);
    return () => this.listeners.delete(fn);
  }

  /** Join: a fresh document filled with the channel's. Rejoin: the server's document merged in, ours sent back. */
  joined(result: JoinResult, rejoin: boolean, seal: ContentSeal | null): void {
    if (!rejoin || !this.doc) {
      this.reset(new (yjs().Doc)());
      this.seal = seal;
    }
    const y = yjs();
    if (result.doc) this.applyRemote(0, fromBase64(result.doc), false);
    for (const u of result.sealedDoc ?? []) this.applyRemote(0, fromBase64(u), true);
    // A restarted server lost the document: what this member has goes back (only what the server lacks).
    if (rejoin) {
      const sv = result.doc ? y.encodeStateVectorFromUpdate(fromBase64(result.doc)) : undefined;
      const missing = y.encodeStateAsUpdate(this.doc!, sv);
      if (!result.sealedDoc?.length && missing.length > 2) this.queueSend(missing);
    }
  }

  pushed(from: number, update: string, sealed: boolean): void {
    this.applyRemote(from, fromBase64(update), sealed);
  }

  /**
   * The server asks for a sealed snapshot replacing the encrypted channel's stored updates up to `upto` (it has
   * passed all of them to us before asking, and the queue applies them first). Skipped when this member could not
   * open some update (it would drop what it cannot see) or when the snapshot is larger than the server takes.
   */
  compactAsked(upto: number): void {
    const seal = this.seal;
    const doc = this.doc;
    this.queue = this.queue.then(async () => {
      if (!seal || !doc || doc !== this.doc || this.incomplete) return;
      const state = yjs().encodeStateAsUpdate(doc);
      if (state.length + 28 > MAX_SNAPSHOT_BYTES) return;
      const sealed = await seal.sealBytes(new Uint8Array(state));
      this.host.send({ t: 'doc-compact', upto, update: toBase64(sealed) });
    });
  }

  left(): void {
    this.reset(null);
    this.seal = null;
  }

  private reset(doc: Y.Doc | null): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
    this.incomplete = false;
    this.doc?.destroy();
    this.doc = doc;
    if (doc) this.watch(doc);
    for (const fn of this.listeners) fn(doc);
  }

  private watch(doc: Y.Doc): void {
    doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === REMOTE || doc !== this.doc) return;
      this.pending.push(update);
      this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
    });
  }

  private flush(): void {
    this.timer = undefined;
    const batch = this.pending.splice(0);
    if (batch.length === 0) return;
    const merged = batch.length === 1 ? batch[0]! : yjs().mergeUpdates(batch);
    if (merged.length <= MAX_UPDATE_BYTES) this.queueSend(merged);
    else for (const u of batch) this.queueSend(u);
  }

  private queueSend(update: Uint8Array): void {
    const seal = this.seal;
    this.queue = this.queue.then(async () => {
      const bytes = seal ? await seal.sealBytes(new Uint8Array(update)) : update;
      this.host.send(
        seal ? { t: 'doc', update: toBase64(bytes), sealed: true } : { t: 'doc', update: toBase64(bytes) },
      );
    });
  }

  private applyRemote(from: number, bytes: Uint8Array<ArrayBuffer>, sealed: boolean): void {
    const seal = this.seal;
    const doc = this.doc;
    this.queue = this.queue.then(async () => {
      const plain = sealed ? (seal ? await seal.openBytes(bytes) : null) : seal ? null : bytes;
      if (!doc || doc !== this.doc) return;
      if (!plain) {
        this.incomplete = true;
        this.host.onUnreadable(from);
        return;
      }
      try {
        yjs().applyUpdate(doc, plain, REMOTE);
      } catch {
        this.incomplete = true;
        this.host.onUnreadable(from);
      }
    });
  }
}
