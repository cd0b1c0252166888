// Static files and the small HTTP API, on node:http alone. Every static path is resolved inside its mount
// directory (no traversal, no dotfiles, no symlink leading out of the directory) and revalidated on each load
// (Cache-Control: no-cache with an ETag), so a rebuilt SDK is picked up without a hard reload.
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

/** One API endpoint. Routes are matched by exact path before any static file. */
export interface Route {
  method: string;
  path: string;
  handle(req: IncomingMessage, res: ServerResponse): void | Promise<void>;
}

export interface HttpOptions {
  /** Project root: dist/sdk, demo, public and index.html are looked up under it. */
  root: string;
  /** Extra URL prefix → directory (relative to root, or absolute), e.g. {'/test-pages/': 'test/e2e/pages'}. */
  staticDirs?: Record<string, string>;
  /** The API, e.g. `POST /api/channel-key`. */
  routes?: Route[];
}

const MIME = new Map<string, string>([
  ['.js', 'text/javascript; charset=utf-8'],
  ['.mjs', 'text/javascript; charset=utf-8'],
  ['.html', 'text/html; charset=utf-8'],
  ['.css', 'text/css; charset=utf-8'],
  ['.json', 'application/json; charset=utf-8'],
  ['.map', 'application/json; charset=utf-8'],
  ['.webmanifest', 'application/manifest+json; charset=utf-8'],
  ['.txt', 'text/plain; charset=utf-8'],
  ['.svg', 'image/svg+xml'],
  ['.png', 'image/png'],
  ['.jpg', 'image/jpeg'],
  ['.jpeg', 'image/jpeg'],
  ['.gif', 'image/gif'],
  ['.webp', 'image/webp'],
  ['.ico', 'image/x-icon'],
  ['.wasm', 'application/wasm'],
  ['.woff2', 'font/woff2'],
  ['.webm', 'video/webm'],
  ['.mp4', 'video/mp4'],
]);

export function mimeType(file: string): string {
  return MIME.get(extname(file).toLowerCase()) ?? 'application/octet-stream';
}

/**
 * Pages may be framed only by pages of this server (another site could otherwise frame the camera page and
 * trick the user into the permission prompt), and send only their origin as referrer to other sites.
 * X-Frame-Options says the same to browsers without CSP frame-ancestors.
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Security-Policy': "frame-ancestors 'self'",
  'X-Frame-Options': 'SAMEORIGIN',
  'Referrer-Policy': 'strict-origin-when-cross-origin',
});

/** The SDK files are meant to be loaded by other sites' pages, as module scripts too (which need CORS). */
const SDK_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Access-Control-Allow-Origin': '*',
  'Cross-Origin-Resource-Policy': 'cross-origin',
});

function extraHeaders(contentType: string, sdk: boolean): Readonly<Record<string, string>> {
  if (contentType.startsWith('text/html')) return PAGE_HEADERS;
  return sdk ? SDK_HEADERS : {};
}

