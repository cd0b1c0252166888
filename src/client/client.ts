import { AgoraError, assertType, isOptionalFn, safeCall, settle } from './errors.js';
import { assertCanCall, checkServiceWorker, type ServiceWorkerOption } from '../agent/agent.js';
import { assetUrl, classicPart, onDemand } from './assets.js';
import { Emitter } from './emitter.js';
import type { FrameCrypto } from '../crypto/attach.js';
import { parseMode } from '../crypto/modes.js';
import type { ClientEvents } from './events.js';
import { Mesh } from '../transport/mesh.js';
import { loadSfu } from '../transport/load.js';
import {
  renewIceServers,
  type IceProblem,
  type MediaTransport,
  type TransportHooks,
} from '../transport/transport.js';
import { listDevices, useDevice, type DeviceInfo } from '../media/devices.js';
import { captureScreen, windows, type WindowInfo } from '../media/screen.js';
import { ErrorCode, WarningCode, type ErrorName } from '../protocol/codes.js';
import { checkAppId, checkChannelName, checkDisplayName, checkUid } from '../protocol/validate.js';
import type {
  HelloResult,
  IceGrant,
  JoinResult,
  PeerInfo,
  PeerState,
  ServerMessage,
} from '../protocol/messages.js';
import { RecordingController, type RecordingState } from '../recording/controller.js';
import type { RecordingEntry } from '../recording/store.js';
import { SignalingLink } from '../signaling/link.js';
import { Stream, type StreamChange } from '../stream/stream.js';
import { ConnectionTracker, type ConnectionStateName } from '../quality/connection.js';
import {
  checkComplaintArgs,
  checkRateArgs,
  complaintBody,
  newCallId,
  ratingBody,
  type CallInfo,
  type FeedbackRequestBody,
} from '../quality/feedback.js';
import { log, registerSecret } from '../quality/log.js';
import { Quality } from '../quality/monitor.js';
import type { CallStats } from '../quality/stats.js';
import { VERSION } from '../version.js';
import { Chat, checkMessage, type MessageEvent } from '../collab/chat.js';
import { SharedDoc } from '../collab/doc.js';
import { ContentSeal } from '../collab/seal.js';
import type { Whiteboard } from '../collab/whiteboard/whiteboard.js';
import { loadWhiteboard } from '../collab/whiteboard/load.js';

/** createRtcClient's options. */
export interface ClientOptions {
  /**
   * WebSocket URL of the signaling server. Default: the origin the SDK bundle was loaded from, path
   * `/agora-signal`. A list names several nodes of one deployment: the SDK connects to the first that answers and,
   * when a node fails or drains, moves along the list (wrapping around), rejoining with its session.
   */
  signalingUrl?: string | string[];
  /**
   * `'relay'`: media goes only through the TURN servers the signaling server hands out, so users never learn each
   * other's IP addresses (and calls work through firewalls that block everything but the relay). Default `'all'`:
   * direct paths where possible, TURN as the fallback.
   */
  iceTransportPolicy?: 'all' | 'relay';
  /**
   * The SDK's service worker, which stands where the manual's AgoraWebAgent stood: version checks at init, the
   * SDK and pages kept for offline start. Default `/agora-sw.js` on the SDK's origin, registered when the page
   * shares that origin; `false` registers none. Calls work without it (init then raises a `warning`).
   */
  serviceWorker?: ServiceWorkerOption;
}

interface Remote {
  uid: number;
  /** Display name given at its join ('' = none). */
  name: string;
  state: PeerState;
  /** Present while the user has a published stream. */
  stream: Stream | null;
  subscribed: boolean;
  /** stream-subscribed was emitted for the current stream. */
  announced: boolean;
  /** An announcement is scheduled (see maybeAnnounce). */
  announcing?: boolean;
  /** Latest received track of each kind, to seed a new Stream object after a republish. */
  tracks: Partial<Record<'audio' | 'video', MediaStreamTrack>>;
}

type Fail = ((err: AgoraError) => void) | null | undefined;

const SUBSCRIBE_TIMEOUT_MS = 20_000;
/** How long a user missing from a restarted server's list is kept (as the manual's CONNECTION_LOST, 10 s) before peer-leave. */
const RETURN_GRACE_MS = 10_000;

/** Encryption code loads only for a client with a secret, so unencrypted calls do not download it. */
const loadCrypto = onDemand('encryption module', () =>
  __AGORA_CLASSIC__
    ? classicPart<typeof import('../crypto/attach.js')>('crypto')
    : import('../crypto/attach.js'),
);

/**
 * The manual's Client: joins a channel, publishes the local stream, subscribes to remote ones.
 *
 * @example
 * const client = AgoraRTC.createRtcClient();
 * client.init(appId, () => {
 *   client.join(null, '1024', 0, (uid) => log('client ' + uid + ' joined channel'));
 * }, (err) => log('client init failed', err));
 */
export class Client extends Emitter<ClientEvents> {
  private link: SignalingLink | null = null;
  private state: 'new' | 'initializing' | 'ready' | 'joining' | 'joined' | 'leaving' | 'closed' = 'new';
  private appId = '';
  private lifetimeFailure: Fail;
  private channel = '';
  private key: string | null = null;
  private uid = 0;
  private session: string | undefined;
  private transport: MediaTransport | null = null;
  /** The SFU transport's code (src/transport/load.ts), once fetched (needSfu); null before, or where it could not load. */
  private sfu: Awaited<ReturnType<typeof loadSfu>> | null = null;
  /** The server's hello said it has an SFU: its code is fetched at join. */
  private sfuOffered = false;
  /** The mesh → SFU move while it runs: it hears the other members' `handover` relays. */
  private handover: InstanceType<Awaited<ReturnType<typeof loadSfu>>['Handover']> | null = null;
  private remotes = new Map<number, Remote>();
  /** Users missing when we rejoined a restarted server, until they are back or RETURN_GRACE_MS passed. */
  private returning = new Map<number, ReturnType<typeof setTimeout>>();
  private published: Stream | null = null;
  private unwatchPublished: (() => void) | null = null;
  private subscribeWaiters = new Map<
    number,
    Array<{ resolve: () => void; reject: (e: AgoraError) => void }>
  >();
  private readonly connection = new ConnectionTracker((e) => {
    log.info(`connection ${e.prevState} → ${e.curState} (${e.reason})`);
    this.emit('connection-state-change', e);
  });
  private readonly quality = new Quality({
    transport: () => this.transport,
    uid: () => this.uid,
    users: () => [...this.remotes.keys()],
    sendingAudio: () => {
      const s = this.published;
      return (
        !!s && !s._muteState().audioMuted && s._media.getAudioTracks().some((t) => t.readyState === 'live')
      );
    },
    wanted: () => this.listenerCount('network-quality') + this.listenerCount('warning') > 0,
    onNetworkQuality: (e) => this.emit('network-quality', e),
    onWarning: (e) => this.emit('warning', e),
  });
  /** The current or last call, for getCallId, rate and complain. */
  private call: CallInfo | null = null;
  /** setEncryptionSecret / setEncryptionMode, kept until leave. */
  private encryption = { secret: '', mode: '' };
  /** setDisplayName: sent with each join, kept across leave. */
  private displayName = '';
  private frameCrypto: FrameCrypto | null = null;
  /** Screen sharing in progress (track null while the picker is open). */
  private screen: { stream: Stream; track: MediaStreamTrack | null } | null = null;
  private readonly onDeviceChange = () =>
    void listDevices().then((devices) => this.emit('device-changed', { type: 'device-changed', devices }));
  private readonly recording = new RecordingController({
    request: (msg) => {
      if (!this.link) throw new AgoraError('ERR_NOT_READY', 'Not connected to the server.');
      return this.link.request(msg);
    },
    info: () =>
      this.state === 'joined' ? { appId: this.appId, channel: this.channel, uid: this.uid } : null,
    sources: () => this.recordingSources(),
    onStateChange: (state) =>
      this.emit('recording-state-change', { type: 'recording-state-change', ...state }),
    onAbort: (err) => this.emitError('RECORDING_STOPPED', err.name, err.message),
  });
  /** Chat and whiteboard content key of an encrypted stay (src/collab/seal.ts). */
  private contentSeal: ContentSeal | null = null;
  private readonly chat = new Chat({
    request: (msg) => {
      if (!this.link) throw new AgoraError('ERR_NOT_READY', 'Not connected to the server.');
      return this.link.request(msg);
    },
    emit: (e) => this.emit('message', e),
    seal: () => this.contentSeal,
    onUnreadable: (uid) => this.contentUnreadable(uid),
  });
  private readonly sharedDoc = new SharedDoc({
    send: (msg) => this.link?.send(msg) ?? false,
    onUnreadable: (uid) => this.contentUnreadable(uid),
    onUpdate: (uid) => this.emit('whiteboard-update', { type: 'whiteboard-update', uid }),
    onHeldFull: () => void this.openWhiteboard().catch(() => undefined),
  });
  /** When each sender's unreadable chat or whiteboard content was last reported (at most once a second each). */
  private unreadableAt = new Map<number, number>();
  /** Made by the first openWhiteboard, once its code and yjs have loaded. */
  private board: Whiteboard | null = null;
  private opening: Promise<Whiteboard> | null = null;

