import { AgoraError, assertType, isOptionalFn, safeCall, settle, toAgoraError } from '../client/errors.js';
import { applyProfile, capture, captureTrack } from '../media/capture.js';
import { applySink } from '../media/devices.js';
import { audioLevel } from '../media/level.js';
import { DEFAULT_PROFILE, resolveProfile, type VideoProfile } from '../media/profiles.js';

/** createStream's spec (the manual's table). */
export interface StreamSpec {
  /** Stream ID, usually the uid from join's onSuccess. */
  streamID?: number | string;
  /** Must be true: remote streams are created by the SDK. */
  local?: boolean;
  /** Open the microphone (default true). */
  audio?: boolean;
  /** Open the camera (default true). */
  video?: boolean;
  /** Reserved: share the screen with client.startScreenSharing instead. */
  screen?: boolean;
}

/** What changed on a local stream, for the client that publishes it. @internal */
export type StreamChange =
  | { type: 'track'; kind: 'audio' | 'video'; track: MediaStreamTrack | null }
  | { type: 'mute'; audioMuted: boolean; videoMuted: boolean }
  | { type: 'profile'; profile: VideoProfile }
  | { type: 'closed' };

type Callback = ((err?: AgoraError) => void) | null | undefined;

/**
 * A local or remote audio/video stream (the manual's Stream class).
 *
 * @example
 * const stream = AgoraRTC.createStream({ streamID: uid, local: true, audio: true, video: true });
 * stream.setVideoProfile('480P');
 * stream.init(() => { stream.play('local-video'); client.publish(stream); }, (err) => console.log(err));
 */
export class Stream {
  /** The tracks this stream plays and publishes (local capture or what a remote peer sends). @internal */
  readonly _media = new MediaStream();
  /** @internal */
  readonly _local: boolean;
  /** @internal */
  _profile: VideoProfile = resolveProfile(DEFAULT_PROFILE)!;
  /** @internal */
  _devices: { audio?: string; video?: string } = {};
  /** The shared screen's track while it is sent instead of the camera. @internal */
  _screen: MediaStreamTrack | null = null;
  /** The camera was disabled when screen sharing started. */
  private camOff = false;
  private readonly id: number | string | undefined;
  private readonly wantAudio: boolean;
  private readonly wantVideo: boolean;
  private readonly wantScreen: boolean;
  private audioMuted = false;
  private videoMuted = false;
  private state: 'new' | 'initializing' | 'ready' | 'closed' = 'new';
  private element: HTMLVideoElement | null = null;
  private readonly changeListeners = new Set<(c: StreamChange) => void>();

  /** @internal Use AgoraRTC.createStream. */
  constructor(spec: StreamSpec, remoteUid?: number) {
    this._local = remoteUid === undefined;
    this.id = this._local ? spec.streamID : remoteUid;
    this.wantAudio = spec.audio !== false;
    this.wantVideo = spec.video !== false;
    this.wantScreen = spec.screen === true;
    if (!this._local) this.state = 'ready';
  }

  /** The stream's ID: the uid of its user. */
  getId(): number | string | undefined {
    return this.id;
  }

  /**
   * Open the camera and microphone of a local stream (remote streams need no init).
   *
   * @example
   * stream.init(() => log('local stream initialized'), (err) => log('local stream init failed', err));
   */
  init(onSuccess?: (() => void) | null, onFailure?: ((err: AgoraError) => void) | null): Promise<void> {
    assertType(
      isOptionalFn(onSuccess) && isOptionalFn(onFailure),
      'init(onSuccess?, onFailure?) takes functions.',
    );
    return settle(this.doInit(), onSuccess, onFailure);
  }

