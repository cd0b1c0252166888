// Registers <agora-chat>. Guarded, so a second copy of the bundle on the page does not throw.
import { AgoraChatElement } from './agora-chat.component.js';

export { AgoraChatElement };
export type { ChatMessageDetail } from './agora-chat.component.js';

if (!customElements.get('agora-chat')) customElements.define('agora-chat', AgoraChatElement);

declare global {
  interface HTMLElementTagNameMap {
    'agora-chat': AgoraChatElement;
  }
  interface HTMLElementEventMap {
    'agora-chat-message': CustomEvent<import('./agora-chat.component.js').ChatMessageDetail>;
  }
}
