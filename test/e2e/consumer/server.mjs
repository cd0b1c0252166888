// Plain Node ESM that installed agora-rtc-web: the key functions and the server from 'agora-rtc-web/server'.
import { generateMediaChannelKey, verifyChannelKey, startServer } from 'agora-rtc-web/server';

const appId = '0123456789abcdef0123456789abcdef';
const certificate = 'fedcba9876543210fedcba9876543210';
const now = Math.floor(Date.now() / 1000);
const key = generateMediaChannelKey(appId, certificate, 'room 1', now, 12345, 7, 0);
const check = verifyChannelKey({ key, appId, appCertificate: certificate, channelName: 'room 1', uid: 7 });
const server = await startServer({ port: 0, host: '127.0.0.1', quiet: true });
// Started from the installed package, the server serves the SDK beside it.
const sdk = await fetch(`${server.url}/sdk/agora-rtc.js`);
await server.close();
console.log(JSON.stringify({ key, ok: check.ok, sdk: sdk.status }));
