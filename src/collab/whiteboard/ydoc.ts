// The open whiteboard's yjs document (in the whiteboard's chunk, with yjs loaded): a new Y.Doc per stay, filled by
// the updates SharedDoc (../doc.ts) passes on; local changes are coalesced for FLUSH_MS (so a live stroke costs
// ~40 frames a second rather than one per pointer event) and sent through it.
import type * as Y from 'yjs';
import { yjs } from '../yjs.js';
import type { DocSink, SharedDoc } from '../doc.js';

/** Origin of updates that came from the server: they are applied, never sent back. */
export const REMOTE = Symbol('remote');
/** Local changes wait this long to be sent together. */
const FLUSH_MS = 25;
/** Largest update sent in one frame (the server's default docUpdateBytes, less room for sealing). */
export const MAX_UPDATE_BYTES = 30 * 1024;

export class YDocSink implements DocSink {
  doc: Y.Doc | null = null;
  private pending: Uint8Array[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly listeners = new Set<(doc: Y.Doc | null) => void>();

  constructor(private readonly shared: SharedDoc) {}

  /** Called with the new Y.Doc at every join, null at leave (and now, with the current one). */
  onDoc(fn: (doc: Y.Doc | null) => void): () => void {
    this.listeners.add(fn);
    fn(this.doc);
    return () => this.listeners.delete(fn);
  }

  fresh(): void {
    this.reset(new (yjs().Doc)());
  }

  restore(serverDoc: Uint8Array | null, sealed: boolean): void {
    if (!this.doc || sealed) return;
    // Only what the server lacks (a sealed document the server cannot read: all of it, if it has nothing).
    const y = yjs();
    const missing = y.encodeStateAsUpdate(
      this.doc,
      serverDoc ? y.encodeStateVectorFromUpdate(serverDoc) : undefined,
    );
    if (missing.length > 2) this.shared.send(missing);
  }

  apply(update: Uint8Array): boolean {
    if (!this.doc) return true;
    try {
      yjs().applyUpdate(this.doc, update, REMOTE);
      return true;
    } catch {
      return false;
    }
  }

  snapshot(): Uint8Array | null {
    return this.doc && yjs().encodeStateAsUpdate(this.doc);
  }

  left(): void {
    this.reset(null);
  }

  private reset(doc: Y.Doc | null): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
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
    if (merged.length <= MAX_UPDATE_BYTES) this.shared.send(merged);
    else for (const u of batch) this.shared.send(u);
  }
}
