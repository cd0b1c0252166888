// Entry of the classic-script bundle: `window.AgoraRTC` is the default export, exactly as the manual's
// AgoraRtcAgentSDK-1.7.0.js defined it.
import AgoraRTC from './index.js';

declare global {
  /** Defined by the classic-script bundle (`<script src=".../agora-rtc.iife.js">`, or `import 'agora-rtc-web/iife'`). */
  var AgoraRTC: typeof import('./index.js').default;
}

export default AgoraRTC;