  /**
   * Opens the channel's shared whiteboard (docs/whiteboard-and-chat.md) and resolves with it, holding everything
   * drawn in the channel so far. Its code (and yjs, ~35 KB gz together) is not in the SDK: the first call loads it,
   * so an app that never opens the whiteboard never downloads it. Until then the SDK keeps the channel's whiteboard
   * updates as they come (a `whiteboard-update` event tells of each) and applies them at open. Call it any time,
   * before join too; the whiteboard is usable between join and leave, and stays open for later stays. A failed
   * load rejects with ERR_LOAD_MEDIA_ENGINE (1001) and the next call tries again.
   *
   * @example
   * await client.join(null, 'room', 0);
   * const wb = await client.openWhiteboard();
   * const s = wb.beginStroke('pen', 10, 10);
   * s.add(50, 40); s.end();
   */
  openWhiteboard(): Promise<Whiteboard> {
    this.opening ??= loadWhiteboard().then(
      async ({ Whiteboard, YDocSink }) => {
        const sink = new YDocSink(this.sharedDoc);
        const board = (this.board = new Whiteboard(
          sink,
          () => this.uid,
          () => this.state === 'joined',
        ));
        await this.sharedDoc.open(sink);
        return board;
      },
      (e: unknown) => {
        this.opening = null;
        throw e;
      },
    );
    return this.opening;
  }

  /**
   * The channel's whiteboard, once `openWhiteboard()` has resolved (the same object); before that it fails with
   * ERR_NOT_READY, since its code is not loaded yet.
   *
   * @example
   * await client.openWhiteboard();
   * client.whiteboard.addText(10, 20, 'agenda');
   */
  get whiteboard(): Whiteboard {
    if (!this.board) throw new AgoraError('ERR_NOT_READY', 'Call await client.openWhiteboard() first.');
    return this.board;
  }
  /** A page that goes away leaves at once, so the others see peer-leave now rather than after a timeout. */
  private readonly onPageHide = () => {
    if (this.state === 'joined') void this.doLeave().catch(() => undefined);
  };

  /** STUN/TURN servers the server gave at join (renewed by `ice` pushes). */
  private ice: IceGrant | null = null;

  /** @internal Use AgoraRTC.createRtcClient. */
  constructor(
    private readonly signalingUrl: string | readonly string[],
    private readonly serviceWorker?: ServiceWorkerOption,
    private readonly iceTransportPolicy: 'all' | 'relay' = 'all',
  ) {
    super();
    globalThis.navigator?.mediaDevices?.addEventListener('devicechange', this.onDeviceChange);
  }

  /** The uid this client joined with (0 before join). */
  get currentUid(): number {
    return this.uid;
  }

  /**
   * Set the name the other members see for this user, sent with the next join (and kept for later joins):
   * at most 64 characters of plain text, '' for none. The others read it with getDisplayName(uid) or from
   * the peer-join event. Beyond the manual, which has only numeric uids.
   *
   * @example
   * client.setDisplayName('Ada');
   * client.join(null, '1024', 0);
   */
  setDisplayName(name: string): void {
    assertType(typeof name === 'string', 'setDisplayName(name) takes a string.');
    const bad = checkDisplayName(name);
    if (bad) throw new AgoraError('ERR_INVALID_ARGUMENT', bad);
    this.displayName = name;
  }

  /**
   * The display name of a member of the channel (or of this user, by its own uid): '' when it gave none or is
   * not in the channel. Show it as text, never as HTML.
   *
   * @example
   * client.on('stream-subscribed', (evt) => label(evt.stream.getId(), client.getDisplayName(evt.stream.getId())));
   */
  getDisplayName(uid: number): string {
    assertType(typeof uid === 'number', 'getDisplayName(uid) takes a uid number.');
    if (uid === this.uid && uid !== 0) return this.displayName;
    return this.remotes.get(uid)?.name ?? '';
  }

  /** The connection to the server (see the connection-state-change event). */
  get connectionState(): ConnectionStateName {
    return this.connection.state;
  }

  /**
   * Initialize the client with the App ID. onFailure also hears errors later in the client's life (e.g. the
   * Channel Key's service expiry, ERR_CHANNEL_KEY_EXPIRED).
   *
   * init also checks what the manual's SDK asked of its native agent (docs/browser-support.md): a browser that
   * lacks what calls need fails with `err.reason === 'CLOSE_BEFORE_OPEN'` (`err.missing`,
   * `err.agentInstallGuideUrl`) before any connection; a service worker of another SDK version controlling the
   * page fails with `'INCOMPATIBLE_WEBAGENT'` (`err.version`, `err.agentVersion`), and init called again succeeds
   * once the worker of this version has taken over. A service worker that cannot be registered only raises a
   * `warning` event.
   *
   * @example
   * client.init(appId, () => log('client initialized'), (err) => {
   *   if (err.reason === 'CLOSE_BEFORE_OPEN') location.href = err.agentInstallGuideUrl;
   *   else log('client init failed ', err);
   * });
   */
  init(appId: string, onSuccess?: (() => void) | null, onFailure?: Fail): Promise<void> {
    assertType(typeof appId === 'string', 'init(appId) takes the App ID as a string of 32 hex characters.');
    assertType(
      isOptionalFn(onSuccess) && isOptionalFn(onFailure),
      'init(appId, onSuccess?, onFailure?) takes functions.',
    );
    this.lifetimeFailure = onFailure;
    return settle(this.doInit(appId), onSuccess, onFailure);
  }

  private async doInit(appId: string): Promise<void> {
    this.assertNotClosed();
    if (this.state !== 'new')
      throw new AgoraError('ERR_ALREADY_IN_USE', 'This client is already initialized.');
    const bad = checkAppId(appId);
    if (bad) throw new AgoraError('ERR_INVALID_APP_ID', bad);
    assertCanCall();
    this.state = 'initializing';
    this.appId = appId;
    try {
      // The worker's checks and the connection run side by side; INCOMPATIBLE_WEBAGENT closes the link again.
      const [warning] = await Promise.all([checkServiceWorker(this.serviceWorker), this.connect()]);
      if (warning) {
        console.warn(`[agora-rtc] ${warning}`);
        const name = 'WARN_SERVICE_WORKER_UNAVAILABLE';
        this.emit('warning', { type: 'warning', code: WarningCode[name], name, message: warning });
      }
      this.state = 'ready';
    } catch (e) {
      this.state = 'new';
      this.link?.close();
      this.link = null;
      throw e;
    }
  }

