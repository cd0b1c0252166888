// Messages between the page (src/crypto/attach.ts) and the encoded-transform worker (src/crypto/worker.ts).
// Types only: both sides import them, nothing here runs.
import type { FrameKeys } from './keys.js';
import type { DropReason, MediaKind } from './frame.js';

/** Which pipeline a transform sits in: an RTCRtpSender ('send') or an RTCRtpReceiver ('recv'). */
export type TransformSide = 'send' | 'recv';

/** The options given to `new RTCRtpScriptTransform(worker, options)`, and the legacy 'attach' message's fields. */
export interface TransformOptions {
  side: TransformSide;
  kind: MediaKind;
  /** The remote user's uid for receivers, the local user's (or the link's peer) for senders: used in reports. */
  uid: number | string;
}

/** Why frames were dropped: the frame format's reasons, plus no keys at all yet and encryption failures. */
export type CryptErrorReason = DropReason | 'no-key' | 'encrypt-failed';

/** A report that frames from (recv) or to (send) `uid` could not be processed; what `onCryptError` listeners get. */
export interface CryptErrorEvent {
  uid: number | string;
  direction: TransformSide;
  reason: CryptErrorReason;
  /** Frames dropped since the previous report for this uid and direction (reports come at most once a second). */
  count: number;
}

/** A sent frame before and after encryption: its first bytes (up to 64) as the encoder made it and as it goes on the wire. */
export interface FrameSample {
  uid: number | string;
  kind: MediaKind;
  plain: Uint8Array;
  wire: Uint8Array;
  plainLength: number;
  wireLength: number;
  keyFrame: boolean;
}

/** Page → worker. */
export type ToWorker =
  /** New keys (or `null`: drop every frame from now on). Answered by 'keys-set' with the same `epoch`. */
  | { type: 'keys'; keys: FrameKeys | null; epoch: number }
  /** Legacy path: the streams of `createEncodedStreams()`, transferred. */
  | ({ type: 'attach'; readable: ReadableStream; writable: WritableStream } & TransformOptions)
  /** Diagnostics: post the next `count` sent frames of `uid` (first bytes before and after encryption). */
  | { type: 'sample'; uid: number | string; count: number }
  /** Asks for the frame counters. */
  | { type: 'stats' };

/** Counters per `${side}:${kind}:${uid}`. */
export interface TransformStats {
  frames: number;
  dropped: number;
}

/** Worker → page. */
export type FromWorker =
  | { type: 'keys-set'; epoch: number; error?: string }
  /** Throttled to at most one per second per uid and direction. */
  | ({ type: 'crypt-error' } & CryptErrorEvent)
  | ({ type: 'sample' } & FrameSample)
  | { type: 'stats'; stats: Record<string, TransformStats> };
