/**
 * Which apps the server accepts and the demo key endpoint `POST /api/channel-key` (the manual's DemoServer.js),
 * configured from the environment:
 *
 * - `AGORA_APPS` / `AGORA_APPS_FILE`: the app registry (see app-registry.ts). Without one, every well-formed App ID
 *   is a static-key app (the out-of-the-box default).
 * - `AGORA_DEMO_KEYS=1`: turns the demo key endpoint on (`npm start` does; `node dist/node/server/main.js` does
 *   not). It makes keys for ONE app, the demo app:
 *   - no registry: a built-in keyed demo app, {@link DEMO_KEYED_APP_ID}, whose App Certificate is random for each
 *     start of the server and never leaves it. Every other App ID stays static, as without demo keys.
 *   - a registry: `AGORA_DEMO_APP_ID`, or else the first registered app with a certificate.
 * - `AGORA_DEMO_APP_ID`: which registered app the endpoint makes keys for.
 *
 * The endpoint is for development: anyone who can reach it can join the demo app. Production key servers make
 * keys after their own authentication, with `generateMediaChannelKey` (see docs/channel-keys.md).
 *
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkAppId, checkChannelName, checkUid } from '../src/protocol/validate.js';
import { createRegistry, registryPolicy, RegistryError, type AppRegistry } from './app-registry.js';
import { parseChannelKey } from './channel-key.js';
import type { Route } from './http.js';
import { policyError, staticPolicy, type AppPolicy } from './policy.js';

/** The demo key endpoint's path. */
export const CHANNEL_KEY_PATH = '/api/channel-key';

/**
 * The built-in keyed demo app (used when demo keys are on and no registry is configured): fixed, so bookmarks and
 * docs keep working, and distinct from the static DEMO_APP_ID. Its certificate is random per server start.
 */
export const DEMO_KEYED_APP_ID = createHash('md5').update('agora-rtc-web keyed demo app').digest('hex');

/** Largest request body the endpoint reads. */
export const MAX_KEY_REQUEST_BYTES = 4096;
/** Default service expiry of a demo key: an hour after it is made (the sample renews it on channel-key-will-expire). */
export const DEFAULT_KEY_LIFETIME_S = 3600;
/** Longest lifetime the endpoint makes (one day); 0 means no service expiry. */
export const MAX_KEY_LIFETIME_S = 86_400;

/** A problem with the demo-key variables (the server should refuse to start). */
export class DemoKeysError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemoKeysError';
  }
}

type Env = Record<string, string | undefined>;

/** `AGORA_DEMO_KEYS`: 1/true/yes/on → true; unset, empty, 0/false/no/off → false; anything else is an error. */
export function demoKeysEnabled(env: Env = process.env): boolean {
  const v = (env.AGORA_DEMO_KEYS ?? '').trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['', '0', 'false', 'no', 'off'].includes(v)) return false;
  throw new DemoKeysError(
    `AGORA_DEMO_KEYS must be 1 (demo key endpoint on) or 0 (off); got ${JSON.stringify(env.AGORA_DEMO_KEYS)}.`,
  );
}

export interface ChannelKeyRouteOptions {
  /** Makes the keys; holds the demo app's certificate (never handed out). */
  registry: AppRegistry;
  /** The one app keys are made for; null when there is none (every key request for a keyed app is refused). */
  demoAppId: string | null;
  /** true for an App ID in static-key mode on this server: the endpoint answers `key: null` for it. */
  isStatic(appId: string): boolean;
  /** Clock in Unix seconds; default now. */
  now?: () => number;
  /** One line per key made (never the key or a certificate). */
  log?: (line: string) => void;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new HttpError(
      415,
      'Send the request body as JSON with Content-Type: application/json, e.g. {"channel": "room 1", "uid": 0}.',
    );
  }
  const tooLarge = new HttpError(413, `The request body is larger than ${MAX_KEY_REQUEST_BYTES} bytes.`);
  if (Number(req.headers['content-length'] ?? 0) > MAX_KEY_REQUEST_BYTES) throw tooLarge;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_KEY_REQUEST_BYTES) throw tooLarge;
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'The request body is not valid JSON.');
  }
}

