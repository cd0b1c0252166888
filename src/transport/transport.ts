// How media travels between the members of a channel, seen from the Client: one interface, so that the Client,
// stats, encryption and recording never know whether links go peer to peer (mesh.ts) or through an SFU.
import type { FrameCrypto } from '../crypto/attach.js';
import type { VideoProfile } from '../media/profiles.js';

export type MediaKind = 'audio' | 'video';

/** What a transport asks of the Client that owns it. */
export interface TransportHooks {
  /** Relay a transport message to another member of the channel through the signaling server. */
  send(to: number, data: unknown): void;
  /** A remote user's track arrived (first negotiation or a renegotiation). */
  onTrack(uid: number, track: MediaStreamTrack): void;
  /** The media link with a remote user closed (it may be replaced). */
  onLinkClosed(uid: number): void;
  /** The media link with a remote user connected (ICE + DTLS up). */
  onLinkConnected?(uid: number): void;
  /** The height (device pixels) a remote user's video is shown at, 0 when not shown: an SFU sends the layer that fits. */
  renderedHeight?(uid: number): number;
  /** Media encryption: every sender and receiver gets its encoded transform before negotiation. */
  crypto?: FrameCrypto;
  /** STUN/TURN for the links, and where to report a link that can gather no usable candidate. */
  ice?: TransportIce;
}

/** Why a link cannot get a path: the relay server refused our credential, or no candidate was gathered at all. */
export interface IceProblem {
  kind: 'rejected' | 'no-candidate';
  /** The STUN/TURN URL that answered with an error (for 'rejected'). */
  url?: string;
  /** The STUN error code (401 wrong or expired credential, 403 forbidden address). */
  errorCode?: number;
  errorText?: string;
}

export interface TransportIce {
  /** Read each time a link is made: TURN credentials are renewed during a stay. */
  config(): Pick<RTCConfiguration, 'iceServers' | 'iceTransportPolicy'>;
  /** At most once per link. */
  onProblem(uid: number, problem: IceProblem): void;
}

export interface MediaTransport {
  /** A member of the channel to exchange media with; `offerer`: we were in the channel first. */
  addPeer(uid: number, offerer: boolean): void;
  /** The member left. */
  removePeer(uid: number): void;
  /** Whether media with that member currently flows. */
  isConnected(uid: number): boolean;
  /** A transport message relayed from another member (untrusted: validated before use). */
  signal(from: number, data: unknown): void;
  /** Ask a remote publisher to send us its media, or stop. */
  subscribe(uid: number, on: boolean): void;
  /** Start sending these tracks to subscribers. */
  publish(tracks: Partial<Record<MediaKind, MediaStreamTrack | null>>, profile: VideoProfile): void;
  unpublish(): void;
  /** Our track of one kind changed (camera off/on, device or screen switch): no renegotiation. */
  setTrack(kind: MediaKind, track: MediaStreamTrack | null): void;
  setProfile(profile: VideoProfile): void;
  /**
   * WebRTC statistics per remote user: the report holding what we receive from that user and what we send it
   * (an SFU transport reports its one upload under every user).
   */
  stats(): Promise<Map<number, RTCStatsReport>>;
  /** The open peer connections by remote uid (an SFU transport: its upload under our uid, its download under 0). */
  connections(): Map<number, RTCPeerConnection>;
  close(): void;
}

/**
 * Renewed ICE servers (fresh TURN credentials) for the links already open, not only for the next ones: an ICE
 * restart, or a relay allocation the browser makes again, then authenticates with a credential that has not
 * expired. Links opened later read {@link TransportIce.config} anyway.
 */
export function renewIceServers(transport: MediaTransport, iceServers: RTCIceServer[]): void {
  for (const pc of transport.connections().values()) {
    if (pc.connectionState === 'closed') continue;
    try {
      pc.setConfiguration({ ...pc.getConfiguration(), iceServers });
    } catch (e) {
      // Only a closed connection or a changed fixed field refuses; the link keeps its old servers then.
      console.warn('agora-rtc-web: could not renew the ICE servers of a link', e);
    }
  }
}
