// Where recordings live: one IndexedDB database of the page's origin. A recording is its metadata row plus the
// MediaRecorder's chunks, each stored as it is produced, so a crash loses at most the chunk in flight. After
// recording, the WebM header is rewritten (duration, cues) and stored as `head`, replacing the first `skip` bytes
// of the chunks: the chunks themselves are never rewritten, and reading the file never loads it whole.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';

/** One recording as the library lists it. */
export interface RecordingEntry {
  /** Unique id (also the file's base name). */
  id: string;
  appId: string;
  channel: string;
  /** The uid that recorded. */
  uid: number;
  /** Unix milliseconds when recording started. */
  startedAt: number;
  /** Length of the recorded media in milliseconds (0 until the file is finalised). */
  durationMs: number;
  /** Bytes of the file. */
  size: number;
  /** e.g. "video/webm;codecs=vp8,opus". */
  mimeType: string;
  /** The file is finalised (duration and cues written); false while recording or after an interruption. */
  complete: boolean;
  /** Why recording ended, when it ended otherwise than by stopRecording (e.g. "storage-full", "interrupted"). */
  endReason?: string;
}

export interface StoredRecording extends RecordingEntry {
  /** Number of chunks written (chunk seq runs 0 … chunks-1). */
  chunks: number;
  /** The rewritten WebM header, once finalised. */
  head?: Blob;
  /** Bytes at the start of the chunks that `head` replaces. */
  skip?: number;
  /** Bytes of the chunks that belong to the file (a crash may leave a cut-off element after them). */
  end?: number;
}

interface Schema extends DBSchema {
  recordings: { key: string; value: StoredRecording };
  chunks: { key: [string, number]; value: { id: string; seq: number; data: Blob } };
}

export const DB_NAME = 'agora-rtc-recordings';

let db: Promise<IDBPDatabase<Schema>> | null = null;

export function openStore(): Promise<IDBPDatabase<Schema>> {
  db ??= openDB<Schema>(DB_NAME, 1, {
    upgrade(d) {
      d.createObjectStore('recordings', { keyPath: 'id' });
      d.createObjectStore('chunks', { keyPath: ['id', 'seq'] });
    },
  });
  return db;
}

export async function putMeta(meta: StoredRecording): Promise<void> {
  await (await openStore()).put('recordings', meta);
}

export async function getMeta(id: string): Promise<StoredRecording | undefined> {
  return (await openStore()).get('recordings', id);
}

export async function allMeta(): Promise<StoredRecording[]> {
  return (await openStore()).getAll('recordings');
}

/** Appends chunk `seq` and the new size and chunk count in one transaction: the row never counts a lost chunk. */
export async function appendChunk(meta: StoredRecording, data: Blob): Promise<void> {
  const d = await openStore();
  const tx = d.transaction(['recordings', 'chunks'], 'readwrite');
  const next = { ...meta, chunks: meta.chunks + 1, size: meta.size + data.size };
  await Promise.all([
    tx.objectStore('chunks').put({ id: meta.id, seq: meta.chunks, data }),
    tx.objectStore('recordings').put(next),
    tx.done,
  ]);
  meta.chunks = next.chunks;
  meta.size = next.size;
}

/** The stored chunks of a recording, in order, one at a time. */
export async function* chunksOf(meta: StoredRecording): AsyncGenerator<Blob> {
  const d = await openStore();
  for (let seq = 0; seq < meta.chunks; seq++) {
    const row = await d.get('chunks', [meta.id, seq]);
    if (row) yield row.data;
  }
}

/**
 * The file as one Blob. IndexedDB's Blobs are backed by the browser's storage, and a Blob made of Blobs only
 * refers to them, so this does not read the recording into memory.
 */
export async function fileOf(meta: StoredRecording): Promise<Blob> {
  const d = await openStore();
  const range = IDBKeyRange.bound([meta.id, 0], [meta.id, Number.MAX_SAFE_INTEGER]);
  const parts = (await d.getAll('chunks', range)).map((r) => r.data);
  const body = new Blob(parts);
  const type = meta.mimeType.split(';')[0] ?? 'video/webm';
  return meta.head
    ? new Blob([meta.head, body.slice(meta.skip ?? 0, meta.end ?? body.size)], { type })
    : new Blob([body], { type });
}

export async function removeRecording(id: string): Promise<void> {
  const d = await openStore();
  const tx = d.transaction(['recordings', 'chunks'], 'readwrite');
  await Promise.all([
    tx.objectStore('recordings').delete(id),
    tx.objectStore('chunks').delete(IDBKeyRange.bound([id, 0], [id, Number.MAX_SAFE_INTEGER])),
    tx.done,
  ]);
}

/** The public row: no internals. */
export function entryOf(m: StoredRecording): RecordingEntry {
  const { id, appId, channel, uid, startedAt, durationMs, size, mimeType, complete, endReason } = m;
  return {
    id,
    appId,
    channel,
    uid,
    startedAt,
    durationMs,
    size,
    mimeType,
    complete,
    ...(endReason ? { endReason } : {}),
  };
}