const FIELDS = ['appId', 'channel', 'uid', 'lifetime', 'service'];
/** `service` → the key's service type: a Channel Key to join (`media`, the default) or a Recording Key. */
const SERVICES = { media: 'ACS', recording: 'ARS' } as const;

/**
 * The demo key endpoint: `POST /api/channel-key` with JSON `{appId?, channel, uid, lifetime?}`.
 *
 * - `appId` (optional): defaults to the demo app. For the demo app → `200 {appId, key, expiresAt}`; for an App ID in
 *   static-key mode → `200 {appId, key: null}` (join with key null); any other App ID → 403.
 * - `channel`: the channel name (the manual's rules); `uid`: 0 … 4294967295 (0 makes a key good for any uid).
 * - `lifetime` (optional): seconds from now until the service expiry, 0 … 86400, 0 = none; default 3600.
 * - `service` (optional): `"media"` (default) makes a Channel Key (service type ACS) to join; `"recording"` a
 *   Recording Key (ARS) for startRecording. A static-key app gets `key: null` either way (it cannot record).
 *
 * Errors are `{error: message}` with 400 (bad field), 403, 413 (body over 4 KB), 415 (not JSON).
 *
 * @example Serving it from your own development server
 * ```ts
 * const registry = createRegistry({ apps: [{ appId, certificate }] });
 * await startServer({
 *   policy: registryPolicy(registry),
 *   routes: [channelKeyRoute({ registry, demoAppId: appId, isStatic: () => false })],
 * });
 * ```
 */
export function channelKeyRoute(opts: ChannelKeyRouteOptions): Route {
  const now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  return {
    method: 'POST',
    path: CHANNEL_KEY_PATH,
    async handle(req, res) {
      try {
        const body = await readJson(req);
        if (typeof body !== 'object' || body === null || Array.isArray(body)) {
          throw new HttpError(400, 'The body must be a JSON object like {"channel": "room 1", "uid": 0}.');
        }
        const unknown = Object.keys(body).find((k) => !FIELDS.includes(k));
        if (unknown !== undefined) {
          throw new HttpError(
            400,
            `Unknown field ${JSON.stringify(unknown.slice(0, 32))}; the fields are ${FIELDS.join(', ')}.`,
          );
        }
        const { appId: rawApp, channel, uid, lifetime, service = 'media' } = body as Record<string, unknown>;
        if (service !== 'media' && service !== 'recording') {
          throw new HttpError(
            400,
            `service must be "media" (a Channel Key, the default) or "recording" (a Recording Key); got ${JSON.stringify(service)}.`,
          );
        }
        if (rawApp !== undefined && rawApp !== null) {
          const bad = checkAppId(rawApp);
          if (bad !== null) throw new HttpError(400, bad);
        }
        const badChannel = checkChannelName(channel);
        if (badChannel !== null) throw new HttpError(400, badChannel);
        if (uid === undefined) {
          throw new HttpError(400, 'uid is missing: give the uid the key is for (0 = good for any uid).');
        }
        const badUid = checkUid(uid);
        if (badUid !== null) throw new HttpError(400, badUid);
        const life = lifetime === undefined ? DEFAULT_KEY_LIFETIME_S : lifetime;
        if (typeof life !== 'number' || !Number.isInteger(life) || life < 0 || life > MAX_KEY_LIFETIME_S) {
          throw new HttpError(
            400,
            `lifetime must be whole seconds from 0 to ${MAX_KEY_LIFETIME_S} (0 = no service expiry); got ${JSON.stringify(lifetime)}.`,
          );
        }

        const appId = typeof rawApp === 'string' ? rawApp : opts.demoAppId;
        if (appId === null) {
          throw new HttpError(
            403,
            'This server has no demo app with an App Certificate, so it makes no Channel Keys. Apps in static-key mode join with key null.',
          );
        }
        if (appId !== opts.demoAppId) {
          if (opts.isStatic(appId)) {
            sendJson(res, 200, { appId, key: null });
            return;
          }
          throw new HttpError(
            403,
            opts.demoAppId === null
              ? `This server's demo key endpoint makes no keys (there is no demo app with an App Certificate), and App ID ${appId} is not a static-key app here.`
              : `This demo endpoint makes Channel Keys only for the demo app ${opts.demoAppId}; App ID ${appId} ${
                  opts.registry.get(appId)?.hasCertificate
                    ? 'has its own App Certificate: make its keys on your own key server with generateMediaChannelKey'
                    : 'is not registered on this server'
                }.`,
          );
        }
        const issued = now();
        const expiresAt = life === 0 ? 0 : issued + life;
        const key = opts.registry.generateKey(appId, SERVICES[service], channel as string, uid as number, {
          unixTs: issued,
          expiredTs: expiresAt,
        });
        opts.log?.(
          `key    ${service} app=${appId.slice(0, 8)}… channel=${JSON.stringify(channel)} uid=${String(uid)} lifetime=${life === 0 ? 'none' : `${life}s`}`,
        );
        sendJson(res, 200, { appId, key, expiresAt });
      } catch (e) {
        if (!(e instanceof HttpError)) throw e;
        if (e.status === 413) res.setHeader('Connection', 'close');
        sendJson(res, e.status, { error: e.message });
      }
    },
  };
}

