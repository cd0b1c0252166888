// The manual's init failures that concern the agent. Apps written against the manual read `err.reason`
// ('CLOSE_BEFORE_OPEN' / 'INCOMPATIBLE_WEBAGENT') and send the user to the URL the error carries.
import { AgoraError } from '../client/errors.js';
import type { ErrorName } from '../protocol/codes.js';
import type { Feature } from './requirements.js';

/** Where the fallback page lives: on the SDK's origin, beside the service worker. */
export const FALLBACK_PATH = '/agora-fallback.html';

/**
 * client.init's failure when the agent's part cannot be played: `reason` is the manual's.
 *
 * - `'CLOSE_BEFORE_OPEN'` (code 4, ERR_NOT_SUPPORTED): this browser lacks what calls need (`missing`); no
 *   connection was opened. Send the user to `agentInstallGuideUrl`, the fallback page listing what is missing
 *   and which browsers work.
 * - `'INCOMPATIBLE_WEBAGENT'` (code 3, ERR_NOT_READY): the service worker controlling the page is of another SDK
 *   version (`agentVersion`) than this SDK (`version`). The SDK has started the update; calling init again
 *   succeeds once the worker of this version has taken over (no reload needed). If the worker is the newer one,
 *   the page itself is stale: reload it.
 *
 * @example
 * client.init(appId, onJoined, function (err) {
 *   if (err.reason === 'CLOSE_BEFORE_OPEN') location.href = err.agentInstallGuideUrl;
 *   else if (err.reason === 'INCOMPATIBLE_WEBAGENT') client.init(appId, onJoined, showError);
 * });
 */
export class AgentError extends AgoraError {
  /** The manual's reason. */
  readonly reason: 'CLOSE_BEFORE_OPEN' | 'INCOMPATIBLE_WEBAGENT';
  /** CLOSE_BEFORE_OPEN: the missing features, as in checkSystemRequirements().missing. */
  readonly missing: Feature[];
  /** The fallback page, with what went wrong in its query (missing=…, or version=…&agentVersion=…). */
  readonly agentInstallGuideUrl: string;
  /** This SDK's version. */
  readonly version: string;
  /** INCOMPATIBLE_WEBAGENT: the controlling service worker's version ('unknown' if it did not answer). */
  readonly agentVersion?: string;

  constructor(
    name: ErrorName,
    message: string,
    details: {
      reason: AgentError['reason'];
      missing?: Feature[];
      agentInstallGuideUrl: string;
      version: string;
      agentVersion?: string;
    },
  ) {
    super(name, message);
    this.reason = details.reason;
    this.missing = details.missing ?? [];
    this.agentInstallGuideUrl = details.agentInstallGuideUrl;
    this.version = details.version;
    if (details.agentVersion !== undefined) this.agentVersion = details.agentVersion;
  }
}