  private async connect(): Promise<void> {
    this.link?.close();
    const link = new SignalingLink(this.signalingUrl, {
      onPush: (msg) => this.onPush(msg),
      onInterrupted: () => {
        this.connection.set('RECONNECTING', 'INTERRUPTED');
        this.emitError(
          'CONNECTION_INTERRUPTED',
          'ERR_CONNECTION_INTERRUPTED',
          'Connection to the server interrupted; reconnecting.',
        );
      },
      onLost: () =>
        this.emitError(
          'CONNECTION_LOST',
          'ERR_CONNECTION_LOST',
          'Connection to the server lost; still trying to reconnect.',
        ),
      onReconnected: () => this.restore(),
    });
    this.link = link;
    this.connection.set('CONNECTING', 'CONNECT');
    try {
      await link.open();
      await this.hello(link);
      this.connection.set('CONNECTED', 'CONNECT');
    } catch (e) {
      this.connection.set('DISCONNECTED', 'CONNECT_FAILED');
      throw e;
    }
  }

  /**
   * Join a channel. `channelKey` is a Channel Key, or null (or the App ID) for an app in static-key mode.
   * uid 0 lets the server assign one; onSuccess receives the uid.
   *
   * @example
   * client.join(key, '1024', 0, (uid) => log('client ' + uid + ' joined channel'), (err) => log('join failed', err));
   */
  join(
    channelKey: string | null | undefined,
    channelName: string,
    uid: number,
    onSuccess?: ((uid: number) => void) | null,
    onFailure?: Fail,
  ): Promise<number> {
    assertType(
      channelKey === null || channelKey === undefined || typeof channelKey === 'string',
      'join(channelKey, …): channelKey must be a string or null.',
    );
    assertType(typeof channelName === 'string', 'join(…, channelName, …): channelName must be a string.');
    assertType(
      typeof uid === 'number',
      'join(…, uid, …): uid must be a number (0 to let the server assign one).',
    );
    assertType(
      isOptionalFn(onSuccess) && isOptionalFn(onFailure),
      'join(…, onSuccess?, onFailure?) takes functions.',
    );
    return settle(this.doJoin(channelKey ?? null, channelName, uid), onSuccess, onFailure);
  }

  private async doJoin(key: string | null, channel: string, uid: number): Promise<number> {
    this.assertInitialized();
    if (this.state !== 'ready') {
      throw new AgoraError(
        'ERR_JOIN_CHANNEL_REJECTED',
        `Already ${this.state === 'joining' ? 'joining' : 'in'} a channel: leave it first.`,
      );
    }
    const badChannel = checkChannelName(channel);
    if (badChannel) throw new AgoraError('ERR_INVALID_CHANNEL_NAME', badChannel);
    const badUid = checkUid(uid);
    if (badUid) throw new AgoraError('ERR_INVALID_ARGUMENT', badUid);
    this.state = 'joining';
    registerSecret(key);
    log.info('join', { channel, uid });
    try {
      if (!this.link?.connected) await this.connect();
      // The SFU transport loads beside encryption's start when the server has an SFU; the whiteboard's code only
      // at openWhiteboard.
      const sfuLoaded = this.sfuOffered ? this.needSfu() : null;
      await this.startEncryption();
      await sfuLoaded;
      if (this.encryption.secret)
        this.contentSeal = await ContentSeal.derive(this.encryption.secret, channel);
      const answered = this.quality.watchJoin();
      const result = await this.link!.request<JoinResult>({
        t: 'join',
        channel,
        uid,
        key,
        state: this.localState(),
        ...(this.displayName ? { name: this.displayName } : {}),
      }).finally(answered);
      if (result.media === 'sfu' && !(await this.needSfu())) {
        void this.link!.request({ t: 'leave' }).catch(() => undefined);
        throw new AgoraError(
          'ERR_LOAD_MEDIA_ENGINE',
          `This channel's media goes through the SFU, whose code (beside the SDK, ${assetUrl('')}) could not be loaded.`,
        );
      }
      if (this.state !== 'joining') throw new AgoraError('ERR_ABORTED', 'leave() was called while joining.');
      this.channel = channel;
      this.key = key;
      this.enterChannel(result);
      addEventListener('pagehide', this.onPageHide);
      log.info('joined', { channel, uid: result.uid });
      return result.uid;
    } catch (e) {
      log.warn('join failed', e);
      if (this.state === 'joining') this.state = 'ready';
      this.frameCrypto?.close();
      this.frameCrypto = null;
      throw e;
    }
  }

  private enterChannel(result: JoinResult): void {
    this.uid = result.uid;
    this.session = result.session;
    this.state = 'joined';
    this.ice = result.ice ?? null;
    this.transport = this.newTransport(result.uid, result.media === 'sfu');
    for (const peer of result.peers) this.applyPeer(peer, false);
    if (this.published) this.startPublishing(this.published);
    this.recording.joined(result.recording);
    this.chat.joined(result.chat, false);
    this.sharedDoc.joined(result, false, this.contentSeal);
    this.call = { callId: newCallId(), channel: this.channel, uid: result.uid, stats: null };
    this.quality.start();
  }

  /**
   * The mesh, or the SFU when the server says the channel's media goes through it. A transport that was replaced
   * (the move to the SFU) is heard only through `onTrack` while the move runs, see moveToSfu.
   */
  private newTransport(uid: number, sfu: boolean, onTrack?: TransportHooks['onTrack']): MediaTransport {
    const hooks: TransportHooks = {
      send: (to, data) => this.link?.send({ t: 'relay', to, data }),
      onTrack: onTrack ?? ((from, track) => this.onRemoteTrack(from, track)),
      renderedHeight: (from) => this.remotes.get(from)?.stream?._renderedHeight() ?? 0,
      onLinkClosed: (from) => {
        if (this.transport === transport) this.onLinkClosed(from);
      },
      ice: {
        config: () => ({
          iceServers: this.ice?.iceServers ?? [],
          iceTransportPolicy: this.iceTransportPolicy,
        }),
        onProblem: (from, problem) => this.onIceProblem(from, problem),
      },
      ...(this.frameCrypto ? { crypto: this.frameCrypto } : {}),
    };
    const transport: MediaTransport = sfu
      ? new this.sfu!.Sfu(uid, hooks, (op) => this.link!.request({ t: 'sfu', ...op }))
      : new Mesh(uid, hooks);
    return transport;
  }

  /**
   * The channel grew past the server's MESH_MAX: its media moves to the SFU during the call. The SFU transport
   * starts beside the mesh, publishing and subscribing to what we receive; see Handover for how the pictures switch.
   */
  private moveToSfu(): void {
    const old = this.transport;
    if (!old || !this.sfu || old instanceof this.sfu.Sfu) return;
    const handover = new this.sfu.Handover(
      (uid, track) => this.onRemoteTrack(uid, track),
      () => this.transport === next,
      (to, data) => this.link?.send({ t: 'relay', to, data }),
    );
    const next = this.newTransport(this.uid, true, (uid, track) => handover.onTrack(next, uid, track));
    this.transport = next;
    this.handover = handover;
    const linked = [...this.remotes.keys()];
    for (const uid of linked) next.addPeer(uid, false);
    const stream = this.published;
    if (stream) {
      next.publish(
        {
          audio: stream._media.getAudioTracks()[0] ?? null,
          video: stream._media.getVideoTracks()[0] ?? null,
        },
        stream._profile,
      );
    }
    for (const r of this.remotes.values()) if (r.subscribed) next.subscribe(r.uid, true);
    void handover
      .finish(
        old,
        () => linked.filter((uid) => this.remotes.has(uid)),
        () =>
          [...this.remotes.values()]
            .filter((r) => r.subscribed && r.state.published && !r.state.videoMuted)
            .map((r) => r.uid),
      )
      .then((ms) => {
        if (this.handover === handover) this.handover = null;
        log.info('media moved to the SFU', { ms });
      });
  }

  /** hello on a new connection: the App ID for the server's checks; the answer says whether it has an SFU. */
  private async hello(link: SignalingLink): Promise<void> {
    const result = await link.request<HelloResult | undefined>({
      t: 'hello',
      appId: this.appId,
      sdk: VERSION,
    });
    this.sfuOffered = !!result?.sfu;
  }

