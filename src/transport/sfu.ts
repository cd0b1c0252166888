// Media through an SFU (Janus VideoRoom), behind the same MediaTransport as the mesh: one upload whatever the
// channel's size, and one receiving connection that carries every subscribed user's media.
//
// - The SDK never talks to Janus's API: publish/subscribe negotiation goes as `sfu` requests over the signaling
//   link, and the server (server/sfu/) holds the Janus handles. Only the media goes browser ↔ Janus.
// - Publishing opens a sendonly connection with an audio and a video transceiver (a missing track stays an
//   empty sender, so switching camera or screen later is a replaceTrack, no renegotiation).
// - Receiving: the server asks Janus for the users we subscribed to; Janus's offer arrives as a push naming which
//   transceiver (mid) carries whose media, we answer, and each track is handed up under its user's uid. An
//   unsubscribed user is removed from the subscription, so Janus stops sending it to us.
// - Janus's candidates may come before its offer: they wait for the remote description.
import { encoderParameters, type VideoProfile } from '../media/profiles.js';
import { screenEncoding } from '../media/screen.js';
import { parseSfuPush, type CandidateInit, type SfuOp, type SfuPc, type SfuStream } from '../protocol/sfu.js';
import type { MediaKind as Kind, MediaTransport, TransportHooks } from './transport.js';

/** Sends one SFU request to the signaling server and resolves with its reply's result. */
export type SfuRequester = (op: SfuOp) => Promise<unknown>;

interface Publisher {
  pc: RTCPeerConnection;
  senders: Record<Kind, RTCRtpSender>;
  /** Our candidates wait until the server has made our publisher (it answers the offer). */
  answered: boolean;
  ours: Array<CandidateInit | null>;
  /** Janus's candidates that came before its answer. */
  theirs: Array<CandidateInit | null>;
  encoding?: string;
}

interface Local {
  tracks: Partial<Record<Kind, MediaStreamTrack | null>>;
  profile: VideoProfile;
}

export class Sfu implements MediaTransport {
  private readonly members = new Set<number>();
  /** The users we asked to receive (asked again after a restart). */
  private readonly subscribed = new Set<number>();
  private local: Local | null = null;
  private pub: Publisher | null = null;
  private sub: RTCPeerConnection | null = null;
  /** mid → whose media that transceiver of the receiving connection carries. */
  private streams = new Map<string, SfuStream>();
  /** Janus's candidates for the receiving connection before its first offer was applied. */
  private subCandidates: Array<CandidateInit | null> = [];
  /** Offers are applied one at a time, in order. */
  private subQueue: Promise<void> = Promise.resolve();
  private closed = false;
  /** The layer asked of each user's video. */
  private layers = new Map<number, 0 | 1 | 2>();
  private layerTimer: ReturnType<typeof setInterval> | null = null;

  constructor(
    readonly selfUid: number,
    private readonly hooks: TransportHooks,
    private readonly request: SfuRequester,
  ) {}

  addPeer(uid: number): void {
    this.members.add(uid);
  }

  removePeer(uid: number): void {
    this.members.delete(uid);
    this.subscribed.delete(uid);
  }

  isConnected(uid: number): boolean {
    const state = this.sub?.connectionState;
    if (state !== 'connected') return false;
    for (const s of this.streams.values()) if (s.uid === uid) return true;
    return false;
  }

  /** A push from the server (`from` 0); relays from members are not part of the SFU's protocol. */
  signal(from: number, data: unknown): void {
    if (this.closed || from !== 0) return;
    const msg = parseSfuPush(data);
    if (msg === null) return;
    if (msg.op === 'restart') this.restart();
    else if (msg.op === 'candidate') this.addRemoteCandidate(msg.pc, msg.candidate);
    else if (msg.op === 'offer') {
      const { jsep, streams } = msg;
      this.subQueue = this.subQueue.then(() => this.onOffer(jsep.sdp, streams)).catch(() => undefined);
    }
  }

  subscribe(uid: number, on: boolean): void {
    if (on) this.subscribed.add(uid);
    else this.subscribed.delete(uid);
    this.layers.delete(uid);
    if (on && !this.layerTimer && this.hooks.renderedHeight && !this.hooks.crypto) {
      this.layerTimer = setInterval(() => this.checkLayers(), LAYER_CHECK_MS);
    }
    this.request({ op: 'subscribe', uid, on, ...(this.hooks.crypto ? { e2ee: true } : {}) }).catch(
      () => undefined,
    );
  }

  publish(tracks: Partial<Record<Kind, MediaStreamTrack | null>>, profile: VideoProfile): void {
    this.unpublish();
    this.local = { tracks: { ...tracks }, profile };
    void this.startPublisher().catch(() => undefined);
  }

  unpublish(): void {
    if (!this.local) return;
    this.local = null;
    const pub = this.pub;
    this.pub = null;
    if (pub) {
      pub.pc.close();
      this.request({ op: 'unpublish' }).catch(() => undefined);
    }
  }

