// The words the elements show, in English and Chinese. `lang` picks one; without it, the browser's language.

const en = {
  joinCall: 'Join call',
  joining: 'Joining…',
  yourName: 'Your name',
  namePlaceholder: 'How others see you',
  previewOff: 'Camera and microphone are off',
  allow: 'Use camera and microphone',
  allowHint: 'Nothing is captured until you choose to.',
  camera: 'Camera',
  microphone: 'Microphone',
  speaker: 'Speaker',
  micOn: 'Mute microphone',
  micOff: 'Unmute microphone',
  camOn: 'Turn camera off',
  camOff: 'Turn camera on',
  shareOn: 'Stop sharing',
  shareOff: 'Share screen',
  devices: 'Settings',
  controls: 'Call controls',
  leave: 'Leave',
  record: 'Record',
  stopRecord: 'Stop recording',
  recordingMark: 'Recording {time}',
  stats: 'Statistics',
  chat: 'Chat',
  board: 'Whiteboard',
  statsColumns: 'Who|kbps|fps|Size|Loss %|RTT ms',
  network: 'Network: {quality}',
  qualities: 'unknown|excellent|good|fair|poor|very poor|down',
  you: 'You',
  muted: 'Microphone muted',
  cameraOff: 'Camera off',
  speaking: 'Speaking',
  reconnecting: 'Connection lost. Reconnecting…',
  lost: 'Still trying to reconnect. Check your network.',
  left: 'You left the call.',
  rejoin: 'Rejoin',
  joinFailed: 'Could not join the call.',
  tryAgain: 'Try again',
  enableSound: 'Click to enable sound',
  waiting: 'Waiting for others to join…',
  joinedMsg: '{name} joined',
  leftMsg: '{name} left',
  participants: '{n} in the call',
  dismiss: 'Dismiss',
  errorCode: 'Error code {code}',
  // Errors, by the manual's constant; anything else gets `failed`.
  failed: 'Something went wrong.',
  ERR_INVALID_APP_ID: 'This call is not set up right (App ID).',
  ERR_INVALID_CHANNEL_NAME: 'Room names use letters, digits, spaces and common symbols (64 at most).',
  ERR_INVALID_CHANNEL_KEY: 'Your access key was refused. Ask for a new link.',
  ERR_CHANNEL_KEY_EXPIRED: 'Your access to this call has expired.',
  ERR_JOIN_CHANNEL_REJECTED: 'The call did not let you in. Try again.',
  ERR_TIMEDOUT: 'No answer from the server. Check your network and try again.',
  ERR_CONNECTION_INTERRUPTED: 'Cannot reach the server. Check your network and try again.',
  ERR_VDM_CAMERA_NOT_AUTHORIZED: 'Camera or microphone access is blocked: allow it in the address bar.',
  ERR_START_CAMERA: 'The camera is busy or missing.',
  ERR_ADM_INIT_RECORDING: 'The microphone is busy or missing.',
  ERR_NOT_SUPPORTED: 'This browser cannot make calls: use a current Chrome, Edge, Firefox or Safari.',
  unsupportedHelp: 'Which browsers work, and what to do',
  ERR_FAILED: 'That did not work.',
};

export type Strings = typeof en;

let zh: Strings | null = null;
let loadingZh: Promise<void> | null = null;

const wantsZh = (lang: string | null | undefined) =>
  (lang || globalThis.navigator?.language || 'en').toLowerCase().startsWith('zh');

/** The strings for a `lang` value ('zh…' → Chinese, anything else → English); empty → the browser's language. */
export function strings(lang: string | null | undefined): Strings {
  return (wantsZh(lang) && zh) || en;
}

/**
 * null when the strings for `lang` are here; otherwise a Promise that settles once they are (Chinese comes from
 * agora-components-zh.js beside this bundle; if it cannot load, English stays). Elements await it before
 * rendering, so a Chinese page never flashes English.
 */
export function stringsReady(lang: string | null | undefined): Promise<void> | null {
  if (!wantsZh(lang) || zh) return null;
  // A literal import(): the build makes it agora-components-zh.js beside the bundle, and apps that bundle the
  // package get it as a chunk of their own.
  loadingZh ??= import('./i18n-zh.js').then(
    (m) => void (zh = m.zh),
    () => undefined,
  );
  return loadingZh;
}

/** Fill `{name}` placeholders. */
export function fill(text: string, values: Record<string, string | number>): string {
  return text.replace(/\{(\w+)\}/g, (_, k: string) => String(values[k] ?? ''));
}
