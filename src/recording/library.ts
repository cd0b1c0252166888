// AgoraRTC.recordings: the recordings this origin has stored. The code behind it (library-impl.ts) loads on the
// first call, with the recorder.
import { assertType } from '../client/errors.js';
import type { RecordingEntry } from './store.js';
import { loadRecording } from './load.js';

/**
 * The recordings library. Recordings are stored in this origin's IndexedDB by the browser that recorded them.
 *
 * @example
 * const [latest] = (await AgoraRTC.recordings.list()).sort((a, b) => b.startedAt - a.startedAt);
 * if (latest) await AgoraRTC.recordings.download(latest.id);
 */
function checkId(method: string, id: unknown): asserts id is string {
  assertType(
    typeof id === 'string',
    `recordings.${method}(id) takes a recording id (a string from recordings.list()).`,
  );
}

export const recordings = {
  /**
   * Finalise recordings a crash or a closed tab interrupted (the chunks stored until then, a second or so short
   * of the end). Done automatically on a page's first use of the library; returns the recordings it finished.
   */
  async recover(): Promise<RecordingEntry[]> {
    return (await loadRecording()).library.recover();
  },

  /** Every stored recording, oldest first: `{ id, appId, channel, uid, startedAt, durationMs, size, mimeType, complete }`. */
  async list(): Promise<RecordingEntry[]> {
    return (await loadRecording()).library.list();
  },

  /** The file of recording `id` as a Blob (WebM). Backed by storage: getting it does not read the file into memory. */
  get(id: string): Promise<Blob> {
    checkId('get', id);
    return loadRecording().then((m) => m.library.get(id));
  },

  /** Delete recording `id` (one still being recorded cannot be removed: stop it first). */
  remove(id: string): Promise<void> {
    checkId('remove', id);
    return loadRecording().then((m) => m.library.remove(id));
  },

  /**
   * Save recording `id` as a file (the browser's download). Streamed by the service worker when one that serves
   * recordings controls the page, else through a Blob URL; either way the page never holds the file in memory.
   */
  download(id: string, fileName?: string): Promise<void> {
    checkId('download', id);
    assertType(
      fileName === undefined || typeof fileName === 'string',
      'recordings.download(id, fileName?) takes a string file name.',
    );
    return loadRecording().then((m) => m.library.download(id, fileName));
  },
};
