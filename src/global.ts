// Entry of the classic-script bundle: `window.AgoraRTC` is the default export, exactly as the manual's
// AgoraRtcAgentSDK-1.7.0.js defined it.
import AgoraRTC from './index.js';
export default AgoraRTC;
