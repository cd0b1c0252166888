// Messages between the page and the SDK's service worker (sw/agora-sw.ts). The worker answers on the
// MessageChannel port workbox-window's messageSW() gives it.

/** Default URL of the SDK's service worker, on the SDK's origin (root scope). */
export const SW_PATH = '/agora-sw.js';

/** Page → worker: "which SDK version are you?" Answered with a VersionReply. */
export const GET_VERSION = 'AGORA_GET_VERSION';

/** Page → waiting worker: take over now (workbox-window's messageSkipWaiting sends it). */
export const SKIP_WAITING = 'SKIP_WAITING';

export interface VersionReply {
  version: string;
}
