// The DOM events of the elements: names and typed details. All bubble and cross shadow roots (composed).

/** Where an <agora-call> is. */
export type CallState = 'prejoin' | 'joining' | 'connected' | 'reconnecting' | 'lost' | 'left';

/** `agora-joined`: this user is in the channel. */
export interface JoinedDetail {
  uid: number;
  channel: string;
}
/** `agora-left`: this user left (leave button, leave(), or the server ended the stay). */
export interface LeftDetail {
  channel: string;
}
/** `agora-peer-joined` / `agora-peer-left`: another member came or went. `name` is '' when it gave none. */
export interface PeerDetail {
  uid: number;
  name: string;
}
/** `agora-state-change`. */
export interface StateChangeDetail {
  state: CallState;
  previous: CallState;
}
/** `agora-error`: the manual's code and constant, and the SDK's message (for logs and support). */
export interface ErrorDetail {
  code: number;
  name: string;
  message: string;
}

export interface AgoraCallEventMap {
  'agora-joined': CustomEvent<JoinedDetail>;
  'agora-left': CustomEvent<LeftDetail>;
  'agora-peer-joined': CustomEvent<PeerDetail>;
  'agora-peer-left': CustomEvent<PeerDetail>;
  'agora-state-change': CustomEvent<StateChangeDetail>;
  'agora-error': CustomEvent<ErrorDetail>;
}

/** An error as an `agora-error` detail: AgoraErrors keep their code; anything else is ERR_FAILED (1). */
export function errorDetail(e: unknown): ErrorDetail {
  const x = e as Partial<ErrorDetail> | null;
  if (x && typeof x.code === 'number' && typeof x.name === 'string')
    return { code: x.code, name: x.name, message: String(x.message ?? '') };
  return { code: 1, name: 'ERR_FAILED', message: e instanceof Error ? e.message : String(e) };
}
