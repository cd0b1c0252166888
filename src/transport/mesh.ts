// One WebRTC link per remote user (simple-peer). The only place that touches RTCPeerConnection.
//
// - Initiator: the member already in the channel offers to the one who joins after it (the server orders joins,
//   so each side knows its role: peers listed in our join result answer us, peer-join pushes we offer to).
//   Exactly one side ever offers on a link (no glare), and a publisher's offer to a newcomer already carries
//   its media, so the newcomer's first frame needs one round trip.
// - Publishing adds our tracks to every link (simple-peer renegotiates); unpublishing removes them.
// - A remote user receives our media only while it is subscribed: otherwise the sender carries no track and
//   costs no bandwidth. Subscribing swaps the track back in (replaceTrack, no renegotiation).
// - simple-peer has no ICE restart: a failed link, or one that has not connected in CONNECT_TIMEOUT_MS, is
//   replaced by a new one with a new link id.
// - The answerer cannot offer: tracks it adds wait for the offerer to add transceivers for them (simple-peer asks).
//   Under load that request was seen to get lost (a call where one side never sent media), so the mesh checks
//   that every track it sends ends up negotiated, and asks again when one does not.
// - What another member relays is untrusted: only a member of the channel gets a link, only an offer opens a new
//   link id, at most once every LINK_MIN_INTERVAL_MS per member (a faster one waits, latest offer wins), and
//   every signal is checked for shape and size and copied field by field before simple-peer sees it.
import SimplePeer from 'simple-peer';
import type { SignalData, Instance as PeerInstance } from 'simple-peer';
import { encoderParameters, type VideoProfile } from '../media/profiles.js';
import { screenEncoding } from '../media/screen.js';
import { parseMeshSignal } from './signal.js';
import type { IceProblem, MediaKind as Kind, MediaTransport, TransportHooks } from './transport.js';

export type { MeshSignal } from './signal.js';

interface LocalMedia {
  /** A fresh MediaStream per publish: simple-peer refuses to re-add a track to a stream it was removed from. */
  stream: MediaStream;
  tracks: Partial<Record<Kind, MediaStreamTrack | null>>;
  profile: VideoProfile;
}

interface Outgoing {
  sender: RTCRtpSender;
  /**
   * The track the sender should carry. replaceTrack is asynchronous and sender.track changes only when it
   * settles, so decisions compare against this, and calls are chained so the last one wins.
   */
  intended: MediaStreamTrack | null;
  chain: Promise<unknown>;
  /** The encoder settings last given to setParameters (browsers do not all report them back). */
  encoding?: string;
  /** The track simple-peer knows this sender by (it keys its bookkeeping on it). */
  added: MediaStreamTrack;
  stream: MediaStream;
}

class Link {
  readonly outgoing = new Map<Kind, Outgoing>();
  connected = false;
  /** Pending: replace the link if it has not connected (offerer), or check its senders are negotiated. */
  connectTimer?: ReturnType<typeof setTimeout>;
  negotiationCheck?: ReturnType<typeof setTimeout>;
  /** Transceiver requests this answerer repeated since its senders were last all negotiated. */
  asked = 0;
  constructor(
    readonly uid: number,
    readonly id: string,
    readonly initiator: boolean,
    readonly peer: PeerInstance,
  ) {}

  get pc(): RTCPeerConnection {
    return (this.peer as unknown as { _pc: RTCPeerConnection })._pc;
  }
}

const RETRY_MS = 1_000;
/** ICE that has not connected by then will not: the offerer starts over with a new link. */
const CONNECT_TIMEOUT_MS = 15_000;
/** How long the answerer waits, in a stable state, for a track it sends to be negotiated before asking again. */
const NEGOTIATION_CHECK_MS = 1_500;
const MAX_NEGOTIATION_ASKS = 5;
/** A remote member may open a new link with us at most this often (a failed link's replacement is slower). */
export const LINK_MIN_INTERVAL_MS = 2_000;
/** Signals kept for a link that waits for its turn (an offer and its first candidates). */
const MAX_WAITING_SIGNALS = 64;

