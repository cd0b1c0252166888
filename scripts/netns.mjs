// `node scripts/netns.mjs <command…>`: runs the command inside a fresh network namespace made for this run, so
// the WebRTC traffic of browser tests and benches never reaches, nor can be reached from, anything outside.
//
// Chromium gathers no ICE candidate on loopback, so the namespace gets a veth pair d0/d1 with 10.99.0.1/24 on d0
// (and a default route through d0, without which Firefox gathers nothing): media then flows over d0 and stays
// in the namespace, because nothing outside is attached to the pair. Every server the tests start (ours, coturn,
// Redis, Janus) lives inside with them. As root this is `unshare -n`; otherwise an unprivileged user namespace
// is tried (`unshare -rn`); where neither works the run says so in one line and goes on in the host's network.
//
// The parent process stays outside and answers the tests' questions about the outside on a Unix socket
// (`AGORA_NETNS_PROBE`): which UDP sockets are bound there, and a TCP listener on the host's own addresses
// (`AGORA_NETNS_OUTSIDE`) that nothing inside must be able to reach.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';

export const NETNS_ADDRESS = '10.99.0.1';

const SETUP = [
  'ip link set lo up',
  'ip link add d0 type veth peer name d1',
  `ip addr add ${NETNS_ADDRESS}/24 dev d0`,
  'ip link set d0 up',
  'ip link set d1 up',
  'ip route add default dev d0',
].join(' && ');

const command = process.argv.slice(2);
if (command.length === 0) {
  console.error('usage: node scripts/netns.mjs <command> [args…]');
  process.exit(2);
}

/** The unshare flags that make a namespace here, or undefined. */
function unshareFlags() {
  if (process.env.AGORA_NETNS) return undefined; // already inside one: run as is
  const candidates = process.getuid?.() === 0 ? [['-n'], ['-rn']] : [['-rn']];
  for (const flags of candidates) {
    const r = spawnSync('unshare', [...flags, 'sh', '-c', SETUP], { stdio: 'ignore' });
    if (r.status === 0) return flags;
  }
  return undefined;
}

function run(argv, env) {
  const child = spawn(argv[0], argv.slice(1), { stdio: 'inherit', env });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  return once(child, 'exit').then(([code, signal]) => (signal ? 128 : (code ?? 1)));
}

const flags = unshareFlags();
if (!flags) {
  if (!process.env.AGORA_NETNS)
    console.log(
      'netns: no network namespace could be made here (needs root or unprivileged user namespaces); running in the host network',
    );
  process.exit(await run(command, process.env));
}

// Outside: the host's own addresses, a listener on them that the tests must not reach, and the probe socket.
const outsideAddrs = Object.values(networkInterfaces())
  .flat()
  .filter((a) => a && !a.internal && a.family === 'IPv4')
  .map((a) => a.address);
const sink = createServer((s) => s.destroy());
let sinkPort = 0;
if (outsideAddrs.length > 0) {
  sink.listen(0, outsideAddrs[0]);
  await once(sink, 'listening');
  sinkPort = sink.address().port;
}
const dir = mkdtempSync(join(tmpdir(), 'agora-netns-'));
const probePath = join(dir, 'probe.sock');
const probe = createServer((s) => {
  s.once('data', (buf) => {
    const ask = buf.toString().trim();
    let answer = '';
    // UDP sockets bound in the host's namespace, with their processes: what a leak of the run would show.
    if (ask === 'udp') answer = execFileSync('ss', ['-uanpH'], { encoding: 'utf8' });
    s.end(answer);
  });
});
probe.listen(probePath);
await once(probe, 'listening');

const env = {
  ...process.env,
  AGORA_NETNS: NETNS_ADDRESS,
  AGORA_NETNS_PROBE: probePath,
  AGORA_NETNS_OUTSIDE: JSON.stringify({ addresses: outsideAddrs, port: sinkPort }),
};
const code = await run(['unshare', ...flags, 'sh', '-c', `${SETUP} && exec "$@"`, 'sh', ...command], env);
probe.close();
sink.close();
rmSync(dir, { recursive: true, force: true });
process.exit(code);
