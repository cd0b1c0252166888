// Debian's coturn for the TURN tests, with the REST-secret scheme the signaling server hands credentials for. It
// listens and relays on loopback only; `--allow-loopback-peers` (tests only) lets it relay between two pages of the
// run's namespace, which would otherwise get 403 Forbidden IP and no report in the browser.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './harness.js';

export const TURNSERVER = process.env.TURNSERVER_PATH ?? '/usr/bin/turnserver';

export interface Coturn {
  /** e.g. turn:127.0.0.1:41234?transport=udp */
  url: string;
  /** Its log so far (one line per allocation, refusal…). */
  log(): string;
  stop(): Promise<void>;
}

export async function startCoturn(secret: string): Promise<Coturn> {
  const port = await freePort();
  // Relay ports near the listening one (freePort picks from the ephemeral range, where other tests' ports are).
  const minPort = 20_000 + (port % 20_000);
  const dir = mkdtempSync(join(tmpdir(), 'coturn-'));
  const child: ChildProcess = spawn(
    TURNSERVER,
    [
      '-n',
      '--listening-ip=127.0.0.1',
      '--relay-ip=127.0.0.1',
      `--listening-port=${port}`,
      `--min-port=${minPort}`,
      `--max-port=${minPort + 200}`,
      '--use-auth-secret',
      `--static-auth-secret=${secret}`,
      '--realm=agora-rtc-web.test',
      '--fingerprint',
      '--no-tls',
      '--no-dtls',
      '--no-cli',
      '--allow-loopback-peers',
      '--log-file=stdout',
      '--simple-log',
      '--verbose',
      `--userdb=${join(dir, 'turndb')}`,
      `--pidfile=${join(dir, 'turnserver.pid')}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`coturn did not start in 10 s:\n${out}`)), 10_000);
    const check = () => {
      if (!out.includes('Total General servers')) return;
      clearTimeout(timer);
      child.stdout!.off('data', check);
      resolve();
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`coturn exited with ${code}:\n${out}`));
    });
  });
  return {
    url: `turn:127.0.0.1:${port}?transport=udp`,
    log: () => out,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
