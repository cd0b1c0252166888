// The browser tests drive Debian's own programs (never a downloaded browser): Chromium, Firefox ESR with Xvfb for
// its screen-sharing test, ffprobe/ffmpeg to check recordings, coturn, redis-server and pulseaudio. Install what is missing when we may (root),
// otherwise say in one line what to type.
import { existsSync } from 'node:fs';
import { execSync } from 'node:child_process';

/** Program → the Debian package that has it. */
const NEEDED = [
  [process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', 'chromium'],
  [process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr', 'firefox-esr'],
  [process.env.XVFB_PATH ?? '/usr/bin/Xvfb', 'xvfb'],
  ['/usr/bin/ffprobe', 'ffmpeg'],
  [process.env.JANUS_PATH ?? '/usr/bin/janus', 'janus'],
  // coturn relays media in the TURN test; redis-server links signaling nodes in the cluster test.
  [process.env.TURNSERVER_PATH ?? '/usr/bin/turnserver', 'coturn'],
  [process.env.REDIS_SERVER_PATH ?? '/usr/bin/redis-server', 'redis-server'],
  // A private sound server gives Firefox two microphones and a speaker (its fake devices are one of each).
  [process.env.PULSEAUDIO_PATH ?? '/usr/bin/pulseaudio', 'pulseaudio'],
];

const missing = [...new Set(NEEDED.filter(([path]) => !existsSync(path)).map(([, pkg]) => pkg))];
if (missing.length > 0) {
  const install = `apt-get install -y ${missing.join(' ')}`;
  if (process.getuid?.() === 0) {
    console.log(`Missing for the browser tests: installing Debian's ${missing.join(', ')} (${install})…`);
    execSync(
      `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${missing.join(' ')}`,
      {
        stdio: 'inherit',
      },
    );
  } else {
    console.error(
      `The browser tests need Debian's ${missing.join(', ')}. Install with:\n\n  sudo ${install}\n`,
    );
    process.exit(1);
  }
}