/** While the endpoint is off, a request for it gets a 404 that says how to turn it on (not a bare 405). */
const endpointOff: Route = {
  method: 'POST',
  path: CHANNEL_KEY_PATH,
  handle(_req, res) {
    sendJson(res, 404, {
      error:
        'The demo key endpoint is off. It is for development: start the server with AGORA_DEMO_KEYS=1 (npm start does). Production key servers make keys with generateMediaChannelKey.',
    });
  },
};

/**
 * Static-key everywhere except one keyed app: the default policy with the built-in demo app layered over it. A
 * Channel Key made for the keyed app but used with another App ID is answered with a message naming the right one.
 */
export function layeredPolicy(keyed: AppRegistry, keyedAppId: string): AppPolicy {
  const inner = registryPolicy(keyed);
  return {
    checkApp: (appId) => (appId === keyedAppId ? null : staticPolicy.checkApp(appId)),
    checkJoin(check) {
      if (check.appId === keyedAppId) return inner.checkJoin(check);
      const verdict = staticPolicy.checkJoin(check);
      if ('message' in verdict) {
        const parsed = parseChannelKey(check.key);
        if (parsed.ok && parsed.fields.appId.toLowerCase() === keyedAppId) {
          return policyError(
            'ERR_INVALID_CHANNEL_KEY',
            `App ID ${check.appId} has no App Certificate (static-key mode), so it takes no Channel Key: join with key null (or the App ID). This key was made for the keyed demo app ${keyedAppId}: to use it, init the client with that App ID.`,
          );
        }
      }
      return verdict;
    },
    checkRecordingKey(check) {
      return check.appId === keyedAppId
        ? inner.checkRecordingKey!(check)
        : staticPolicy.checkRecordingKey!(check);
    },
  };
}

export interface ServerApps {
  /** What joins must prove. */
  policy: AppPolicy;
  /** HTTP endpoints: the demo key endpoint when it is on. */
  routes: Route[];
  /** The configured registry, or null (the default: any well-formed App ID, static-key mode). */
  registry: AppRegistry | null;
  /** true when `POST /api/channel-key` is served. */
  demoKeys: boolean;
  /** The app the endpoint makes keys for (null when off, or no app has a certificate). */
  demoAppId: string | null;
  /** Start-up lines describing the apps (never a certificate). */
  describe(staticDemoAppId: string): string[];
}

export interface ConfigureOptions {
  log?: (line: string) => void;
}

/**
 * Reads `AGORA_APPS` / `AGORA_APPS_FILE`, `AGORA_DEMO_KEYS` and `AGORA_DEMO_APP_ID` and returns the policy and
 * routes for `startServer`.
 *
 * @throws RegistryError / DemoKeysError for a bad configuration (the messages never contain a certificate).
 *
 * @example
 * ```ts
 * const apps = configureApps(process.env);
 * await startServer({ policy: apps.policy, routes: apps.routes });
 * ```
 */
