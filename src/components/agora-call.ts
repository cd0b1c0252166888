// Registers <agora-call> (and the elements it renders). Guarded, so a second copy of the bundle does not throw.
import './agora-video.js';
import './agora-device-picker.js';
import { AgoraCallElement } from './agora-call.component.js';
import type { AgoraCallEventMap } from './events.js';

export { AgoraCallElement };

if (!customElements.get('agora-call')) customElements.define('agora-call', AgoraCallElement);

declare global {
  interface HTMLElementTagNameMap {
    'agora-call': AgoraCallElement;
  }
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface HTMLElementEventMap extends AgoraCallEventMap {}
}
