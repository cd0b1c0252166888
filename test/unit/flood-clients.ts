// The flood of the security review's finding 1, as its own process (an attacker is not slowed down by the server's
// stalls): `node --import tsx test/unit/flood-clients.ts <http-url> <members> <changes/s each> <seconds> [appId]`.
// Opens <members> sockets, joins them into one channel, then sends state changes; prints one JSON line
// {joined, refused, sent, received} and exits. Loopback only: the URL is the test's own server.
import { WebSocket } from 'ws';
import { SIGNAL_PATH } from '../../src/protocol/messages.js';

const [
  url = '',
  membersArg = '300',
  rateArg = '50',
  secondsArg = '3',
  appId = '0123456789abcdef0123456789abcdef',
] = process.argv.slice(2);
if (!/^http:\/\/(127\.0\.0\.1|localhost|\[::1\]):\d+$/.test(url)) {
  console.error('flood-clients: give the loopback http://127.0.0.1:<port> of a test server');
  process.exit(2);
}
const members = Number(membersArg);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const states = [
  { published: true, audioMuted: false, videoMuted: false },
  { published: true, audioMuted: true, videoMuted: false },
];

let joined = 0;
let refused = 0;
let received = 0;
let sent = 0;

function member(i: number): Promise<WebSocket | null> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url.replace('http', 'ws') + SIGNAL_PATH);
    ws.on('error', () => resolve(null));
    ws.on('unexpected-response', () => {
      refused++;
      resolve(null);
    });
    ws.on('open', () => {
      ws.send(JSON.stringify({ t: 'hello', id: 1, appId, sdk: 'flood' }));
      ws.send(
        JSON.stringify({ t: 'join', id: 2, channel: 'flood', uid: i + 1, key: null, state: states[0] }),
      );
    });
    ws.on('message', (data) => {
      received++;
      const m = JSON.parse(String(data)) as { t: string; id?: number };
      if (m.id === 2) {
        if (m.t === 'ok') {
          joined++;
          resolve(ws);
        } else {
          refused++;
          resolve(null);
        }
      }
    });
  });
}

const sockets: WebSocket[] = [];
for (let i = 0; i < members; i += 50) {
  const batch = await Promise.all(Array.from({ length: Math.min(50, members - i) }, (_, j) => member(i + j)));
  for (const ws of batch) if (ws) sockets.push(ws);
}
// One tick every 20 ms; each socket sends its share so that the rate per socket holds on average.
let n = 0;
const perTick = (rate * 20) / 1000;
let debt = 0;
const timer = setInterval(() => {
  debt += perTick;
  while (debt >= 1) {
    debt--;
    n++;
    const text = JSON.stringify({ t: 'state', state: states[n % 2] });
    for (const ws of sockets) {
      if (ws.readyState === WebSocket.OPEN) {
        ws.send(text);
        sent++;
      }
    }
  }
}, 20);
await new Promise((r) => setTimeout(r, seconds * 1000));
clearInterval(timer);
console.log(JSON.stringify({ joined, refused, sent, received }));
for (const ws of sockets) ws.terminate();
process.exit(0);
