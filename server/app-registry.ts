/**
 * The app registry: which App IDs may use this server and which of them have an App Certificate (and so require
 * dynamic keys), as the manual's 设置密钥方案 chapter divides apps into static-key and Channel Key apps.
 *
 * ## Configuring it
 *
 * Set ONE of these environment variables (with neither, there is no registry and the server keeps its default
 * `staticPolicy`: any well-formed App ID, static-key mode):
 *
 * - `AGORA_APPS`: the registry as JSON text;
 * - `AGORA_APPS_FILE`: the path of a JSON file holding it (relative paths are from the working directory).
 *
 * ```json
 * {
 *   "apps": [
 *     { "appId": "0123456789abcdef0123456789abcdef", "name": "static demo" },
 *     { "appId": "fedcba9876543210fedcba9876543210", "certificate": "00112233445566778899aabbccddeeff", "name": "keyed demo" }
 *   ]
 * }
 * ```
 *
 * - `appId` (required): 32 hexadecimal characters, each App ID once.
 * - `certificate` (optional): the app's App Certificate, 32 hexadecimal characters. With it, joining needs a
 *   Channel Key made with it (`generateMediaChannelKey`) and recording a Recording Key (`generateRecordingKey`).
 *   Without it (absent or `null`) the app is in static-key mode: join with key `null` (or the App ID).
 * - `name` (optional): a label for logs.
 * - `origins` (optional): the only web origins whose pages may use this App ID, e.g.
 *   `["https://app.example.com", "http://localhost:*"]` (see docs/security.md). They are allowed to reach the
 *   server too (as if listed in `ALLOWED_ORIGINS`). Without it, any origin the server allows may use the app.
 * - `meshMax` (optional): this app's channels move their media to the SFU (Janus) once they have more than this
 *   many members; `0` = always through the SFU. Overrides the server's `MESH_MAX` for this app; without `SFU_URLS`
 *   it has no effect (every channel stays a mesh). An integer from 0 to 1000.
 * - `keepCollabSeconds` (optional): how long a channel's whiteboard and chat stay after its last member leaves, so
 *   that whoever joins next finds them (at most 30 days). Without it they go when the channel empties (see
 *   docs/whiteboard-and-chat.md).
 *
 * Any other field is an error, so a misspelt `"certificate"` cannot silently turn a keyed app into a static one.
 * Errors name the source (variable or file) and the entry, and never contain a certificate.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createSecretKey, randomInt, type KeyObject } from 'node:crypto';
import { inspect } from 'node:util';
import { checkAppId } from '../src/protocol/validate.js';
import { policyError, type AppPolicy, type PolicyError } from './policy.js';
import { checkOriginPattern, originMatches } from './origins.js';
import {
  generateMediaChannelKey,
  generateRecordingKey,
  verifyChannelKey,
  type KeyRejected,
  type ServiceType,
} from './channel-key.js';

/** What the registry tells about an app: never its certificate. */
export interface RegisteredApp {
  readonly appId: string;
  readonly name: string | null;
  /** true: keys required (Channel Key to join, Recording Key to record); false: static-key mode. */
  readonly hasCertificate: boolean;
  /** The web origins whose pages may use the app (patterns as in ALLOWED_ORIGINS); absent: any allowed origin. */
  readonly origins?: readonly string[];
  /** Members a channel of this app holds before its media moves to the SFU (0: always SFU); absent: `MESH_MAX`. */
  readonly meshMax?: number;
  /** Seconds a channel's whiteboard and chat are kept after it empties; absent: dropped at once. */
  readonly keepCollabSeconds?: number;
}

/** A configuration problem found while loading the registry (the server should refuse to start). */
export class RegistryError extends Error {
  /** Where the registry came from: `AGORA_APPS`, `AGORA_APPS_FILE=<path>`, or what the caller named. */
  readonly source: string;
  constructor(source: string, problem: string) {
    super(`App registry (${source}): ${problem}`);
    this.name = 'RegistryError';
    this.source = source;
  }
}

