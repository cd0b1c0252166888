// Entry of dist/sdk/agora-components.js: registers <agora-call>, <agora-video> and <agora-device-picker>. The
// core SDK is imported as ./agora-rtc.js beside this file, so a page using both downloads it once.
export { AgoraCallElement } from './agora-call.js';
export { AgoraVideoElement } from './agora-video.js';
export { AgoraDevicePickerElement } from './agora-device-picker.js';
export type * from './events.js';
export type { AutoplayBlockedDetail } from './agora-video.js';
export type { DeviceChangeDetail } from './agora-device-picker.js';