const FALLBACK_INDEX = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>agora-rtc-web</title></head>
<body><h1>agora-rtc-web</h1><p><a href="/demo/sample.html">The sample web client</a></p></body></html>
`;

interface Mount {
  prefix: string;
  dir: string;
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  const type = headers['Content-Type'] ?? 'text/plain; charset=utf-8';
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': String(Buffer.byteLength(body)),
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
    ...extraHeaders(type, false),
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/**
 * URL path below a mount → absolute file path inside `dir`, or null. Segments are decoded one by one, so an
 * encoded slash cannot join two of them, and any segment starting with a dot ('.', '..', '.env') is refused.
 * A trailing slash asks for the directory's index.html.
 */
export function safeJoin(dir: string, rel: string): string | null {
  const parts = rel.split('/');
  if (parts[parts.length - 1] === '') parts[parts.length - 1] = 'index.html';
  const decoded: string[] = [];
  for (const raw of parts) {
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (seg === '' || seg.startsWith('.') || /[/\\\0]/.test(seg) || seg.includes(':')) return null;
    decoded.push(seg);
  }
  const base = resolve(dir);
  const file = resolve(base, ...decoded);
  return file.startsWith(base + sep) ? file : null;
}

export function createHttpHandler(opts: HttpOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const root = resolve(opts.root);
  const mounts: Mount[] = [
    { prefix: '/sdk/', dir: join(root, 'dist', 'sdk') },
    { prefix: '/demo/', dir: join(root, 'demo') },
    // The API reference, built by `npm run docs`.
    { prefix: '/docs/', dir: join(root, 'dist', 'docs') },
  ];
  for (const [prefix, dir] of Object.entries(opts.staticDirs ?? {})) {
    const p = `/${prefix.replace(/^\/+|\/+$/g, '')}/`;
    mounts.push({ prefix: p, dir: resolve(root, dir) });
  }
  // Longest prefix wins, so a test mount may sit inside another one.
  mounts.sort((a, b) => b.prefix.length - a.prefix.length);
  /** Where root-level paths come from: /agora-fallback.html from public/, the built /agora-sw.js from dist/sw/. */
  const rootDirs = [join(root, 'public'), join(root, 'dist', 'sw')];
  const routes = opts.routes ?? [];
  /** The SDK bundles' folder once resolved (it may not exist before the first build). */
  let sdkDir: string | null = null;
  const sdkMount = join(root, 'dist', 'sdk');

  async function serveFile(
    req: IncomingMessage,
    res: ServerResponse,
    dir: string,
    file: string,
    fileHeaders: Record<string, string> = {},
  ): Promise<boolean> {
    let real: string;
    let realDir: string;
    try {
      [real, realDir] = await Promise.all([realpath(file), realpath(dir)]);
    } catch {
      return false;
    }
    if (!real.startsWith(realDir + sep)) return false;
    if (dir === sdkMount) sdkDir = realDir;
    const st = await stat(real).catch(() => null);
    if (!st?.isFile()) return false;
    const etag = `W/"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
    const type = mimeType(real);
    const headers = {
      ...extraHeaders(type, sdkDir !== null && realDir === sdkDir),
      'Content-Type': type,
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
      ETag: etag,
      'Last-Modified': st.mtime.toUTCString(),
      ...fileHeaders,
    };
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers);
      res.end();
      return true;
    }
    res.writeHead(200, { ...headers, 'Content-Length': String(st.size) });
    if (req.method === 'HEAD') {
      res.end();
      return true;
    }
    const stream = createReadStream(real);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
    return true;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      send(res, 400, 'Bad request\n');
      return;
    }
    const method = req.method ?? 'GET';

    const onPath = routes.filter((r) => r.path === pathname);
    const route = onPath.find((r) => r.method === method);
    if (route) {
      await route.handle(req, res);
      return;
    }
    if (onPath.length > 0) {
      send(res, 405, 'Method not allowed\n', { Allow: onPath.map((r) => r.method).join(', ') });
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      send(res, 405, 'Method not allowed\n', { Allow: 'GET, HEAD' });
      return;
    }

    if (pathname === '/') {
      if (await serveFile(req, res, root, join(root, 'index.html'))) return;
      send(res, 200, FALLBACK_INDEX, { 'Content-Type': 'text/html; charset=utf-8' });
      return;
    }
    for (const m of mounts) {
      if (pathname === m.prefix.slice(0, -1)) {
        send(res, 301, 'Moved\n', { Location: m.prefix });
        return;
      }
      if (pathname.startsWith(m.prefix)) {
        const file = safeJoin(m.dir, pathname.slice(m.prefix.length));
        if (file && (await serveFile(req, res, m.dir, file))) return;
        send(res, 404, 'Not found\n');
        return;
      }
    }
    const rel = pathname.slice(1);
    if (!rel.includes('/')) {
      // The service worker at the root may control the whole origin (it is there already; the header says so
      // for proxies that move it). no-cache, like every file here, so a new build's worker is found at once.
      const headers: Record<string, string> = rel === 'agora-sw.js' ? { 'Service-Worker-Allowed': '/' } : {};
      for (const dir of rootDirs) {
        const file = safeJoin(dir, rel);
        if (file && (await serveFile(req, res, dir, file, headers))) return;
      }
    }
    send(res, 404, 'Not found\n');
  }

  return (req, res) => {
    handle(req, res).catch((e: unknown) => {
      console.error(`http ${req.method} ${req.url}: ${e instanceof Error ? e.message : String(e)}`);
      if (!res.headersSent) send(res, 500, 'Internal server error\n');
      else res.destroy();
    });
  };
}
