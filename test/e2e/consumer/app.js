// A developer's app that installed agora-rtc-web and bundles it (Vite, webpack): an encrypted call written the
// way the README shows, Promise style. The consumer test builds it from the packed tarball and opens two pages.
import AgoraRTC from 'agora-rtc-web';

const q = new URLSearchParams(location.search);
const state = { uid: 0, remoteUid: 0, cryptErrors: 0, error: '' };
window.state = state;

async function main() {
  // The page is not served with the SDK's service worker at /agora-sw.js: a re-bundling app turns it off.
  const client = AgoraRTC.createRtcClient({ serviceWorker: false });
  client.on('crypt-error', () => state.cryptErrors++);
  client.on('stream-added', (evt) => client.subscribe(evt.stream));
  client.on('stream-subscribed', (evt) => {
    state.remoteUid = evt.stream.getId();
    evt.stream.play('remote');
  });
  if (client.setEncryptionSecret(q.get('secret')) !== 0) throw new Error('setEncryptionSecret failed');
  if (client.setEncryptionMode('aes-128-xts') !== 0) throw new Error('setEncryptionMode failed');
  await client.init(q.get('appId'));
  state.uid = await client.join(null, q.get('channel'), 0);
  const stream = AgoraRTC.createStream({ streamID: state.uid, local: true, audio: true, video: true });
  await stream.init();
  stream.play('local');
  await client.publish(stream);
}

main().catch((e) => (state.error = `${e.name}: ${e.message}`));
