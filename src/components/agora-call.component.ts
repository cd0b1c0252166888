import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import {
  AgentError,
  AgoraError,
  checkSystemRequirements,
  createRtcClient,
  createStream,
  type CallStats,
  type Client,
  type NetworkQualityScore,
  type RecordingState,
  type Stream,
} from '../index.js';
import type { AutoplayBlockedDetail } from './agora-video.component.js';
import { errorDetail, type AgoraCallEventMap, type CallState, type ErrorDetail } from './events.js';
import { fill, type Strings } from './i18n.js';
import { LocalizedElement } from './localized.js';
import { icons } from './icons.js';
import { layout } from './layout.js';
import { styles } from './agora-call.styles.js';
import { theme } from './theme.styles.js';

interface Participant {
  uid: number;
  name: string;
  local: boolean;
  stream: Stream | null;
  /** stream-subscribed arrived for the current stream (remote). */
  ready: boolean;
  audioMuted: boolean;
  videoMuted: boolean;
  screen: boolean;
  speaking: boolean;
}

const MAX_NAME = 64;
/** RMS level above which a participant counts as speaking; the mark stays ~0.5 s after they stop. */
const SPEAKING_LEVEL = 0.02;
const POLL_MS = 150;

/** The views of call-extras.ts, once loaded (by the first element that shows one). */
let extras: typeof import('./call-extras.js') | null = null;
let loadingExtras: Promise<typeof import('./call-extras.js')> | null = null;

const clip = (name: string) => [...name.trim()].slice(0, MAX_NAME).join('');
const initials = (name: string) =>
  name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => [...w][0]!.toUpperCase())
    .join('');

/**
 * A complete call in one element: pre-join screen (preview, microphone level, devices, name), a grid that
 * re-lays itself as people come and go, a spotlight for shared screens, controls, reconnect and error banners.
 * Built on the public SDK: `client` is the element's own Client.
 *
 * @example
 * <script type="module" src="/sdk/agora-components.js"></script>
 * <agora-call app-id="0123456789abcdef0123456789abcdef" channel="room 1" display-name="Ada"></agora-call>
 *
 * @attribute lang - `zh` for Chinese labels, `en` for English; default: the browser's language.
 * @fires agora-joined - This user is in the channel. Detail: `{ uid, channel }`.
 * @fires agora-left - This user left. Detail: `{ channel }`.
 * @fires agora-peer-joined - Another member joined (or was there). Detail: `{ uid, name }`.
 * @fires agora-peer-left - Another member left. Detail: `{ uid, name }`.
 * @fires agora-state-change - prejoin → joining → connected ⇄ reconnecting/lost → left. Detail: `{ state, previous }`.
 * @fires agora-error - Something failed; the element shows it in words too. Detail: `{ code, name, message }`.
 * @csspart prejoin - The pre-join screen.
 * @csspart preview - The camera preview box of the pre-join screen.
 * @csspart stage - The area the tiles are laid out in.
 * @csspart tile - One participant (also `tile-speaking`, `tile-local`, `tile-screen`).
 * @csspart name - The name label of a tile.
 * @csspart controls - The control bar.
 * @csspart control - Each control button (also `control-off`, `control-leave`).
 * @csspart banner - Reconnecting, error and "enable sound" banners.
 * @csspart button - Primary buttons (join, rejoin).
 * @cssprop --agora-background - Page behind the call.
 * @cssprop --agora-surface - Tiles, cards, inputs.
 * @cssprop --agora-surface-raised - Control buttons.
 * @cssprop --agora-text - Text.
 * @cssprop --agora-text-muted - Secondary text.
 * @cssprop --agora-accent - Primary buttons.
 * @cssprop --agora-accent-text - Text on primary buttons.
 * @cssprop --agora-danger - Leave, muted marks, errors.
 * @cssprop --agora-speaking - The speaking highlight.
 * @cssprop --agora-focus - The keyboard focus ring.
 * @cssprop --agora-radius - Corner radius of tiles, cards and buttons.
 * @cssprop --agora-font - Font family.
 */
export class AgoraCallElement extends LocalizedElement {
  static override styles = [theme, styles];

  static override properties = {
    appId: { attribute: 'app-id' },
    channel: {},
    uid: { type: Number },
    displayName: { attribute: 'display-name' },
    channelKey: { attribute: 'channel-key' },
    keyUrl: { attribute: 'key-url' },
    videoProfile: { attribute: 'video-profile' },
    encryptionSecret: { attribute: 'encryption-secret' },
    encryptionMode: { attribute: 'encryption-mode' },
    signalingUrl: { attribute: 'signaling-url' },
    autojoin: { type: Boolean },
    prejoin: {
      converter: { fromAttribute: (v: string | null) => (v === null ? undefined : v !== 'false') },
    },
    noMicrophone: { type: Boolean, attribute: 'no-microphone' },
    noCamera: { type: Boolean, attribute: 'no-camera' },
    noScreenShare: { type: Boolean, attribute: 'no-screen-share' },
    noDevices: { type: Boolean, attribute: 'no-devices' },
    noLeave: { type: Boolean, attribute: 'no-leave' },
    noStats: { type: Boolean, attribute: 'no-stats' },
    noRecord: { type: Boolean, attribute: 'no-record' },
    callState: { state: true, attribute: false },
    micOn: { state: true, attribute: false },
    camOn: { state: true, attribute: false },
    sharing: { state: true, attribute: false },
    error: { state: true, attribute: false },
    notice: { state: true, attribute: false },
    menuOpen: { state: true, attribute: false },
    stats: { state: true, attribute: false },
    recording: { state: true, attribute: false },
    soundBlocked: { state: true, attribute: false },
    stage: { state: true, attribute: false },
    preview: { state: true, attribute: false },
  };

