// Public entry: the manual's AgoraRTC object, plus named exports for ESM users.
import { defaultSignalingUrl } from './client/assets.js';
import { Client, type ClientOptions } from './client/client.js';
import { AgoraError } from './client/errors.js';
import { ClientEvent } from './client/events.js';
import { VIDEO_PROFILES } from './media/profiles.js';
import { ErrorCode, WarningCode } from './protocol/codes.js';
import { RecordingStatus, type RecordingState } from './recording/controller.js';
import { recordings } from './recording/library.js';
import { Stream, type StreamSpec } from './stream/stream.js';
import { VERSION } from './version.js';

/**
 * Create the client object; one per call is enough.
 *
 * @example
 * var client = AgoraRTC.createRtcClient();
 * var other = AgoraRTC.createRtcClient({ signalingUrl: 'wss://rtc.example.com/agora-signal' });
 */
export function createRtcClient(options: ClientOptions = {}): Client {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('createRtcClient(options?) takes an object.');
  const url = options.signalingUrl ?? defaultSignalingUrl();
  if (typeof url !== 'string' || !/^wss?:\/\//.test(url)) {
    throw new TypeError(`signalingUrl must be a ws:// or wss:// URL; got ${String(url)}.`);
  }
  return new Client(url);
}

/**
 * Create a local audio/video stream (then call its init).
 *
 * @example
 * var stream = AgoraRTC.createStream({ streamID: uid, local: true, audio: true, video: true });
 */
export function createStream(spec: StreamSpec): Stream {
  if (typeof spec !== 'object' || spec === null) {
    throw new TypeError(
      'createStream(spec) takes an object such as { streamID: uid, local: true, audio: true, video: true }.',
    );
  }
  if (spec.local === false) {
    throw new TypeError(
      'createStream makes local streams (local: true); remote streams come from stream-added.',
    );
  }
  for (const key of ['audio', 'video', 'screen', 'local'] as const) {
    if (spec[key] !== undefined && typeof spec[key] !== 'boolean')
      throw new TypeError(`createStream: spec.${key} must be a boolean.`);
  }
  if (spec.streamID !== undefined && typeof spec.streamID !== 'number' && typeof spec.streamID !== 'string') {
    throw new TypeError('createStream: spec.streamID must be a number (usually the uid) or a string.');
  }
  return new Stream(spec);
}

export {
  AgoraError,
  Client,
  ClientEvent,
  ErrorCode,
  RecordingStatus,
  recordings,
  Stream,
  VERSION,
  VIDEO_PROFILES,
  WarningCode,
};
export type { ClientOptions, RecordingState, StreamSpec };
export type { RecordingEntry } from './recording/store.js';
export type { ClientEvents } from './client/events.js';
export type { VideoProfile } from './media/profiles.js';

/** The manual's top-level AgoraRTC object. */
const AgoraRTC = {
  createRtcClient,
  createStream,
  VERSION,
  ErrorCode,
  WarningCode,
  VIDEO_PROFILES,
  AgoraError,
  ClientEvent,
  RecordingStatus,
  /** The recordings stored in this browser: list, get, remove, download, recover. */
  recordings,
};

export default AgoraRTC;