  private async doInit(): Promise<void> {
    if (!this._local) throw new AgoraError('ERR_INVALID_ARGUMENT', 'Remote streams need no init: play them.');
    if (this.state === 'closed')
      throw new AgoraError('ERR_NOT_INITIALIZED', 'This stream was closed; create a new one.');
    if (this.state !== 'new')
      throw new AgoraError('ERR_ALREADY_IN_USE', 'This stream is already initialized.');
    if (this.wantScreen) {
      throw new AgoraError(
        'ERR_NOT_SUPPORTED',
        'Streams with screen: true are reserved; share the screen with client.startScreenSharing() on a camera stream.',
      );
    }
    this.state = 'initializing';
    try {
      if (this.wantAudio || this.wantVideo) {
        const ms = await capture({
          audio: this.wantAudio,
          video: this.wantVideo,
          profile: this._profile,
          audioDeviceId: this._devices.audio,
          videoDeviceId: this._devices.video,
        });
        if (this.state !== 'initializing') {
          ms.getTracks().forEach((t) => t.stop()); // closed while the prompt was open
          throw new AgoraError('ERR_ABORTED', 'The stream was closed before its devices opened.');
        }
        ms.getTracks().forEach((t) => this._media.addTrack(t));
      }
      this.state = 'ready';
    } catch (e) {
      if (this.state === 'initializing') this.state = 'new';
      throw e;
    }
  }

  /**
   * Stop the stream: release camera and microphone (local), stop playing, and unpublish it.
   *
   * @example
   * stream.close();
   */
  close(): void {
    if (this.state === 'closed') return;
    this.stop();
    if (this._local) this._media.getTracks().forEach((t) => t.stop());
    this.state = 'closed';
    this.notify({ type: 'closed' });
  }

  /**
   * Play the stream in the element with this ID (or in this element, e.g. inside a shadow root): a <video> is
   * created inside it. A local stream plays muted (no echo). When the browser blocks a remote stream's sound until the user interacts, the picture still
   * plays, onFailure gets ERR_ADM_START_PLAYOUT, and `stream.resume()` from a click starts the sound.
   *
   * @example
   * client.on('stream-subscribed', (evt) => evt.stream.play('remote-' + evt.stream.getId()));
   */
  play(elementID: string | HTMLElement, onFailure?: ((err: AgoraError) => void) | null): Promise<void> {
    assertType(
      typeof elementID === 'string' || elementID instanceof HTMLElement,
      'play(elementID) takes the id of an HTML element, or the element.',
    );
    assertType(isOptionalFn(onFailure), 'play(elementID, onFailure?) takes a function.');
    return settle(this.doPlay(elementID), null, onFailure);
  }

  private async doPlay(elementID: string | HTMLElement): Promise<void> {
    if (this.state === 'closed') throw new AgoraError('ERR_NOT_INITIALIZED', 'This stream was closed.');
    const host = typeof elementID === 'string' ? document.getElementById(elementID) : elementID;
    if (!host)
      throw new AgoraError('ERR_INVALID_VIEW', `No element with id "${elementID}" to play the stream in.`);
    this.stop();
    const video = document.createElement('video');
    video.id = `agora-video-${String(this.id ?? 'local')}`;
    video.autoplay = true;
    video.playsInline = true;
    video.muted = this._local;
    video.style.cssText = 'width:100%;height:100%;object-fit:cover;background:#000';
    video.srcObject = this._media;
    host.appendChild(video);
    this.element = video;
    if (!this._local) void applySink(video).catch(() => undefined);
    try {
      await video.play();
    } catch (e) {
      if (this.element !== video) return; // stopped meanwhile
      if (e instanceof Error && e.name === 'NotAllowedError') {
        video.muted = true;
        await video.play().catch(() => undefined);
        throw new AgoraError(
          'ERR_ADM_START_PLAYOUT',
          'The browser blocked sound until the user interacts with the page: call stream.resume() from a click.',
          { cause: e },
        );
      }
      if (e instanceof Error && e.name === 'AbortError') return; // replaced by a newer play()
      throw toAgoraError(e, 'ERR_START_VIDEO_RENDER');
    }
  }

  /**
   * Loudness of the stream's audio now: 0 (silence or no audio) … 1 (full scale), the RMS of the last ~20 ms.
   * Poll it (e.g. every 100 ms) for a level meter or a "speaking" mark. Beyond the manual.
   *
   * @example
   * setInterval(() => (meter.value = stream.getAudioLevel()), 100);
   */
  getAudioLevel(): number {
    return audioLevel(this._media.getAudioTracks()[0]);
  }