  /** The SFU transport's code, fetched on first need; false (logged) when it cannot load. */
  private async needSfu(): Promise<boolean> {
    this.sfu ??= await loadSfu().catch((e: unknown) => (log.warn('SFU transport unavailable', e), null));
    return !!this.sfu;
  }

  /** After a reconnect: say hello again and rejoin with the same uid, without anyone seeing a leave. */
  private async restore(): Promise<void> {
    const link = this.link!;
    await this.hello(link);
    if (this.state === 'joined') {
      let result: JoinResult;
      try {
        result = await link.request<JoinResult>({
          t: 'join',
          channel: this.channel,
          uid: this.uid,
          key: this.key,
          session: this.session,
          state: this.localState(),
          ...(this.displayName ? { name: this.displayName } : {}),
        });
      } catch (e) {
        const transient: ErrorName[] = ['ERR_CONNECTION_INTERRUPTED', 'ERR_TIMEDOUT', 'ERR_ABORTED'];
        if (e instanceof AgoraError && !transient.includes(e.name)) {
          // The server will not have us back (uid taken, key expired…): the stay is over.
          this.connection.set('CONNECTED', 'SERVER_ENDED');
          this.emitError(e.name, e.name, e.message);
          safeCall(this.lifetimeFailure, e);
          this.teardown();
          return;
        }
        throw e;
      }
      this.session = result.session;
      if (result.ice) this.ice = result.ice;
      if (result.media === 'sfu') await this.needSfu();
      // Through the SFU, a server that restarted has forgotten our Janus handles: publish and subscribe again.
      if (result.media === 'sfu' && this.sfu && this.transport instanceof this.sfu.Sfu)
        this.transport.signal(0, { op: 'restart' });
      else if (result.media === 'sfu') this.moveToSfu();
      this.recording.joined(result.recording);
      this.chat.joined(result.chat, true);
      this.sharedDoc.joined(result, true, this.contentSeal);
      const present = new Set(result.peers.map((p) => p.uid));
      for (const peer of result.peers) this.applyPeer(peer, false);
      // Users missing from the restarted server's list may simply not be back yet: keep those whose media
      // link is still up; the others get RETURN_GRACE_MS to rejoin (through an SFU, which the restarted server
      // had to set up again, no link is up yet) before they count as gone.
      for (const uid of [...this.remotes.keys()]) {
        if (present.has(uid) || this.transport?.isConnected(uid)) continue;
        clearTimeout(this.returning.get(uid));
        this.returning.set(
          uid,
          setTimeout(() => {
            this.returning.delete(uid);
            this.removeRemote(uid);
          }, RETURN_GRACE_MS),
        );
      }
    }
    this.connection.set('CONNECTED', 'RECONNECTED');
  }

  /**
   * Replace the Channel Key of the current stay, e.g. on channel-key-will-expire or after onFailure reported
   * ERR_CHANNEL_KEY_EXPIRED (109) / ERR_INVALID_CHANNEL_KEY (110). A valid fresh key extends the stay without
   * leaving the channel or touching media; an invalid one fails with 110 and changes nothing.
   *
   * @example
   * client.on('channel-key-will-expire', () =>
   *   fetchKey().then((key) => client.renewChannelKey(key, () => log('renewed'), (err) => log('renew failed', err))));
   */
  renewChannelKey(channelKey: string, onSuccess?: (() => void) | null, onFailure?: Fail): Promise<void> {
    assertType(
      typeof channelKey === 'string',
      'renewChannelKey(channelKey) takes the new Channel Key as a string.',
    );
    assertType(
      isOptionalFn(onSuccess) && isOptionalFn(onFailure),
      'renewChannelKey(key, onSuccess?, onFailure?) takes functions.',
    );
    return settle(
      (async () => {
        this.assertJoined('renewing the Channel Key');
        await this.link!.request({ t: 'renew', key: channelKey });
        this.key = channelKey;
      })(),
      onSuccess,
      onFailure,
    );
  }

  /**
   * Turn on built-in encryption for the next join: every user of the channel must set the same secret (and
   * mode). Media is encrypted frame by frame in the browser; an empty secret leaves encryption off. Call it
   * before join; leave clears it. Returns 0, or a negative error code: -2 not a string, -17 already in a channel,
   * -7 client closed. A browser that cannot encrypt frames makes join fail with ERR_NOT_SUPPORTED (4): media is
   * never sent in clear when a secret is set.
   *
   * @example
   * client.setEncryptionSecret('1234');
   */
  setEncryptionSecret(secret: string): number {
    const bad = this.encryptionSettable();
    if (bad) return bad;
    if (typeof secret !== 'string') return -ErrorCode.ERR_INVALID_ARGUMENT;
    registerSecret(secret);
    this.encryption.secret = secret;
    return 0;
  }

  /**
   * Choose the encryption mode: "aes-128-xts" (default, also for ""), "aes-256-xts", and beyond the manual the
   * authenticated "aes-128-gcm" and "aes-256-gcm". All users of a channel must use the same mode. The manual
   * calls setEncryptionSecret first; either order works before join. Returns 0, or -2 for an unknown mode, -17
   * already in a channel, -7 client closed.
   *
   * @example
   * client.setEncryptionMode('aes-256-xts');
   */
  setEncryptionMode(encryptionMode: string): number {
    const bad = this.encryptionSettable();
    if (bad) return bad;
    if (typeof encryptionMode !== 'string' || (encryptionMode !== '' && !parseMode(encryptionMode))) {
      return -ErrorCode.ERR_INVALID_ARGUMENT;
    }
    this.encryption.mode = encryptionMode;
    return 0;
  }

  private encryptionSettable(): number {
    if (this.state === 'closed') return -ErrorCode.ERR_NOT_INITIALIZED;
    if (this.state === 'joined' || this.state === 'joining') return -ErrorCode.ERR_JOIN_CHANNEL_REJECTED;
    return 0;
  }

  /** With a secret set: load the encryption module and its worker, derive keys; refuse rather than send clear. */
  private async startEncryption(): Promise<void> {
    const { secret, mode } = this.encryption;
    if (!secret) return;
    const crypto: FrameCrypto = (await loadCrypto()).createFrameCrypto();
    if (!crypto.supported()) {
      crypto.close();
      throw new AgoraError(
        'ERR_NOT_SUPPORTED',
        'An encryption secret is set, but this browser cannot encrypt media frames (no RTCRtpScriptTransform or createEncodedStreams): joining would send media in clear, so the join is refused. Use a current Chromium, Firefox or Safari.',
      );
    }
    await crypto.setSecret(secret, mode as Parameters<FrameCrypto['setSecret']>[1]);
    crypto.onCryptError(({ uid, direction, reason }) =>
      this.emit('crypt-error', { type: 'crypt-error', uid: Number(uid), direction, reason }),
    );
    this.frameCrypto = crypto;
  }

  /**
   * Leave the channel. Remote streams stop; the local stream stays open (publish it again after a new join).
   *
   * @example
   * client.leave(() => log('client leaves channel'), (err) => log('client leave failed ', err));
   */
  leave(onSuccess?: (() => void) | null, onFailure?: Fail): Promise<void> {
    assertType(
      isOptionalFn(onSuccess) && isOptionalFn(onFailure),
      'leave(onSuccess?, onFailure?) takes functions.',
    );
    return settle(this.doLeave(), onSuccess, onFailure);
  }

  private async doLeave(): Promise<void> {
    this.assertInitialized();
    if (this.state !== 'joined' && this.state !== 'joining') {
      throw new AgoraError('ERR_LEAVE_CHANNEL_REJECTED', 'Not in a channel: join one before leaving.');
    }
    const link = this.link;
    const wasReconnecting = this.connection.state === 'RECONNECTING';
    this.teardown();
    if (link?.connected && !wasReconnecting) {
      await link.request({ t: 'leave' }).catch(() => undefined);
    } else {
      // Leaving ends the reconnect attempts; the next join opens a new connection.
      this.connection.set('DISCONNECTING', 'LEAVE');
      link?.close();
      this.link = null;
      this.connection.set('DISCONNECTED', 'LEAVE');
    }
  }