interface WaitingLink {
  id: string;
  sigs: SignalData[];
  timer: ReturnType<typeof setTimeout>;
}

export class Mesh implements MediaTransport {
  private links = new Map<number, Link>();
  /** Members we should be linked to (the channel's other users), and whether we make the offers. */
  private members = new Map<number, boolean>();
  /** Remote users that subscribed to our stream. */
  private wants = new Map<number, boolean>();
  private local: LocalMedia | null = null;
  private retryTimers = new Map<number, ReturnType<typeof setTimeout>>();
  /** When each remote member last opened a link with us. */
  private linkOpenedAt = new Map<number, number>();
  /** An offer that came before its member's interval passed. */
  private waiting = new Map<number, WaitingLink>();
  private closed = false;

  constructor(
    readonly selfUid: number,
    private readonly hooks: TransportHooks,
  ) {}

  /**
   * A member of the channel: link to it. `offerer`: we were in the channel first, so we make the offer; a role
   * once given stays for the member's stay (rejoins after a reconnect keep it).
   */
  addPeer(uid: number, offerer: boolean): void {
    if (!this.members.has(uid)) this.members.set(uid, offerer);
    if (!this.links.has(uid) && this.members.get(uid)) this.createLink(uid, randomId(), true);
  }

  /** The member left: close its link and forget its subscription. */
  removePeer(uid: number): void {
    this.members.delete(uid);
    this.wants.delete(uid);
    clearTimeout(this.retryTimers.get(uid));
    this.retryTimers.delete(uid);
    clearTimeout(this.waiting.get(uid)?.timer);
    this.waiting.delete(uid);
    this.linkOpenedAt.delete(uid);
    const link = this.links.get(uid);
    this.links.delete(uid);
    link?.peer.destroy();
  }

  isConnected(uid: number): boolean {
    return this.links.get(uid)?.connected ?? false;
  }

  /** A relayed message from another member (untrusted: see the top of this file). */
  signal(from: number, data: unknown): void {
    if (this.closed || !this.members.has(from)) return;
    const msg = parseMeshSignal(data);
    if (msg === null) return;
    if (msg.k === 'sub') {
      this.wants.set(from, msg.on);
      const link = this.links.get(from);
      if (link) this.updateSenders(link);
      return;
    }
    const link = this.links.get(from);
    if (link && link.id === msg.link) {
      this.feed(link, msg.sig);
      return;
    }
    // We make the offers to this member: anything but our current link is an answer to a link we replaced.
    if (this.members.get(from)) return;
    const waiting = this.waiting.get(from);
    if (waiting && waiting.id === msg.link) {
      if (waiting.sigs.length < MAX_WAITING_SIGNALS) waiting.sigs.push(msg.sig);
      return;
    }
    // A new link id (first contact, or the offerer replacing a failed link) must start with an offer.
    if (msg.sig.type !== 'offer') return;
    const wait = (this.linkOpenedAt.get(from) ?? -Infinity) + LINK_MIN_INTERVAL_MS - Date.now();
    if (wait <= 0) {
      this.openRemoteLink(from, msg.link, [msg.sig]);
      return;
    }
    if (waiting) clearTimeout(waiting.timer);
    const next: WaitingLink = {
      id: msg.link,
      sigs: [msg.sig],
      timer: setTimeout(() => {
        if (this.waiting.get(from) !== next) return;
        this.waiting.delete(from);
        if (!this.closed && this.members.has(from)) this.openRemoteLink(from, next.id, next.sigs);
      }, wait),
    };
    this.waiting.set(from, next);
  }

  private openRemoteLink(from: number, id: string, sigs: SignalData[]): void {
    const old = this.links.get(from);
    if (old) this.dropLink(old);
    this.linkOpenedAt.set(from, Date.now());
    let link: Link;
    try {
      link = this.createLink(from, id, false);
    } catch {
      // The browser refused another RTCPeerConnection; the offerer retries with a new link.
      return;
    }
    for (const sig of sigs) this.feed(link, sig);
  }