  /** The stream has a live video track now (false while the camera is off or before a remote video arrives). */
  hasVideo(): boolean {
    return this._media.getVideoTracks().some((t) => t.readyState === 'live');
  }

  /** Start the sound of a remote stream whose autoplay the browser blocked; call it from a user gesture. */
  resume(): Promise<void> {
    const video = this.element;
    if (!video) return Promise.resolve();
    video.muted = this._local;
    return video.play().catch((e: unknown) => {
      throw toAgoraError(e, 'ERR_ADM_START_PLAYOUT');
    });
  }

  /**
   * Stop playing the stream in the page (the stream itself goes on).
   *
   * @example
   * stream.stop();
   */
  stop(): void {
    const video = this.element;
    this.element = null;
    if (!video) return;
    video.pause();
    video.srcObject = null;
    video.remove();
  }

  /** Send (local) or hear (remote) audio again. The others get peer-mute-audio with muted: false. */
  enableAudio(callback?: Callback): Promise<void> {
    return this.toggle('audio', true, callback);
  }

  /** Stop sending (local) or hearing (remote) audio. The others get peer-mute-audio with muted: true. */
  disableAudio(callback?: Callback): Promise<void> {
    return this.toggle('audio', false, callback);
  }

  /** Turn the camera back on (local) or show the remote video again. The others get peer-mute-video false. */
  enableVideo(callback?: Callback): Promise<void> {
    return this.toggle('video', true, callback);
  }

  /**
   * Stop sending video: the camera is released (its light goes off) and the others get peer-mute-video with
   * muted: true. On a remote stream, only hides its video here.
   *
   * @example
   * stream.disableVideo(() => log('camera off'));
   */
  disableVideo(callback?: Callback): Promise<void> {
    return this.toggle('video', false, callback);
  }

  private toggle(kind: 'audio' | 'video', on: boolean, callback: Callback): Promise<void> {
    assertType(
      isOptionalFn(callback),
      `${on ? 'enable' : 'disable'}${kind === 'audio' ? 'Audio' : 'Video'}(callback?) takes a function.`,
    );
    const p = settle(this.doToggle(kind, on));
    // The manual's single callback: called when done, with the error if it failed.
    if (callback)
      p.then(
        () => safeCall(callback, undefined),
        (e: AgoraError) => safeCall(callback, e),
      );
    return p;
  }

  private async doToggle(kind: 'audio' | 'video', on: boolean): Promise<void> {
    if (this.state === 'closed') throw new AgoraError('ERR_NOT_INITIALIZED', 'This stream was closed.');
    if (!this._local) {
      this._media.getTracks().forEach((t) => t.kind === kind && (t.enabled = on));
      return;
    }
    if (this.state !== 'ready') throw new AgoraError('ERR_NOT_READY', 'Call stream.init() first.');
    const muted = kind === 'audio' ? this.audioMuted : this.videoMuted;
    if (muted === !on) return;
    if (kind === 'audio') {
      this._media.getAudioTracks().forEach((t) => (t.enabled = on));
      this.audioMuted = !on;
    } else if (!on) {
      // Release the camera so its light goes off; senders carry no track meanwhile. This also ends screen sharing.
      this._screen = null;
      for (const t of this._media.getVideoTracks()) {
        t.stop();
        this._media.removeTrack(t);
      }
      this.videoMuted = true;
      this.notify({ type: 'track', kind: 'video', track: null });
    } else {
      if (this.wantVideo) {
        const track = await captureTrack('video', {
          profile: this._profile,
          videoDeviceId: this._devices.video,
        });
        this._replaceTrack('video', track);
      }
      this.videoMuted = false;
    }
    this.notify({ type: 'mute', audioMuted: this.audioMuted, videoMuted: this.videoMuted });
  }

