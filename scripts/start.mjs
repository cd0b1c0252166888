// `npm start`: build what is missing, then serve demo, SDK and signaling.
import { execFileSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
execFileSync(process.execPath, [`${root}scripts/build.mjs`, '--if-missing'], { stdio: 'inherit' });
await import(`${root}dist/node/server/main.js`);