export function configureApps(
  env: Env,
  registry: AppRegistry | null,
  opts: ConfigureOptions = {},
): ServerApps {
  const on = demoKeysEnabled(env);
  const chosen = env.AGORA_DEMO_APP_ID?.trim() ?? '';
  if (!on) {
    return {
      policy: registry === null ? staticPolicy : registryPolicy(registry),
      routes: [endpointOff],
      registry,
      demoKeys: false,
      demoAppId: null,
      describe: (staticId) => describeApps(registry, staticId, null, false),
    };
  }
  if (registry === null) {
    if (chosen !== '') {
      throw new DemoKeysError(
        `AGORA_DEMO_APP_ID picks the demo app from the app registry (AGORA_APPS or AGORA_APPS_FILE), and none is configured. Without a registry the demo app is the built-in ${DEMO_KEYED_APP_ID}; unset AGORA_DEMO_APP_ID, or configure a registry.`,
      );
    }
    // The certificate exists only in this process's memory; a restart makes a new one (and old keys stop working).
    const keyed = createRegistry(
      {
        apps: [
          { appId: DEMO_KEYED_APP_ID, certificate: randomBytes(16).toString('hex'), name: 'keyed demo' },
        ],
      },
      'built-in keyed demo app',
    );
    return {
      policy: layeredPolicy(keyed, DEMO_KEYED_APP_ID),
      routes: [
        channelKeyRoute({
          registry: keyed,
          demoAppId: DEMO_KEYED_APP_ID,
          isStatic: (appId) => appId !== DEMO_KEYED_APP_ID,
          log: opts.log,
        }),
      ],
      registry: null,
      demoKeys: true,
      demoAppId: DEMO_KEYED_APP_ID,
      describe: (staticId) => describeApps(null, staticId, DEMO_KEYED_APP_ID, true),
    };
  }
  let demoAppId: string | null;
  if (chosen !== '') {
    const app = registry.get(chosen);
    if (app === undefined) {
      const variant = registry.caseVariantOf(chosen);
      throw new RegistryError(
        registry.source,
        `AGORA_DEMO_APP_ID=${chosen} is not registered${variant === undefined ? '' : ` (the registry has ${variant}, which differs only in upper/lower case)`}.`,
      );
    }
    if (!app.hasCertificate) {
      throw new RegistryError(
        registry.source,
        `AGORA_DEMO_APP_ID=${chosen} has no App Certificate, so no keys can be made for it: pick an app with one.`,
      );
    }
    demoAppId = chosen;
  } else {
    demoAppId = registry.list().find((a) => a.hasCertificate)?.appId ?? null;
  }
  return {
    policy: registryPolicy(registry),
    routes: [
      channelKeyRoute({
        registry,
        demoAppId,
        isStatic: (appId) => registry.get(appId)?.hasCertificate === false,
        log: opts.log,
      }),
    ],
    registry,
    demoKeys: true,
    demoAppId,
    describe: (staticId) => describeApps(registry, staticId, demoAppId, true),
  };
}

function describeApps(
  registry: AppRegistry | null,
  staticDemoAppId: string,
  demoAppId: string | null,
  demoKeys: boolean,
): string[] {
  const lines: string[] = [];
  if (registry === null) {
    lines.push(`  static App ID (no key needed): ${staticDemoAppId}`);
  } else {
    const apps = registry.list();
    const keyed = apps.filter((a) => a.hasCertificate).length;
    lines.push(
      `  app registry:   ${registry.source} (${apps.length} app${apps.length === 1 ? '' : 's'}: ${apps.length - keyed} static, ${keyed} with an App Certificate)`,
    );
    const firstStatic = apps.find((a) => !a.hasCertificate);
    if (firstStatic !== undefined) lines.push(`  static App ID (no key needed): ${firstStatic.appId}`);
  }
  if (demoKeys) {
    if (demoAppId !== null) {
      lines.push(`  keyed App ID (Channel Key needed): ${demoAppId} — get keys from POST /api/channel-key`);
    } else {
      lines.push(
        '  demo key endpoint: no app has an App Certificate, so POST /api/channel-key makes no keys',
      );
    }
    lines.push('  (the demo key endpoint is for development: AGORA_DEMO_KEYS=0 turns it off)');
  }
  return lines;
}
