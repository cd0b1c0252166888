// Registers <agora-video>. Guarded, so a second copy of the bundle on the page does not throw.
import { AgoraVideoElement } from './agora-video.component.js';

export { AgoraVideoElement };
export type { AutoplayBlockedDetail } from './agora-video.component.js';

if (!customElements.get('agora-video')) customElements.define('agora-video', AgoraVideoElement);

declare global {
  interface HTMLElementTagNameMap {
    'agora-video': AgoraVideoElement;
  }
  interface HTMLElementEventMap {
    'agora-autoplay-blocked': CustomEvent<import('./agora-video.component.js').AutoplayBlockedDetail>;
  }
}
