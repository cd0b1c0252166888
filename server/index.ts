/**
 * Package export `agora-rtc-web/server`: what customers' Node servers may use.
 *
 * - Dynamic keys (version 004, byte-identical to Agora's DynamicKey4 generators): make Channel Keys and Recording
 *   Keys on your own key server, check them on yours.
 * - The app registry: which App IDs a server accepts and which need keys, from `AGORA_APPS` / `AGORA_APPS_FILE`.
 * - The whole server (`startServer`: SDK files, signaling, your HTTP routes) with the policy of your choice, and the
 *   demo key endpoint (`channelKeyRoute`) for development servers. See docs/channel-keys.md.
 *
 * @example Your key server (the manual's DemoServer.js)
 * ```ts
 * import { randomInt } from 'node:crypto';
 * import { generateMediaChannelKey } from 'agora-rtc-web/server';
 *
 * const appId = process.env.APP_ID!;
 * const appCertificate = process.env.APP_CERTIFICATE!; // keep it on the server
 *
 * export function channelKeyFor(channel: string, uid: number): string {
 *   const now = Math.floor(Date.now() / 1000);
 *   // valid for joining for 5 minutes; the stay ends after an hour unless renewed (0 = no limit)
 *   return generateMediaChannelKey(appId, appCertificate, channel, now, randomInt(2 ** 32), uid, now + 3600);
 * }
 * ```
 *
 * @example Checking a key
 * ```ts
 * import { verifyChannelKey } from 'agora-rtc-web/server';
 *
 * const r = verifyChannelKey({ key, appId, appCertificate, channelName: 'room 1', uid: 42 });
 * if (!r.ok) console.log(r.code, r.name, r.message); // 109 ERR_CHANNEL_KEY_EXPIRED / 110 ERR_INVALID_CHANNEL_KEY
 * ```
 *
 * @example The app registry
 * ```ts
 * import { loadRegistry } from 'agora-rtc-web/server';
 *
 * // AGORA_APPS='{"apps":[{"appId":"…","certificate":"…","name":"demo"}]}'  or  AGORA_APPS_FILE=apps.json
 * const registry = loadRegistry(); // null when neither is set
 * for (const app of registry?.list() ?? []) console.log(app.appId, app.hasCertificate ? 'keys' : 'static');
 * ```
 *
 * @example Running the signaling server with your registry
 * ```ts
 * import { loadRegistry, registryPolicy, staticPolicy, startServer } from 'agora-rtc-web/server';
 *
 * const registry = loadRegistry();
 * const server = await startServer({ port: 8080, policy: registry ? registryPolicy(registry) : staticPolicy });
 * console.log(`signaling at ${server.url.replace('http', 'ws')}/agora-signal`);
 * ```
 *
 * @module
 */
export {
  generateMediaChannelKey,
  generateRecordingKey,
  parseChannelKey,
  verifyChannelKey,
  ServiceType,
  KEY_VERSION,
  CHANNEL_KEY_LENGTH,
  JOIN_WINDOW_SECONDS,
  MAX_CLOCK_SKEW_SECONDS,
  type ChannelKeyFields,
  type ParseResult,
  type KeyVerification,
  type KeyAccepted,
  type KeyRejected,
  type KeyRejectReason,
  type VerifyChannelKeyOptions,
} from './channel-key.js';
export {
  loadRegistry,
  createRegistry,
  registryPolicy,
  verifyRecordingKey,
  RegistryError,
  type AppRegistry,
  type RegisteredApp,
  type RegistryPolicyOptions,
  type RecordingKeyCheck,
} from './app-registry.js';
export { staticPolicy, policyError, type AppPolicy, type JoinCheck, type PolicyError } from './policy.js';
export { parseOrigins, DEV_ORIGINS } from './origins.js';
export {
  configureApps,
  channelKeyRoute,
  demoKeysEnabled,
  DemoKeysError,
  DEMO_KEYED_APP_ID,
  CHANNEL_KEY_PATH,
  type ServerApps,
  type ChannelKeyRouteOptions,
} from './demo-keys.js';
export {
  startServer,
  DEMO_APP_ID,
  DEFAULT_LIMITS,
  type ServerLimits,
  type ServerOptions,
  type RunningServer,
  type Route,
  type SignalingStats,
} from './app.js';