  /** App ID (32 hex characters). */
  appId = '';
  /** Channel name (the manual's rules: at most 64 characters of a–z A–Z 0–9, space and common symbols). */
  channel = '';
  /** uid to join with; 0 lets the server assign one. */
  uid = 0;
  /** The name the others see (at most 64 characters); the pre-join screen lets the user change it. */
  displayName = '';
  /** A Channel Key, for apps that need one. */
  channelKey = '';
  /** Key server: POST `{appId, channel, uid}` → `{key}`; asked at each join and before the key expires. */
  keyUrl = '';
  /** Video profile, e.g. "480P" (the manual's table). */
  videoProfile = '';
  /** Built-in encryption: every member must use the same secret and mode. */
  encryptionSecret = '';
  /** "aes-128-xts" (default), "aes-256-xts", "aes-128-gcm", "aes-256-gcm". */
  encryptionMode = '';
  /** Signaling server WebSocket URL; default: the server the SDK was loaded from. */
  signalingUrl = '';
  /** Join as soon as the element is on the page (and skip the pre-join screen unless `prejoin` is set). */
  autojoin = false;
  /** Show the pre-join screen. Default: on, unless `autojoin`. `prejoin="false"` turns it off. */
  prejoin: boolean | undefined = undefined;
  noMicrophone = false;
  noCamera = false;
  noScreenShare = false;
  noDevices = false;
  noLeave = false;
  /** Hide the network-quality marks and the statistics panel. */
  noStats = false;
  /** Hide the record button (it shows only with `key-url`, which must also make Recording Keys). */
  noRecord = false;

  /** Where the call is now. */
  callState: CallState = 'prejoin';
  private micOn = true;
  private camOn = true;
  private sharing = false;
  private error: ErrorDetail | null = null;
  /** This browser cannot make calls: the SDK's CLOSE_BEFORE_OPEN, shown instead of a call UI that cannot work. */
  private unsupported: AgentError | null = null;
  private notice = '';
  private menuOpen = false;
  /** The statistics panel's numbers while it is open (null: closed). */
  private stats: CallStats | null = null;
  private statsTimer: ReturnType<typeof setInterval> | undefined;
  /** The channel's recording as every member is told of it (null: nobody records). */
  private recording: RecordingState | null = null;
  /** The Recording Key this user started with: the manual stops a recording with the same key. */
  private recordKey = '';
  private recordTimer: ReturnType<typeof setInterval> | undefined;
  /** Network quality per uid (ours: our uplink; a remote user's: how well their media reaches us). */
  private readonly quality = new Map<number, NetworkQualityScore>();
  private soundBlocked = false;
  private stage = { w: 0, h: 0 };
  private preview: Stream | null = null;

  /** The last join failed: the view after it says so rather than "you left". */
  private joinFailed = false;
  private _client: Client | null = null;
  private initialized = false;
  private myUid = 0;
  private readonly peers = new Map<number, Participant>();
  private readonly blocked = new Set<Stream>();
  private readonly quietSince = new Map<number, number>();
  private poll: ReturnType<typeof setInterval> | undefined;
  private pollStart: ReturnType<typeof setTimeout> | undefined;
  private resizer: ResizeObserver | null = null;
  /** The open side panel (chat or whiteboard, from agora-collab.js, loaded when first opened) and unread counts. */
  private side: 'chat' | 'board' | null = null;
  private unread = { chat: 0, board: 0 };

  /** The element's Client (created on first use): the raw API for anything the element does not offer. */
  get client(): Client {
    if (!this._client) {
      this._client = createRtcClient(this.signalingUrl ? { signalingUrl: this.signalingUrl } : {});
      this.listen(this._client);
    }
    return this._client;
  }

  /** This user's Stream while in the call (or previewing), else null. */
  get localStream(): Stream | null {
    return this.preview;
  }

