// ICE servers for the members' media links: STUN as configured, and TURN with time-limited credentials in coturn's
// REST scheme (`use-auth-secret`), so that the shared secret stays on the servers and a leaked credential dies on
// its own. The signaling server hands a fresh set at every join and rejoin and pushes a new one before it expires.
import { createHmac } from 'node:crypto';
import type { IceGrant, IceServerInfo } from '../src/protocol/messages.js';

type Env = Record<string, string | undefined>;

/** What the server needs to hand out ICE servers (from `STUN_URLS`, `TURN_URLS`, `TURN_SECRET`, `TURN_TTL`). */
export interface IceOptions {
  /** `stun:` URLs, given as they are. */
  stunUrls?: readonly string[];
  /** `turn:` / `turns:` URLs of coturn servers sharing `secret`. */
  turnUrls?: readonly string[];
  /** coturn's `static-auth-secret`. Never sent to a browser, never logged. */
  secret?: string;
  /** How long a credential is good for, in seconds; default {@link DEFAULT_TURN_TTL_SECONDS}. */
  ttlSeconds?: number;
}

/** A day, as coturn's documentation suggests: long enough for any call, short enough to expire once leaked. */
export const DEFAULT_TURN_TTL_SECONDS = 86_400;

/** A bad ICE setting (the server should refuse to start). */
export class IceConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IceConfigError';
  }
}

function urls(raw: string | undefined, name: string, schemes: RegExp): string[] {
  const list = (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const u of list) {
    if (!schemes.test(u))
      throw new IceConfigError(`${name}: ${JSON.stringify(u)} is not a ${schemes.source} URL.`);
  }
  return list;
}

/** The ICE settings of the environment, or null when none is set (browsers then use host candidates only). */
export function iceOptionsFromEnv(env: Env): IceOptions | null {
  const stunUrls = urls(env.STUN_URLS, 'STUN_URLS', /^stuns?:/);
  const turnUrls = urls(env.TURN_URLS, 'TURN_URLS', /^turns?:/);
  const secret = env.TURN_SECRET ?? '';
  if (turnUrls.length > 0 && secret === '') {
    throw new IceConfigError("TURN_URLS is set but TURN_SECRET is not: give coturn's static-auth-secret.");
  }
  if (turnUrls.length === 0 && secret !== '') {
    throw new IceConfigError('TURN_SECRET is set but TURN_URLS is not: list the coturn URLs.');
  }
  let ttlSeconds: number | undefined;
  if (env.TURN_TTL !== undefined && env.TURN_TTL.trim() !== '') {
    ttlSeconds = Number(env.TURN_TTL);
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 60) {
      throw new IceConfigError(
        `TURN_TTL must be a whole number of seconds ≥ 60; got ${JSON.stringify(env.TURN_TTL)}.`,
      );
    }
  }
  if (stunUrls.length === 0 && turnUrls.length === 0) return null;
  return { stunUrls, turnUrls, secret: secret || undefined, ttlSeconds };
}

/**
 * coturn's REST credential: username `<expiry>:<uid>` (Unix seconds), password base64(HMAC-SHA1(secret,
 * username)). coturn recomputes the password from its own copy of the secret and refuses it after the expiry.
 */
export function turnCredential(
  secret: string,
  uid: number,
  expiresAt: number,
): { username: string; credential: string } {
  const username = `${expiresAt}:${uid}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

/** The ICE servers one member gets now; `expiresAt` 0 when nothing in them expires (STUN only). */
export function iceGrant(
  opts: IceOptions,
  uid: number,
  nowSeconds = Math.floor(Date.now() / 1000),
): IceGrant {
  const iceServers: IceServerInfo[] = [];
  if (opts.stunUrls?.length) iceServers.push({ urls: [...opts.stunUrls] });
  let expiresAt = 0;
  if (opts.turnUrls?.length && opts.secret) {
    expiresAt = nowSeconds + (opts.ttlSeconds ?? DEFAULT_TURN_TTL_SECONDS);
    iceServers.push({ urls: [...opts.turnUrls], ...turnCredential(opts.secret, uid, expiresAt) });
  }
  return { iceServers, expiresAt };
}

/**
 * When to push a fresh grant: a fifth of its life before it ends (and at least 30 s before, for short lives half
 * of it), so a member never holds a dead credential when it opens a link.
 */
export function renewAtMs(grant: IceGrant, ttlSeconds: number): number {
  const lead = Math.max(ttlSeconds / 5, Math.min(30, ttlSeconds / 2));
  return (grant.expiresAt - lead) * 1000;
}
