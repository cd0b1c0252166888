// AgoraRTC.recordings' implementation (library.ts is the public face, loaded with the recorder on first use). The
// first call of a page also finishes recordings that a crash or a closed tab interrupted (recover()).
import { AgoraError } from '../client/errors.js';
import { finalize, lockName } from './finalize.js';
import { RECORDING_PATH } from './serve.js';
import { allMeta, entryOf, fileOf, getMeta, removeRecording, type RecordingEntry } from './store.js';

let recovered: Promise<RecordingEntry[]> | null = null;

/** Is a page (this one or another tab) still writing recording `id`? */
async function beingWritten(id: string): Promise<boolean> {
  const locks = navigator.locks;
  if (!locks) return false;
  return locks.request(lockName(id), { ifAvailable: true }, (lock) => lock === null);
}

function notFound(id: string): AgoraError {
  return new AgoraError(
    'ERR_INVALID_ARGUMENT',
    `No recording with id ${JSON.stringify(id)}: see AgoraRTC.recordings.list().`,
  );
}

async function doRecover(): Promise<RecordingEntry[]> {
  const done: RecordingEntry[] = [];
  for (const meta of await allMeta()) {
    if (meta.complete || (await beingWritten(meta.id))) continue;
    const entry = await finalize(meta.id, 'interrupted');
    if (entry) done.push(entry);
  }
  return done;
}

function ensureRecovered(): Promise<unknown> {
  recovered ??= doRecover().finally(() => (recovered = null));
  return recovered.catch(() => undefined);
}

/**
 * The recordings library. Recordings are stored in this origin's IndexedDB by the browser that recorded them.
 *
 * @example
 * const [latest] = (await AgoraRTC.recordings.list()).sort((a, b) => b.startedAt - a.startedAt);
 * if (latest) await AgoraRTC.recordings.download(latest.id);
 */
export const library = {
  /**
   * Finalise recordings a crash or a closed tab interrupted (the chunks stored until then, a second or so short
   * of the end). Done automatically on a page's first use of the library; returns the recordings it finished.
   */
  recover(): Promise<RecordingEntry[]> {
    recovered ??= doRecover().finally(() => (recovered = null));
    return recovered;
  },

  /** Every stored recording, oldest first: `{ id, appId, channel, uid, startedAt, durationMs, size, mimeType, complete }`. */
  async list(): Promise<RecordingEntry[]> {
    await ensureRecovered();
    return (await allMeta()).map(entryOf).sort((a, b) => a.startedAt - b.startedAt);
  },

  /** The file of recording `id` as a Blob (WebM). Backed by storage: getting it does not read the file into memory. */
  async get(id: string): Promise<Blob> {
    await ensureRecovered();
    const meta = await getMeta(id);
    if (!meta) throw notFound(id);
    return fileOf(meta);
  },

  /** Delete recording `id` (one still being recorded cannot be removed: stop it first). */
  async remove(id: string): Promise<void> {
    if (!(await getMeta(id))) throw notFound(id);
    if (await beingWritten(id))
      throw new AgoraError('ERR_ALREADY_IN_USE', `Recording ${id} is still being recorded: stop it first.`);
    await removeRecording(id);
  },

  /**
   * Save recording `id` as a file (the browser's download). Streamed by the service worker when one that serves
   * recordings controls the page, else through a Blob URL; either way the page never holds the file in memory.
   */
  async download(id: string, fileName?: string): Promise<void> {
    await ensureRecovered();
    const meta = await getMeta(id);
    if (!meta) throw notFound(id);
    const name =
      fileName ??
      `${meta.channel.replace(/[^\w.-]+/g, '_')}-${new Date(meta.startedAt).toISOString().replace(/[:.]/g, '-')}.webm`;
    const streamed = await workerUrl(id);
    if (streamed) {
      // Chromium does not send a download link's request through the service worker; a navigation goes through
      // it, and the worker's Content-Disposition makes that navigation a download.
      const frame = document.createElement('iframe');
      frame.hidden = true;
      frame.src = `${streamed}?name=${encodeURIComponent(name)}`;
      document.body.append(frame);
      setTimeout(() => frame.remove(), 60_000);
      return;
    }
    const url = URL.createObjectURL(await fileOf(meta));
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    a.rel = 'noopener';
    document.body.append(a);
    a.click();
    a.remove();
    // The download has started reading the Blob by then; revoking later would keep the URL alive for nothing.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  },
};

/** The service worker's URL for the file, when a worker that serves recordings controls the page. */
async function workerUrl(id: string): Promise<string | null> {
  if (!navigator.serviceWorker?.controller) return null;
  const url = new URL(`${RECORDING_PATH}${encodeURIComponent(id)}`, location.href).href;
  try {
    const r = await fetch(url, { method: 'HEAD' });
    return r.ok && r.headers.get('X-Agora-Recording') === id ? url : null;
  } catch {
    return null;
  }
}
