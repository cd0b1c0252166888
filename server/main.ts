// `node dist/node/server/main.js` (what `npm start` runs): serve demo, SDK and signaling on PORT (default 8080).
// Apps and keys come from the environment: AGORA_APPS / AGORA_APPS_FILE (the app registry), AGORA_DEMO_KEYS
// (the demo key endpoint, on under `npm start`) and AGORA_DEMO_APP_ID; see docs/channel-keys.md. Allowed page
// origins (ALLOWED_ORIGINS) and the limits (AGORA_MAX_…): docs/security.md.
import { loadRegistry, RegistryError } from './app-registry.js';
import { DEMO_APP_ID, startServer } from './app.js';
import { configureApps, DemoKeysError, type ServerApps } from './demo-keys.js';
import { EnvError, limitsFromEnv, originsFromEnv, sfuFromEnv } from './env.js';
import { IceConfigError, iceOptionsFromEnv, type IceOptions } from './turn.js';

function parsePort(v: string | undefined): number {
  if (v === undefined || v === '') return 8080;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    console.error(`PORT must be a port number from 0 to 65535; got ${JSON.stringify(v)}.`);
    process.exit(2);
  }
  return n;
}

function configure(): {
  apps: ServerApps;
  origins: string[];
  limits: ReturnType<typeof limitsFromEnv>;
  sfu: ReturnType<typeof sfuFromEnv>;
  ice: IceOptions | null;
} {
  try {
    const apps = configureApps(process.env, loadRegistry(process.env), { log: (line) => console.log(line) });
    return {
      apps,
      origins: originsFromEnv(process.env, apps.registry),
      limits: limitsFromEnv(process.env),
      sfu: sfuFromEnv(process.env),
      ice: iceOptionsFromEnv(process.env),
    };
  } catch (e) {
    // These messages name the variable and the problem, never a certificate.
    if (
      e instanceof RegistryError ||
      e instanceof DemoKeysError ||
      e instanceof EnvError ||
      e instanceof IceConfigError
    ) {
      console.error(`agora-rtc-web: cannot start: ${e.message}`);
      process.exit(2);
    }
    throw e;
  }
}

const host = process.env.HOST || '127.0.0.1';
const port = parsePort(process.env.PORT);
const { apps, origins, limits, ice, sfu } = configure();
const feedbackMaxBytes = Number(process.env.FEEDBACK_MAX_BYTES) || undefined;
const server = await startServer({
  port,
  host,
  policy: apps.policy,
  routes: apps.routes,
  feedback: { path: process.env.FEEDBACK_FILE || undefined, maxBytes: feedbackMaxBytes },
  feedbackToken: process.env.FEEDBACK_TOKEN || undefined,
  allowedOrigins: origins,
  limits,
  ...(sfu ? { sfu } : {}),
  ice,
  redisUrl: process.env.REDIS_URL || undefined,
  // Pings every socket this often (default 1000: a vanished user is gone within ~5 s); see docs/deploy.md.
  heartbeatMs: Number(process.env.HEARTBEAT_MS) || undefined,
});

// Loopback and wildcard binds are reachable as localhost, which browsers treat as a secure context.
const local = ['127.0.0.1', '::1', '0.0.0.0', '::', 'localhost'].includes(host);
const base = `http://${local ? 'localhost' : host.includes(':') ? `[${host}]` : host}:${server.port}`;
console.log(`agora-rtc-web listening on ${base}`);
console.log(`  demo:           ${base}/`);
console.log(`  sample client:  ${base}/demo/sample.html`);
for (const line of apps.describe(DEMO_APP_ID)) console.log(line);
console.log(
  `  allowed page origins: this server's own, ${server.allowedOrigins.join(', ')}${
    process.env.ALLOWED_ORIGINS ? '' : ' (development default; set ALLOWED_ORIGINS in production)'
  }`,
);
if (sfu) {
  console.log(
    `  SFU: ${sfu.urls.join(', ')} for channels past ${sfu.meshMax} members${sfu.meshMax === 0 ? ' (always)' : ''}`,
  );
}
const l = server.limits;
console.log(
  `  limits: ${l.maxMembersPerChannel} members/channel, ${l.maxConnectionsPerIp} connections and ${l.maxChannelsPerIp} channels per address, hello within ${l.helloTimeoutMs} ms`,
);

if (process.env.REDIS_URL) console.log('  cluster: sharing channels with the other nodes through REDIS_URL');
// URLs only: the TURN secret never reaches a log.
console.log(
  ice
    ? `  ICE servers: ${[...(ice.stunUrls ?? []), ...(ice.turnUrls ?? [])].join(', ')}${ice.secret ? ' (TURN with REST credentials)' : ''}`
    : '  ICE servers: none (set STUN_URLS / TURN_URLS and TURN_SECRET; see docs/deploy.md)',
);

// SIGTERM (a deployment replacing this node) drains: members move to other nodes, then the process exits when
// empty or after DRAIN_TIMEOUT_MS (default 30 s). SIGINT (Ctrl-C) stops at once. A second signal means now.
const drainMs = Number(process.env.DRAIN_TIMEOUT_MS) || 30_000;
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log(signal === 'SIGTERM' ? `draining (up to ${drainMs} ms)` : 'stopping');
    (signal === 'SIGTERM' ? server.drain(drainMs) : Promise.resolve())
      .then(() => server.close())
      .then(
        () => process.exit(0),
        (e: unknown) => {
          console.error(e);
          process.exit(1);
        },
      );
  });
}
