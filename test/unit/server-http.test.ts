// Static files and routes over real HTTP, against a throwaway project root.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findProjectRoot, startServer, type RunningServer } from '../../server/app.js';
import { safeJoin } from '../../server/http.js';

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Raw request: the path goes out exactly as written (fetch would normalise `..`). */
function get(
  server: RunningServer,
  path: string,
  method = 'GET',
  headers: Record<string, string> = {},
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

let dir: string;
let outside: string;
let server: RunningServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'agora-http-'));
  outside = mkdtempSync(join(tmpdir(), 'agora-outside-'));
  const put = (rel: string, text: string) => {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  };
  put('dist/sdk/agora-rtc.js', 'export default 1;');
  put('dist/sdk/agora-rtc.js.map', '{}');
  put('dist/sdk/x.wasm', 'wasm');
  put('dist/sdk/.secret', 'dot');
  put('dist/sdk/sub/index.html', '<p>sub</p>');
  put('demo/sample.html', '<h1>sample</h1>');
  put('demo/style.css', 'body{}');
  put('public/agora-fallback.html', '<p>fallback</p>');
  put('public/icon.svg', '<svg/>');
  put('dist/sw/agora-sw.js', 'self.x = 1;');
  put('test-pages/page.html', '<p>test page</p>');
  put('package.json', '{"name":"agora-rtc-web"}');
  writeFileSync(join(outside, 'secret.txt'), 'outside');
  symlinkSync(join(outside, 'secret.txt'), join(dir, 'demo', 'escape.txt'));
  symlinkSync(join(dir, 'demo', 'sample.html'), join(dir, 'demo', 'alias.html'));
  server = await startServer({
    port: 0,
    quiet: true,
    root: dir,
    staticDirs: { '/test-pages/': 'test-pages' },
    routes: [
      {
        method: 'POST',
        path: '/api/echo',
        handle: (_req, res) => {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end('{"ok":true}');
        },
      },
    ],
  });
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

describe('static files', () => {
  it('serves the SDK, demo, public and extra directories with their MIME types and no-cache', async () => {
    const expected: Array<[string, string, string]> = [
      ['/sdk/agora-rtc.js', 'text/javascript', 'export default 1;'],
      ['/sdk/agora-rtc.js.map', 'application/json', '{}'],
      ['/sdk/x.wasm', 'application/wasm', 'wasm'],
      ['/demo/sample.html', 'text/html', '<h1>sample</h1>'],
      ['/demo/style.css', 'text/css', 'body{}'],
      ['/agora-fallback.html', 'text/html', '<p>fallback</p>'],
      ['/icon.svg', 'image/svg+xml', '<svg/>'],
      ['/test-pages/page.html', 'text/html', '<p>test page</p>'],
      ['/sdk/sub/', 'text/html', '<p>sub</p>'],
      ['/demo/alias.html', 'text/html', '<h1>sample</h1>'],
      ['/demo/sample.html?v=2#x', 'text/html', '<h1>sample</h1>'],
    ];
    for (const [path, type, body] of expected) {
      const r = await get(server, path);
      expect(r.status, path).toBe(200);
      expect(r.headers['content-type'], path).toContain(type);
      expect(r.headers['cache-control'], path).toBe('no-cache');
      expect(r.body, path).toBe(body);
    }
  });

  it('serves the built service worker at the root, revalidated and allowed the whole origin', async () => {
    const r = await get(server, '/agora-sw.js');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toContain('text/javascript');
    expect(r.headers['cache-control']).toBe('no-cache');
    expect(r.headers['service-worker-allowed']).toBe('/');
    expect(r.body).toBe('self.x = 1;');
    expect((await get(server, '/agora-fallback.html')).headers['service-worker-allowed']).toBeUndefined();
  });

  it('/ without an index.html links the sample client', async () => {
    const r = await get(server, '/');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toContain('text/html');
    expect(r.body).toContain('/demo/sample.html');
  });

  it('HEAD gives the headers without a body; a matching ETag gives 304', async () => {
    const head = await get(server, '/sdk/agora-rtc.js', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String('export default 1;'.length));
    expect(head.body).toBe('');
    const etag = head.headers.etag as string;
    expect(etag).toBeTruthy();
    expect((await get(server, '/sdk/agora-rtc.js', 'GET', { 'If-None-Match': etag })).status).toBe(304);
  });

  it('refuses traversal, encoded slashes, dotfiles and symlinks that lead outside', async () => {
    for (const path of [
      '/sdk/../package.json',
      '/sdk/%2e%2e/package.json',
      '/sdk/..%2fpackage.json',
      '/sdk/%2e%2e%2f%2e%2e%2fetc/passwd',
      '/sdk/sub%5c..%5c..%5cpackage.json',
      '/sdk/.secret',
      '/sdk/%2esecret',
      '/demo/escape.txt',
      '/package.json',
      '/sdk/agora-rtc.js%00.html',
      '/sdk/%E0%A4%A',
      '/sdk//agora-rtc.js',
      '/nothing-here.js',
      '/demo/missing.html',
    ]) {
      const r = await get(server, path);
      expect(r.status, path).toBe(404);
      expect(r.body, path).not.toContain('outside');
      expect(r.body, path).not.toContain('agora-rtc-web');
    }
  });

  it('a mount without its trailing slash redirects to it', async () => {
    const r = await get(server, '/demo');
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe('/demo/');
  });

  it('methods other than GET and HEAD get 405; routes answer their method only', async () => {
    const post = await get(server, '/demo/sample.html', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    expect((await get(server, '/api/echo', 'POST')).body).toBe('{"ok":true}');
    const wrong = await get(server, '/api/echo', 'GET');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('POST');
  });

  it('safeJoin keeps every resolved path inside its directory', () => {
    expect(safeJoin('/srv/x', 'a/b.js')).toBe('/srv/x/a/b.js');
    expect(safeJoin('/srv/x', 'a/')).toBe('/srv/x/a/index.html');
    expect(safeJoin('/srv/x', '../y')).toBeNull();
    expect(safeJoin('/srv/x', 'a/%2e%2e/%2e%2e/y')).toBeNull();
    expect(safeJoin('/srv/x', '%2Fetc%2Fpasswd')).toBeNull();
    expect(safeJoin('/srv/x', '.env')).toBeNull();
  });
});

describe('upgrades and the project root', () => {
  it('a WebSocket upgrade on another path is refused with 404', async () => {
    const socket = connect(server.port, '127.0.0.1');
    socket.write(
      'GET /not-signal HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    const reply = await new Promise<string>((resolve) => {
      let s = '';
      socket.on('data', (b) => (s += b.toString()));
      socket.on('close', () => resolve(s));
    });
    expect(reply).toMatch(/^HTTP\/1\.1 404/);
  });

  it('the project root is found from the source folder and from dist/node/server', () => {
    const root = findProjectRoot();
    expect(findProjectRoot(join(root, 'server'))).toBe(root);
    expect(findProjectRoot(join(root, 'dist', 'node', 'server'))).toBe(root);
    expect(findProjectRoot(join(dir, 'demo'))).toBe(dir);
  });
});
