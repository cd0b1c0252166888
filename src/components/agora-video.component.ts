import { LitElement, html, type TemplateResult } from 'lit';
import type { AgoraError, Stream } from '../index.js';
import { styles } from './agora-video.styles.js';

/** Detail of `agora-autoplay-blocked`: the stream whose sound the browser held back. */
export interface AutoplayBlockedDetail {
  stream: Stream;
}

/**
 * Renders one Stream, local or remote, with the SDK's own player (so speaker choice applies to it).
 *
 * @example
 * html`<agora-video .stream=${stream} fit="contain"></agora-video>`
 *
 * @fires agora-autoplay-blocked - The browser blocked this remote stream's sound until the user interacts; call
 *   `stream.resume()` from a click. Detail: `{ stream }`.
 * @csspart video - The box the <video> plays in.
 */
export class AgoraVideoElement extends LitElement {
  static override styles = styles;

  static override properties = {
    stream: { attribute: false },
    fit: { reflect: true },
    mirror: { type: Boolean, reflect: true },
  };

  /** The Stream to show; null shows nothing. */
  stream: Stream | null = null;

  /** `cover` fills the box (cropping); `contain` shows the whole picture (letterboxed). */
  fit: 'cover' | 'contain' = 'cover';

  /** Mirror the picture, as people expect of their own camera. */
  mirror = false;

  private get box(): HTMLDivElement | null {
    return this.renderRoot?.querySelector('div') ?? null;
  }
  private playing: Stream | null = null;

  protected override render(): TemplateResult {
    return html`<div part="video"></div>`;
  }

  protected override updated(): void {
    if (this.isConnected && this.stream !== this.playing) this.play();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Re-attached after a move: the player was stopped on disconnect.
    if (this.hasUpdated && this.stream) this.play();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.release();
  }

  private play(): void {
    this.release();
    const stream = this.stream;
    this.playing = stream;
    if (!stream) return;
    stream.play(this.box!).catch((e: AgoraError) => {
      if (e.name === 'ERR_ADM_START_PLAYOUT' && this.playing === stream) {
        this.dispatchEvent(
          new CustomEvent<AutoplayBlockedDetail>('agora-autoplay-blocked', {
            detail: { stream },
            bubbles: true,
            composed: true,
          }),
        );
      }
    });
  }

  private release(): void {
    // Only stop a stream that still plays here: another element may have taken it over since.
    if (this.playing && this.box?.querySelector('video')) this.playing.stop();
    this.playing = null;
  }
}
