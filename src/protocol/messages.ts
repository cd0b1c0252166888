/**
 * Wire messages between the SDK and the signaling server: JSON text frames over the WebSocket at
 * `/agora-signal`. Requests carry a numeric `id`; the server answers each with `ok` or `err` carrying the same
 * `id`. Everything else the server sends is a push. Media never passes through the server.
 *
 * Sequence: hello (App ID check) → join (channel, uid, key) → state / relay … → leave. After a reconnect the
 * SDK sends hello and join again with the `session` it was given, so the server can put the same user back
 * without the others seeing a leave and a join.
 */
import type { SfuPush, SfuRequest } from './sfu.js';

/** What a member of a channel tells the others about its published stream. */
export interface PeerState {
  /** The member has a published stream. */
  published: boolean;
  /** The published stream's audio is disabled (disableAudio). */
  audioMuted: boolean;
  /** The published stream's video is disabled (disableVideo). */
  videoMuted: boolean;
  /** The published video is a shared screen (startScreenSharing); absent = false. */
  screen?: boolean;
}

export interface PeerInfo extends PeerState {
  uid: number;
  /** The member's display name (at most 64 characters, plain text); absent when it gave none. */
  name?: string;
}

// ---- SDK → server ----

export interface HelloRequest {
  t: 'hello';
  id: number;
  appId: string;
  /** SDK version, for the logs. */
  sdk: string;
}

export interface JoinRequest {
  t: 'join';
  id: number;
  channel: string;
  /** 0 = let the server assign one. */
  uid: number;
  /** Channel Key, or null for a static App ID. */
  key: string | null;
  /** Given by the server at the first join; sent again to rejoin after a reconnect. */
  session?: string;
  state: PeerState;
  /** Display name shown to the others (at most 64 characters, plain text); omitted or '' for none. */
  name?: string;
}

export interface LeaveRequest {
  t: 'leave';
  id: number;
}

/** Replace the Channel Key of the current stay (renewChannelKey). */
export interface RenewRequest {
  t: 'renew';
  id: number;
  key: string;
}

/**
 * Check a Recording Key (service type ARS) for this member's own app, channel and uid: what the recording
 * feature asks before it records. ok → result `{ expiresAt }`; err → 110 / 109 with the reason.
 */
export interface RecordingKeyRequest {
  t: 'recording-key';
  id: number;
  key: string;
}

/**
 * Start recording the channel with a Recording Key (checked as for `recording-key`). One recorder per channel at
 * a time: a second gets ERR_ALREADY_IN_USE naming the recorder. ok → result `{ recording }`; everyone in the
 * channel (the recorder included) gets a `recording` push.
 */
export interface RecordingStartRequest {
  t: 'recording-start';
  id: number;
  key: string;
}

/** Stop the recording this member started, with the key it started with; everyone gets a `recording` push. */
export interface RecordingStopRequest {
  t: 'recording-stop';
  id: number;
  key: string;
}

/**
 * A call-quality rating (client.rate) or complaint (client.complain), with the call's identifiers and last
 * statistics. ok → stored; err → 4 (the server collects none) or 2 (a field is wrong).
 */
export interface FeedbackRequest {
  t: 'feedback';
  id: number;
  kind: 'rating' | 'complaint';
  callId: string;
  channel: string;
  uid: number;
  /** Ratings: 1 (worst) to 5 (best). */
  score?: number;
  description: string;
  /** The last getStats() result, or null. */
  stats: unknown;
  /** Complaints: the tail of AgoraRTC.exportLog(). */
  log?: string;
}

/**
 * Send a chat message to everyone in the channel (the sender too). The server stamps it with the sender's uid and
 * name, the time and a sequence number, keeps the channel's last messages for late joiners, and answers
 * ok → result `{ message }`; err → 2 (empty, too long, not a string), 12 (too often), 7 (not in a channel).
 * In an encrypted channel `text` is ciphertext (see src/collab/seal.ts).
 */
export interface ChatRequest {
  t: 'chat';
  id: number;
  text: string;
}

