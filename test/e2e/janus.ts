// Starts a private Janus for a test from the config kept in server/sfu/janus-conf/: API on 127.0.0.1 only,
// VideoRoom and WebSocket transport only, ICE on the namespace's veth (never the system service, never
// 0.0.0.0). Call it from inside the test run's network namespace.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import WebSocket from 'ws';
import { freePort } from './harness.js';

export const JANUS = process.env.JANUS_PATH ?? '/usr/bin/janus';
const LIBS = process.env.JANUS_LIBS ?? '/usr/lib/x86_64-linux-gnu/janus';
const CONF = resolve('server/sfu/janus-conf');

export interface JanusProcess {
  /** ws://127.0.0.1:<port> */
  url: string;
  apiSecret: string;
  child: ChildProcess;
  /** SIGKILL, as in a crash. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export async function startJanus(opts: { apiSecret?: string; ice?: string } = {}): Promise<JanusProcess> {
  const port = await freePort();
  const apiSecret = opts.apiSecret ?? `test-${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'janus-'));
  const conf = join(dir, 'conf');
  const libs = join(dir, 'libs');
  mkdirSync(conf);
  for (const sub of ['plugins', 'transports', 'events', 'loggers'])
    mkdirSync(join(libs, sub), { recursive: true });
  symlinkSync(join(LIBS, 'plugins/libjanus_videoroom.so'), join(libs, 'plugins/libjanus_videoroom.so'));
  symlinkSync(
    join(LIBS, 'transports/libjanus_websockets.so'),
    join(libs, 'transports/libjanus_websockets.so'),
  );
  const values: Record<string, string> = {
    CONF: conf,
    LIBS: libs,
    PORT: String(port),
    ICE: opts.ice ?? process.env.JANUS_ICE ?? 'd0',
    API_SECRET: apiSecret,
    ADMIN_SECRET: `admin-${Math.random().toString(36).slice(2)}`,
  };
  for (const f of readdirSync(CONF)) {
    const text = readFileSync(join(CONF, f), 'utf8').replace(
      /@([A-Z_]+)@/g,
      (m, k: string) => values[k] ?? m,
    );
    writeFileSync(join(conf, f), text);
  }
  const child = spawn(JANUS, ['-F', conf, '-C', join(conf, 'janus.jcfg'), '-d', '3'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (b: Buffer) => {
    log = (log + b.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const url = `ws://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`janus exited with ${child.exitCode}:\n${log}`);
    if (await answers(url)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`janus did not open its API on ${url}:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      await once(child, 'exit');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { url, apiSecret, child, kill: () => end('SIGKILL'), stop: () => end('SIGTERM') };
}

function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, 'janus-protocol');
    ws.once('open', () => {
      ws.close();
      resolve(true);
    });
    ws.once('error', () => resolve(false));
  });
}
