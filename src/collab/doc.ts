// The channel's shared whiteboard document as the signaling link carries it: yjs updates, local ones out as `doc`
// messages, other members' in as `doc` pushes, and the whole document so far in the join result. Sealed
// (encrypted-channel) updates are AES-GCM per update.
//
// This part is in the core and knows no yjs: until the whiteboard is first opened (client.openWhiteboard) it holds
// the updates as bytes (opened if sealed, in arrival order), so a call that never opens the whiteboard never
// downloads its code. At open, the whiteboard's chunk gives a DocSink (whiteboard/ydoc.ts, the Y.Doc) that gets
// the held updates in order, then each one as it comes.
import {
  DOC_COMPACT_BYTES,
  DOC_MAX_BYTES,
  type DocCompactMessage,
  type DocMessage,
  type JoinResult,
} from '../protocol/messages.js';
import { fromBase64, toBase64 } from './base64.js';
import type { ContentSeal } from './seal.js';

/** Bytes of updates held before the whiteboard is opened beyond which the host is asked to open it. */
export const HELD_BYTES = 1024 * 1024;
/** Most parts of a sealed snapshot the server takes (with its default limits). */
const MAX_PARTS = Math.floor(DOC_MAX_BYTES / DOC_COMPACT_BYTES);
/** Sealed into each part (authenticated, not sent): a part never opens as an update, nor an update as a part. */
const PART = new TextEncoder().encode('agora-rtc-web/doc-part/v1');
/** A part's plaintext starts with the snapshot's id (4 random bytes), its index and the count (2 bytes each). */
const PART_HEAD = 8;
/** GCM's IV and tag around each part. */
const SEAL_BYTES = 28;

export interface DocHost {
  send(msg: DocMessage | DocCompactMessage): boolean;
  /** A document update could not be opened (another secret) or applied. */
  onUnreadable(from: number): void;
  /** Content arrived from member `from` (0: the channel's document, at join), whether the whiteboard is open or not. */
  onUpdate(from: number): void;
  /** More than HELD_BYTES are held unopened: better to load the whiteboard and apply them than to keep them. */
  onHeldFull(): void;
}

/** The open whiteboard's document (whiteboard/ydoc.ts). */
export interface DocSink {
  /** A new stay begins (a fresh, empty document). */
  fresh(): void;
  /** Rejoined a server whose document is `serverDoc` (unsealed), or sealed updates if `sealed`: send what it lacks. */
  restore(serverDoc: Uint8Array | null, sealed: boolean): void;
  /** Applies an update from the server; false if it is not one. */
  apply(update: Uint8Array): boolean;
  /** The whole document as one update (for a sealed snapshot), or null outside a stay. */
  snapshot(): Uint8Array | null;
  /** The stay ended. */
  left(): void;
}

export class SharedDoc {
  private seal: ContentSeal | null = null;
  /** Sealing and opening are async: one chain keeps updates in order. */
  private queue: Promise<void> = Promise.resolve();
  private sink: DocSink | null = null;
  /** In a channel (between join and leave). */
  private inChannel = false;
  /** Updates (opened, in arrival order) received before the whiteboard was opened, and their size. */
  private held: Uint8Array[] = [];
  private heldBytes = 0;
  /** Counts stays, so that an update still being opened when its stay ended is dropped. */
  private stay = 0;
  /** Some update of this stay could not be opened: this member's document may lack content, so it never compacts. */
  private incomplete = false;
  /** The parts of a sealed snapshot received so far (they come one after the other, in order). */
  private parts: Uint8Array[] = [];
  private partsId = -1;

  constructor(private readonly host: DocHost) {}

  /** Join: the channel's document so far. Rejoin: the server's document merged in, ours sent back. */
  joined(result: JoinResult, rejoin: boolean, seal: ContentSeal | null): void {
    const server = result.doc ? fromBase64(result.doc) : null;
    const sealed = !!result.sealedDoc?.length;
    const empty = !sealed && (server?.length ?? 0) <= 2;
    if (!rejoin || !this.inChannel) {
      this.left();
      this.seal = seal;
      this.inChannel = true;
      this.sink?.fresh();
    } else if (this.sink) this.sink.restore(server, sealed);
    // A restarted server lost the document: what this member holds goes back. Without yjs there is no telling what
    // the server lacks, so only to a server that has nothing (as in an encrypted channel).
    else if (empty) for (const u of this.held) this.send(u);
    // Told at the first join only, and only when the channel's board has something.
    const from = rejoin || empty ? -1 : 0;
    if (server) this.applyRemote(from, server, false);
    for (const u of result.sealedDoc ?? []) this.applyRemote(from, fromBase64(u), true);
  }