const HEX32 = /^[0-9a-fA-F]{32}$/;
const APP_FIELDS = ['appId', 'certificate', 'name', 'origins', 'meshMax', 'keepCollabSeconds'] as const;
/** A bound for `meshMax`: beyond it a value is a typo (the server's own member limit is far below). */
const MESH_MAX_LIMIT = 1000;
/** Longest keepCollabSeconds: a month. */
const MAX_KEEP_COLLAB_SECONDS = 30 * 24 * 3600;

/** The loaded registry (made by {@link createRegistry} or {@link loadRegistry}). It never hands out a certificate. */
export interface AppRegistry {
  /** Where it came from: `AGORA_APPS`, `AGORA_APPS_FILE=<path>`, or what `createRegistry` was told. */
  readonly source: string;
  /** Number of apps. */
  readonly size: number;
  /** The app, or undefined when the App ID is not registered. */
  get(appId: string): RegisteredApp | undefined;
  /** All apps, in the order configured. */
  list(): RegisteredApp[];
  /** The registered spelling of an App ID that differs from `appId` only in upper/lower case, if any. */
  caseVariantOf(appId: string): string | undefined;
  /**
   * Makes a key for a registered app that has a certificate, without handing the certificate out: what a demo key
   * endpoint needs. `unixTs` defaults to now, `randomInt` to a fresh random number, `expiredTs` to 0 (none).
   *
   * @throws RangeError when the app is not registered or has no certificate, or an argument is out of range.
   */
  generateKey(
    appId: string,
    serviceType: ServiceType,
    channelName: string,
    uid: number,
    options?: { unixTs?: number; randomInt?: number; expiredTs?: number },
  ): string;
  /** `{ source, apps }` without certificates, so a registry can be logged. */
  toJSON(): { source: string; apps: RegisteredApp[] };
}

interface Secret {
  text: string;
  /** Made once per app: saves converting the text on every verification. */
  key: KeyObject;
}

interface Entry {
  appId: string;
  certificate: string | null;
  name: string | null;
  origins: readonly string[] | null;
  meshMax: number | null;
  keepCollabSeconds: number | null;
}

/**
 * Not exported: only createRegistry (which validates) makes one. Certificates live in a private field, so they are
 * not enumerable and appear neither in JSON.stringify nor in console.log / util.inspect output.
 */
class Registry implements AppRegistry {
  readonly source: string;
  /** One record per app, so a join costs one lookup. */
  readonly #apps = new Map<string, { app: RegisteredApp; secret: Secret | null }>();
  readonly #folded = new Map<string, string>();

  constructor(source: string, entries: readonly Entry[]) {
    this.source = source;
    for (const { appId, certificate, name, origins, meshMax, keepCollabSeconds } of entries) {
      const app: RegisteredApp = Object.freeze({
        appId,
        name,
        hasCertificate: certificate !== null,
        ...(origins === null ? {} : { origins }),
        ...(meshMax === null ? {} : { meshMax }),
        ...(keepCollabSeconds === null ? {} : { keepCollabSeconds }),
      });
      const secret =
        certificate === null
          ? null
          : { text: certificate, key: createSecretKey(Buffer.from(certificate, 'ascii')) };
      this.#apps.set(appId, { app, secret });
      this.#folded.set(appId.toLowerCase(), appId);
    }
  }

  /**
   * For this module's checks only (the class is not exported): the app and its key in one lookup. A registry not
   * made here has no keys to give.
   */
  static lookup(
    registry: AppRegistry,
    appId: string,
  ): { app: RegisteredApp; key: KeyObject | null } | undefined {
    if (!(registry instanceof Registry)) {
      const app = registry.get(appId);
      return app === undefined ? undefined : { app, key: null };
    }
    const record = registry.#apps.get(appId);
    return record === undefined ? undefined : { app: record.app, key: record.secret?.key ?? null };
  }

  get size(): number {
    return this.#apps.size;
  }

  get(appId: string): RegisteredApp | undefined {
    return this.#apps.get(appId)?.app;
  }

