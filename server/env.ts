// The environment → ServerOptions for `npm start` (server/main.ts): the limits and the allowed origins. Kept apart
// from main.ts so the mapping can be tested without starting a server.
import { DEFAULT_LIMITS, type ServerLimits } from './signaling.js';
import { DEV_ORIGINS, parseOrigins } from './origins.js';
import type { AppRegistry } from './app-registry.js';

type Env = Record<string, string | undefined>;

/** A bad value in the environment (the server should refuse to start). */
export class EnvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvError';
  }
}

/** `maxMembersPerChannel` → `AGORA_MAX_MEMBERS_PER_CHANNEL`. */
export function limitEnvName(limit: keyof ServerLimits): string {
  return `AGORA_${limit.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** Each limit from its `AGORA_…` variable (see README's configuration); unset variables keep the default. */
export function limitsFromEnv(env: Env): Partial<ServerLimits> {
  const out: Partial<ServerLimits> = {};
  for (const limit of Object.keys(DEFAULT_LIMITS) as Array<keyof ServerLimits>) {
    const name = limitEnvName(limit);
    const raw = env[name]?.trim() ?? '';
    if (raw === '') continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) {
      throw new EnvError(
        `${name} must be a whole number ≥ 0 (default ${DEFAULT_LIMITS[limit]}); got ${JSON.stringify(raw)}.`,
      );
    }
    out[limit] = n;
  }
  return out;
}

/**
 * `ALLOWED_ORIGINS` (comma list, `*` for any; default: the development origins), plus the origins the app
 * registry lists for its apps (those apps' pages must be able to reach the server).
 */
export function originsFromEnv(env: Env, registry: AppRegistry | null = null): string[] {
  const raw = env.ALLOWED_ORIGINS?.trim() ?? '';
  let list: string[];
  try {
    list = raw === '' ? [...DEV_ORIGINS] : parseOrigins(raw);
  } catch (e) {
    throw new EnvError((e as Error).message);
  }
  for (const app of registry?.list() ?? []) {
    for (const o of app.origins ?? []) if (!list.includes(o)) list.push(o);
  }
  return list;
}

/** SFU_URLS (comma list of Janus WebSocket API URLs), SFU_API_SECRET, MESH_MAX (default 4, 0 = always SFU). */
export function sfuFromEnv(env: Env): { urls: string[]; apiSecret?: string; meshMax: number } | undefined {
  const urls = (env.SFU_URLS ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '');
  if (urls.length === 0) return undefined;
  for (const u of urls) {
    let ok = false;
    try {
      ok = ['ws:', 'wss:'].includes(new URL(u).protocol);
    } catch {
      // reported below
    }
    if (!ok)
      throw new EnvError(
        `SFU_URLS must list ws:// or wss:// URLs of Janus's WebSocket API; got ${JSON.stringify(u)}.`,
      );
  }
  const raw = env.MESH_MAX?.trim() ?? '';
  const meshMax = raw === '' ? 4 : Number(raw);
  if (!Number.isInteger(meshMax) || meshMax < 0) {
    throw new EnvError(
      `MESH_MAX must be a whole number ≥ 0 (0: always the SFU; default 4); got ${JSON.stringify(raw)}.`,
    );
  }
  const apiSecret = env.SFU_API_SECRET || undefined;
  return { urls, meshMax, ...(apiSecret ? { apiSecret } : {}) };
}
