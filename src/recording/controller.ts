// The Client's recording: startRecording / stopRecording / queryRecordingStatus and the channel's recording
// state. The server checks the Recording Key and allows one recorder per channel; it tells every member (late
// joiners in their join result) who records since when. The recording itself happens here, in the recorder's
// browser (recorder.ts).
import { AgoraError } from '../client/errors.js';
import type { ClientMessage, RecordingInfo } from '../protocol/messages.js';
import type { RecordingSource } from './compositor.js';
import { loadRecording } from './load.js';
import type { Recorder, RecorderInfo } from './recorder.js';
import type { RecordingEntry } from './store.js';

/** queryRecordingStatus's `status` and recording-state-change's: is the channel being recorded. */
export const RecordingStatus = {
  /** No one records the channel. */
  NOT_RECORDING: 0,
  /** A member records the channel (`uid`, since `startedAt`). */
  RECORDING: 1,
} as const;

/** What queryRecordingStatus answers and recording-state-change carries. */
export interface RecordingState {
  status: (typeof RecordingStatus)[keyof typeof RecordingStatus];
  /** Who records (or recorded, in the event that says it ended); null when no one. */
  uid: number | null;
  /** Unix milliseconds when that recording started; null when none. */
  startedAt: number | null;
  /** This client is the recorder. */
  self: boolean;
}

type Request = Omit<Extract<ClientMessage, { t: 'recording-start' | 'recording-stop' }>, 'id'>;

export interface RecordingHost {
  request<T>(msg: Request): Promise<T>;
  /** The channel and this member, or null when not in a channel. */
  info(): RecorderInfo | null;
  sources(): RecordingSource[];
  onStateChange(state: RecordingState): void;
  /** The recording stopped by itself (storage full…): the file so far is kept. */
  onAbort(err: AgoraError): void;
}

export class RecordingController {
  private channel: RecordingInfo | null = null;
  private own: { key: string; recorder: Recorder | null } | null = null;

  constructor(private readonly host: RecordingHost) {}

  status(): RecordingState {
    return this.stateOf(
      this.channel,
      this.channel ? RecordingStatus.RECORDING : RecordingStatus.NOT_RECORDING,
    );
  }

  /** After join (or a rejoin): the channel's recording as the server knows it. */
  joined(recording: RecordingInfo | null | undefined): void {
    this.update(recording ?? null, undefined);
    const own = this.own;
    const me = this.host.info()?.uid;
    if (own?.recorder && recording?.uid !== me) {
      // A restarted server forgot the recording this client is still making: claim the slot again so the others
      // are told; if someone else took it meanwhile, this recording ends.
      const recorder = own.recorder;
      this.host.request({ t: 'recording-start', key: own.key }).catch((e: unknown) => {
        if (this.own !== own) return;
        this.own = null;
        void recorder
          .stop('interrupted')
          .finally(() =>
            this.host.onAbort(
              e instanceof AgoraError ? e : new AgoraError('ERR_FAILED', `Recording ended: ${String(e)}`),
            ),
          );
      });
    }
  }

  /** A `recording` push. */
  pushed(recording: RecordingInfo | null, ended: RecordingInfo | undefined): void {
    this.update(recording, ended);
  }

  /** This member left the channel: its recording stops (the server tells the others); the file is finalised. */
  left(): void {
    const recorder = this.own?.recorder;
    this.own = null;
    this.channel = null;
    void recorder?.stop('left').catch(() => undefined);
  }

  async start(key: string): Promise<void> {
    const info = this.host.info();
    if (!info) throw new AgoraError('ERR_NOT_READY', 'Join a channel before startRecording.');
    if (this.own) throw new AgoraError('ERR_ALREADY_IN_USE', 'You are already recording this channel.');
    if (this.channel)
      throw new AgoraError(
        'ERR_ALREADY_IN_USE',
        `User ${this.channel.uid} is already recording this channel (one recording per channel at a time).`,
      );
    const own: { key: string; recorder: Recorder | null } = { key, recorder: null };
    this.own = own;
    try {
      const { Recorder } = await loadRecording();
      const mimeType = await Recorder.prepare();
      // The server checks the key and takes the channel's one recording slot before anything is recorded.
      await this.host.request({ t: 'recording-start', key });
      if (this.own !== own)
        throw new AgoraError('ERR_ABORTED', 'Left the channel while recording was starting.');
      const recorder = Recorder.start(
        info,
        () => this.host.sources(),
        mimeType,
        (err, done) => {
          if (this.own?.recorder !== recorder) return;
          this.own = null;
          void this.host.request({ t: 'recording-stop', key }).catch(() => undefined);
          void done.finally(() => this.host.onAbort(err));
        },
      );
      own.recorder = recorder;
    } catch (e) {
      if (this.own === own) this.own = null;
      throw e;
    }
  }

  /** Resolves with the finished recording (null if nothing was recorded) once the file is finalised. */
  async stop(key: string): Promise<RecordingEntry | null> {
    if (!this.host.info())
      throw new AgoraError('ERR_NOT_READY', 'Not in a channel: there is no recording to stop.');
    const own = this.own;
    if (!own?.recorder) {
      throw new AgoraError(
        'ERR_NOT_READY',
        this.channel
          ? `User ${this.channel.uid} records this channel, not you: only the recorder can stop it.`
          : own
            ? 'Recording is still starting: wait for startRecording to succeed.'
            : 'Not recording: call startRecording first.',
      );
    }
    if (key !== own.key)
      throw new AgoraError(
        'ERR_INVALID_CHANNEL_KEY',
        'Stop the recording with the Recording Key it was started with.',
      );
    this.own = null;
    const done = own.recorder.stop();
    await this.host.request({ t: 'recording-stop', key }).catch(() => undefined);
    return done;
  }

  private update(recording: RecordingInfo | null, ended: RecordingInfo | undefined): void {
    const before = this.channel;
    if (before?.uid === recording?.uid && before?.startedAt === recording?.startedAt) return;
    this.channel = recording;
    if (recording) this.host.onStateChange(this.stateOf(recording, RecordingStatus.RECORDING));
    else if (before || ended)
      this.host.onStateChange(this.stateOf(ended ?? before, RecordingStatus.NOT_RECORDING));
  }

  private stateOf(r: RecordingInfo | null, status: RecordingState['status']): RecordingState {
    const me = this.host.info()?.uid;
    return { status, uid: r?.uid ?? null, startedAt: r?.startedAt ?? null, self: r !== null && r.uid === me };
  }
}