  private get inCall(): boolean {
    return ['joining', 'connected', 'reconnecting', 'lost'].includes(this.callState);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.addEventListener('agora-autoplay-blocked', this.onBlocked);
    this.addEventListener('agora-device-change', this.onDevice);
    this.addEventListener('keydown', this.onKey);
    // The SDK's own init answers CLOSE_BEFORE_OPEN, with the fallback page for this browser, before any socket.
    if (!checkSystemRequirements().ok) void this.join();
    else if (this.autojoin && this.callState === 'prejoin' && !this.showPrejoin) void this.join();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.removeEventListener('agora-autoplay-blocked', this.onBlocked);
    this.removeEventListener('agora-device-change', this.onDevice);
    this.removeEventListener('keydown', this.onKey);
    this.resizer?.disconnect();
    this.resizer = null;
    // Taken off the page: the call ends, the camera goes off.
    if (this.inCall) void this.leave();
    else this.closePreview();
    this._client?.close();
    this._client = null;
    this.initialized = false;
  }

  private get showPrejoin(): boolean {
    return this.prejoin ?? !this.autojoin;
  }

  // ---- public methods ----

  /** Join the channel (from the pre-join screen, after leaving, or from page code). Resolves once joined. */
  async join(): Promise<void> {
    if (this.inCall) return;
    this.error = null;
    this.setCallState('joining');
    const client = this.client;
    try {
      if (!this.initialized) {
        await client.init(this.appId);
        this.initialized = true;
      }
      if (this.encryptionSecret) {
        client.setEncryptionSecret(this.encryptionSecret);
        if (client.setEncryptionMode(this.encryptionMode) < 0)
          throw new AgoraError('ERR_INVALID_ARGUMENT', `Unknown encryption-mode "${this.encryptionMode}".`);
      }
      client.setDisplayName(clip(this.displayName));
      const key = await this.fetchKey(this.uid);
      if (!this.isConnected || this.callState !== 'joining') return;
      this.myUid = await client.join(key, this.channel, this.uid);
    } catch (e) {
      if (e instanceof AgentError && e.reason === 'CLOSE_BEFORE_OPEN') {
        this.unsupported = e;
        this.needExtras();
        this.fire('agora-error', errorDetail(e));
      } else this.fail(e);
      this.joinFailed = true;
      this.setCallState(this.showPrejoin ? 'prejoin' : 'left');
      return;
    }
    this.joinFailed = false;
    this.setCallState('connected');
    this.fire('agora-joined', { uid: this.myUid, channel: this.channel });
    this.startPolling();
    // no-camera with no-microphone: a viewer that sends nothing.
    if (this.noCamera && this.noMicrophone) return;
    try {
      const stream = this.preview ?? (await this.openStream(this.myUid));
      if (stream && (this.callState as CallState) !== 'left') await client.publish(stream);
    } catch (e) {
      this.fail(e);
    }
  }

  /**
   * Start or stop recording the channel (toggle without an argument). The Recording Key comes from `key-url`
   * (`"service": "recording"`); everyone in the call sees the recorded-channel mark.
   */
  async toggleRecording(on = !this.recording?.self): Promise<void> {
    const client = this.client;
    try {
      if (on && !this.recording) {
        const key = await this.fetchKey(this.myUid, 'recording');
        if (!key)
          throw new AgoraError('ERR_INVALID_CHANNEL_KEY', 'Recording needs a Recording Key: set key-url.');
        this.recordKey = key;
        await client.startRecording(key);
      } else if (!on && this.recording?.self) {
        await client.stopRecording(this.recordKey);
      }
    } catch (e) {
      this.fail(e);
    }
  }

  /** Leave the call: the camera and microphone are released. */
  async leave(): Promise<void> {
    if (!this.inCall) return;
    this.stopPolling();
    this.menuOpen = false;
    await this._client?.leave().catch(() => undefined);
    this.endCall();
  }

  /** Turn the microphone on or off (toggle without an argument). */
  async toggleMicrophone(on = !this.micOn): Promise<void> {
    this.micOn = on;
    if (this.preview) await (on ? this.preview.enableAudio() : this.preview.disableAudio());
  }

  /** Turn the camera on or off (toggle without an argument). */
  async toggleCamera(on = !this.camOn): Promise<void> {
    this.camOn = on;
    if (!this.preview) return;
    try {
      await (on ? this.preview.enableVideo() : this.preview.disableVideo());
    } catch (e) {
      this.camOn = !on;
      this.fail(e);
    }
  }

  /** Start or stop sharing the screen (toggle without an argument); the browser asks what to share. */
  async toggleScreenShare(on = !this.sharing): Promise<void> {
    if (this.callState !== 'connected') return;
    try {
      if (on) {
        await this.client.startScreenSharing('');
        this.sharing = true;
      } else {
        this.sharing = false;
        await this.client.stopScreenSharing();
      }
    } catch (e) {
      // The user closing the browser's picker is a choice, not an error.
      if ((e as AgoraError).name !== 'ERR_FAILED') this.fail(e);
    }
  }

  // ---- SDK wiring ----

  private boardCounted: Client | null = null;
  private boardFailed = false;