  /** The whiteboard is open: `sink` gets the held updates, then each one as it comes. Resolves once it has them. */
  open(sink: DocSink): Promise<void> {
    if (this.sink) return this.queue;
    this.sink = sink;
    if (this.inChannel) sink.fresh();
    // Queued after the updates still being opened, which go to the held list first: all arrive in order.
    return (this.queue = this.queue.then(() => {
      for (const u of this.held.splice(0)) if (!sink.apply(u)) this.unreadable(0);
      this.heldBytes = 0;
    }));
  }

  pushed(from: number, update: string, sealed: boolean): void {
    this.applyRemote(from, fromBase64(update), sealed);
  }

  /**
   * The server asks for a sealed snapshot replacing the encrypted channel's stored updates up to `upto` (it has
   * passed all of them to us before asking, and the queue applies them first). A snapshot larger than one frame goes
   * in parts, each sealed on its own. Skipped when this member could not open some update (it would drop what it
   * cannot see), when the snapshot is larger than the server takes, or when the whiteboard is not open here (no yjs
   * to make one: the server asks the next member that draws).
   */
  compactAsked(upto: number): void {
    const { seal, stay } = this;
    this.queue = this.queue.then(async () => {
      const state = stay === this.stay && seal && !this.incomplete ? this.sink?.snapshot() : null;
      const room = DOC_COMPACT_BYTES - SEAL_BYTES - PART_HEAD;
      const parts = state ? Math.ceil(state.length / room) : 0;
      if (!state || parts > MAX_PARTS) return;
      const id = crypto.getRandomValues(new Uint8Array(4));
      const sealed = [];
      for (let part = 0; part < parts; part++) {
        const chunk = state.subarray(part * room, (part + 1) * room);
        const plain = new Uint8Array(PART_HEAD + chunk.length);
        const head = new DataView(plain.buffer);
        plain.set(id);
        head.setUint16(4, part);
        head.setUint16(6, parts);
        plain.set(chunk, PART_HEAD);
        sealed.push(await seal!.sealBytes(plain, PART));
      }
      // All sealed first: the parts leave back to back, with no update of ours between them.
      sealed.forEach((bytes, part) =>
        this.host.send({ t: 'doc-compact', upto, update: toBase64(bytes), part, parts }),
      );
    });
  }

  left(): void {
    this.sink?.left();
    this.seal = null;
    this.inChannel = false;
    this.incomplete = false;
    this.parts = [];
    this.stay++;
    this.held = [];
    this.heldBytes = 0;
  }

  /** Sends a local update (sealed in an encrypted stay), after those queued before it. */
  send(update: Uint8Array): void {
    const seal = this.seal;
    this.queue = this.queue.then(async () => {
      const bytes = seal ? await seal.sealBytes(new Uint8Array(update)) : update;
      this.host.send(
        seal ? { t: 'doc', update: toBase64(bytes), sealed: true } : { t: 'doc', update: toBase64(bytes) },
      );
    });
  }

  /** `from` -1: not told (a rejoin's copy of what this member has, or an empty board). */
  private applyRemote(from: number, bytes: Uint8Array<ArrayBuffer>, sealed: boolean): void {
    const { seal, stay } = this;
    this.queue = this.queue.then(async () => {
      const opened = sealed ? (seal ? await seal.openBytes(bytes) : null) : seal ? null : bytes;
      const part = sealed && seal && !opened ? await seal.openBytes(bytes, PART) : null;
      if (stay !== this.stay) return;
      const plain = part ? this.snapshotPart(part) : opened;
      if (plain === undefined) return;
      if (!plain || (this.sink && !this.sink.apply(plain))) return this.unreadable(from);
      if (!this.sink) {
        this.held.push(plain);
        if ((this.heldBytes += plain.length) > HELD_BYTES) this.host.onHeldFull();
      }
      if (from >= 0) this.host.onUpdate(from);
    });
  }

  /**
   * One part of a sealed snapshot: undefined until the last, then the whole snapshot (null if a part is missing or
   * out of place: then this member's document lacks that content).
   */
  private snapshotPart(part: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> | null | undefined {
    if (part.length < PART_HEAD) return null;
    const head = new DataView(part.buffer, part.byteOffset);
    const id = head.getUint32(0);
    const index = head.getUint16(4);
    const count = head.getUint16(6);
    if (index === 0) [this.parts, this.partsId] = [[], id];
    if (id !== this.partsId || index !== this.parts.length || index >= count) {
      this.parts = [];
      return null;
    }
    this.parts.push(part.subarray(PART_HEAD));
    if (this.parts.length < count) return undefined;
    const whole = new Uint8Array(this.parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of this.parts.splice(0)) {
      whole.set(p, at);
      at += p.length;
    }
    return whole;
  }

  private unreadable(from: number): void {
    this.incomplete = true;
    this.host.onUnreadable(Math.max(from, 0));
  }
}
