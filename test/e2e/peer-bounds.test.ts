// Security review finding 4: a member of the channel relays `sig` messages with a fresh link id each, trying to
// make a victim's page build RTCPeerConnections until the browser refuses any more. The victim must stay able to
// receive a legitimate member who joins afterwards.
import { describe, expect, test } from 'vitest';
import { APP_ID, until, videoFrames } from './harness.js';
import { browserSuite } from './setup.js';
import { IDLE, SignalClient } from '../unit/signal-client.js';

declare global {
  interface Window {
    /** RTCPeerConnections the page constructed (counted by an init script). */
    pcCount: number;
  }
}

/** A syntactically valid data-channel offer: the browser accepts it and answers, keeping the connection alive. */
function offerSdp(n: number): string {
  const fp = Array.from({ length: 32 }, (_, i) =>
    ((i * 7 + n) % 256).toString(16).padStart(2, '0').toUpperCase(),
  );
  return [
    'v=0',
    `o=- ${1000 + n} 2 IN IP4 127.0.0.1`,
    's=-',
    't=0 0',
    'a=group:BUNDLE 0',
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
    'c=IN IP4 0.0.0.0',
    `a=ice-ufrag:u${n.toString(36).padStart(4, '0')}`,
    'a=ice-pwd:abcdefghijklmnopqrstuvwx',
    `a=fingerprint:sha-256 ${fp.join(':')}`,
    'a=setup:actpass',
    'a=mid:0',
    'a=sctp-port:5000',
    '',
  ].join('\r\n');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const suite = browserSuite();
const { user } = suite;

describe('a member cannot make another build peer connections at will', () => {
  test('600 offers with fresh link ids: the victim builds a few connections and still receives a member who joins afterwards', async () => {
    const attacker = await SignalClient.open(suite.server.url);
    expect(await attacker.hello(APP_ID)).toMatchObject({ t: 'ok' });
    // In the channel first, so the victim expects offers from it.
    expect(
      await attacker.request({ t: 'join', channel: 'bounds', uid: 666, key: null, state: IDLE }),
    ).toMatchObject({ t: 'ok' });

    const victim = await user();
    await victim.addInitScript(() => {
      window.pcCount = 0;
      const Native = window.RTCPeerConnection;
      window.RTCPeerConnection = class extends Native {
        constructor(config?: RTCConfiguration) {
          super(config);
          window.pcCount++;
        }
      };
    });
    await victim.reload();
    const victimUid = await victim.evaluate(
      (appId) => window.T.join(appId, 'bounds', 0, { publish: false }),
      APP_ID,
    );

    // The server lets a socket send 400 at once and 200/s after: 600 offers take about 1 s.
    for (let i = 0; i < 600; i++) {
      attacker.send({
        t: 'relay',
        to: victimUid,
        data: { k: 'sig', link: `flood${i}`, sig: { type: 'offer', sdp: offerSdp(i) } },
      });
      if (i % 100 === 99) await sleep(500);
    }
    await sleep(1000);

    const legit = await user();
    const legitUid = await legit.evaluate((appId) => window.T.join(appId, 'bounds', 0), APP_ID);
    await until(
      () =>
        victim.evaluate(
          (uid) => window.events.some((e) => e.ev === 'stream-subscribed' && e.uid === uid),
          legitUid,
        ),
      20_000,
      'the victim subscribed to the legitimate member',
    );
    const v = await videoFrames(victim, `#remote-${legitUid} video`);
    expect(v.width).toBeGreaterThan(0);
    expect(v.frames).toBeGreaterThan(3);
    // One link per member, and a new link from the attacker at most every 2 s while the flood lasted.
    expect(await victim.evaluate(() => window.pcCount)).toBeLessThanOrEqual(6);
    attacker.close();
    await Promise.all([victim.close(), legit.close()]);
  });
});