  /**
   * Unread whiteboard items: the whiteboard's code loads when the board first has something from another member
   * (content at join, or someone drawing), or when the panel is opened, never for a call where nobody draws. Items
   * on the board at that moment count like the chat's history; later ones as they are added. A failed load is
   * tried again when the panel is opened, not at every update.
   */
  private async countBoardChanges(client: Client, opening = false): Promise<void> {
    if (this.boardCounted === client && !(opening && this.boardFailed)) return;
    this.boardCounted = client;
    this.boardFailed = false;
    try {
      const board = await client.openWhiteboard();
      let n = 0;
      for (let page = 0; page < board.pageCount; page++)
        n += board.getItems(page).filter((i) => i.by !== this.myUid).length;
      this.bump('board', n);
      board.on('change', (e) => this.bump('board', e.added));
    } catch {
      // The whiteboard's code could not load: the call goes on without its count.
      this.boardFailed = true;
    }
  }

  private listen(client: Client): void {
    client.on('message', (m) => this.bump('chat', +(m.uid !== this.myUid)));
    client.on('whiteboard-update', () => void this.countBoardChanges(client));
    client.on('peer-join', ({ uid, name }) => {
      this.peers.set(uid, {
        uid,
        name,
        local: false,
        stream: null,
        ready: false,
        audioMuted: false,
        videoMuted: false,
        screen: false,
        speaking: false,
      });
      this.notice = fill(this.t.joinedMsg, { name: this.nameOf(uid) });
      this.fire('agora-peer-joined', { uid, name });
      this.requestUpdate();
    });
    client.on('peer-leave', ({ uid }) => {
      const p = this.peers.get(uid);
      if (!p) return;
      this.peers.delete(uid);
      if (p.stream) this.blocked.delete(p.stream);
      this.notice = fill(this.t.leftMsg, { name: this.nameOf(uid, p) });
      this.fire('agora-peer-left', { uid, name: p.name });
      this.requestUpdate();
    });
    client.on('stream-added', ({ stream }) => {
      const p = this.peers.get(stream.getId() as number);
      if (!p) return;
      p.stream = stream;
      p.ready = false;
      client.subscribe(stream).catch((e: unknown) => this.fail(e));
      this.requestUpdate();
    });
    client.on('stream-subscribed', ({ stream }) =>
      this.patch(stream.getId() as number, { stream, ready: true }),
    );
    client.on('stream-removed', ({ stream }) =>
      this.patch(stream.getId() as number, { stream: null, ready: false }),
    );
    client.on('peer-mute-audio', ({ msg }) => this.patch(msg.uid, { audioMuted: msg.muted }));
    client.on('peer-mute-video', ({ msg }) => this.patch(msg.uid, { videoMuted: msg.muted }));
    client.on('peer-screen', ({ msg }) => this.patch(msg.uid, { screen: msg.sharing }));
    client.on('screen-sharing-stopped', () => (this.sharing = false));
    client.on('recording-state-change', ({ type: _, ...state }) => {
      this.recording = state.status === 1 ? state : null;
      if (this.recording) this.needExtras();
      clearInterval(this.recordTimer);
      // The running time on the mark: one repaint a second while recording.
      this.recordTimer = this.recording ? setInterval(() => this.requestUpdate(), 1000) : undefined;
      if (!this.recording) this.recordKey = '';
    });
    if (!this.noStats)
      client.on('network-quality', (e) => {
        this.quality.set(this.myUid, e.uplinkNetworkQuality);
        for (const u of e.users) this.quality.set(u.uid, u.uplinkNetworkQuality);
        this.requestUpdate();
      });
    client.on('channel-key-will-expire', () => {
      if (!this.keyUrl) return;
      this.fetchKey(this.myUid)
        .then((key) => (key ? client.renewChannelKey(key) : undefined))
        .catch((e: unknown) => this.fail(e));
    });
    client.on('connection-state-change', ({ curState }) => {
      if (curState === 'CONNECTED' && (this.callState === 'reconnecting' || this.callState === 'lost'))
        this.setCallState('connected');
    });
    client.on('error', ({ msg }) => {
      if (msg.reason === 'CONNECTION_INTERRUPTED') this.setCallState('reconnecting');
      else if (msg.reason === 'CONNECTION_LOST') this.setCallState('lost');
      else {
        // The server ended the stay (key expired, or it would not take us back after a reconnect).
        this.fail({ code: msg.code, name: msg.reason, message: msg.message });
        this.stopPolling();
        this.endCall();
      }
    });
  }

  private patch(uid: number, change: Partial<Participant>): void {
    const p = this.peers.get(uid);
    if (!p) return;
    Object.assign(p, change);
    this.requestUpdate();
  }