/**
 * A yjs update of the channel's shared document (the whiteboard), base64. No reply; the server merges it into the
 * channel's document and passes it on to the other members as a `doc` push. A refused update gets an `err`
 * without id (2 malformed or too large, 12 too often).
 */
export interface DocMessage {
  t: 'doc';
  update: string;
  /** The update is AES-GCM ciphertext (encrypted channel): the server keeps it as it is instead of merging. */
  sealed?: boolean;
}

/**
 * An encrypted channel's document, compacted: the member the server asked (a `doc-compact` push) sends its whole
 * document sealed; the server replaces every stored sealed update up to `upto` with it. A snapshot larger than one
 * frame comes as `parts` messages, `part` 0, 1… in order (each sealed on its own, marked as a part inside the
 * ciphertext); the server replaces once it has the last. No reply; a refused one gets an `err` without id (2: not
 * asked, too large, out of order).
 */
export interface DocCompactMessage {
  t: 'doc-compact';
  upto: number;
  update: string;
  /** This part's index (default 0). */
  part?: number;
  /** How many parts (default 1). */
  parts?: number;
}

/** Publish/mute state changed; the server broadcasts it as `peer-state`. No reply. */
export interface StateMessage {
  t: 'state';
  state: PeerState;
}

/** Opaque payload for one other member of the same channel (WebRTC offers/answers/candidates, subscriptions). */
export interface RelayMessage {
  t: 'relay';
  to: number;
  data: unknown;
}

/** Keep-alive; the server answers `pong`. */
export interface PingMessage {
  t: 'ping';
}

export type ClientMessage =
  | HelloRequest
  | JoinRequest
  | LeaveRequest
  | RenewRequest
  | RecordingStartRequest
  | RecordingStopRequest
  | FeedbackRequest
  | ChatRequest
  | StateMessage
  | RelayMessage
  | SfuRequest
  | DocMessage
  | DocCompactMessage
  | PingMessage;

// ---- server → SDK ----

/** Who records the channel and since when (Unix milliseconds). */
export interface RecordingInfo {
  uid: number;
  startedAt: number;
}

/** One ICE server as RTCPeerConnection takes it (TURN entries carry coturn REST credentials). */
export interface IceServerInfo {
  urls: string[];
  username?: string;
  credential?: string;
}

/** The ICE servers a member's media links use, and when their TURN credential ends (Unix seconds, 0 = never). */
export interface IceGrant {
  iceServers: IceServerInfo[];
  expiresAt: number;
}

export interface JoinResult {
  uid: number;
  session: string;
  /** The other members, in join order. */
  peers: PeerInfo[];
  /** Unix seconds when the stay ends (Channel Key service expiry), 0 = none. */
  expiresAt: number;
  /** The channel's recording in progress, if any: a late joiner learns it is recorded. */
  recording?: RecordingInfo | null;
  /** 'sfu': the channel's media goes through the SFU (src/protocol/sfu.ts); absent: the mesh. */
  media?: 'sfu';
  /** STUN/TURN servers for the media links; absent when the server has none configured. */
  ice?: IceGrant;
  /** The channel's chat history, oldest first (the last 500 by default). */
  chat?: ChatMessage[];
  /** The channel's shared document as one yjs update (base64); absent while nobody has written to it. */
  doc?: string;
  /**
   * An encrypted channel's document: its sealed updates in order (base64 ciphertexts), the first possibly a member's
   * sealed snapshot of all before it (`doc-compact`).
   */
  sealedDoc?: string[];
}

/** A chat message as the server stamped it. `text` is plain text (ciphertext in an encrypted channel). */
export interface ChatMessage {
  /** Position in the channel's chat, from 1, in the order the server received the messages. */
  seq: number;
  uid: number;
  /** The sender's display name at the time ('' for none). */
  name: string;
  text: string;
  /** Unix milliseconds, the server's clock. */
  ts: number;
}

