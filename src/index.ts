// Public entry: the manual's AgoraRTC object, plus named exports for ESM users.
import { defaultSignalingUrl } from './client/assets.js';
import { Client, type ClientOptions } from './client/client.js';
import { AgentError } from './agent/errors.js';
import { checkSystemRequirements, FEATURE_USE } from './agent/requirements.js';
import { AgoraError } from './client/errors.js';
import { ClientEvent } from './client/events.js';
import { VIDEO_PROFILES } from './media/profiles.js';
import { ErrorCode, WarningCode } from './protocol/codes.js';
import { RecordingStatus, type RecordingState } from './recording/controller.js';
import { recordings } from './recording/library.js';
import { Stream, type StreamSpec } from './stream/stream.js';
import { VERSION } from './version.js';
import { startCallTest, type CallTestOptions, type CallTestResult } from './quality/calltest.js';
import { ConnectionState } from './quality/connection.js';
import {
  exportLog as readLog,
  LogLevel,
  setLogLevel as applyLogLevel,
  type LogLevelName,
} from './quality/log.js';
import { NetworkQuality } from './quality/network.js';

/**
 * Console output from this level up: 'DEBUG', 'INFO', 'WARNING' (default), 'ERROR' or 'NONE' (nothing printed,
 * nothing recorded). The recent log (INFO and up) is kept in IndexedDB for exportLog whatever the console shows.
 *
 * @example
 * AgoraRTC.setLogLevel('DEBUG');
 */
export function setLogLevel(level: LogLevelName): void {
  if (typeof level !== 'string')
    throw new TypeError("setLogLevel(level) takes 'DEBUG', 'INFO', 'WARNING', 'ERROR' or 'NONE'.");
  if (!Object.hasOwn(LogLevel, level))
    throw new AgoraError(
      'ERR_INVALID_ARGUMENT',
      `Unknown log level ${JSON.stringify(level)}: use DEBUG, INFO, WARNING, ERROR or NONE.`,
    );
  applyLogLevel(level);
}

/**
 * The SDK's recent log (kept across reloads, oldest first, one line per entry), to attach to a complaint. It
 * never contains Channel Keys, encryption secrets or TURN passwords.
 *
 * @example
 * AgoraRTC.exportLog().then((text) => upload(text));
 */
export function exportLog(callback?: ((text: string) => void) | null): Promise<string> {
  if (callback !== undefined && callback !== null && typeof callback !== 'function')
    throw new TypeError('exportLog(callback?) takes a function.');
  const p = readLog();
  if (callback) void p.then(callback);
  return p;
}

/**
 * Create the client object; one per call is enough.
 *
 * @example
 * var client = AgoraRTC.createRtcClient();
 * var other = AgoraRTC.createRtcClient({ signalingUrl: 'wss://rtc.example.com/agora-signal' });
 * var noWorker = AgoraRTC.createRtcClient({ serviceWorker: false });
 * // Several nodes, tried in order; media only through TURN (users' addresses stay hidden from each other).
 * var deployed = AgoraRTC.createRtcClient({
 *   signalingUrl: ['wss://rtc1.example.com/agora-signal', 'wss://rtc2.example.com/agora-signal'],
 *   iceTransportPolicy: 'relay',
 * });
 */
export function createRtcClient(options: ClientOptions = {}): Client {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('createRtcClient(options?) takes an object.');
  const url = options.signalingUrl ?? defaultSignalingUrl();
  const urls = Array.isArray(url) ? (url as unknown[]) : [url];
  if (urls.length === 0) {
    throw new AgoraError('ERR_INVALID_ARGUMENT', 'signalingUrl: give at least one ws:// or wss:// URL.');
  }
  for (const u of urls) {
    if (typeof u !== 'string' || !/^wss?:\/\//.test(u)) {
      throw new TypeError(`signalingUrl must be a ws:// or wss:// URL or a list of them; got ${String(u)}.`);
    }
  }
  const policy = options.iceTransportPolicy ?? 'all';
  if (typeof policy !== 'string') throw new TypeError("iceTransportPolicy must be 'all' or 'relay'.");
  if (policy !== 'all' && policy !== 'relay') {
    throw new AgoraError(
      'ERR_INVALID_ARGUMENT',
      `iceTransportPolicy must be 'all' (direct paths where possible) or 'relay' (TURN only); got ${JSON.stringify(policy)}.`,
    );
  }
  const sw = options.serviceWorker;
  if (sw !== undefined && sw !== false && (typeof sw !== 'string' || sw === '' || !isUrl(sw))) {
    throw new TypeError(
      `serviceWorker must be the URL of the SDK's service worker (default '/agora-sw.js') or false; got ${String(sw)}.`,
    );
  }
  return new Client(Array.isArray(url) ? (urls as string[]) : url, sw, policy);
}

function isUrl(s: string): boolean {
  try {
    new URL(s, location.href);
    return true;
  } catch {
    return false;
  }
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
  AgentError,
  AgoraError,
  checkSystemRequirements,
  Client,
  ClientEvent,
  ConnectionState,
  ErrorCode,
  FEATURE_USE,
  LogLevel,
  NetworkQuality,
  RecordingStatus,
  recordings,
  Stream,
  VERSION,
  VIDEO_PROFILES,
  WarningCode,
  startCallTest,
};
export type { ClientOptions, StreamSpec, CallTestOptions, CallTestResult, LogLevelName, RecordingState };
export type { RecordingEntry } from './recording/store.js';
export type { CallStats, LocalStats, RemoteStats } from './quality/stats.js';
export type { NetworkQualityEvent, WarningEvent } from './quality/monitor.js';
export type { NetworkQualityScore, UserQuality } from './quality/network.js';
export type { ConnectionStateChangeEvent } from './quality/connection.js';
export type { Feature, SystemRequirements } from './agent/requirements.js';
export type { ServiceWorkerOption } from './agent/agent.js';
export type { ClientEvents } from './client/events.js';
export type { MessageEvent } from './collab/chat.js';
export type {
  Whiteboard,
  WhiteboardItem,
  Tool,
  LiveStroke,
  StyleOptions,
  WhiteboardEvents,
} from './collab/whiteboard/whiteboard.js';
export type { VideoProfile } from './media/profiles.js';

/** The manual's top-level AgoraRTC object. */
const AgoraRTC = {
  createRtcClient,
  createStream,
  checkSystemRequirements,
  VERSION,
  ErrorCode,
  WarningCode,
  VIDEO_PROFILES,
  AgoraError,
  AgentError,
  ClientEvent,
  RecordingStatus,
  /** The recordings stored in this browser: list, get, remove, download, recover. */
  recordings,
  ConnectionState,
  NetworkQuality,
  LogLevel,
  setLogLevel,
  exportLog,
  startCallTest,
};

export default AgoraRTC;
