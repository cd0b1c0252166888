// What client.init asks before it opens any connection: the checks the manual's SDK made against the installed
// AgoraWebAgent, played here by the browser (checkSystemRequirements) and the SDK's service worker.
import { assetUrl, classicPart, onDemand } from '../client/assets.js';
import { VERSION } from '../version.js';
import { AgentError, FALLBACK_PATH } from './errors.js';
import { checkSystemRequirements } from './requirements.js';

/** createRtcClient's `serviceWorker` option: a URL, or false for none. Default: /agora-sw.js on the SDK's origin. */
export type ServiceWorkerOption = string | false;

/** The fallback page on the SDK's origin, with `query` telling it what went wrong. */
export function fallbackUrl(query: Record<string, string>): string {
  const u = new URL(assetUrl(FALLBACK_PATH));
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
  return u.href;
}

/**
 * CLOSE_BEFORE_OPEN when this browser lacks what calls need: init calls it first, before any connection.
 */
export function assertCanCall(): void {
  const req = checkSystemRequirements();
  if (req.ok) return;
  throw new AgentError(
    'ERR_NOT_SUPPORTED',
    `This browser cannot make calls: it lacks ${req.missing.join(', ')}. See ${FALLBACK_PATH} for browsers that work.`,
    {
      reason: 'CLOSE_BEFORE_OPEN',
      missing: req.missing,
      agentInstallGuideUrl: fallbackUrl({ missing: req.missing.join(',') }),
      version: VERSION,
    },
  );
}

const loadWorkerCheck = onDemand('service-worker module', () =>
  __AGORA_CLASSIC__ ? classicPart<typeof import('./worker-check.js')>('agent') : import('./worker-check.js'),
);

/**
 * The service worker's part of init: rejects with INCOMPATIBLE_WEBAGENT when the controlling worker is of another
 * SDK version; otherwise resolves with the warning to raise when the worker cannot play its part (calls do not
 * need it), or null. Its code (worker-check.ts, with workbox-window) loads only when a worker is wanted.
 */
export async function checkServiceWorker(option: ServiceWorkerOption | undefined): Promise<string | null> {
  if (option === false) return null;
  let check: Awaited<ReturnType<typeof loadWorkerCheck>>;
  try {
    check = await loadWorkerCheck();
  } catch (e) {
    // Calls do not need the worker: a missing file is worth a warning, not a failed init.
    return `${(e as Error).message} Calls work, but the SDK cannot start offline or check for updates.`;
  }
  return check.checkServiceWorker(option);
}
