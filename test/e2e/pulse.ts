// A private PulseAudio server for a test: two microphones (sine sources at 440 and 880 Hz) and one speaker (a
// null sink), on a Unix socket in a temporary folder (no network, never the user's own sound server). Firefox's
// fake devices are one camera and one microphone (its fake media engine lists exactly one of each, and the
// loopback prefs pick one named real device); with `media.navigator.streams.fake` off and PULSE_SERVER pointing
// here it lists these as real devices, so a test can switch between two microphones and choose a speaker.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PULSEAUDIO = process.env.PULSEAUDIO_PATH ?? '/usr/bin/pulseaudio';

export interface PulseProcess {
  /** For PULSE_SERVER: unix:<socket> */
  server: string;
  /** The microphones' labels as browsers list them. */
  microphones: [string, string];
  speaker: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function startPulse(): Promise<PulseProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-'));
  const socket = join(dir, 'native');
  const child = spawn(
    PULSEAUDIO,
    [
      '-n', // no default.pa: only the modules below
      '--daemonize=no',
      '--exit-idle-time=-1',
      '--use-pid-file=no',
      '--log-target=stderr',
      '-L',
      `module-native-protocol-unix socket=${socket} auth-anonymous=1`,
      '-L',
      'module-null-sink sink_name=speaker sink_properties=device.description=Speaker',
      '-L',
      'module-sine-source source_name=mic_a rate=48000 frequency=440',
      '-L',
      'module-sine-source source_name=mic_b rate=48000 frequency=880',
    ],
    { env: { ...process.env, HOME: dir, XDG_RUNTIME_DIR: dir }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr!.on('data', (b: Buffer) => (log = (log + b.toString()).slice(-10_000)));
  const deadline = Date.now() + 10_000;
  while (!existsSync(socket)) {
    if (child.exitCode !== null) throw new Error(`pulseaudio exited with ${child.exitCode}:\n${log}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`pulseaudio did not open ${socket}:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    server: `unix:${socket}`,
    microphones: ['Sine source at 440 Hz', 'Sine source at 880 Hz'],
    speaker: 'Speaker',
    child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
