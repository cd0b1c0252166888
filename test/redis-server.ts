// Debian's redis-server for the cluster tests: its own instance on a port it is given, loopback only, nothing
// written to disk.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

export const REDIS_SERVER = process.env.REDIS_SERVER_PATH ?? '/usr/bin/redis-server';

export interface RedisInstance {
  url: string;
  stop(): Promise<void>;
  /**
   * Kills it and starts a new, empty one on the same port (as a Redis restarted without persistence), after
   * `whileDown` (what happens while Redis is away).
   */
  restart(whileDown?: () => Promise<void>): Promise<void>;
}

async function freePort(): Promise<number> {
  const srv = createServer().listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  srv.close();
  await once(srv, 'close');
  return port;
}

async function spawnRedis(port: number): Promise<ChildProcess> {
  const child: ChildProcess = spawn(
    REDIS_SERVER,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--protected-mode',
      'yes',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out}`)));
  });
  return child;
}

async function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  await once(child, 'exit');
}

export async function startRedis(): Promise<RedisInstance> {
  const port = await freePort();
  let child = await spawnRedis(port);
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () => kill(child, 'SIGTERM'),
    async restart(whileDown) {
      await kill(child, 'SIGKILL');
      await whileDown?.();
      // The port was just freed; a restart loop would hide a real failure, so one retry after a pause.
      child = await spawnRedis(port).catch(async () => {
        await new Promise((r) => setTimeout(r, 500));
        return spawnRedis(port);
      });
    },
  };
}
