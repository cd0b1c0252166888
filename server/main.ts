// `node dist/node/server/main.js` (what `npm start` runs): serve demo, SDK and signaling on PORT (default 8080).
import { DEMO_APP_ID, startServer } from './app.js';

function parsePort(v: string | undefined): number {
  if (v === undefined || v === '') return 8080;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    console.error(`PORT must be a port number from 0 to 65535; got ${JSON.stringify(v)}.`);
    process.exit(2);
  }
  return n;
}

const host = process.env.HOST || '127.0.0.1';
const server = await startServer({ port: parsePort(process.env.PORT), host });

// Loopback and wildcard binds are reachable as localhost, which browsers treat as a secure context.
const local = ['127.0.0.1', '::1', '0.0.0.0', '::', 'localhost'].includes(host);
const base = `http://${local ? 'localhost' : host.includes(':') ? `[${host}]` : host}:${server.port}`;
console.log(`agora-rtc-web listening on ${base}`);
console.log(`  demo:           ${base}/`);
console.log(`  sample client:  ${base}/demo/sample.html`);
console.log(`  static App ID (no key needed): ${DEMO_APP_ID}`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1); // A second Ctrl-C means now.
    stopping = true;
    server.close().then(
      () => process.exit(0),
      (e: unknown) => {
        console.error(e);
        process.exit(1);
      },
    );
  });
}
