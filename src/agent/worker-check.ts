// The service worker's part of client.init (see agent.ts), loaded on first use with workbox-window so that the
// core bundle stays small; createRtcClient({ serviceWorker: false }) never loads it.
import { assetUrl } from '../client/assets.js';
import { VERSION } from '../version.js';
import { fallbackUrl, type ServiceWorkerOption } from './agent.js';
import { AgentError } from './errors.js';
import { SW_PATH } from './protocol.js';
import { checkSystemRequirements } from './requirements.js';
import { agentFor, versionOf } from './service-worker.js';

/**
 * The service worker's part of init: rejects with INCOMPATIBLE_WEBAGENT when the controlling worker is of another
 * SDK version; otherwise resolves with the warning to raise when the worker cannot play its part (calls do not
 * need it), or null.
 */
export async function checkServiceWorker(option: ServiceWorkerOption | undefined): Promise<string | null> {
  if (option === false) return null;
  const url = new URL(option ?? assetUrl(SW_PATH), location.href).href;
  try {
    return await checkWorker(url, checkSystemRequirements().features.serviceWorker);
  } catch (e) {
    if (e instanceof AgentError) throw e;
    // e.g. a sandboxed or opaque-origin page, where merely reading navigator.serviceWorker throws.
    return `The service worker ${url} could not be used (${e instanceof Error ? e.message : String(e)}): calls work, but the SDK cannot start offline or check for updates.`;
  }
}

/** checkServiceWorker for a URL: a warning, null, or INCOMPATIBLE_WEBAGENT. */
async function checkWorker(url: string, supported: boolean): Promise<string | null> {
  if (!supported) {
    return 'This browser offers no service worker here (not supported, private browsing, or not a secure context): calls work, but the SDK cannot start offline or check for updates.';
  }
  if (new URL(url).origin !== location.origin) {
    return `The service worker ${url} is on another origin than this page (${location.origin}), and a page can only register workers of its own origin: calls work, but the SDK cannot start offline. Serve the page from the SDK's origin, or pass createRtcClient({ serviceWorker: false }).`;
  }
  // One registration per scope: registering ours would replace the app's own worker there.
  const scope = new URL('./', url).href;
  const existing = await navigator.serviceWorker.getRegistration(scope).catch(() => undefined);
  const theirs = existing?.scope === scope && (existing.active ?? existing.waiting ?? existing.installing);
  if (theirs && theirs.scriptURL !== url) {
    return `Another service worker (${theirs.scriptURL}) serves ${scope}; the SDK leaves it in place. Calls work, but the SDK cannot start offline. Pass createRtcClient({ serviceWorker: false }) to silence this warning.`;
  }

  const agent = agentFor(url);
  try {
    await agent.registered;
  } catch (e) {
    return `The service worker ${url} could not be registered (${e instanceof Error ? e.message : String(e)}): calls work, but the SDK cannot start offline or check for updates.`;
  }
  // An init retried after INCOMPATIBLE_WEBAGENT waits for the update it started.
  await agent.repairing;

  const controller = navigator.serviceWorker.controller;
  // First visit: the worker is installing and takes over by itself (nothing to compare yet).
  if (!controller || controller.scriptURL !== url) return null;
  const agentVersion = (await versionOf(controller)) ?? 'unknown';
  if (agentVersion === VERSION) {
    // A new build of this version may be on the server: it installs and takes over behind the call.
    void agent.upgrade().catch(() => undefined);
    return null;
  }
  agent.repair();
  throw new AgentError(
    'ERR_NOT_READY',
    `The service worker controlling this page is SDK version ${agentVersion}, this SDK is ${VERSION}. ` +
      'The worker of this version is being installed: call init again (it waits for the update). If the worker ' +
      'is the newer one, this page is out of date: reload it.',
    {
      reason: 'INCOMPATIBLE_WEBAGENT',
      agentInstallGuideUrl: fallbackUrl({ version: VERSION, agentVersion }),
      version: VERSION,
      agentVersion,
    },
  );
}