  setTrack(kind: Kind, track: MediaStreamTrack | null): void {
    if (!this.local) return;
    this.local.tracks[kind] = track;
    const sender = this.pub?.senders[kind];
    if (sender)
      void sender
        .replaceTrack(track)
        .then(() => this.applyEncoding())
        .catch(() => undefined);
  }

  setProfile(profile: VideoProfile): void {
    if (!this.local) return;
    this.local.profile = profile;
    this.applyEncoding();
  }

  async stats(): Promise<Map<number, RTCStatsReport>> {
    const [pub, sub] = await Promise.all([
      this.pub?.pc.getStats().catch(() => null) ?? null,
      this.sub?.getStats().catch(() => null) ?? null,
    ]);
    // One upload, reported under every user; each user's report holds what its transceivers received. Ids of the
    // receiving connection win where both name the same transport or candidate pair (the path media comes in on).
    const out = new Map<number, RTCStatsReport>();
    for (const uid of this.members) {
      const mids = new Set([...this.streams.values()].filter((s) => s.uid === uid).map((s) => s.mid));
      const merged = new Map<string, unknown>();
      pub?.forEach((r: { id: string }) => merged.set(r.id, r));
      sub?.forEach((r: { id: string; type: string; mid?: string }) => {
        if (r.type === 'inbound-rtp' && !(r.mid !== undefined && mids.has(r.mid))) return;
        merged.set(r.id, r);
      });
      if (merged.size) out.set(uid, merged as unknown as RTCStatsReport);
    }
    return out;
  }

  /** The RTCPeerConnections (publisher under our own uid, receiver under 0), for tests that inspect them. */
  connections(): Map<number, RTCPeerConnection> {
    const out = new Map<number, RTCPeerConnection>();
    if (this.pub) out.set(this.selfUid, this.pub.pc);
    if (this.sub) out.set(0, this.sub);
    return out;
  }

  close(): void {
    this.closed = true;
    if (this.layerTimer) clearInterval(this.layerTimer);
    this.pub?.pc.close();
    this.pub = null;
    this.local = null;
    this.sub?.close();
    this.sub = null;
    this.streams.clear();
    this.members.clear();
  }

  /** Asks for the layer that fits each subscribed video's rendered size (not shown: the smallest). */
  private checkLayers(): void {
    for (const uid of this.subscribed) {
      const layer = layerFor(this.hooks.renderedHeight?.(uid) ?? 0);
      if (this.layers.get(uid) === layer) continue;
      this.layers.set(uid, layer);
      this.request({ op: 'layer', uid, layer }).catch(() => this.layers.delete(uid));
    }
  }

  /**
   * The Janus we used is gone and the server has forgotten its room: publish and subscribe again from scratch
   * (the server makes the room on another Janus); the new tracks replace the dead ones in the users' streams.
   */
  private restart(): void {
    this.pub?.pc.close();
    this.pub = null;
    this.sub?.close();
    this.sub = null;
    this.streams.clear();
    this.subCandidates = [];
    this.subQueue = Promise.resolve();
    this.layers.clear();
    if (this.local) void this.startPublisher().catch(() => undefined);
    for (const uid of this.subscribed) this.subscribe(uid, true);
  }

  private newConnection(): RTCPeerConnection {
    const crypto = this.hooks.crypto;
    // The same STUN/TURN servers as the mesh (Janus may sit behind TURN too).
    const config = {
      ...(this.hooks.ice?.config() ?? {}),
      ...(crypto?.needsEncodedInsertableStreams() ? { encodedInsertableStreams: true } : {}),
    };
    return new RTCPeerConnection(config as RTCConfiguration);
  }

  private async startPublisher(): Promise<void> {
    const local = this.local;
    if (!local || this.closed) return;
    const pc = this.newConnection();
    const stream = new MediaStream();
    const audio = pc.addTransceiver(local.tracks.audio ?? 'audio', {
      direction: 'sendonly',
      streams: [stream],
    });
    // VP8 simulcast: Janus sends each receiver the layer that fits the size it shows the video at. Not with
    // encryption: Janus then cannot see which frames are key frames, which it needs to switch layers (measured:
    // nothing decoded), so encrypted calls send one layer.
    const video = pc.addTransceiver(local.tracks.video ?? 'video', {
      direction: 'sendonly',
      streams: [stream],
      ...(this.hooks.crypto
        ? {}
        : { sendEncodings: LAYERS.map(({ rid, scale }) => ({ rid, scaleResolutionDownBy: scale })) }),
    });
    const crypto = this.hooks.crypto;
    if (crypto) {
      crypto.attachTransceiver(audio, 'audio', this.selfUid);
      crypto.attachTransceiver(video, 'video', this.selfUid);
    }
    const pub: Publisher = {
      pc,
      senders: { audio: audio.sender, video: video.sender },
      answered: false,
      ours: [],
      theirs: [],
    };
    this.pub = pub;
    pc.addEventListener('icecandidate', (e) => {
      const c = e.candidate ? candidateInit(e.candidate) : null;
      if (pub.answered) this.sendCandidate('pub', c);
      else pub.ours.push(c);
    });
    pc.addEventListener('connectionstatechange', () => {
      if (pc.connectionState === 'connected') this.applyEncoding();
    });
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    const jsep = { type: 'offer' as const, sdp: offer.sdp ?? '', ...(crypto ? { e2ee: true } : {}) };
    const r = (await this.request({ op: 'publish', jsep })) as {
      jsep?: { type: string; sdp: string };
    };
    if (this.pub !== pub || !r?.jsep || r.jsep.type !== 'answer') return;
    await pc.setRemoteDescription({ type: 'answer', sdp: r.jsep.sdp });
    pub.answered = true;
    for (const c of pub.ours.splice(0)) this.sendCandidate('pub', c);
    for (const c of pub.theirs.splice(0)) await addCandidate(pc, c);
    this.applyEncoding();
  }

