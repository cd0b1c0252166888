import type { DeviceInfo } from '../media/devices.js';
import type { RecordingState } from '../recording/controller.js';
import type { ConnectionStateChangeEvent } from '../quality/connection.js';
import type { NetworkQualityEvent, WarningEvent } from '../quality/monitor.js';
import type { Stream } from '../stream/stream.js';
import type { MessageEvent } from '../collab/chat.js';

/** Names of the Client's events (the manual's, plus stream-removed and the key-expiry warning). */
export const ClientEvent = {
  STREAM_ADDED: 'stream-added',
  STREAM_REMOVED: 'stream-removed',
  STREAM_SUBSCRIBED: 'stream-subscribed',
  PEER_JOIN: 'peer-join',
  PEER_LEAVE: 'peer-leave',
  PEER_MUTE_AUDIO: 'peer-mute-audio',
  PEER_MUTE_VIDEO: 'peer-mute-video',
  PEER_SCREEN: 'peer-screen',
  ERROR: 'error',
  CHANNEL_KEY_WILL_EXPIRE: 'channel-key-will-expire',
  CRYPT_ERROR: 'crypt-error',
  DEVICE_CHANGED: 'device-changed',
  SCREEN_SHARING_STOPPED: 'screen-sharing-stopped',
  RECORDING_STATE_CHANGE: 'recording-state-change',
  NETWORK_QUALITY: 'network-quality',
  CONNECTION_STATE_CHANGE: 'connection-state-change',
  WARNING: 'warning',
  MESSAGE: 'message',
  WHITEBOARD_UPDATE: 'whiteboard-update',
} as const;

/** What each Client event carries; field names are the ones the manual's examples read. */
export interface ClientEvents {
  /** A remote user published a stream: subscribe to it to receive it. */
  'stream-added': { type: 'stream-added'; stream: Stream };
  /** A remote user unpublished its stream. */
  'stream-removed': { type: 'stream-removed'; stream: Stream };
  /** A subscribed remote stream is ready: play it. */
  'stream-subscribed': { type: 'stream-subscribed'; stream: Stream };
  /**
   * A remote user is in the channel: one joined, or was there when this client joined (beyond the manual,
   * which announces only published streams). `name` is its display name ('' for none; show it as text).
   */
  'peer-join': { type: 'peer-join'; uid: number; name: string };
  /** A remote user left the channel (called leave, closed the page, or vanished). */
  'peer-leave': { type: 'peer-leave'; uid: number; stream?: Stream };
  /** A remote user stopped (muted: true) or resumed (false) sending audio. */
  'peer-mute-audio': { type: 'peer-mute-audio'; msg: { uid: number; muted: boolean } };
  /** A remote user stopped (muted: true) or resumed (false) sending video. */
  'peer-mute-video': { type: 'peer-mute-video'; msg: { uid: number; muted: boolean } };
  /**
   * A remote user's video became a shared screen (sharing: true) or went back to the camera (false). Beyond
   * the manual; layouts use it to show a screen large.
   */
  'peer-screen': { type: 'peer-screen'; msg: { uid: number; sharing: boolean } };
  /**
   * The connection to the server was interrupted (`msg.reason === 'CONNECTION_INTERRUPTED'`, the SDK is
   * reconnecting), lost (`'CONNECTION_LOST'`: no success for 10 s; retries go on until leave), or the stay
   * ended (`'ERR_CHANNEL_KEY_EXPIRED'`).
   */
  error: { type: 'error'; msg: { reason: string; code: number; message: string } };
  /**
   * Encrypted media from (`direction: 'recv'`) or to (`'send'`) a user could not be processed and was dropped:
   * usually a different secret or mode on the two sides (`reason: 'auth-failed'`, `'mode-mismatch'`,
   * `'not-encrypted'`; `'content-unreadable'`: a chat message or whiteboard update sealed with another secret, or not
   * sealed at all). At most once a second per user and direction.
   */
  'crypt-error': { type: 'crypt-error'; uid: number; direction: 'send' | 'recv'; reason: string };
  /** The Channel Key's service expiry is about 30 s away: call renewChannelKey with a fresh key. */
  'channel-key-will-expire': { type: 'channel-key-will-expire'; expiresAt: number };
  /** A camera, microphone or speaker was plugged in or out: `devices` is the new getDevices list. */
  'device-changed': { type: 'device-changed'; devices: DeviceInfo[] };
  /**
   * Screen sharing ended without stopScreenSharing: the user pressed the browser's "stop sharing", the shared
   * window closed, video was disabled, or the stream closed. The camera is back (unless it was disabled).
   */
  'screen-sharing-stopped': { type: 'screen-sharing-stopped' };
  /**
   * The channel started (`status: 1`, by `uid` since `startedAt`) or stopped (`status: 0`, `uid`/`startedAt` of
   * the recording that ended) being recorded. Every member gets it, the recorder too; a member joining a recorded
   * channel gets it right after join. `self`: this client is the recorder.
   */
  'recording-state-change': { type: 'recording-state-change' } & RecordingState;
  /**
   * Every 2 s in a channel: network-quality scores (0 unknown, 1 excellent … 5 very bad, 6 down), our own
   * (`uplinkNetworkQuality`, `downlinkNetworkQuality`) and per remote user (`users`). See docs/quality.md.
   */
  'network-quality': NetworkQualityEvent;
  /**
   * The connection to the server changed state (`curState`, `prevState`, `reason`). RECONNECTING comes with the
   * `error` event's CONNECTION_INTERRUPTED, and only with it.
   */
  'connection-state-change': ConnectionStateChangeEvent;
  /**
   * One of the manual's warning codes (`code`, `name`, `message`): informational, the SDK carries on. Beyond the
   * manual, `WARN_SERVICE_WORKER_UNAVAILABLE` (2001) during init: the SDK's service worker could not be registered
   * (file missing, page on another origin, the browser refused, another worker owns the scope); calls work, but
   * there is no offline start and no update check. `message` says why and what to do.
   */
  warning: WarningEvent;
  /**
   * A chat message of the channel (sendMessage), this client's own included, in the order the server received
   * them: `uid`, `name` (the sender's display name, '' for none), `text` (plain text: show it as text) and `ts`
   * (Unix ms, server time). Right after join, what was said before arrives the same way, marked `history: true`
   * (also in getMessages()).
   */
  message: MessageEvent;
  /**
   * The channel's whiteboard changed: member `uid` drew, erased or cleared something (0: the board already had
   * content when this client joined; told once, at join). It fires whether or not the whiteboard is open, so an
   * app can show activity, or open the whiteboard (`openWhiteboard`, which downloads its code) only once there is
   * something on it. A live stroke fires it about 40 times a second; once open, the whiteboard's own `change`
   * event says what changed.
   */
  'whiteboard-update': { type: 'whiteboard-update'; uid: number };
}
