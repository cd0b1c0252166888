// One recording in progress: the compositor's stream through MediaRecorder into IndexedDB, a chunk a second,
// with the storage quota checked before and watched during. A Web Lock held while recording tells recover()
// in another tab (or after a reload) which unfinished recordings are still being written.
import { AgoraError } from '../client/errors.js';
import { Compositor, type RecordingSource } from './compositor.js';
import { finalize, lockName } from './finalize.js';
import { appendChunk, putMeta, type RecordingEntry, type StoredRecording } from './store.js';

/** MediaRecorder delivers a chunk this often; a crash loses at most about this much. */
export const CHUNK_MS = 1000;
/** Free storage needed to start: a few minutes of recording at the target bitrate. */
export const MIN_FREE_TO_START = 64 * 1024 * 1024;
/** Recording stops, keeping what it wrote, when free storage falls below this. */
export const MIN_FREE_WHILE_RECORDING = 16 * 1024 * 1024;
const VIDEO_BITS_PER_SECOND = 1_500_000;
const AUDIO_BITS_PER_SECOND = 64_000;
const KEY_FRAME_INTERVAL_MS = 2000;
const TYPES = ['video/webm;codecs=vp8,opus', 'video/webm;codecs=vp9,opus', 'video/webm'];
/**
 * Firefox can deliver data after MediaRecorder's stop event, the file's only chunk included (seen up to 8 ms after
 * it): stopping waits until no data has come for this long.
 */
const LATE_DATA_MS = 100;

export interface RecorderInfo {
  appId: string;
  channel: string;
  uid: number;
}

/** Bytes the origin may still store, as the browser estimates it. */
async function freeBytes(): Promise<number> {
  const { quota = Infinity, usage = 0 } = (await navigator.storage?.estimate?.()) ?? {};
  return quota - usage;
}

function storageFull(free: number): AgoraError {
  return new AgoraError(
    'ERR_BUFFER_TOO_SMALL',
    `Storage for recordings is running out (${Math.max(0, Math.round(free / 1048576))} MB free for this site): free space, or remove recordings with AgoraRTC.recordings.remove(id).`,
  );
}

export class Recorder {
  private readonly meta: StoredRecording;
  private readonly compositor: Compositor;
  private readonly media: MediaRecorder;
  /** Chunk writes, one after another, in order. */
  private writes: Promise<void> = Promise.resolve();
  private releaseLock!: () => void;
  private stopping: Promise<RecordingEntry | null> | null = null;
  private failure: AgoraError | null = null;
  /** A write failed: later chunks would leave a hole, so none is written. */
  private broken = false;
  private checkingQuota = false;
  /** dataavailable events so far, to tell when late ones have stopped coming. */
  private deliveries = 0;

  /** Can this browser record, with room to store it: the WebM type to record, else the error. */
  static async prepare(): Promise<string> {
    if (typeof MediaRecorder === 'undefined' || !globalThis.indexedDB) {
      throw new AgoraError(
        'ERR_NOT_SUPPORTED',
        'This browser cannot record (no MediaRecorder or IndexedDB).',
      );
    }
    const mimeType = TYPES.find((t) => MediaRecorder.isTypeSupported(t));
    if (!mimeType) throw new AgoraError('ERR_NOT_SUPPORTED', 'This browser cannot record WebM.');
    const free = await freeBytes();
    if (free < MIN_FREE_TO_START) throw storageFull(free);
    // Ask that the browser not evict recordings under storage pressure; it may say no, which changes nothing here.
    // Not awaited: Firefox asks the user first and the answer may never come (a headless or unattended tab).
    void navigator.storage?.persist?.().catch(() => false);
    return mimeType;
  }

  /**
   * Starts recording (after prepare). `onAbort` hears a recording that stopped by itself (storage full, write
   * failure); the file written so far is kept and finalised.
   */
  static start(
    info: RecorderInfo,
    sources: () => RecordingSource[],
    mimeType: string,
    onAbort: (err: AgoraError, entry: Promise<RecordingEntry | null>) => void,
  ): Recorder {
    return new Recorder(info, sources, mimeType, onAbort);
  }

  private constructor(
    info: RecorderInfo,
    sources: () => RecordingSource[],
    mimeType: string,
    private readonly onAbort: (err: AgoraError, entry: Promise<RecordingEntry | null>) => void,
  ) {
    const startedAt = Date.now();
    this.meta = {
      id: `${startedAt.toString(36)}-${crypto.randomUUID().slice(0, 8)}`,
      ...info,
      startedAt,
      durationMs: 0,
      size: 0,
      mimeType,
      complete: false,
      chunks: 0,
    };
    const held = new Promise<void>((resolve) => (this.releaseLock = resolve));
    void navigator.locks?.request(lockName(this.meta.id), () => held);
    this.writes = putMeta(this.meta);
    this.compositor = new Compositor(sources);
    this.media = new MediaRecorder(this.compositor.stream, {
      mimeType,
      videoBitsPerSecond: VIDEO_BITS_PER_SECOND,
      audioBitsPerSecond: AUDIO_BITS_PER_SECOND,
      // A key frame every couple of seconds starts a cluster there, so every cue is a place a player can seek to.
      videoKeyFrameIntervalDuration: KEY_FRAME_INTERVAL_MS,
    } as MediaRecorderOptions);
    this.media.ondataavailable = (e) => {
      this.deliveries++;
      if (e.data.size === 0 || this.broken) return;
      this.writes = this.writes.then(() => this.write(e.data));
    };
    this.media.start(CHUNK_MS);
  }

  get id(): string {
    return this.meta.id;
  }

  private async write(data: Blob): Promise<void> {
    if (this.broken) return;
    try {
      await appendChunk(this.meta, data);
    } catch (e) {
      this.broken = true;
      const full = e instanceof DOMException && e.name === 'QuotaExceededError';
      this.abort(
        full
          ? storageFull(0)
          : new AgoraError('ERR_FAILED', `The recording could not be stored: ${String(e)}`, { cause: e }),
      );
      return;
    }
    this.watchQuota();
  }

  /**
   * Reads the storage estimate after a chunk, outside the chain of writes: a slow estimate must not hold chunks
   * in memory, where a crash would lose them. The margin left still holds the chunks in flight.
   */
  private watchQuota(): void {
    if (this.checkingQuota || this.failure) return;
    this.checkingQuota = true;
    freeBytes()
      .then((free) => {
        if (free < MIN_FREE_WHILE_RECORDING) this.abort(storageFull(free));
      })
      .catch(() => undefined)
      .finally(() => (this.checkingQuota = false));
  }

  private abort(err: AgoraError): void {
    if (this.failure) return;
    this.failure = err;
    this.onAbort(err, this.stop(err.name === 'ERR_BUFFER_TOO_SMALL' ? 'storage-full' : 'write-failed'));
  }

  /** Stops recording, writes the last chunk, finalises the file; the same Promise for every caller. */
  stop(endReason?: string): Promise<RecordingEntry | null> {
    this.stopping ??= (async () => {
      if (this.media.state !== 'inactive') {
        const last = new Promise((resolve) => this.media.addEventListener('stop', resolve, { once: true }));
        this.media.stop();
        await last;
        for (let seen = -1; seen !== this.deliveries;) {
          seen = this.deliveries;
          await new Promise((r) => setTimeout(r, LATE_DATA_MS));
        }
      }
      this.compositor.close();
      await this.writes.catch(() => undefined);
      try {
        return await finalize(this.meta.id, endReason);
      } finally {
        this.releaseLock();
      }
    })();
    return this.stopping;
  }
}