  /** Forget the channel locally: links, remote streams, timers. */
  private teardown(): void {
    removeEventListener('pagehide', this.onPageHide);
    this.recording.left();
    this.quality.stop();
    this.state = this.state === 'closed' ? 'closed' : 'ready';
    this.transport?.close();
    this.transport = null;
    this.handover = null;
    for (const t of this.returning.values()) clearTimeout(t);
    this.returning.clear();
    // The manual: the secret is cleared when the user leaves the channel.
    this.frameCrypto?.close();
    this.frameCrypto = null;
    this.encryption = { secret: '', mode: '' };
    this.chat.left();
    this.sharedDoc.left();
    this.contentSeal = null;
    for (const remote of this.remotes.values()) remote.stream?.stop();
    this.remotes.clear();
    for (const [, waiters] of this.subscribeWaiters) {
      for (const w of waiters)
        w.reject(new AgoraError('ERR_ABORTED', 'Left the channel before the stream arrived.'));
    }
    this.subscribeWaiters.clear();
    this.unwatchPublished?.();
    this.unwatchPublished = null;
    this.published = null;
    this.uid = 0;
    this.session = undefined;
  }

  /**
   * Publish the local stream: every user in the channel gets stream-added.
   *
   * @example
   * client.publish(stream, () => console.log('stream published'), (err) => console.log('failed to publish stream'));
   */
  publish(stream: Stream, onSuccess?: (() => void) | null, onFailure?: Fail): Promise<void> {
    assertType(stream instanceof Stream, 'publish(stream) takes a Stream from AgoraRTC.createStream().');
    assertType(
      isOptionalFn(onSuccess) && isOptionalFn(onFailure),
      'publish(stream, onSuccess?, onFailure?) takes functions.',
    );
    return settle(this.doPublish(stream), onSuccess, onFailure);
  }

  private async doPublish(stream: Stream): Promise<void> {
    this.assertJoined('publishing');
    if (!stream._local) throw new AgoraError('ERR_INVALID_ARGUMENT', 'Only a local stream can be published.');
    if (!stream._isReady())
      throw new AgoraError('ERR_NOT_READY', 'Initialize the stream (stream.init) before publishing it.');
    if (this.published === stream) return;
    if (this.published) {
      throw new AgoraError('ERR_ALREADY_IN_USE', 'Another stream is already published: unpublish it first.');
    }
    this.startPublishing(stream);
    this.sendState();
  }

  private startPublishing(stream: Stream): void {
    this.published = stream;
    this.unwatchPublished?.();
    this.unwatchPublished = stream._onChange((c) => this.onLocalChange(c));
    this.transport?.publish(
      { audio: stream._media.getAudioTracks()[0] ?? null, video: stream._media.getVideoTracks()[0] ?? null },
      stream._profile,
    );
  }

  private onLocalChange(c: StreamChange): void {
    const s = this.screen;
    if (
      s?.track &&
      (c.type === 'closed' || (c.type === 'track' && c.kind === 'video' && c.track !== s.track))
    ) {
      this.screen = null; // disableVideo or close ended the sharing
      this.emit('screen-sharing-stopped', { type: 'screen-sharing-stopped' });
    }
    if (c.type === 'track') this.transport?.setTrack(c.kind, c.track);
    else if (c.type === 'profile') this.transport?.setProfile(c.profile);
    else if (c.type === 'mute') this.sendState();
    else if (c.type === 'closed' && this.published)
      void this.doUnpublish(this.published).catch(() => undefined);
  }

  /**
   * Stop publishing the local stream: the others get stream-removed.
   *
   * @example
   * client.unpublish(stream, () => console.log('stream unpublished'));
   */
  unpublish(stream: Stream, onSuccess?: (() => void) | null, onFailure?: Fail): Promise<void> {
    assertType(stream instanceof Stream, 'unpublish(stream) takes the Stream that was published.');
    assertType(
      isOptionalFn(onSuccess) && isOptionalFn(onFailure),
      'unpublish(stream, onSuccess?, onFailure?) takes functions.',
    );
    return settle(this.doUnpublish(stream), onSuccess, onFailure);
  }

  private async doUnpublish(stream: Stream): Promise<void> {
    this.assertJoined('unpublishing');
    if (this.published !== stream)
      throw new AgoraError('ERR_INVALID_ARGUMENT', 'This stream is not published.');
    this.unwatchPublished?.();
    this.unwatchPublished = null;
    this.published = null;
    this.transport?.unpublish();
    this.sendState();
  }

  /**
   * Receive a remote stream; stream-subscribed follows, then play it. A stream not subscribed to is not sent to
   * this client at all.
   *
   * @example
   * client.on('stream-added', (evt) => client.subscribe(evt.stream, (err) => log('subscribe failed', err)));
   */
  subscribe(stream: Stream, onFailure?: Fail): Promise<void> {
    assertType(stream instanceof Stream, 'subscribe(stream) takes the Stream from a stream-added event.');
    assertType(isOptionalFn(onFailure), 'subscribe(stream, onFailure?) takes a function.');
    return settle(this.doSubscribe(stream), null, onFailure);
  }