  list(): RegisteredApp[] {
    return [...this.#apps.values()].map((r) => r.app);
  }

  caseVariantOf(appId: string): string | undefined {
    const found = this.#folded.get(appId.toLowerCase());
    return found !== undefined && found !== appId ? found : undefined;
  }

  generateKey(
    appId: string,
    serviceType: ServiceType,
    channelName: string,
    uid: number,
    options: { unixTs?: number; randomInt?: number; expiredTs?: number } = {},
  ): string {
    const secret = this.#apps.get(appId)?.secret ?? null;
    if (secret === null) {
      throw new RangeError(
        this.#apps.has(appId)
          ? `App ID ${appId} has no App Certificate (static-key mode), so no keys can be made for it.`
          : `App ID ${appId} is not registered on this server.`,
      );
    }
    const make = serviceType === 'ARS' ? generateRecordingKey : generateMediaChannelKey;
    return make(
      appId,
      secret.text,
      channelName,
      options.unixTs ?? Math.floor(Date.now() / 1000),
      options.randomInt ?? randomInt(0x1_0000_0000),
      uid,
      options.expiredTs ?? 0,
    );
  }

  toJSON(): { source: string; apps: RegisteredApp[] } {
    return { source: this.source, apps: this.list() };
  }

  [inspect.custom](): string {
    const apps = this.list().map(
      (a) => `${a.appId}${a.name === null ? '' : ` (${a.name})`}${a.hasCertificate ? ' [certificate]' : ''}`,
    );
    return `AppRegistry(${this.source}) { ${apps.join(', ')} }`;
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/**
 * Validates a registry configuration (the parsed JSON, format in this module's documentation) and builds the
 * registry.
 *
 * @param source names where the configuration came from, for error messages.
 * @throws RegistryError naming the entry and the problem (never the certificate).
 *
 * @example
 * ```ts
 * const registry = createRegistry({ apps: [{ appId, certificate, name: 'my app' }] });
 * server.policy = registryPolicy(registry);
 * ```
 */
export function createRegistry(config: unknown, source = 'createRegistry'): AppRegistry {
  const fail = (problem: string): never => {
    throw new RegistryError(source, problem);
  };
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    return fail(
      `expected an object like {"apps": [{"appId": "…", "certificate": "…"}]}; got ${describe(config)}.`,
    );
  }
  const extra = Object.keys(config).filter((k) => k !== 'apps');
  if (extra.length > 0)
    return fail(`unknown top-level field ${JSON.stringify(extra[0])}: only "apps" is allowed.`);
  const apps = (config as { apps?: unknown }).apps;
  if (!Array.isArray(apps)) return fail(`"apps" must be an array of apps; got ${describe(apps)}.`);
  if (apps.length === 0)
    return fail('"apps" is empty, so no app could use the server: list at least one app.');

  const entries: Entry[] = [];
  const seen = new Map<string, number>();
  apps.forEach((entry: unknown, i) => {
    const at = `apps[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      return fail(
        `${at} must be an object with "appId" (and optionally "certificate", "name"); got ${describe(entry)}.`,
      );
    }
    const unknownField = Object.keys(entry).find((k) => !(APP_FIELDS as readonly string[]).includes(k));
    if (unknownField !== undefined) {
      return fail(
        `${at} has unknown field ${JSON.stringify(unknownField)}; the fields are ${APP_FIELDS.join(', ')}.`,
      );
    }
    const { appId, certificate, name, origins, meshMax, keepCollabSeconds } = entry as Record<
      string,
      unknown
    >;
    if (appId === undefined) return fail(`${at} has no "appId".`);
    const appProblem = checkAppId(appId);
    if (appProblem !== null) return fail(`${at}.appId: ${appProblem}`);
    const id = appId as string;
    const folded = id.toLowerCase();
    const first = seen.get(folded);
    if (first !== undefined)
      return fail(`${at}: App ID ${id} is already listed as apps[${first}]; list each app once.`);
    seen.set(folded, i);

    if (name !== undefined && name !== null && typeof name !== 'string') {
      return fail(`${at}.name (App ID ${id}) must be a string; got ${describe(name)}.`);
    }
    let cert: string | null = null;
    if (certificate !== undefined && certificate !== null) {
      // Shape only: the value itself must never reach a message or log.
      if (typeof certificate !== 'string') {
        return fail(`${at}.certificate (App ID ${id}) must be a string; got ${describe(certificate)}.`);
      }
      if (certificate === '') {
        return fail(`${at}.certificate (App ID ${id}) is empty: omit it (or set null) for a static-key app.`);
      }
      if (!HEX32.test(certificate)) {
        return fail(
          `${at}.certificate (App ID ${id}) must be the App Certificate's 32 hexadecimal characters; it has ${certificate.length} characters${
            /^[0-9a-fA-F]*$/.test(certificate) ? '' : ' including non-hex ones'
          }.`,
        );
      }
      if (certificate.toLowerCase() === folded) {
        return fail(
          `${at}.certificate (App ID ${id}) is the App ID itself: use the App Certificate shown beside it.`,
        );
      }
      cert = certificate;
    }
    let allowed: readonly string[] | null = null;
    if (origins !== undefined && origins !== null) {
      if (!Array.isArray(origins) || origins.length === 0) {
        return fail(
          `${at}.origins (App ID ${id}) must be a non-empty array of origins like "https://app.example.com"; got ${describe(origins)}.`,
        );
      }
      const list: string[] = [];
      for (const [j, o] of origins.entries()) {
        if (typeof o !== 'string') return fail(`${at}.origins[${j}] (App ID ${id}) must be a string.`);
        const r = checkOriginPattern(o);
        if (!r.ok) return fail(`${at}.origins[${j}] (App ID ${id}): ${r.message}`);
        list.push(r.value);
      }
      allowed = Object.freeze(list);
    }
    if (
      meshMax !== undefined &&
      meshMax !== null &&
      !(Number.isInteger(meshMax) && (meshMax as number) >= 0 && (meshMax as number) <= MESH_MAX_LIMIT)
    ) {
      return fail(
        `${at}.meshMax (App ID ${id}) must be a whole number of members from 0 (always the SFU) to ${MESH_MAX_LIMIT}; got ${typeof meshMax === 'number' ? String(meshMax) : describe(meshMax)}.`,
      );
    }
    if (
      keepCollabSeconds !== undefined &&
      keepCollabSeconds !== null &&
      (typeof keepCollabSeconds !== 'number' ||
        !Number.isInteger(keepCollabSeconds) ||
        keepCollabSeconds < 0 ||
        keepCollabSeconds > MAX_KEEP_COLLAB_SECONDS)
    ) {
      return fail(
        `${at}.keepCollabSeconds (App ID ${id}) must be a whole number of seconds from 0 to ${MAX_KEEP_COLLAB_SECONDS} (30 days); got ${JSON.stringify(keepCollabSeconds)}.`,
      );
    }
    entries.push({
      appId: id,
      certificate: cert,
      name: typeof name === 'string' ? name : null,
      origins: allowed,
      meshMax: typeof meshMax === 'number' ? meshMax : null,
      keepCollabSeconds: typeof keepCollabSeconds === 'number' ? keepCollabSeconds : null,
    });
  });
  return new Registry(source, entries);
}

/**
 * JSON.parse's own message may quote the text around the error (which could be a certificate), so only the
 * position is kept.
 */
function jsonError(text: string, error: unknown): string {
  const m = error instanceof Error ? /position (\d+)/.exec(error.message) : null;
  if (m === null) return 'it is not valid JSON.';
  const pos = Number(m[1]);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return `it is not valid JSON (error at line ${line}, column ${column}).`;
}

function parseText(text: string, source: string): AppRegistry {
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (error) {
    throw new RegistryError(source, jsonError(text, error));
  }
  return createRegistry(config, source);
}

/**
 * Loads the registry from the environment: `AGORA_APPS` (JSON text) or `AGORA_APPS_FILE` (path to a JSON file).
 *
 * @returns the registry, or null when neither variable is set (the server then uses `staticPolicy`).
 * @throws RegistryError for an unreadable file, bad JSON, a bad App ID or certificate, a duplicate App ID, or both
 *   variables set; the message names the source and never contains a certificate.
 *
 * @example
 * ```ts
 * import { loadRegistry, registryPolicy } from 'agora-rtc-web/server';
 * import { staticPolicy } from './policy.js';
 *
 * const registry = loadRegistry(); // AGORA_APPS_FILE=apps.json node server.js
 * const policy = registry === null ? staticPolicy : registryPolicy(registry);
 * ```
 */
export function loadRegistry(env: Record<string, string | undefined> = process.env): AppRegistry | null {
  const inline = env.AGORA_APPS?.trim() ?? '';
  const file = env.AGORA_APPS_FILE?.trim() ?? '';
  if (inline !== '' && file !== '') {
    throw new RegistryError(
      'AGORA_APPS and AGORA_APPS_FILE',
      'both are set; set only one (AGORA_APPS holds the JSON itself, AGORA_APPS_FILE the path of a JSON file).',
    );
  }
  if (inline !== '') return parseText(inline, 'AGORA_APPS');
  if (file === '') return null;
  const path = resolve(file);
  const source = `AGORA_APPS_FILE=${path}`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const why =
      code === 'ENOENT'
        ? 'the file does not exist.'
        : code === 'EACCES'
          ? 'the file cannot be read (permission denied).'
          : code === 'EISDIR'
            ? 'that is a directory, not a file.'
            : `the file cannot be read (${String(code ?? error)}).`;
    throw new RegistryError(source, why);
  }
  return parseText(text.replace(/^\uFEFF/, ''), source);
}

// ---- policy ----

function notRegistered(registry: AppRegistry, appId: string): PolicyError {
  const variant = registry.caseVariantOf(appId);
  const hint =
    variant === undefined ? '' : ` (the registry has ${variant}, which differs only in upper/lower case)`;
  return policyError(
    'ERR_INVALID_APP_ID',
    `App ID ${appId} is not registered on this server${hint}. Use a registered App ID, or ask the server's operator to add it to the app registry (AGORA_APPS or AGORA_APPS_FILE).`,
  );
}

function rejection(r: KeyRejected): PolicyError {
  return { code: r.code, name: r.name, message: r.message };
}

export interface RegistryPolicyOptions {
  /** Clock in Unix seconds used instead of each check's `now` (tests, or a server with a corrected clock). */
  now?: () => number;
}

/**
 * The `AppPolicy` the signaling server uses when a registry is configured:
 * - an App ID not in the registry → ERR_INVALID_APP_ID (101);
 * - an app with a certificate needs a valid Channel Key (`"ACS"`, see `verifyChannelKey`); key null/empty or the
 *   App ID itself → ERR_INVALID_CHANNEL_KEY (110) saying that this app requires a Channel Key;
 * - an app without one (static-key mode) takes key null, `''` or the App ID; a Channel Key → 110 saying to pass null;
 * - `checkRecordingKey`: {@link verifyRecordingKey} for the member's app, channel and uid.
 *
 * @example
 * ```ts
 * const registry = loadRegistry();
 * const policy = registry === null ? staticPolicy : registryPolicy(registry);
 * ```
 */
export function registryPolicy(registry: AppRegistry, options: RegistryPolicyOptions = {}): AppPolicy {
  const clock = options.now;
  return {
    checkApp(appId, origin) {
      const app = registry.get(appId);
      if (app === undefined) return notRegistered(registry, appId);
      return app.origins === undefined || origin == null || originMatches(origin, app.origins)
        ? null
        : policyError(
            'ERR_INVALID_APP_ID',
            `App ID ${appId} may not be used from pages of ${origin.slice(0, 100)}: its "origins" in the app registry do not list that origin.`,
          );
    },
    checkJoin({ appId, channel, uid, key, now }) {
      const found = Registry.lookup(registry, appId);
      if (found === undefined) return notRegistered(registry, appId);
      const { app, key: secret } = found;
      const staticKey = key === null || key === '' || key === appId;
      if (!app.hasCertificate) {
        if (staticKey) return { expiresAt: 0 };
        return policyError(
          'ERR_INVALID_CHANNEL_KEY',
          `App ID ${appId} has no App Certificate on this server (static-key mode), so it does not use Channel Keys: join with key null (or the App ID), not ${
            typeof key === 'string' && key.startsWith('00') ? 'a Channel Key' : 'this key'
          }. To use Channel Keys, give the app its certificate in the app registry.`,
        );
      }
      if (staticKey) {
        const given =
          key === null || key === ''
            ? `the key was ${key === null ? 'null' : 'empty'}`
            : 'the key was the App ID itself';
        return policyError(
          'ERR_INVALID_CHANNEL_KEY',
          `App ID ${appId} has an App Certificate, so joining requires a Channel Key made with its App Certificate, but ${given}. Have your server make one with generateMediaChannelKey(appId, appCertificate, channel, unixTs, randomInt, uid, expiredTs) and pass it as join's key.`,
        );
      }
      if (secret === null) {
        // Only a registry not made by createRegistry/loadRegistry can get here: fail closed.
        return policyError(
          'ERR_INVALID_CHANNEL_KEY',
          `App ID ${appId}'s certificate is not available to check keys.`,
        );
      }
      const result = verifyChannelKey({
        key,
        serviceType: 'ACS',
        appId,
        appCertificate: secret,
        channelName: channel,
        uid,
        now: clock?.() ?? now,
      });
      return result.ok ? { expiresAt: result.expiresAt } : rejection(result);
    },
    meshMax: (appId) => registry.get(appId)?.meshMax,
    checkRecordingKey({ appId, channel, uid, key, now }) {
      const r = verifyRecordingKey(registry, { appId, channel, uid, key, now: clock?.() ?? now });
      return r.ok ? { expiresAt: r.expiresAt } : { code: r.code, name: r.name, message: r.message };
    },
    keepCollabSeconds: (appId) => registry.get(appId)?.keepCollabSeconds ?? 0,
  };
}

export interface RecordingKeyCheck {
  appId: string;
  channel: string;
  /** The uid of the member who records. */
  uid: number;
  key: unknown;
  /** Unix seconds; defaults to the clock. */
  now?: number;
}

/**
 * Checks a Recording Key (`"ARS"`) for a member of a channel, with the same rules as a Channel Key (signature over
 * channel and uid, uid 0 good for any uid, 5-minute window, service expiry). Recording needs a Recording Key, so
 * an app without a certificate cannot record: that is ERR_INVALID_CHANNEL_KEY too, with a message saying so.
 *
 * @returns `{ ok: true, expiresAt }` or `{ ok: false, code, name, message }`.
 *
 * @example
 * ```ts
 * const check = verifyRecordingKey(registry, { appId, channel, uid, key: request.recordingKey });
 * if (!check.ok) return reply.error(check);
 * ```
 */
export function verifyRecordingKey(
  registry: AppRegistry,
  { appId, channel, uid, key, now }: RecordingKeyCheck,
): { ok: true; expiresAt: number } | ({ ok: false } & PolicyError) {
  const found = Registry.lookup(registry, appId);
  if (found === undefined) return { ok: false, ...notRegistered(registry, appId) };
  const secret = found.key;
  if (secret === null) {
    return {
      ok: false,
      ...policyError(
        'ERR_INVALID_CHANNEL_KEY',
        `App ID ${appId} has no App Certificate on this server, so it cannot make Recording Keys, and recording requires one. Give the app its certificate in the app registry, then make keys with generateRecordingKey.`,
      ),
    };
  }
  if (key === null || key === undefined || key === '' || key === appId) {
    const given = key === appId ? 'the App ID itself was given' : 'no key was given';
    return {
      ok: false,
      ...policyError(
        'ERR_INVALID_CHANNEL_KEY',
        `Recording requires a Recording Key made with App ID ${appId}'s App Certificate, but ${given}. Have your server make one with generateRecordingKey(appId, appCertificate, channel, unixTs, randomInt, uid, expiredTs).`,
      ),
    };
  }
  const result = verifyChannelKey({
    key,
    serviceType: 'ARS',
    appId,
    appCertificate: secret,
    channelName: channel,
    uid,
    ...(now === undefined ? {} : { now }),
  });
  return result.ok ? { ok: true, expiresAt: result.expiresAt } : { ok: false, ...rejection(result) };
}