  private sendCandidate(pc: SfuPc, candidate: CandidateInit | null): void {
    this.request({ op: 'trickle', pc, candidate }).catch(() => undefined);
  }

  private addRemoteCandidate(which: SfuPc, c: CandidateInit | null): void {
    if (which === 'pub') {
      const pub = this.pub;
      if (!pub) return;
      if (pub.answered) void addCandidate(pub.pc, c);
      else pub.theirs.push(c);
      return;
    }
    const sub = this.sub;
    if (sub?.remoteDescription) void addCandidate(sub, c);
    else if (this.subCandidates.length < 64) this.subCandidates.push(c);
  }

  private ensureReceiver(): RTCPeerConnection {
    if (this.sub) return this.sub;
    const pc = this.newConnection();
    this.sub = pc;
    pc.addEventListener('icecandidate', (e) =>
      this.sendCandidate('sub', e.candidate ? candidateInit(e.candidate) : null),
    );
    pc.addEventListener('track', (e) => {
      const s = e.transceiver.mid === null ? undefined : this.streams.get(e.transceiver.mid);
      if (!s) return;
      this.hooks.crypto?.attachReceiver(e.receiver, s.kind, s.uid);
      if (this.members.has(s.uid)) this.hooks.onTrack(s.uid, e.track);
    });
    pc.addEventListener('connectionstatechange', () => {
      if (pc.connectionState !== 'connected') return;
      for (const uid of new Set([...this.streams.values()].map((s) => s.uid)))
        this.hooks.onLinkConnected?.(uid);
    });
    return pc;
  }

  private async onOffer(sdp: string, streams: SfuStream[]): Promise<void> {
    if (this.closed) return;
    const pc = this.ensureReceiver();
    this.streams = new Map(streams.map((s) => [s.mid, s]));
    await pc.setRemoteDescription({ type: 'offer', sdp });
    const crypto = this.hooks.crypto;
    if (crypto) {
      for (const t of pc.getTransceivers()) {
        const s = t.mid === null ? undefined : this.streams.get(t.mid);
        if (s) crypto.attachTransceiver(t, s.kind, s.uid);
      }
    }
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    for (const c of this.subCandidates.splice(0)) await addCandidate(pc, c);
    await this.request({ op: 'answer', jsep: { type: 'answer', sdp: answer.sdp ?? '' } });
  }

  private applyEncoding(): void {
    const local = this.local;
    const sender = this.pub?.senders.video;
    if (!local || !sender || !this.pub) return;
    const params = sender.getParameters();
    if (!params.encodings?.length) return;
    // Same choices as the mesh (see mesh.ts applyEncoding): the screen gets a bitrate for its size, the camera
    // its profile's, and resolution is kept under pressure; smaller layers get a share of it.
    const track = local.tracks.video;
    const screen = track?.contentHint === 'detail' || track?.contentHint === 'text';
    const want = screen ? screenEncoding(track!) : encoderParameters(local.profile);
    for (const enc of params.encodings) {
      const layer = LAYERS.find((l) => l.rid === enc.rid);
      enc.maxBitrate = Math.round(want.maxBitrate * (layer?.share ?? 1));
      enc.maxFramerate = want.maxFramerate;
    }
    const pub = this.pub;
    const key = `${want.maxBitrate}/${want.maxFramerate}`;
    if (pub.encoding === key) return;
    params.degradationPreference = 'maintain-resolution';
    sender.setParameters(params).then(
      () => (pub.encoding = key),
      () => undefined,
    );
  }
}

/** Simulcast layers, highest first (Janus's substream 2, 1, 0), with their share of the profile's bitrate. */
const LAYERS = [
  { rid: 'h', scale: 1, share: 1 },
  { rid: 'm', scale: 2, share: 0.3 },
  { rid: 'l', scale: 4, share: 0.1 },
] as const;

/** How often the rendered size of each received video is checked. */
const LAYER_CHECK_MS = 1_000;

/** The layer for a video shown this many device pixels high: ¼ size up to 160, ½ up to 320, else the full one. */
export function layerFor(height: number): 0 | 1 | 2 {
  return height <= 160 ? 0 : height <= 320 ? 1 : 2;
}

function candidateInit(c: RTCIceCandidate): CandidateInit {
  return { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex };
}

async function addCandidate(pc: RTCPeerConnection, c: CandidateInit | null): Promise<void> {
  try {
    await pc.addIceCandidate(c ?? undefined);
  } catch {
    // A candidate for a closed or finished connection.
  }
}
