// The SDK's service worker, served at /agora-sw.js. It plays the part the manual's native agent played beside
// the page: it answers the SDK's version question (client.init compares it with its own), and it keeps the SDK
// and the demo pages so they start without the network. The precache manifest is written into the built file by
// scripts/build-sw.mjs (workbox-build): every entry carries a content hash, so a new build installs as a new
// worker, and on activation workbox deletes the entries the new manifest no longer lists.
import { clientsClaim } from 'workbox-core';
import { cleanupOutdatedCaches, precacheAndRoute, type PrecacheEntry } from 'workbox-precaching';
import { GET_VERSION, SKIP_WAITING, type VersionReply } from '../src/agent/protocol.js';
import { RECORDING_PATH, recordingResponse } from '../src/recording/serve.js';
import { VERSION } from '../src/version.js';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: Array<PrecacheEntry | string> };

// Recordings stream out of IndexedDB a chunk at a time (AgoraRTC.recordings.download): a file of any size is
// never whole in memory. Registered before the precache route, which would not answer these URLs anyway.
self.addEventListener('fetch', (event) => {
  if (new URL(event.request.url).pathname.startsWith(RECORDING_PATH))
    event.respondWith(recordingResponse(event.request).then((r) => r ?? fetch(event.request)));
});

cleanupOutdatedCaches();
// Precached pages answer whatever their query (the fallback page reads ?missing=…).
precacheAndRoute(self.__WB_MANIFEST, { ignoreURLParametersMatching: [/.*/] });

// The first worker controls the page that registered it at once, so even the first visit's page is covered.
// Later workers wait until a page of their version asks them to take over (SKIP_WAITING from the SDK).
clientsClaim();

self.addEventListener('message', (event) => {
  const type = (event.data as { type?: unknown } | null)?.type;
  if (type === SKIP_WAITING) {
    void self.skipWaiting();
  } else if (type === GET_VERSION) {
    const reply: VersionReply = { version: VERSION };
    event.ports[0]?.postMessage(reply);
  }
});