  /**
   * Set the video profile: capture size and frame rate, and the encoder's frame rate and bitrate ceiling.
   * Takes the manual's string or enum value (see the profile table), or `{ profile, swapWidthAndHeight }`.
   * Set it before join; set later, it is applied to the running camera and encoders.
   *
   * @example
   * stream.setVideoProfile('480P');
   * stream.setVideoProfile({ profile: '720P', swapWidthAndHeight: true });
   */
  setVideoProfile(
    profile: string | number | { profile: string | number; swapWidthAndHeight?: boolean },
    swapWidthAndHeight = false,
  ): void {
    let name: unknown = profile;
    let swap: unknown = swapWidthAndHeight;
    if (typeof profile === 'object' && profile !== null) {
      name = profile.profile;
      swap = profile.swapWidthAndHeight ?? false;
    }
    assertType(
      (typeof name === 'string' || typeof name === 'number') && typeof swap === 'boolean',
      'setVideoProfile takes a profile name such as "480P", its enum value, or { profile, swapWidthAndHeight }.',
    );
    const p = resolveProfile(name as string | number, swap as boolean);
    if (!p) {
      throw new AgoraError(
        'ERR_INVALID_ARGUMENT',
        `Unknown video profile ${JSON.stringify(name)}: use one of the manual's profiles, e.g. "240P", "480P", "720P".`,
      );
    }
    this._profile = p;
    const track = this._media.getVideoTracks()[0];
    if (track && this._local && !this._screen) void applyProfile(track, p);
    this.notify({ type: 'profile', profile: p });
  }

  /** Audio/video mute state of a local stream. @internal */
  _muteState(): { audioMuted: boolean; videoMuted: boolean } {
    return { audioMuted: this.audioMuted, videoMuted: this.videoMuted };
  }

  /** @internal */
  _isReady(): boolean {
    return this.state === 'ready';
  }

  /** The <video> this stream plays in. @internal */
  get _player(): HTMLVideoElement | null {
    return this.element;
  }

  /**
   * Send a shared screen's track instead of the camera (sent even if the camera was disabled). null: back to
   * the camera, with its profile, or to no video if the camera was disabled before sharing. @internal
   */
  async _share(track: MediaStreamTrack | null): Promise<void> {
    let err: unknown;
    if (track) {
      if (!this._screen) this.camOff = this.videoMuted;
      this._screen = track;
      this._replaceTrack('video', track);
      this.muteVideo(false);
    } else if (this._screen && this.state === 'ready') {
      this._screen = null;
      const cam =
        this.camOff || !this.wantVideo
          ? null
          : await captureTrack('video', { profile: this._profile }).catch((e: unknown) => void (err = e));
      this._replaceTrack('video', cam ?? null);
      this.muteVideo(this.camOff || !!err);
    }
    this.notify({ type: 'profile', profile: this._profile }); // the encoder follows the new source
    if (err) throw err;
  }

  private muteVideo(muted: boolean): void {
    if (this.videoMuted === muted) return;
    this.videoMuted = muted;
    this.notify({ type: 'mute', ...this._muteState() });
  }

  /** The height in device pixels this stream is shown at (0 when not shown): the SFU picks a layer for it. @internal */
  _renderedHeight(): number {
    const v = this.element;
    return v?.isConnected ? Math.round(v.clientHeight * (globalThis.devicePixelRatio || 1)) : 0;
  }

  /** Put a track in place of the current one of its kind (remote track arrived, camera switched…). @internal */
  _replaceTrack(kind: 'audio' | 'video', track: MediaStreamTrack | null): void {
    for (const t of this._media.getTracks()) {
      if (t.kind !== kind || t === track) continue;
      this._media.removeTrack(t);
      if (this._local) t.stop();
    }
    if (track && !this._media.getTracks().includes(track)) {
      if (kind === 'audio' && this.audioMuted && this._local) track.enabled = false;
      this._media.addTrack(track);
    }
    // Re-point the player so it renders the new track at once.
    const video = this.element;
    if (video) {
      video.srcObject = this._media;
      void video.play().catch(() => undefined);
    }
    if (this._local) this.notify({ type: 'track', kind, track });
  }

  /** @internal */
  _onChange(listener: (c: StreamChange) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  private notify(change: StreamChange): void {
    for (const l of [...this.changeListeners]) safeCall(l, change);
  }
}