  private feed(link: Link, sig: SignalData): void {
    try {
      link.peer.signal(sig);
      this.secure(link);
    } catch {
      // A destroyed peer throws; its close handler already dealt with it.
    }
  }

  /** Ask a remote publisher to send us its media (or stop). */
  subscribe(uid: number, on: boolean): void {
    this.hooks.send(uid, { k: 'sub', on });
  }

  /** Start sending our tracks on every link (to subscribers only). */
  publish(tracks: Partial<Record<Kind, MediaStreamTrack | null>>, profile: VideoProfile): void {
    this.unpublish();
    this.local = { stream: new MediaStream(), tracks: { ...tracks }, profile };
    for (const link of this.links.values()) this.attachLocal(link);
  }

  unpublish(): void {
    if (!this.local) return;
    for (const link of this.links.values()) {
      for (const [kind, out] of link.outgoing) {
        try {
          link.peer.removeTrack(out.added, out.stream);
        } catch {
          // Link already gone.
        }
        link.outgoing.delete(kind);
      }
    }
    this.local = null;
  }

  /** Our track of one kind changed (camera off/on, device or screen switch). */
  setTrack(kind: Kind, track: MediaStreamTrack | null): void {
    if (!this.local) return;
    this.local.tracks[kind] = track;
    for (const link of this.links.values()) {
      if (link.outgoing.has(kind)) this.updateSenders(link);
      else if (track) this.attachLocal(link);
    }
  }

  setProfile(profile: VideoProfile): void {
    if (!this.local) return;
    this.local.profile = profile;
    for (const link of this.links.values()) this.applyEncoding(link);
  }

  async stats(): Promise<Map<number, RTCStatsReport>> {
    const links = [...this.links.values()];
    const reports = await Promise.all(links.map((l) => l.pc.getStats().catch(() => null)));
    return new Map(
      links.flatMap((l, i) => (reports[i] ? [[l.uid, reports[i]] as [number, RTCStatsReport]] : [])),
    );
  }

  /** The RTCPeerConnections, for tests that inspect senders and encoders. */
  connections(): Map<number, RTCPeerConnection> {
    return new Map([...this.links].map(([uid, l]) => [uid, l.pc]));
  }

  close(): void {
    this.closed = true;
    for (const w of this.waiting.values()) clearTimeout(w.timer);
    this.waiting.clear();
    for (const uid of [...this.members.keys()]) this.removePeer(uid);
    for (const link of this.links.values()) link.peer.destroy();
    this.links.clear();
    this.local = null;
  }

  private createLink(uid: number, id: string, initiator: boolean): Link {
    const crypto = this.hooks.crypto;
    const config = {
      ...this.hooks.ice?.config(),
      ...(crypto?.needsEncodedInsertableStreams() ? { encodedInsertableStreams: true } : {}),
    };
    const peer = new SimplePeer({
      initiator,
      trickle: true,
      config: config as RTCConfiguration,
      ...(crypto ? { sdpTransform: longerAudioPackets } : {}),
    });
    const link = new Link(uid, id, initiator, peer);
    this.links.set(uid, link);
    this.watchIce(link);
    // Transceivers appear on addTrack, on a peer's transceiver request and on a remote offer; the last ones are
    // secured here, before the answer is made.
    if (crypto) link.pc.addEventListener('signalingstatechange', () => this.secure(link));
    if (!initiator) link.pc.addEventListener('signalingstatechange', () => this.checkNegotiated(link));
    else
      link.connectTimer = setTimeout(() => {
        if (!link.connected) link.peer.destroy();
      }, CONNECT_TIMEOUT_MS);
    peer.on('signal', (sig: SignalData) => this.hooks.send(uid, { k: 'sig', link: id, sig }));
    peer.on('track', (track: MediaStreamTrack) => {
      this.secure(link);
      this.hooks.onTrack(uid, track);
    });
    peer.on('connect', () => {
      link.connected = true;
      clearTimeout(link.connectTimer);
      this.applyEncoding(link);
      this.hooks.onLinkConnected?.(uid);
    });
    peer.on('error', () => undefined); // 'close' follows
    peer.on('close', () => {
      clearTimeout(link.connectTimer);
      clearTimeout(link.negotiationCheck);
      if (this.links.get(uid) !== link) return;
      this.links.delete(uid);
      this.hooks.onLinkClosed(uid);
      if (initiator) this.scheduleRetry(uid);
    });
    if (this.local) this.attachLocal(link);
    return link;
  }

