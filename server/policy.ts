// Which apps may use the service and what a join must prove. The signaling server asks its AppPolicy; the
// default accepts any well-formed App ID in static-key mode (the manual's "key = null"). The app registry
// (server/app-registry.ts) supplies a policy with App Certificates and Channel Key checks.
import { ErrorCode, type ErrorName } from '../src/protocol/codes.js';

export interface PolicyError {
  code: number;
  name: ErrorName;
  message: string;
}

export interface JoinCheck {
  appId: string;
  channel: string;
  /** The uid the member will have (already assigned when the request said 0). */
  uid: number;
  key: string | null;
  /** Unix seconds, now. */
  now: number;
}

export interface AppPolicy {
  /**
   * null when the App ID may use the service, otherwise why not (ERR_INVALID_APP_ID). `origin` is the page's
   * Origin header (null for programs), for apps that may be used only from their own sites.
   */
  checkApp(appId: string, origin?: string | null): PolicyError | null;
  /**
   * A join (or a renewal of the key of a stay: same rules) is allowed: returns the service expiry in unix
   * seconds (0 = none); otherwise the error (ERR_INVALID_CHANNEL_KEY, ERR_CHANNEL_KEY_EXPIRED, …).
   */
  checkJoin(check: JoinCheck): { expiresAt: number } | PolicyError;
  /**
   * A member may record: `check.key` is a Recording Key (service type ARS) for the member's own app, channel and
   * uid. Returns the key's service expiry (0 = none), otherwise the error. A policy without this method lets no
   * one record (the server answers ERR_INVALID_CHANNEL_KEY).
   */
  checkRecordingKey?(check: JoinCheck): { expiresAt: number } | PolicyError;
  /**
   * The app's own MESH_MAX (members before a channel's media moves to the SFU, 0 = always), or undefined for the
   * server's. Read when a channel is created and on each join.
   */
  meshMax?(appId: string): number | undefined;
  /**
   * How long (seconds) a channel's whiteboard and chat stay on the server after its last member leaves, so that
   * the next member finds them; 0 or no method: they go at once. The app's owner decides (app registry
   * `keepCollabSeconds`), not its members: see docs/whiteboard-and-chat.md.
   */
  keepCollabSeconds?(appId: string): number;
}

export function policyError(name: ErrorName, message: string): PolicyError {
  return { code: ErrorCode[name], name, message };
}

/**
 * Out-of-the-box policy: every well-formed App ID is a static-key app. As the manual allows, the key may be
 * null/empty or the App ID itself; anything else is a Channel Key this app cannot use.
 */
export const staticPolicy: AppPolicy = {
  checkApp: () => null,
  checkJoin({ appId, key }) {
    if (key === null || key === '' || key === appId) return { expiresAt: 0 };
    return policyError(
      'ERR_INVALID_CHANNEL_KEY',
      'This App ID has no App Certificate (static-key mode): join with key null (or the App ID), not a Channel Key.',
    );
  },
  checkRecordingKey({ appId }) {
    return policyError(
      'ERR_INVALID_CHANNEL_KEY',
      `Recording requires a Recording Key made with the app's App Certificate, and App ID ${appId} has none on this server (static-key mode), so it cannot record here. Give the app a certificate in the app registry (AGORA_APPS or AGORA_APPS_FILE), then make keys with generateRecordingKey.`,
    );
  },
};
