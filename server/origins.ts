// Which web pages may use the signaling socket and the HTTP API. Browsers send `Origin` on every WebSocket
// upgrade and every POST, so checking it stops a page of another site from driving a member's browser against
// this server; checking `Host` stops DNS rebinding (a foreign name resolved to this server's address). Requests
// without `Origin` come from programs, not pages, and a program can send any header it likes, so they pass.
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/**
 * The origins allowed when nothing is configured: the server's own, and any port on localhost / 127.0.0.1 for
 * development.
 */
export const DEV_ORIGINS: readonly string[] = ['http://localhost:*', 'http://127.0.0.1:*'];

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/**
 * One entry: `*` (any origin), an exact origin (`https://app.example.com`), or an origin whose port is `*`
 * (`http://localhost:*`). Returns the normalised entry, or a message saying what is wrong.
 */
export function checkOriginPattern(
  entry: string,
): { ok: true; value: string } | { ok: false; message: string } {
  const e = entry.trim();
  if (e === '*') return { ok: true, value: '*' };
  const anyPort = e.endsWith(':*');
  let url: URL;
  try {
    url = new URL(anyPort ? `${e.slice(0, -2)}:1` : e);
  } catch {
    return { ok: false, message: `${JSON.stringify(entry)} is not an origin like https://app.example.com.` };
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin === 'null') {
    return { ok: false, message: `${JSON.stringify(entry)} must start with http:// or https://.` };
  }
  if (
    url.pathname !== '/' ||
    url.search !== '' ||
    url.hash !== '' ||
    url.username !== '' ||
    e.endsWith('/')
  ) {
    return {
      ok: false,
      message: `${JSON.stringify(entry)} has a path; an origin is only scheme://host[:port], e.g. https://app.example.com.`,
    };
  }
  return { ok: true, value: anyPort ? `${url.protocol}//${url.hostname}:*` : url.origin };
}

/** `ALLOWED_ORIGINS`: a comma list of patterns (see {@link checkOriginPattern}); throws a RangeError naming the bad entry. */
export function parseOrigins(text: string): string[] {
  const out: string[] = [];
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    const r = checkOriginPattern(part);
    if (!r.ok) throw new RangeError(`ALLOWED_ORIGINS: ${r.message}`);
    out.push(r.value);
  }
  return out;
}

/** Does `origin` (as a browser sends it) match one of `patterns`? */
export function originMatches(origin: string, patterns: readonly string[]): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.origin === 'null') return patterns.includes('*');
  for (const p of patterns) {
    if (p === '*' || p === url.origin) return true;
    if (p.endsWith(':*') && `${url.protocol}//${url.hostname}` === p.slice(0, -2)) return true;
  }
  return false;
}

/** The host name of a Host header (`name:port`, `[v6]:port`), lower-cased, without the port. */
function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  return colon < 0 ? h : h.slice(0, colon);
}

export interface OriginGuard {
  /** The patterns in force, for the start-up banner. */
  readonly patterns: readonly string[];
  /** null when the request may go on; otherwise why not (for a 403 body). */
  check(req: IncomingMessage): string | null;
}

/**
 * @param patterns allowed origins; the server's own origin is always added.
 * @param ownHosts the names the server itself answers to (its bind address; loopback names are always accepted).
 */
export function originGuard(patterns: readonly string[], ownHosts: readonly string[] = []): OriginGuard {
  const any = patterns.includes('*');
  const hosts = new Set<string>(LOOPBACK_NAMES);
  for (const h of ownHosts) hosts.add(hostName(h.includes(':') && !h.startsWith('[') ? `[${h}]` : h));
  for (const p of patterns) {
    if (p === '*') continue;
    hosts.add(new URL(p.endsWith(':*') ? `${p.slice(0, -2)}:1` : p).hostname.toLowerCase());
  }
  return {
    patterns,
    check(req) {
      const host = req.headers.host;
      if (!any && host !== undefined) {
        const name = hostName(host);
        // An IP literal cannot be rebound; a name must be one this server is known by.
        const bare = name.startsWith('[') ? name.slice(1, -1) : name;
        if (!hosts.has(name) && isIP(bare) === 0) {
          return `Host ${JSON.stringify(host.slice(0, 100))} is not a name this server answers to; add its origin to ALLOWED_ORIGINS.`;
        }
      }
      const origin = req.headers.origin;
      if (origin === undefined || any) return null;
      // The page is on this server itself (same scheme and host as the request): always allowed.
      if (host !== undefined) {
        try {
          if (new URL(origin).host === host.toLowerCase()) return null;
        } catch {
          // Not a URL: refused below.
        }
      }
      if (originMatches(origin, patterns)) return null;
      return `Pages from ${JSON.stringify(origin.slice(0, 100))} may not use this server: add that origin to ALLOWED_ORIGINS (or the app's "origins" in the app registry).`;
    },
  };
}