  /**
   * A wrong or expired TURN credential leaves ICE at "new" rather than "failed": coturn's 401 shows only as an
   * icecandidateerror, and gathering ends without a candidate when the policy is 'relay'. Both are reported.
   */
  private watchIce(link: Link): void {
    const ice = this.hooks.ice;
    if (!ice) return;
    const pc = link.pc;
    let candidates = 0;
    let reported = false;
    const report = (problem: IceProblem): void => {
      if (reported || this.links.get(link.uid) !== link) return;
      reported = true;
      ice.onProblem(link.uid, problem);
    };
    pc.addEventListener('icecandidate', (e) => {
      if (e.candidate?.candidate) candidates++;
    });
    pc.addEventListener('icecandidateerror', (e) => {
      const { errorCode, errorText, url } = e as RTCPeerConnectionIceErrorEvent;
      if (errorCode === 401 || errorCode === 403) report({ kind: 'rejected', url, errorCode, errorText });
    });
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete' && candidates === 0) report({ kind: 'no-candidate' });
    });
  }

  private dropLink(link: Link): void {
    this.links.delete(link.uid);
    link.peer.destroy();
  }

  private scheduleRetry(uid: number): void {
    if (this.closed || !this.members.has(uid) || this.retryTimers.has(uid)) return;
    this.retryTimers.set(
      uid,
      setTimeout(() => {
        this.retryTimers.delete(uid);
        if (this.closed || !this.members.has(uid) || this.links.has(uid)) return;
        try {
          this.createLink(uid, randomId(), true);
        } catch {
          // The browser refused another RTCPeerConnection for now: try again later.
          this.scheduleRetry(uid);
        }
      }, RETRY_MS),
    );
  }

  private attachLocal(link: Link): void {
    const local = this.local;
    if (!local) return;
    for (const kind of ['audio', 'video'] as const) {
      const track = local.tracks[kind];
      if (!track || link.outgoing.has(kind)) continue;
      try {
        link.peer.addTrack(track, local.stream);
      } catch {
        continue;
      }
      const sender = link.pc.getSenders().find((s) => s.track === track);
      if (!sender) continue;
      link.outgoing.set(kind, {
        sender,
        added: track,
        stream: local.stream,
        intended: track,
        chain: Promise.resolve(),
      });
    }
    this.secure(link);
    this.updateSenders(link);
    this.applyEncoding(link);
    this.checkNegotiated(link);
  }

  /** Answerer only: once stable, a sender still without a negotiated transceiver gets one asked for again. */
  private checkNegotiated(link: Link): void {
    if (link.initiator || link.negotiationCheck !== undefined) return;
    link.negotiationCheck = setTimeout(() => {
      link.negotiationCheck = undefined;
      if (this.links.get(link.uid) !== link) return;
      // Mid-negotiation: the next change to 'stable' checks again.
      if (link.pc.signalingState !== 'stable') return;
      const transceivers = link.pc.getTransceivers();
      const missing = [...link.outgoing.values()].filter((out) => {
        const t = transceivers.find((x) => x.sender === out.sender);
        return t && t.mid === null && t.currentDirection !== 'stopped';
      });
      if (missing.length === 0) link.asked = 0;
      if (missing.length === 0 || link.asked >= MAX_NEGOTIATION_ASKS) return;
      link.asked++;
      for (const out of missing) {
        try {
          link.peer.addTransceiver(out.added.kind, { direction: 'recvonly' });
        } catch {
          return; // destroyed meanwhile
        }
      }
      // Lost again, or never answered: look once more.
      this.checkNegotiated(link);
    }, NEGOTIATION_CHECK_MS);
  }

  /**
   * With encryption on, give every transceiver of the link its transforms before it is negotiated (Chromium
   * skips a receiver transform set only once media is announced on a pre-existing transceiver), and prefer VP8,
   * whose header the frame format leaves in clear (other packetizers read the whole frame).
   */
  private secure(link: Link): void {
    const crypto = this.hooks.crypto;
    if (!crypto) return;
    for (const t of link.pc.getTransceivers()) {
      const kind = t.receiver.track.kind as Kind;
      crypto.attachTransceiver(t, kind, link.uid);
      if (kind === 'video' && !t.currentDirection) preferVp8(t);
    }
  }

  /** Each sender carries our current track only while that user is subscribed. */
  private updateSenders(link: Link): void {
    const on = this.wants.get(link.uid) === true;
    for (const [kind, out] of link.outgoing) {
      const want = on ? (this.local?.tracks[kind] ?? null) : null;
      if (out.intended === want) continue;
      out.intended = want;
      out.chain = out.chain.then(() => out.sender.replaceTrack(want)).catch(() => undefined);
    }
  }

  private applyEncoding(link: Link): void {
    const local = this.local;
    const out = link.outgoing.get('video');
    if (!local || !out) return;
    const params = out.sender.getParameters();
    const enc = params.encodings?.[0];
    if (!enc) return; // not negotiated yet: applied again on connect
    // A shared screen (track.contentHint 'detail') gets a bitrate for its size; the camera profile's settings
    // come back with the camera. Under pressure, drop frames rather than resolution: text on a screen must stay
    // sharp, and the manual fixes a camera's encoded resolution to the profile's (编码分辨率仍然用 setVideoProfile
    // 指定的; with 'balanced', Chromium sent 480x270 for a 640x360 profile while its bandwidth estimate ramped up).
    const track = local.tracks.video;
    const screen = track?.contentHint === 'detail' || track?.contentHint === 'text';
    const want = screen ? screenEncoding(track!) : encoderParameters(local.profile);
    const pref = 'maintain-resolution';
    // Every setParameters reconfigures the encoder (a measured 50-200 ms stall before the first frame), so only
    // call it when something changes.
    if (
      enc.maxBitrate === want.maxBitrate &&
      enc.maxFramerate === want.maxFramerate &&
      params.degradationPreference === pref
    ) {
      return;
    }
    Object.assign(enc, want);
    params.degradationPreference = pref;
    void out.sender.setParameters(params).catch(() => undefined);
  }
}

/**
 * Every encoded frame of an encrypted call crosses to the crypto worker and back, whatever its size; at 20 ms
 * Opus packets audio makes most of those trips. Asking the other side for 60 ms packets (a=ptime, which sets
 * Chromium's Opus frame size) divides them by three, for 40 ms more audio latency.
 */
function longerAudioPackets(sdp: string): string {
  return sdp.replace(/(m=audio [^\r\n]*\r\n)/g, '$1a=ptime:60\r\n');
}

function preferVp8(t: RTCRtpTransceiver): void {
  const codecs = RTCRtpReceiver.getCapabilities?.('video')?.codecs;
  if (!codecs || !t.setCodecPreferences) return;
  const rank = (c: { mimeType: string }) => (c.mimeType.toLowerCase() === 'video/vp8' ? 0 : 1);
  try {
    t.setCodecPreferences([...codecs].sort((a, b) => rank(a) - rank(b)));
  } catch {
    // Preferences are a hint; VP8 is Chromium's default first choice anyway.
  }
}

function randomId(): string {
  return Math.random().toString(36).slice(2, 10);
}
