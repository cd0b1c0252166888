// Registers <agora-whiteboard>. Guarded, so a second copy of the bundle on the page does not throw.
import { AgoraWhiteboardElement } from './agora-whiteboard.component.js';

export { AgoraWhiteboardElement };

if (!customElements.get('agora-whiteboard'))
  customElements.define('agora-whiteboard', AgoraWhiteboardElement);

declare global {
  interface HTMLElementTagNameMap {
    'agora-whiteboard': AgoraWhiteboardElement;
  }
}
