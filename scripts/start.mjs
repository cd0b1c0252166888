// `npm start`: build what is missing, then serve demo, SDK and signaling.
import { execFileSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
execFileSync(process.execPath, [`${root}scripts/build.mjs`, '--if-missing'], { stdio: 'inherit' });
// The API reference at /docs/.
execFileSync(process.execPath, [`${root}scripts/docs.mjs`, '--if-missing'], { stdio: 'inherit' });
// `npm start` is the development/demo command: the demo key endpoint (POST /api/channel-key) is on unless
// AGORA_DEMO_KEYS says otherwise. Production runs `node dist/node/server/main.js`, where it is off.
process.env.AGORA_DEMO_KEYS ??= '1';
await import(`${root}dist/node/server/main.js`);
