// A signaling node as its own process for the load bench: `node --import tsx test/bench/load-server.ts <mode>
// [redisUrl]`, mode `agora` (our server, limits raised for one loopback address) or `bare` (a bare `ws` relay: it
// answers hello and join and forwards relays, with no checks, channels or timers: the floor any server pays).
// Prints {"url"} once listening; "stats" on stdin prints {rssMb}.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { WebSocketServer, type WebSocket } from 'ws';
import { startServer } from '../../server/app.js';

const [mode = 'agora', redisUrl] = process.argv.slice(2);

async function bare(): Promise<string> {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  const byUid = new Map<number, WebSocket>();
  let next = 1;
  wss.on('connection', (ws) => {
    const uid = next++;
    byUid.set(uid, ws);
    ws.on('close', () => byUid.delete(uid));
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { t: string; id?: number; to?: number; data?: unknown };
      if (m.t === 'relay')
        byUid.get(m.to ?? 0)?.send(JSON.stringify({ t: 'relay', from: uid, data: m.data }));
      else
        ws.send(
          JSON.stringify({ t: 'ok', id: m.id, result: m.t === 'join' ? { uid, peers: [] } : undefined }),
        );
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}

const url =
  mode === 'bare'
    ? await bare()
    : (
        await startServer({
          port: 0,
          quiet: true,
          redisUrl,
          ...(process.env.HEARTBEAT_MS ? { heartbeatMs: Number(process.env.HEARTBEAT_MS) } : {}),
          // Every bench client comes from 127.0.0.1.
          limits: { maxConnectionsPerIp: 1e9, maxChannelsPerIp: 1e9, maxMembersPerChannel: 1e9 },
        })
      ).url;
console.log(JSON.stringify({ url }));
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'stats') console.log(JSON.stringify({ rssMb: process.memoryUsage().rss / 2 ** 20 }));
});
process.stdin.on('close', () => process.exit(0));