  private doSubscribe(stream: Stream): Promise<void> {
    const remote = this.remoteOf(stream);
    if (!remote.subscribed) {
      remote.subscribed = true;
      this.transport?.subscribe(remote.uid, true);
    }
    return new Promise<void>((resolve, reject) => {
      const waiters = this.subscribeWaiters.get(remote.uid) ?? [];
      const timer = setTimeout(() => {
        reject(
          new AgoraError(
            'ERR_TIMEDOUT',
            `No media arrived from user ${remote.uid}; the network may block WebRTC.`,
          ),
        );
      }, SUBSCRIBE_TIMEOUT_MS);
      waiters.push({
        resolve: () => (clearTimeout(timer), resolve()),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.subscribeWaiters.set(remote.uid, waiters);
      this.maybeAnnounce(remote);
    });
  }

  /**
   * Stop receiving a remote stream (the publisher stops sending it to us).
   *
   * @example
   * client.unsubscribe(stream, (err) => log('unsubscribe failed', err));
   */
  unsubscribe(stream: Stream, onFailure?: Fail): Promise<void> {
    assertType(stream instanceof Stream, 'unsubscribe(stream) takes a subscribed remote Stream.');
    assertType(isOptionalFn(onFailure), 'unsubscribe(stream, onFailure?) takes a function.');
    return settle(
      (async () => {
        const remote = this.remoteOf(stream);
        remote.subscribed = false;
        remote.announced = false;
        this.transport?.subscribe(remote.uid, false);
      })(),
      null,
      onFailure,
    );
  }

  /**
   * Release everything the client holds. No method works afterwards, init included: create a new client.
   *
   * @example
   * client.close();
   * client = AgoraRTC.createRtcClient();
   */
  close(): void {
    if (this.state === 'closed') return;
    // The leave frame is queued before the close frame, so the server still sees a clean leave.
    if (this.state === 'joined' || this.state === 'joining')
      void this.link?.request({ t: 'leave' }).catch(() => undefined);
    this.teardown();
    this.state = 'closed';
    if (this.link) this.connection.set('DISCONNECTING', 'CLOSE');
    this.link?.close();
    this.link = null;
    this.connection.set('DISCONNECTED', 'CLOSE');
    this.removeAllListeners();
    globalThis.navigator?.mediaDevices?.removeEventListener('devicechange', this.onDeviceChange);
  }

  // ---- quality (docs/quality.md) ----

  /**
   * Statistics of the call: what we send (`local`) and, per remote user, what we receive and send them, as plain
   * numbers with the unit in the name (rttMs, sendBitrateKbps, packetLossPercent…). Needs a joined channel.
   *
   * @example
   * client.getStats((stats) => log('uplink', stats.local.sendBitrateKbps, 'kbps, rtt', stats.local.rttMs, 'ms'));
   */
  getStats(callback?: ((stats: CallStats) => void) | null, onFailure?: Fail): Promise<CallStats> {
    assertType(
      isOptionalFn(callback) && isOptionalFn(onFailure),
      'getStats(callback?, onFailure?) takes functions.',
    );
    return settle(
      (async () => {
        this.assertJoined('reading statistics');
        const stats = await this.quality.getStats();
        if (this.call) this.call.stats = stats;
        return stats;
      })(),
      callback,
      onFailure,
    );
  }

  /**
   * The id of the current call (a new one at each join; kept after leave), for rate and complain. '' before
   * the first join.
   *
   * @example
   * var callId = client.getCallId();
   */
  getCallId(): string {
    return this.call?.callId ?? '';
  }

  /**
   * Rate a call from 1 (worst) to 5 (best); the server stores it with the call's identifiers and last statistics.
   *
   * @example
   * client.rate(client.getCallId(), 4, 'a little echo', () => log('thanks'), (err) => log('not sent', err));
   */
  rate(
    callId: string,
    score: number,
    description?: string | null,
    onSuccess?: (() => void) | null,
    onFailure?: Fail,
  ): Promise<void> {
    checkRateArgs(callId, score, description);
    assertType(
      isOptionalFn(onSuccess) && isOptionalFn(onFailure),
      'rate(…, onSuccess?, onFailure?) takes functions.',
    );
    return settle(
      this.sendFeedback(async () => ratingBody(this.call, callId, score, description ?? '')),
      onSuccess,
      onFailure,
    );
  }

  /**
   * Complain about a call: the server stores the description with the call's identifiers, last statistics and
   * the recent log (AgoraRTC.exportLog, free of secrets).
   *
   * @example
   * client.complain(client.getCallId(), 'no sound from the other side');
   */
  complain(
    callId: string,
    description: string,
    onSuccess?: (() => void) | null,
    onFailure?: Fail,
  ): Promise<void> {
    checkComplaintArgs(callId, description);
    assertType(
      isOptionalFn(onSuccess) && isOptionalFn(onFailure),
      'complain(…, onSuccess?, onFailure?) takes functions.',
    );
    return settle(
      this.sendFeedback(() => complaintBody(this.call, callId, description)),
      onSuccess,
      onFailure,
    );
  }

  /** Sends a rating or complaint built after the call's stats are refreshed (when still in the call). */
  private async sendFeedback(build: () => Promise<FeedbackRequestBody>): Promise<void> {
    this.assertInitialized();
    const call = this.call;
    if (this.state === 'joined' && call) call.stats = await this.quality.getStats().catch(() => call.stats);
    const msg = await build();
    if (!this.link?.connected) await this.connect();
    await this.link!.request(msg);
  }

  // ---- chat (docs/whiteboard-and-chat.md) ----

  /**
   * Send a text message to everyone in the channel. It comes back as a `message` event (to the sender too), with
   * the sender's uid and display name and the server's time; late joiners get it right after join (marked
   * `history`) and in getMessages(). Plain text:
   * show it as text, never as HTML. At most 2000 characters; in an encrypted channel it travels encrypted.
   *
   * @example
   * client.sendMessage('hello', (msg) => log('sent at ' + msg.ts), (err) => log('not sent', err));
   */
  sendMessage(
    text: string,
    onSuccess?: ((message: MessageEvent) => void) | null,
    onFailure?: Fail,
  ): Promise<MessageEvent> {
    checkMessage(text);
    assertType(
      isOptionalFn(onSuccess) && isOptionalFn(onFailure),
      'sendMessage(text, onSuccess?, onFailure?) takes functions.',
    );
    return settle(
      (async () => {
        this.assertJoined('sending a message');
        return this.chat.send(text);
      })(),
      onSuccess,
      onFailure,
    );
  }

  /**
   * The channel's chat so far, oldest first (the last 500): what was said before this client joined, and since.
   * Empty outside a channel.
   *
   * @example
   * for (const m of client.getMessages()) show(m.name, m.text, new Date(m.ts));
   */
  getMessages(): MessageEvent[] {
    return this.chat.messages();
  }

  // ---- recording (docs/recording.md) ----

  /**
   * Record the whole channel in this browser: a grid of every published video and a mix of every audio track
   * (yours included), stored chunk by chunk in IndexedDB (AgoraRTC.recordings). Needs a Recording Key for this
   * app, channel and uid; one recording per channel at a time. Everyone in the channel gets
   * recording-state-change.
   *
   * @example
   * client.startRecording(key, function () {
   *   console.log('start recording successfully.');
   * }, function (err) {
   *   console.log('failed to start recording' + err);
   * });
   */
  startRecording(recordingKey: string, onSuccess?: (() => void) | null, onFailure?: Fail): Promise<void> {
    assertType(
      typeof recordingKey === 'string',
      'startRecording(recordingKey) takes the Recording Key as a string.',
    );
    assertType(
      isOptionalFn(onSuccess) && isOptionalFn(onFailure),
      'startRecording(recordingKey, onSuccess?, onFailure?) takes functions.',
    );
    return settle(
      (async () => {
        this.assertJoined('recording');
        await this.recording.start(recordingKey);
      })(),
      onSuccess,
      onFailure,
    );
  }

  /**
   * Stop the recording this client started, with the same Recording Key; onSuccess gets the finished recording
   * (`{ id, durationMs, size, … }`, see AgoraRTC.recordings) once the file is finalised.
   *
   * @example
   * client.stopRecording(key, function (recording) {
   *   console.log('stop recording successfully.', recording.id);
   * }, function (err) {
   *   console.log('failed to stop recording' + err);
   * });
   */
  stopRecording(
    recordingKey: string,
    onSuccess?: ((recording: RecordingEntry | null) => void) | null,
    onFailure?: Fail,
  ): Promise<RecordingEntry | null> {
    assertType(
      typeof recordingKey === 'string',
      'stopRecording(recordingKey) takes the Recording Key as a string.',
    );
    assertType(
      isOptionalFn(onSuccess) && isOptionalFn(onFailure),
      'stopRecording(recordingKey, onSuccess?, onFailure?) takes functions.',
    );
    return settle(
      (async () => {
        this.assertJoined('stopping a recording');
        return this.recording.stop(recordingKey);
      })(),
      onSuccess,
      onFailure,
    );
  }

  /**
   * Is the channel being recorded: `{ status, uid, startedAt, self }`, status 0 (RecordingStatus.NOT_RECORDING) or
   * 1 (RECORDING, by `uid` since `startedAt`, `self` when it is this client). Any member may ask.
   *
   * @example
   * client.queryRecordingStatus(function (result) {
   *   switch (result.status) {
   *     case 0: break; // not recorded
   *     default: console.log('recorded by', result.uid);
   *   }
   * });
   */
  queryRecordingStatus(onStatus?: ((result: RecordingState) => void) | null): Promise<RecordingState> {
    assertType(isOptionalFn(onStatus), 'queryRecordingStatus(onStatus) takes a function.');
    return settle(
      (async () => {
        this.assertJoined('querying the recording status');
        return this.recording.status();
      })(),
      onStatus,
    );
  }

  /** Every published stream of the channel that this client has: its own and those it subscribed to. */
  private recordingSources() {
    const list = [];
    if (this.published)
      list.push({
        uid: this.uid,
        media: this.published._media,
        videoMuted: this.published._muteState().videoMuted,
      });
    for (const r of this.remotes.values()) {
      if (r.stream && r.subscribed)
        list.push({ uid: r.uid, media: r.stream._media, videoMuted: r.state.videoMuted });
    }
    return list;
  }

  // ---- devices and screen sharing (docs/devices-and-screen.md) ----

  /**
   * List cameras, microphones and speakers: `{ deviceId, label, kind }`, kind 'audioinput', 'videoinput' or
   * 'audiooutput'. Until the user allows camera/microphone access (e.g. stream.init), `label` and `deviceId`
   * are '' (and a console warning says so). Returns a Promise when no callback is given.
   *
   * @example
   * client.getDevices(function (devices) {
   *   var dev_count = devices.length;
   *   var id = devices[0].deviceId;
   * });
   */
  getDevices(callback?: ((devices: DeviceInfo[]) => void) | null, onFailure?: Fail): Promise<DeviceInfo[]> {
    assertType(isOptionalFn(callback) && isOptionalFn(onFailure), 'getDevices(callback?) takes a function.');
    return settle(listDevices(), callback, onFailure);
  }

  /**
   * Use a device from getDevices in the current call. A camera or microphone switches at once: the others keep
   * receiving the same stream (no stream-removed/added), with the same profile and mute state. If the device
   * cannot start (gone, busy), onFailure gets ERR_START_CAMERA / ERR_VDM_CAMERA_NOT_AUTHORIZED or ERR_ADM_* and
   * the old device goes on. A speaker ('audiooutput') plays the remote streams where the browser can
   * (else ERR_NOT_SUPPORTED). The choice also applies to streams opened later.
   *
   * @example
   * client.selectDevice(device);
   */
  selectDevice(device: DeviceInfo, onSuccess?: (() => void) | null, onFailure?: Fail): Promise<void> {
    assertType(
      typeof device?.deviceId === 'string' && typeof device.kind === 'string',
      'selectDevice(device) takes a device from getDevices().',
    );
    assertType(
      isOptionalFn(onSuccess) && isOptionalFn(onFailure),
      'selectDevice(device, onSuccess?, onFailure?) takes functions.',
    );
    const players = [...this.remotes.values()].flatMap((r) => r.stream?._player ?? []);
    return settle(
      (async () => {
        this.assertNotClosed();
        await useDevice(device, this.published, players);
      })(),
      onSuccess,
      onFailure,
    );
  }

  /**
   * The choices of the browser's screen-sharing picker (a page cannot list windows): `{ windowId: '', title:
   * 'Entire screen' }`, `'window'` (an application window), `'browser'` (a tab); none where screen sharing is
   * unavailable.
   *
   * @example
   * client.getWindows((windows) => client.startScreenSharing(windows[0].windowId));
   */
  getWindows(callback?: ((windows: WindowInfo[]) => void) | null): Promise<WindowInfo[]> {
    assertType(isOptionalFn(callback), 'getWindows(callback?) takes a function.');
    return settle(Promise.resolve(windows()), callback);
  }

  /**
   * Share the screen: the browser asks the user what to share, opened on the windowId's kind (getWindows; ""
   * = entire screen). The others see it instead of the camera, on the same stream. Needs a published stream
   * (else ERR_NOT_READY). The user refusing → ERR_FAILED, the camera goes on.
   *
   * @example
   * client.startScreenSharing('', () => log('sharing'), (err) => log('not sharing', err));
   */
  startScreenSharing(windowId: string, onSuccess?: (() => void) | null, onFailure?: Fail) {
    return this.share('startScreenSharing', windowId, onSuccess, onFailure);
  }

  /** Share another screen, window or tab (the picker opens again); the current one goes on if the user refuses. */
  setScreenSharingWindow(windowId: string, onSuccess?: (() => void) | null, onFailure?: Fail) {
    return this.share('setScreenSharingWindow', windowId, onSuccess, onFailure);
  }

  /** Stop sharing and return to the camera (unless it was disabled). Succeeds when not sharing. */
  stopScreenSharing(onSuccess?: (() => void) | null, onFailure?: Fail): Promise<void> {
    assertType(
      isOptionalFn(onSuccess) && isOptionalFn(onFailure),
      'stopScreenSharing(onSuccess?, onFailure?) takes functions.',
    );
    return settle(this.endScreen(false), onSuccess, onFailure);
  }

  private share(
    name: string,
    windowId: unknown,
    onSuccess: (() => void) | null | undefined,
    onFailure: Fail,
  ) {
    assertType(typeof windowId === 'string', `${name}(windowId) takes a windowId from getWindows().`);
    assertType(
      isOptionalFn(onSuccess) && isOptionalFn(onFailure),
      `${name}(windowId, onSuccess?, onFailure?) takes functions.`,
    );
    return settle(this.doShare(windowId as string, name[1] === 't'), onSuccess, onFailure);
  }

  private async doShare(windowId: string, start: boolean): Promise<void> {
    this.assertJoined('sharing the screen');
    const stream = start ? this.published : this.screen?.stream;
    if (!stream) {
      throw new AgoraError(
        'ERR_NOT_READY',
        start ? 'Publish a stream before sharing the screen.' : 'Not sharing: call startScreenSharing first.',
      );
    }
    if (start && this.screen)
      throw new AgoraError('ERR_ALREADY_IN_USE', 'Already sharing: switch with setScreenSharingWindow.');
    const session = this.screen ?? (this.screen = { stream, track: null });
    const track = await captureScreen(windowId).catch((e: unknown) => {
      if (!session.track && this.screen === session) this.screen = null;
      throw e;
    });
    if (this.screen !== session || !stream._isReady()) {
      track.stop();
      throw new AgoraError('ERR_ABORTED', 'Screen sharing was stopped meanwhile.');
    }
    session.track = track;
    // The browser's own "stop sharing" ends the track ('ended' fires; track.stop() by the page does not fire it).
    track.addEventListener('ended', () => {
      if (this.screen === session && session.track === track)
        void this.endScreen(true).catch(() => undefined);
    });
    await stream._share(track);
    this.sendState();
  }

  private async endScreen(byBrowser: boolean): Promise<void> {
    const s = this.screen;
    this.screen = null;
    try {
      if (s?.track) await s.stream._share(null);
    } finally {
      if (s?.track) this.sendState();
      if (byBrowser) this.emit('screen-sharing-stopped', { type: 'screen-sharing-stopped' });
    }
  }

  // ---- server pushes ----

  private onPush(msg: ServerMessage): void {
    if (this.state !== 'joined') return;
    switch (msg.t) {
      case 'peer-join':
        this.applyPeer(msg.peer, true);
        break;
      case 'peer-state':
        this.applyPeer(msg.peer, false);
        break;
      case 'peer-leave':
        this.removeRemote(msg.uid);
        break;
      case 'relay':
        if (!this.handover?.signal(msg.from, msg.data)) this.transport?.signal(msg.from, msg.data);
        break;
      case 'sfu':
        // The code is here when the server's hello offered an SFU; otherwise (a failed fetch at join) it loads now.
        if (msg.op === 'mode') void this.needSfu().then(() => this.moveToSfu());
        else this.transport?.signal(0, msg);
        break;
      case 'expiring':
        this.emit('channel-key-will-expire', { type: 'channel-key-will-expire', expiresAt: msg.expiresAt });
        break;
      case 'recording':
        this.recording.pushed(msg.recording, msg.ended);
        break;
      case 'ice':
        this.ice = msg.ice;
        if (this.transport) renewIceServers(this.transport, msg.ice.iceServers);
        break;
      case 'chat':
        this.chat.pushed(msg.message);
        break;
      case 'doc':
        this.sharedDoc.pushed(msg.from, msg.update, msg.sealed === true);
        break;
      case 'doc-compact':
        this.sharedDoc.compactAsked(msg.upto);
        break;
      case 'kick': {
        const err = new AgoraError(msg.name as ErrorName, msg.message);
        this.teardown();
        this.emitError(msg.name, msg.name as ErrorName, msg.message);
        safeCall(this.lifetimeFailure, err);
        break;
      }
    }
  }

  /** `joinedAfterUs`: the user joined after we did, so we offer the media link (see Mesh). */
  private applyPeer(info: PeerInfo, joinedAfterUs: boolean): void {
    let remote = this.remotes.get(info.uid);
    const back = this.returning.get(info.uid);
    if (remote && back !== undefined) {
      // Back after a server restart, as if it had never left: its media is asked for again.
      clearTimeout(back);
      this.returning.delete(info.uid);
      this.transport?.addPeer(info.uid, joinedAfterUs);
      if (remote.subscribed) this.transport?.subscribe(info.uid, true);
    }
    const prev: PeerState = remote?.state ?? { published: false, audioMuted: false, videoMuted: false };
    if (!remote) {
      const name = info.name ?? '';
      remote = {
        uid: info.uid,
        name,
        state: prev,
        stream: null,
        subscribed: false,
        announced: false,
        tracks: {},
      };
      this.remotes.set(info.uid, remote);
      this.transport?.addPeer(info.uid, joinedAfterUs);
      this.emit('peer-join', { type: 'peer-join', uid: info.uid, name });
    }
    remote.state = {
      published: info.published,
      audioMuted: info.audioMuted,
      videoMuted: info.videoMuted,
      screen: info.screen === true,
    };
    const uid = info.uid;
    if (info.published && !prev.published) {
      const stream = new Stream({}, uid);
      for (const [kind, track] of Object.entries(remote.tracks)) {
        if (track.readyState === 'live') stream._replaceTrack(kind as 'audio' | 'video', track);
      }
      remote.stream = stream;
      this.emit('stream-added', { type: 'stream-added', stream });
      if (info.audioMuted) this.emitMute('audio', uid, true);
      if (info.videoMuted) this.emitMute('video', uid, true);
      if (info.screen) this.emitScreen(uid, true);
    } else if (!info.published && prev.published) {
      const stream = remote.stream!;
      if (remote.subscribed) this.transport?.subscribe(uid, false);
      remote.stream = null;
      remote.subscribed = remote.announced = false;
      remote.tracks = {}; // a later publish arrives on new transceivers with new tracks
      this.emit('stream-removed', { type: 'stream-removed', stream });
      // Its tracks carry nothing any more: take the frozen picture out of the page.
      stream.stop();
    } else if (info.published) {
      if (info.audioMuted !== prev.audioMuted) this.emitMute('audio', uid, info.audioMuted);
      if (info.videoMuted !== prev.videoMuted) this.emitMute('video', uid, info.videoMuted);
      if (!info.screen !== !prev.screen) this.emitScreen(uid, info.screen === true);
    }
  }

  private removeRemote(uid: number): void {
    clearTimeout(this.returning.get(uid));
    this.returning.delete(uid);
    const remote = this.remotes.get(uid);
    if (!remote) return;
    this.remotes.delete(uid);
    this.transport?.removePeer(uid);
    for (const w of this.subscribeWaiters.get(uid) ?? []) {
      w.reject(new AgoraError('ERR_ABORTED', `User ${uid} left before the stream arrived.`));
    }
    this.subscribeWaiters.delete(uid);
    this.emit('peer-leave', { type: 'peer-leave', uid, ...(remote.stream ? { stream: remote.stream } : {}) });
    remote.stream?.stop();
  }

  private onRemoteTrack(uid: number, track: MediaStreamTrack): void {
    const remote = this.remotes.get(uid);
    if (!remote) return;
    const kind = track.kind as 'audio' | 'video';
    remote.tracks[kind] = track;
    remote.stream?._replaceTrack(kind, track);
    this.maybeAnnounce(remote);
  }

  private onLinkClosed(uid: number): void {
    // With the server unreachable, a closed media link is the only news we get that the user left.
    if (this.connection.state !== 'CONNECTED') this.removeRemote(uid);
  }

  /**
   * stream-subscribed once the user asked and the remote tracks are here. A negotiation delivers its tracks as
   * separate events of one task: the announcement waits for the next task, so the stream an app (or a component
   * deciding between video and placeholder) gets has its audio and its video, not just the first to arrive.
   */
  private maybeAnnounce(remote: Remote): void {
    const stream = remote.stream;
    if (!stream || !remote.subscribed || stream._media.getTracks().length === 0 || remote.announcing) return;
    remote.announcing = true;
    setTimeout(() => {
      remote.announcing = false;
      if (this.remotes.get(remote.uid) !== remote || remote.stream !== stream || !remote.subscribed) return;
      const waiters = this.subscribeWaiters.get(remote.uid) ?? [];
      this.subscribeWaiters.delete(remote.uid);
      if (!remote.announced) {
        remote.announced = true;
        this.emit('stream-subscribed', { type: 'stream-subscribed', stream });
      }
      for (const w of waiters) w.resolve();
    }, 0);
  }

  private remoteOf(stream: Stream): Remote {
    this.assertJoined('subscribing');
    const uid = stream.getId();
    const remote = typeof uid === 'number' ? this.remotes.get(uid) : undefined;
    if (stream._local || !remote || remote.stream !== stream) {
      throw new AgoraError(
        'ERR_INVALID_ARGUMENT',
        'This is not a current remote stream of the channel (see stream-added).',
      );
    }
    return remote;
  }

  // ---- helpers ----

  private localState(): PeerState {
    const s = this.published;
    const state = {
      published: s !== null,
      ...(s ? s._muteState() : { audioMuted: false, videoMuted: false }),
    };
    return s && this.screen?.track ? { ...state, screen: true } : state;
  }

  private sendState(): void {
    this.link?.send({ t: 'state', state: this.localState() });
  }

  private emitMute(kind: 'audio' | 'video', uid: number, muted: boolean): void {
    if (kind === 'audio') this.emit('peer-mute-audio', { type: 'peer-mute-audio', msg: { uid, muted } });
    else this.emit('peer-mute-video', { type: 'peer-mute-video', msg: { uid, muted } });
  }

  private emitScreen(uid: number, sharing: boolean): void {
    this.emit('peer-screen', { type: 'peer-screen', msg: { uid, sharing } });
  }

  /**
   * A media link that cannot get a path is a warning (the call goes on with the others, and the link is retried):
   * WARN_OPEN_CHANNEL_REJECTED when the relay refused our credential, WARN_OPEN_CHANNEL_TIMEOUT when no candidate
   * could be gathered at all. See docs/deploy.md.
   */
  private onIceProblem(uid: number, p: IceProblem): void {
    const relayOnly = this.iceTransportPolicy === 'relay';
    const hasTurn = !!this.ice?.iceServers.some((s) => s.urls.some((u) => /^turns?:/.test(u)));
    const [name, message] =
      p.kind === 'rejected'
        ? ([
            'WARN_OPEN_CHANNEL_REJECTED',
            `The relay ${p.url ?? ''} refused the credential for the media link with user ${uid} (${p.errorCode ?? ''} ${p.errorText ?? ''}): ` +
              (p.errorCode === 403
                ? 'the relay forbids the address it was asked to reach.'
                : "the signaling server's TURN_SECRET does not match coturn's static-auth-secret, or their clocks disagree."),
          ] as const)
        : ([
            'WARN_OPEN_CHANNEL_TIMEOUT',
            `No network path to user ${uid} could be gathered` +
              (relayOnly
                ? hasTurn
                  ? " (iceTransportPolicy 'relay'): the TURN server gave no relay address."
                  : " (iceTransportPolicy 'relay'): the signaling server hands out no TURN server (TURN_URLS)."
                : '.'),
          ] as const);
    log.warn(message);
    this.emit('warning', { type: 'warning', code: WarningCode[name], name, message });
  }

  private contentUnreadable(uid: number): void {
    const now = Date.now();
    if (now - (this.unreadableAt.get(uid) ?? 0) < 1000) return;
    this.unreadableAt.set(uid, now);
    this.emit('crypt-error', { type: 'crypt-error', uid, direction: 'recv', reason: 'content-unreadable' });
  }

  private emitError(reason: string, name: ErrorName, message: string): void {
    this.emit('error', { type: 'error', msg: { reason, code: ErrorCode[name], message } });
  }

  private assertNotClosed(): void {
    if (this.state === 'closed') {
      throw new AgoraError(
        'ERR_NOT_INITIALIZED',
        'This client was closed: create a new one with AgoraRTC.createRtcClient().',
      );
    }
  }

  private assertInitialized(): void {
    this.assertNotClosed();
    if (this.state === 'new' || this.state === 'initializing') {
      throw new AgoraError(
        'ERR_NOT_INITIALIZED',
        'Call client.init(appId) and wait for it to succeed first.',
      );
    }
  }

  private assertJoined(what: string): void {
    this.assertInitialized();
    if (this.state !== 'joined') throw new AgoraError('ERR_NOT_READY', `Join a channel before ${what}.`);
  }
}