  private async fetchKey(uid: number, service: 'media' | 'recording' = 'media'): Promise<string | null> {
    if (service === 'media' && this.channelKey) return this.channelKey;
    if (!this.keyUrl) return null;
    const res = await fetch(this.keyUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        appId: this.appId,
        channel: this.channel,
        uid,
        ...(service === 'recording' ? { service } : {}),
      }),
    });
    const body = (await res.json().catch(() => ({}))) as { key?: string | null; error?: string };
    if (!res.ok || body.key === undefined) {
      throw new AgoraError(
        'ERR_INVALID_CHANNEL_KEY',
        `The key server ${this.keyUrl} answered ${res.status}${body.error ? `: ${body.error}` : ''}.`,
      );
    }
    return body.key;
  }

  /** Camera and microphone (as allowed by no-camera / no-microphone); audio only, or nothing, if that fails. */
  private async openStream(id: number): Promise<Stream | null> {
    const tries = [
      { audio: !this.noMicrophone, video: !this.noCamera },
      { audio: !this.noMicrophone, video: false },
    ].filter((s, i) => (s.audio || s.video) && (i === 0 || !this.noCamera));
    let first: unknown;
    for (const spec of tries) {
      const stream = createStream({ streamID: id, local: true, ...spec });
      if (this.videoProfile) stream.setVideoProfile(this.videoProfile);
      try {
        await stream.init();
      } catch (e) {
        first ??= e;
        continue;
      }
      if (!this.micOn) await stream.disableAudio();
      if (!this.camOn || !spec.video) await stream.disableVideo();
      this.camOn = this.camOn && spec.video;
      if (spec !== tries[0]) this.fail(first);
      this.preview = stream;
      return stream;
    }
    this.fail(first ?? new AgoraError('ERR_FAILED', 'no-camera and no-microphone: nothing to send.'));
    return null;
  }

  private closePreview(): void {
    this.preview?.close();
    this.preview = null;
  }

  private endCall(): void {
    this.closePreview();
    this.peers.clear();
    this.blocked.clear();
    this.soundBlocked = this.sharing = this.menuOpen = false;
    this.setCallState('left');
    this.fire('agora-left', { channel: this.channel });
  }

  private setCallState(next: CallState): void {
    const previous = this.callState;
    if (previous === next) return;
    this.callState = next;
    this.fire('agora-state-change', { state: next, previous });
  }

  private fail(e: unknown): void {
    this.error = errorDetail(e);
    this.fire('agora-error', this.error);
  }

  private fire<K extends keyof AgoraCallEventMap>(type: K, detail: AgoraCallEventMap[K]['detail']): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  /** Speaking marks from audio levels. */
  private startPolling(): void {
    this.stopPolling();
    // The first audio meter creates an AudioContext, which holds the main thread for a while: not while the
    // first pictures are being set up.
    this.pollStart = setTimeout(() => this.pollLevels(), 1000);
  }

  private pollLevels(): void {
    this.poll = setInterval(() => {
      const now = Date.now();
      let changed = false;
      for (const p of this.participants()) {
        const level = p.stream && !p.audioMuted ? p.stream.getAudioLevel() : 0;
        if (level > SPEAKING_LEVEL) this.quietSince.set(p.uid, now + 500);
        const speaking = (this.quietSince.get(p.uid) ?? 0) > now;
        if (speaking !== p.speaking) {
          const target = p.local ? this.me : this.peers.get(p.uid);
          if (target) target.speaking = speaking;
          changed = true;
        }
      }
      if (changed) this.requestUpdate();
    }, POLL_MS);
  }

  private stopPolling(): void {
    this.toggleStats(false);
    clearInterval(this.recordTimer);
    this.recording = null;
    clearTimeout(this.pollStart);
    clearInterval(this.poll);
    this.poll = undefined;
  }

  /** Open or close the statistics panel; while open it refreshes every 2 s from client.getStats(). */
  private toggleStats(open = !this.stats): void {
    clearInterval(this.statsTimer);
    this.statsTimer = undefined;
    if (!open) {
      this.stats = null;
      return;
    }
    const refresh = () =>
      void this.client
        .getStats()
        .then((s) => {
          if (this.statsTimer !== undefined) this.stats = s;
        })
        .catch(() => undefined);
    this.needExtras();
    this.statsTimer = setInterval(refresh, 2000);
    refresh();
  }

  /** Loads the views only some calls show (agora-components-extras.js), then renders with them. */
  private needExtras(): void {
    if (extras) return;
    (loadingExtras ??= import('./call-extras.js')).then(
      (m) => {
        extras = m;
        this.requestUpdate();
      },
      (e: unknown) => {
        loadingExtras = null;
        this.fail(e);
      },
    );
  }

  private readonly me: { speaking: boolean } = { speaking: false };

  private participants(): Participant[] {
    const local: Participant = {
      uid: this.myUid,
      name: clip(this.displayName),
      local: true,
      stream: this.preview,
      ready: true,
      audioMuted: !this.micOn,
      videoMuted: !this.camOn && !this.sharing,
      screen: this.sharing,
      speaking: this.me.speaking,
    };
    return [local, ...this.peers.values()];
  }

  private nameOf(uid: number, p = this.peers.get(uid)): string {
    return p?.name || `${uid}`;
  }

  private readonly onBlocked = (e: CustomEvent<AutoplayBlockedDetail>) => {
    this.blocked.add(e.detail.stream);
    this.soundBlocked = true;
  };

  /**
   * selectDevice switches the published stream in place; the preview is not published yet, so it is reopened
   * on the new device (the SDK opens new streams on the chosen one).
   */
  private readonly onDevice = (e: CustomEvent<{ kind: string }>) => {
    if (this.callState !== 'prejoin' || !this.preview || e.detail.kind === 'audiooutput') return;
    this.closePreview();
    void this.openStream(0);
  };

  private readonly onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape' && this.menuOpen) {
      this.menuOpen = false;
      (this.renderRoot as ShadowRoot).querySelector<HTMLElement>('[data-control="devices"]')?.focus();
    }
  };

  private enableSound(): void {
    for (const s of this.blocked) void s.resume().catch(() => undefined);
    this.blocked.clear();
    this.soundBlocked = false;
  }

  private async startPreview(): Promise<void> {
    if (this.preview) return;
    this.error = null;
    await this.openStream(0);
  }

  // ---- rendering ----

  protected override firstUpdated(): void {
    this.observeStage();
  }

  protected override updated(changed: PropertyValues): void {
    if (changed.has('callState')) this.observeStage();
  }

  private observeStage(): void {
    const stage = this.renderRoot.querySelector('.stage');
    this.resizer?.disconnect();
    if (!stage) return;
    this.resizer = new ResizeObserver(([entry]) => {
      const { width, height } = entry!.contentRect;
      if (width !== this.stage.w || height !== this.stage.h) this.stage = { w: width, h: height };
    });
    this.resizer.observe(stage);
  }

  protected override render(): TemplateResult {
    const t = this.t;
    const state = this.callState;
    const body = this.unsupported
      ? (extras?.unsupportedView(t, this.unsupported) ?? nothing)
      : state === 'prejoin' || (state === 'joining' && this.showPrejoin)
        ? this.renderPrejoin(t)
        : state === 'left'
          ? this.renderLeft(t)
          : this.renderCall(t);
    return html`${this.renderBanners(t)}${body}
      <div class="sr" role="status" aria-live="polite">${this.notice}</div>`;
  }

  private renderBanners(t: Strings) {
    const s = this.callState;
    return html`<div class="banners">
      ${
        s === 'reconnecting' || s === 'lost'
          ? html`<div class="banner warn" part="banner" role="status" data-banner="reconnecting">
              <span class="spinner" aria-hidden="true"></span
              ><span>${s === 'lost' ? t.lost : t.reconnecting}</span>
            </div>`
          : nothing
      }
      ${
        this.error
          ? html`<div class="banner error" part="banner" role="alert" data-banner="error">
              <span
                >${(t as Record<string, string>)[this.error.name] ?? t.failed}
                <small>${fill(t.errorCode, { code: this.error.code })}</small></span
              >
              <button class="x" aria-label=${t.dismiss} @click=${() => (this.error = null)}>×</button>
            </div>`
          : nothing
      }
      ${
        this.soundBlocked
          ? html`<button class="banner sound" part="banner" data-banner="sound" @click=${this.enableSound}>
              ${icons.sound}${t.enableSound}
            </button>`
          : nothing
      }
    </div>`;
  }

  private renderPrejoin(t: Strings) {
    const joining = this.callState === 'joining';
    const stream = this.preview;
    const name = clip(this.displayName);
    return html`<main class="prejoin" part="prejoin">
      <section class="card ${this.showPrejoin ? '' : 'narrow'}">
        ${
          this.showPrejoin
            ? html`<div class="preview" part="preview">
                ${
                  stream && this.camOn
                    ? html`<agora-video .stream=${stream} mirror></agora-video>`
                    : html`<div class="placeholder">
                        <div class="avatar big" aria-hidden="true">${initials(name) || icons.cam}</div>
                        ${
                          stream
                            ? html`<p>${t.cameraOff}</p>`
                            : html`<p>${t.previewOff}</p>
                                <button class="secondary" data-action="allow" @click=${this.startPreview}>
                                  ${t.allow}
                                </button>
                                <small>${t.allowHint}</small>`
                        }
                      </div>`
                }
                ${
                  stream
                    ? html`<div class="preview-controls">
                        ${this.noMicrophone ? nothing : this.toggle(t, true)}
                        ${this.noCamera ? nothing : this.toggle(t, false)}
                      </div>`
                    : nothing
                }
              </div>`
            : nothing
        }
        <form class="side" @submit=${(e: Event) => (e.preventDefault(), void this.join())}>
          <h2>${this.channel}</h2>
          <label class="field"
            >${t.yourName}
            <input
              name="name"
              autocomplete="name"
              maxlength="64"
              .value=${this.displayName}
              placeholder=${t.namePlaceholder}
              @input=${(e: Event) => (this.displayName = (e.target as HTMLInputElement).value)}
          /></label>
          ${
            stream && !this.noDevices
              ? html`<agora-device-picker
                  lang=${this.getAttribute('lang') ?? nothing}
                  .client=${this.client}
                  .stream=${stream}
                  ?no-camera=${this.noCamera}
                  ?no-microphone=${this.noMicrophone}
                ></agora-device-picker>`
              : nothing
          }
          <button class="primary" part="button" type="submit" ?disabled=${joining}>
            ${joining ? t.joining : t.joinCall}
          </button>
        </form>
      </section>
    </main>`;
  }

  private renderLeft(t: Strings) {
    return html`<main class="prejoin" part="prejoin">
      <section class="card narrow">
        <p class="left-msg">${this.joinFailed ? t.joinFailed : t.left}</p>
        <button class="primary" part="button" data-action="rejoin" @click=${() => void this.join()}>
          ${this.joinFailed ? t.tryAgain : t.rejoin}
        </button>
      </section>
    </main>`;
  }

  private renderCall(t: Strings) {
    const people = this.participants();
    const spot = people.findIndex((p) => p.screen && (p.local || p.ready));
    const rects = layout(people.length, this.stage.w, this.stage.h, spot);
    return html`<div class="call">
      <header class="top">
        <span class="room">${this.channel}</span>
        <span class="count">${fill(t.participants, { n: people.length })}</span>
        ${this.recording && extras ? extras.recordingMark(t, this.recording) : nothing}
      </header>
      <div class="stage" part="stage">
        ${
          people.length === 1 && this.callState === 'connected'
            ? html`<p class="waiting">${t.waiting}</p>`
            : nothing
        }
        ${people.map((p, i) => this.renderTile(t, p, rects[i], i === spot))}
      </div>
      ${
        this.side
          ? html`<aside class="side" part="side">
              ${
                this.side === 'chat'
                  ? html`<agora-chat .client=${this.client}></agora-chat>`
                  : html`<agora-whiteboard .client=${this.client}></agora-whiteboard>`
              }
            </aside>`
          : nothing
      }
      ${this.renderBar(t)}
    </div>`;
  }

  /** Opens (loading agora-collab.js the first time) or closes the chat or whiteboard beside the video. */
  async toggleSide(which: 'chat' | 'board'): Promise<void> {
    if (this.side !== which) await import('./collab.js');
    if (which === 'board') void this.countBoardChanges(this.client, true);
    this.side = this.side === which ? null : which;
    this.bump(which, 0);
  }

  private bump(which: 'chat' | 'board', n: number): void {
    this.unread[which] = this.side === which ? 0 : this.unread[which] + n;
    this.requestUpdate();
  }

  /** Labelled with words even where the bar shows only icons (these have none): the count follows them. */
  private sideButton(t: Strings, which: 'chat' | 'board') {
    const n = this.unread[which];
    return html`<button
      class="control ${this.side === which ? 'active' : ''}"
      part="control"
      data-control=${which}
      aria-pressed=${this.side === which ? 'true' : 'false'}
      @click=${() => void this.toggleSide(which)}
    >
      <span>${t[which]}</span> ${n ? html`<span class="badge">${n}</span>` : nothing}
    </button>`;
  }

  private renderTile(
    t: Strings,
    p: Participant,
    r: { x: number; y: number; w: number; h: number } | undefined,
    spot: boolean,
  ) {
    const label = p.local ? `${p.name || t.you} (${t.you})` : p.name || String(p.uid);
    const showVideo = !!p.stream && p.ready && !p.videoMuted && (p.local || p.stream.hasVideo());
    const parts = [
      'tile',
      p.speaking ? 'tile-speaking' : '',
      p.local ? 'tile-local' : '',
      spot ? 'tile-screen' : '',
    ]
      .filter(Boolean)
      .join(' ');
    const hue = (p.uid * 47) % 360;
    return html`<div
      class="tile ${p.speaking ? 'speaking' : ''} ${spot ? 'spot' : ''}"
      part=${parts}
      role="group"
      aria-label=${label}
      data-uid=${p.uid}
      data-local=${p.local ? 'true' : 'false'}
      data-video=${showVideo ? 'on' : 'off'}
      style=${r ? `left:${r.x}px;top:${r.y}px;width:${r.w}px;height:${r.h}px` : 'display:none'}
    >
      ${
        p.stream && p.ready
          ? html`<agora-video
              .stream=${p.stream}
              fit=${p.screen ? 'contain' : 'cover'}
              ?mirror=${p.local && !p.screen}
              ?hidden=${!showVideo}
            ></agora-video>`
          : nothing
      }
      ${
        showVideo
          ? nothing
          : html`<div class="avatar" style="--hue:${hue}" aria-hidden="true">
              ${initials(p.name) || (p.local ? initials(t.you) : '#')}
            </div>`
      }
      <div class="name" part="name">
        ${
          p.audioMuted
            ? html`<span class="mark" data-mark="muted" title=${t.muted}
                >${icons.micOff}<span class="sr">${t.muted}</span></span
              >`
            : nothing
        }
        ${
          showVideo || !p.stream || !p.videoMuted
            ? nothing
            : html`<span class="mark" data-mark="camera-off" title=${t.cameraOff}
                >${icons.camOff}<span class="sr">${t.cameraOff}</span></span
              >`
        }
        ${p.speaking ? html`<span class="sr">${t.speaking}</span>` : nothing} ${this.qualityMark(t, p.uid)}
        <span class="label">${label}</span>
      </div>
    </div>`;
  }

  /** Network quality of one participant (0 unknown, 1 excellent … 6 down): shown once known. */
  private qualityMark(t: Strings, uid: number) {
    const q = this.quality.get(uid) ?? 0;
    if (this.noStats || q === 0) return nothing;
    const text = fill(t.network, { quality: t.qualities.split('|')[q] ?? '' });
    return html`<span class="mark quality q${q}" data-mark="network" data-score=${q} title=${text}
      >${icons.signal}<span class="sr">${text}</span></span
    >`;
  }

  /** The microphone or camera button: red-tinted while off. */
  private toggle(t: Strings, mic: boolean) {
    const on = mic ? this.micOn : this.camOn;
    return html`<button
      class="control ${on ? '' : 'off'}"
      part="control ${on ? '' : 'control-off'}"
      data-control=${mic ? 'microphone' : 'camera'}
      aria-label=${mic ? (on ? t.micOn : t.micOff) : on ? t.camOn : t.camOff}
      @click=${() => void (mic ? this.toggleMicrophone() : this.toggleCamera())}
    >
      ${mic ? (on ? icons.mic : icons.micOff) : on ? icons.cam : icons.camOff}<span class="text"
        >${mic ? t.microphone : t.camera}</span
      >
    </button>`;
  }

  private renderBar(t: Strings) {
    const canShare = !this.noScreenShare && !!navigator.mediaDevices?.getDisplayMedia;
    const live =
      this.callState === 'connected' || this.callState === 'reconnecting' || this.callState === 'lost';
    return html`<div class="bar" part="controls" role="toolbar" aria-label=${t.controls}>
      ${this.noMicrophone ? nothing : this.toggle(t, true)} ${this.noCamera ? nothing : this.toggle(t, false)}
      ${
        canShare
          ? html`<button
              class="control ${this.sharing ? 'active' : ''}"
              part="control"
              data-control="screen"
              aria-pressed=${this.sharing ? 'true' : 'false'}
              aria-label=${this.sharing ? t.shareOn : t.shareOff}
              ?disabled=${!live || !this.preview}
              @click=${() => void this.toggleScreenShare()}
            >
              ${icons.screen}<span class="text">${this.sharing ? t.shareOn : t.shareOff}</span>
            </button>`
          : nothing
      }
      ${
        this.noDevices
          ? nothing
          : html`<div class="menu-wrap">
              <button
                class="control"
                part="control"
                data-control="devices"
                aria-expanded=${this.menuOpen ? 'true' : 'false'}
                aria-haspopup="dialog"
                aria-label=${t.devices}
                @click=${() => (this.menuOpen = !this.menuOpen)}
              >
                ${icons.gear}<span class="text">${t.devices}</span>
              </button>
              ${
                this.menuOpen
                  ? html`<div class="menu" role="dialog" aria-label=${t.devices}>
                      <agora-device-picker
                        lang=${this.getAttribute('lang') ?? nothing}
                        .client=${this.client}
                        .stream=${this.preview}
                        ?no-camera=${this.noCamera}
                        ?no-microphone=${this.noMicrophone}
                      ></agora-device-picker>
                    </div>`
                  : nothing
              }
            </div>`
      }
      ${
        this.noRecord || !this.keyUrl
          ? nothing
          : html`<button
              class="control ${this.recording?.self ? 'active' : ''}"
              part="control"
              data-control="record"
              aria-pressed=${this.recording?.self ? 'true' : 'false'}
              aria-label=${this.recording?.self ? t.stopRecord : t.record}
              ?disabled=${!live || (!!this.recording && !this.recording.self)}
              @click=${() => void this.toggleRecording()}
            >
              ${icons.record}<span class="text">${this.recording?.self ? t.stopRecord : t.record}</span>
            </button>`
      }
      ${
        this.noStats
          ? nothing
          : html`<div class="menu-wrap">
              <button
                class="control ${this.stats ? 'active' : ''}"
                part="control"
                data-control="stats"
                aria-pressed=${this.stats ? 'true' : 'false'}
                aria-label=${t.stats}
                ?disabled=${!live}
                @click=${() => this.toggleStats()}
              >
                ${icons.signal}<span class="text">${t.stats}</span>
              </button>
              ${this.stats && extras ? extras.statsPanel(t, this.stats, (uid) => this.nameOf(uid)) : nothing}
            </div>`
      }
      ${live ? [this.sideButton(t, 'chat'), this.sideButton(t, 'board')] : nothing}
      ${
        this.noLeave
          ? nothing
          : html`<button
              class="control leave"
              part="control control-leave"
              data-control="leave"
              aria-label=${t.leave}
              @click=${() => void this.leave()}
            >
              ${icons.leave}<span class="text">${t.leave}</span>
            </button>`
      }
    </div>`;
  }
}