/**
 * The answer to hello. `sfu`: this server can move channels to an SFU, so the SDK fetches its SFU code at join;
 * without it a join downloads none of it.
 */
export interface HelloResult {
  sfu?: true;
}

export interface OkReply {
  t: 'ok';
  id: number;
  /** Present for hello, join (and renew, with only expiresAt meaningful) and chat. */
  result?:
    HelloResult | JoinResult | { expiresAt: number; recording?: RecordingInfo } | { message: ChatMessage };
}

export interface ErrReply {
  t: 'err';
  /** The request this answers; absent for an error not tied to a request (bad frame, unknown type). */
  id?: number;
  /** The manual's error code. */
  code: number;
  /** The manual's constant name, e.g. ERR_INVALID_CHANNEL_NAME. */
  name: string;
  message: string;
}

export interface PeerJoinPush {
  t: 'peer-join';
  peer: PeerInfo;
}

export interface PeerStatePush {
  t: 'peer-state';
  peer: PeerInfo;
}

export interface PeerLeavePush {
  t: 'peer-leave';
  uid: number;
}

export interface RelayPush {
  t: 'relay';
  from: number;
  data: unknown;
}

/** The server ended this member's stay (e.g. service expiry); the member is no longer in the channel. */
export interface KickPush {
  t: 'kick';
  code: number;
  name: string;
  message: string;
}

/** The stay ends soon (Channel Key service expiry); renew the key to extend it. */
export interface ExpiringPush {
  t: 'expiring';
  expiresAt: number;
}

/** The channel's recording started (`recording` set) or ended (null, `ended` the one that ended). */
export interface RecordingPush {
  t: 'recording';
  recording: RecordingInfo | null;
  ended?: RecordingInfo;
}

/** Fresh ICE servers (new TURN credentials) before the last ones expire; links opened from now on use them. */
export interface IcePush {
  t: 'ice';
  ice: IceGrant;
}

/**
 * The server is going away (draining for a restart or a scale-down): reconnect now, to another node of the list or
 * behind the load balancer, and rejoin with the session. The socket closes right after.
 */
export interface ReconnectPush {
  t: 'reconnect';
  message: string;
}

/** A chat message of the channel (one's own included). */
export interface ChatPush {
  t: 'chat';
  message: ChatMessage;
}

/** Another member's update of the channel's shared document (base64 yjs update). */
export interface DocPush {
  t: 'doc';
  from: number;
  update: string;
  sealed?: boolean;
}

/**
 * The server asks this member to compact the channel's sealed document: every update up to `upto` has reached it,
 * and the server cannot merge ciphertext. Answered with a `doc-compact` message.
 */
export interface DocCompactPush {
  t: 'doc-compact';
  upto: number;
}

export interface PongMessage {
  t: 'pong';
}

export type ServerMessage =
  | OkReply
  | ErrReply
  | PeerJoinPush
  | PeerStatePush
  | PeerLeavePush
  | RelayPush
  | KickPush
  | ExpiringPush
  | RecordingPush
  | SfuPush
  | IcePush
  | ReconnectPush
  | ChatPush
  | DocPush
  | DocCompactPush
  | PongMessage;

/** Largest frame either side accepts; SDP with many candidates stays well below. */
export const MAX_FRAME_BYTES = 64 * 1024;

/**
 * The server's default limits on a channel's document that the SDK sizes its sealed snapshots by: a part at most
 * (its base64, in JSON, stays inside one frame), and the whole document.
 */
export const DOC_COMPACT_BYTES = 46 * 1024;
export const DOC_MAX_BYTES = 8 * 1024 * 1024;

/** Path of the signaling WebSocket on the server. */
export const SIGNAL_PATH = '/agora-signal';

function isBool(v: unknown): v is boolean {
  return typeof v === 'boolean';
}

export function isPeerState(v: unknown): v is PeerState {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return (
    isBool(s.published) &&
    isBool(s.audioMuted) &&
    isBool(s.videoMuted) &&
    (s.screen === undefined || isBool(s.screen))
  );
}
