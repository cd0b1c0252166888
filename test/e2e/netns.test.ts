// The test run's own network (scripts/netns.mjs): nothing inside reaches the machine's real addresses, and a call
// inside still decodes video over the namespace's veth while no socket of the run shows up in the host's network.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, createConnection } from 'node:net';
import { describe, expect, test } from 'vitest';
import { APP_ID, until, videoFrames } from './harness.js';
import { browserSuite } from './setup.js';

const inside = process.env.AGORA_NETNS;
const outside = JSON.parse(process.env.AGORA_NETNS_OUTSIDE ?? '{"addresses":[],"port":0}') as {
  addresses: string[];
  port: number;
};

/** Asks the netns.mjs parent, which stays in the host's network, a question about it. */
function askOutside(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createConnection(process.env.AGORA_NETNS_PROBE!);
    let out = '';
    s.on('connect', () => s.write(question));
    s.on('data', (b) => (out += b.toString()));
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}

/** How a TCP connection attempt ended: 'connected', an errno such as 'EHOSTUNREACH', or 'timeout'. */
function tryConnect(host: string, port: number, ms = 6000): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const timer = setTimeout(() => (s.destroy(), resolve('timeout')), ms);
    s.on('connect', () => (clearTimeout(timer), s.destroy(), resolve('connected')));
    s.on('error', (e: NodeJS.ErrnoException) => (clearTimeout(timer), resolve(e.code ?? 'error')));
  });
}

/** UDP sockets in `ss -uanpH` output bound to a non-loopback address, with the pids that hold them. */
function nonLoopbackUdp(ss: string): Array<{ local: string; pids: number[] }> {
  return ss
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const local = line.trim().split(/\s+/)[3] ?? '';
      const pids = [...line.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
      return { local, pids };
    })
    .filter(({ local }) => !/^(127\.|\[::1\]|\[::ffff:127\.)/.test(local));
}

/** Whether `pid` descends from this test process (the pid namespace is shared with the host). */
function descendsFromUs(pid: number): boolean {
  for (let p = pid, hops = 0; p > 1 && hops < 64; hops++) {
    if (p === process.pid) return true;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces, so read after the last ')'.
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      p = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return false;
    }
  }
  return false;
}

const { user } = browserSuite();

describe.skipIf(!inside)('the test run keeps its network to itself', () => {
  test("from inside the run the machine's own addresses cannot be reached", async () => {
    // The parent listens on the first of them, outside: from the host this connect would succeed.
    expect(outside.addresses.length).toBeGreaterThan(0);
    for (const address of outside.addresses) {
      expect(await tryConnect(address, outside.port || 9)).not.toBe('connected');
    }
  });

  test('a 2-page call decodes video over the namespace, and no UDP socket of the run is bound outside', async () => {
    const a = await user();
    const b = await user();
    const uidA = await a.evaluate((appId) => window.T.join(appId, 'netns', 0), APP_ID);
    await b.evaluate((appId) => window.T.join(appId, 'netns', 0, { publish: false }), APP_ID);
    const v = await videoFrames(b, `#remote-${uidA} video`);
    expect(v.width).toBeGreaterThan(0);
    expect(v.frames).toBeGreaterThan(5);

    // Inside: the browser's media sockets sit on the namespace's veth address (the check can see them).
    const ours = await until(
      () =>
        nonLoopbackUdp(execFileSync('ss', ['-uanpH'], { encoding: 'utf8' })).filter((s) =>
          s.pids.some(descendsFromUs),
        ),
      10_000,
      'UDP sockets of the call inside the run',
    );
    expect(ours.some((s) => s.local.startsWith(`${inside}:`))).toBe(true);

    // Outside, during the same call: none of the run's processes holds a UDP socket.
    const leaked = nonLoopbackUdp(await askOutside('udp')).filter((s) => s.pids.some(descendsFromUs));
    expect(leaked).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });
});
