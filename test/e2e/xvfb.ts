// A virtual X display for the browser tests that need a window: Firefox captures a screen only when it is not
// headless. Xvfb picks a free display number itself (-displayfd) and listens on no TCP port.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

export const XVFB = process.env.XVFB_PATH ?? '/usr/bin/Xvfb';

export interface Display {
  /** e.g. ":99", for DISPLAY. */
  name: string;
  stop(): Promise<void>;
}

/** Starts Xvfb with one 1280x720 screen, the size the tests expect a shared screen to be. */
export async function startXvfb(): Promise<Display> {
  const child: ChildProcess = spawn(
    XVFB,
    ['-displayfd', '3', '-screen', '0', '1280x720x24', '-nolisten', 'tcp', '-nolisten', 'unix'],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const name = await new Promise<string>((resolve, reject) => {
    let out = '';
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('\n')) resolve(`:${out.trim()}`);
    });
    child.once('exit', (code) => reject(new Error(`Xvfb exited with ${code}: ${err}`)));
  });
  return {
    name,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
