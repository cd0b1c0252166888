// What this browser can do, feature by feature. In the manual a native agent had to be installed; here the
// browser is the agent, so "is the agent there?" becomes "does this browser have what calls need?".

/** Every feature the SDK uses, and what it serves. */
export const FEATURE_USE = {
  /** https or http://localhost: browsers hide cameras, microphones and service workers elsewhere. */
  secureContext: 'calls',
  /** The link to the signaling server. */
  webSocket: 'calls',
  /** WebRTC: the media between the browsers. */
  peerConnection: 'calls',
  /** Camera and microphone. */
  getUserMedia: 'calls',
  /** Screen sharing (startScreenSharing). */
  getDisplayMedia: 'screen sharing',
  /** RTCRtpScriptTransform or Chromium's createEncodedStreams: per-frame encryption (setEncryptionSecret). */
  encodedTransforms: 'encryption',
  /** WebCrypto (crypto.subtle): encryption keys. */
  webCrypto: 'encryption',
  /** Where recordings are stored. */
  indexedDB: 'recording',
  /** Recording in the browser. */
  mediaRecorder: 'recording',
  /** The SDK's service worker: offline start, update checks. Calls work without it. */
  serviceWorker: 'offline start',
} as const;

export type Feature = keyof typeof FEATURE_USE;

/** What AgoraRTC.checkSystemRequirements() returns. */
export interface SystemRequirements {
  /** true when calls can work: nothing in `missing`. */
  ok: boolean;
  /** The features calls need that this browser lacks, e.g. ['peerConnection']; [] when ok. */
  missing: Feature[];
  /** Every feature the SDK uses, true where this browser has it (see FEATURE_USE for what each serves). */
  features: Record<Feature, boolean>;
}

/** What the page can reach; a parameter so the checks read one object. */
type Scope = typeof globalThis & {
  RTCRtpScriptTransform?: unknown;
  webkitRTCPeerConnection?: unknown;
};

function detect(g: Scope): Record<Feature, boolean> {
  const nav = g.navigator as Navigator | undefined;
  const media = nav?.mediaDevices;
  const pc = (g.RTCPeerConnection ?? g.webkitRTCPeerConnection) as { prototype?: object } | undefined;
  const sender = g.RTCRtpSender?.prototype as object | undefined;
  return {
    secureContext: g.isSecureContext === true,
    webSocket: typeof g.WebSocket === 'function',
    peerConnection: typeof pc === 'function',
    getUserMedia: typeof media?.getUserMedia === 'function',
    getDisplayMedia: typeof media?.getDisplayMedia === 'function',
    encodedTransforms:
      typeof g.RTCRtpScriptTransform === 'function' || (!!sender && 'createEncodedStreams' in sender),
    webCrypto: typeof g.crypto?.subtle?.importKey === 'function',
    indexedDB: typeof g.indexedDB?.open === 'function',
    mediaRecorder: typeof g.MediaRecorder === 'function',
    serviceWorker: !!nav && 'serviceWorker' in nav && g.isSecureContext === true,
  };
}

/**
 * What this browser can do and what calls would lack. `ok` means calls can work; the optional features
 * (screen sharing, encryption, recording, offline start) are in `features`. client.init runs the same check
 * and fails with CLOSE_BEFORE_OPEN when `ok` is false.
 *
 * @example
 * var req = AgoraRTC.checkSystemRequirements();
 * if (!req.ok) location.href = '/agora-fallback.html?missing=' + req.missing.join(',');
 * else if (!req.features.encodedTransforms) hideEncryptionOption();
 */
export function checkSystemRequirements(): SystemRequirements {
  const features = detect(globalThis as Scope);
  const missing = (Object.keys(FEATURE_USE) as Feature[]).filter(
    (f) => FEATURE_USE[f] === 'calls' && !features[f],
  );
  return { ok: missing.length === 0, missing, features };
}
