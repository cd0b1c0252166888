// A TypeScript developer's code against the installed package, compiled with `tsc --strict` (and our declarations
// checked too: no skipLibCheck). The manual's sample client, the Promise style, the components, the classic-script
// global and the server's key functions. The type assertions fail the compile if `any` leaks from our types.
import AgoraRTC, { AgoraError, ErrorCode, type Client, type Stream } from 'agora-rtc-web';
import 'agora-rtc-web/components';
import type { AgoraCallElement } from 'agora-rtc-web/components';
import type {} from 'agora-rtc-web/iife';
import { generateMediaChannelKey } from 'agora-rtc-web/server';

type IsAny<T> = 0 extends 1 & T ? true : false;
type NotAny<T> = IsAny<T> extends true ? never : T;
function notAny<T>(value: NotAny<T>): T {
  return value;
}

declare const appId: string;

// The manual's sample web client, callbacks as in the manual.
const client = AgoraRTC.createRtcClient();
client.init(
  appId,
  () => {
    client.join(
      null,
      '1024',
      0,
      (uid) => {
        notAny(uid);
        const localStream = AgoraRTC.createStream({ streamID: uid, local: true, audio: true, video: true });
        localStream.setVideoProfile('480P');
        localStream.init(
          () => {
            localStream.play('agora_local');
            client.publish(localStream, null, (err) =>
              console.log('Publish local stream error: ' + err.code),
            );
          },
          (err) => console.log('getUserMedia failed', err.message),
        );
      },
      (err) => console.log('Join channel failed', err.code),
    );
  },
  (err) => console.log('AgoraRTC client init failed', err),
);
client.on('stream-added', (evt) => {
  const stream: Stream = notAny(evt.stream);
  client.subscribe(stream, (err) => console.log('Subscribe stream failed', err));
});
client.on('stream-subscribed', (evt) => evt.stream.play('agora_remote' + String(evt.stream.getId())));
client.on('peer-leave', (evt) => notAny(evt.uid));
client.on('error', (evt) => notAny(evt));

// The same with Promises.
export async function call(channel: string): Promise<number> {
  const c: Client = AgoraRTC.createRtcClient({ signalingUrl: 'wss://rtc.example.com/agora-signal' });
  await c.init(appId);
  const uid = notAny(await c.join(null, channel, 0));
  const n: number = uid;
  const stream = AgoraRTC.createStream({ streamID: uid, local: true, audio: true, video: false });
  await stream.init();
  await c.publish(stream);
  try {
    await c.leave();
  } catch (e) {
    if (e instanceof AgoraError && e.code === ErrorCode.ERR_LEAVE_CHANNEL_REJECTED) return 0;
    throw e;
  }
  const stats = notAny(await c.getStats());
  notAny(stats);
  notAny(AgoraRTC.VERSION);
  notAny(await AgoraRTC.recordings.list());
  return n;
}

// The components, without JSX: createElement is typed through HTMLElementTagNameMap, events through
// HTMLElementEventMap.
const el = document.createElement('agora-call');
const typed: AgoraCallElement = el;
typed.appId = '0123456789abcdef0123456789abcdef';
typed.channel = 'room 1';
el.addEventListener('agora-joined', (e) => {
  const uid: number = notAny(e.detail.uid);
  console.log(uid, e.detail.channel);
});
const video = document.createElement('agora-video');
notAny(video);
document.body.append(el);

// The classic script's global.
const viaGlobal: typeof AgoraRTC = window.AgoraRTC;
notAny(viaGlobal.createRtcClient);

// A customer's key server (Node).
export const key: string = notAny(
  generateMediaChannelKey(appId, 'fedcba9876543210fedcba9876543210', 'room 1', 0, 1, 0, 0),
);
