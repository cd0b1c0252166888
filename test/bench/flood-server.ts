// The signaling server as its own process for the flood bench, with its own event-loop delay monitor:
// `node --import tsx test/bench/flood-server.ts '<limits as JSON>'`. Prints {"url"} once listening; then each
// line on stdin: "reset" clears the delay histogram, "stats" prints {maxDelayMs, members, connections}.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { startServer, type ServerLimits } from '../../server/app.js';

const limits = JSON.parse(process.argv[2] ?? '{}') as Partial<ServerLimits>;
const server = await startServer({ port: 0, host: '127.0.0.1', quiet: true, limits });
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
console.log(JSON.stringify({ url: server.url }));
const lines = createInterface({ input: process.stdin });
let cpu = process.cpuUsage();
let since = performance.now();
lines.on('line', (line) => {
  if (line === 'reset') {
    delay.reset();
    cpu = process.cpuUsage();
    since = performance.now();
  }
  if (line === 'stats') {
    const used = process.cpuUsage(cpu);
    const cpuShare = (used.user + used.system) / 1000 / (performance.now() - since);
    console.log(JSON.stringify({ maxDelayMs: delay.max / 1e6, cpuShare, ...server.stats() }));
  }
});
lines.on('close', () => {
  void server.close().then(() => process.exit(0));
});
