// Registers <agora-device-picker>. Guarded, so a second copy of the bundle on the page does not throw.
import './agora-video.js';
import { AgoraDevicePickerElement } from './agora-device-picker.component.js';

export { AgoraDevicePickerElement };
export type { DeviceChangeDetail } from './agora-device-picker.component.js';

if (!customElements.get('agora-device-picker'))
  customElements.define('agora-device-picker', AgoraDevicePickerElement);

declare global {
  interface HTMLElementTagNameMap {
    'agora-device-picker': AgoraDevicePickerElement;
  }
  interface HTMLElementEventMap {
    'agora-device-change': CustomEvent<import('./agora-device-picker.component.js').DeviceChangeDetail>;
  }
}
