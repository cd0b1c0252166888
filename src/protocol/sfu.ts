/**
 * SFU negotiation between the SDK and the signaling server, which holds the Janus sessions: the member never
 * names a room or a handle (the server knows its member's room and handles), so it cannot reach another
 * channel's room whatever it sends. Media itself goes browser ↔ Janus.
 */

export interface SdpInit {
  type: 'offer' | 'answer';
  sdp: string;
  /** Janus's flag for end-to-end encrypted media (a publisher's offer in an encrypted channel). */
  e2ee?: boolean;
}

export interface CandidateInit {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
}

/** Which of the member's two connections to Janus: the one it publishes on or the one it receives on. */
export type SfuPc = 'pub' | 'sub';

/** SDK → server (`t: 'sfu'`, a request with `id`). */
export type SfuOp =
  /**
   * Publish on a new connection: the offer (`jsep.e2ee` when our frames are encrypted); ok → `{ jsep }` Janus's
   * answer. The channel's room is created by its first publish or subscribe, requiring end-to-end encryption
   * when `jsep.e2ee` / `e2ee` says so; Janus then refuses publishers that do not encrypt.
   */
  | { op: 'publish'; jsep: SdpInit }
  | { op: 'unpublish' }
  /** Our answer to the server's `offer` push for the receiving connection. */
  | { op: 'answer'; jsep: SdpInit }
  /** One of our ICE candidates (null: gathering finished). */
  | { op: 'trickle'; pc: SfuPc; candidate: CandidateInit | null }
  /** Receive (or stop receiving) a member's published media. */
  | { op: 'subscribe'; uid: number; on: boolean; e2ee?: boolean }
  /** Which simulcast layer of a user's video to receive: 0 the smallest (¼ size), 1 (½), 2 the full size. */
  | { op: 'layer'; uid: number; layer: 0 | 1 | 2 };

/** One remote stream of the receiving connection: the transceiver `mid` carries `uid`'s `kind`. */
export interface SfuStream {
  mid: string;
  uid: number;
  kind: 'audio' | 'video';
}

/** Server → SDK pushes (`t: 'sfu'`). */
export type SfuPushBody =
  /** Janus's offer for the receiving connection (first one or a renegotiation); answer with op `answer`. */
  | { op: 'offer'; jsep: SdpInit; streams: SfuStream[] }
  /** One of Janus's ICE candidates for one of our connections. */
  | { op: 'candidate'; pc: SfuPc; candidate: CandidateInit | null }
  /** The channel's media moves to the SFU (or back to the mesh). */
  | { op: 'mode'; mode: 'mesh' | 'sfu' }
  /** The Janus carrying the channel died: publish and subscribe again (the server picks another one). */
  | { op: 'restart' };

export type SfuRequest = { t: 'sfu'; id: number } & SfuOp;
export type SfuPush = { t: 'sfu' } & SfuPushBody;

export const MAX_SFU_SDP_CHARS = 60_000;
const MAX_CANDIDATE_CHARS = 1024;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function own(o: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(o, name) ? o[name] : undefined;
}

/** An SDP of the given type, copied, or null. */
export function parseSdp(v: unknown, type: 'offer' | 'answer'): SdpInit | null {
  if (!isObject(v)) return null;
  const sdp = own(v, 'sdp');
  if (own(v, 'type') !== type || typeof sdp !== 'string' || sdp.length > MAX_SFU_SDP_CHARS) return null;
  return own(v, 'e2ee') === true ? { type, sdp, e2ee: true } : { type, sdp };
}

/** An ICE candidate, copied; `null` stays null (end of candidates); undefined when malformed. */
export function parseCandidate(v: unknown): CandidateInit | null | undefined {
  if (v === null) return null;
  if (!isObject(v)) return undefined;
  const line = own(v, 'candidate');
  const mid = own(v, 'sdpMid');
  const index = own(v, 'sdpMLineIndex');
  if (typeof line !== 'string' || line.length > MAX_CANDIDATE_CHARS) return undefined;
  const out: CandidateInit = { candidate: line };
  if (typeof mid === 'string' && mid.length <= 64) out.sdpMid = mid;
  if (Number.isInteger(index) && (index as number) >= 0 && (index as number) < 1024)
    out.sdpMLineIndex = index as number;
  return out;
}

/** A request from a member, in the only shapes the SDK sends, or null. */
export function parseSfuOp(m: Record<string, unknown>): SfuOp | null {
  const op = own(m, 'op');
  switch (op) {
    case 'publish':
    case 'answer': {
      const jsep = parseSdp(own(m, 'jsep'), op === 'publish' ? 'offer' : 'answer');
      return jsep ? { op, jsep } : null;
    }
    case 'unpublish':
      return { op };
    case 'trickle': {
      const pc = own(m, 'pc');
      const candidate = parseCandidate(own(m, 'candidate'));
      if ((pc !== 'pub' && pc !== 'sub') || candidate === undefined) return null;
      return { op, pc, candidate };
    }
    case 'subscribe': {
      const uid = own(m, 'uid');
      const on = own(m, 'on');
      if (!Number.isInteger(uid) || (uid as number) <= 0 || (uid as number) > 0xffffffff) return null;
      if (typeof on !== 'boolean') return null;
      return own(m, 'e2ee') === true
        ? { op, uid: uid as number, on, e2ee: true }
        : { op, uid: uid as number, on };
    }
    case 'layer': {
      const uid = own(m, 'uid');
      const layer = own(m, 'layer');
      if (!Number.isInteger(uid) || (uid as number) <= 0 || (uid as number) > 0xffffffff) return null;
      if (layer !== 0 && layer !== 1 && layer !== 2) return null;
      return { op, uid: uid as number, layer };
    }
    default:
      return null;
  }
}

/** A push from the server, checked before it reaches an RTCPeerConnection, or null. */
export function parseSfuPush(m: unknown): SfuPushBody | null {
  if (!isObject(m)) return null;
  const op = own(m, 'op');
  if (op === 'restart') return { op };
  if (op === 'mode') {
    const mode = own(m, 'mode');
    return mode === 'mesh' || mode === 'sfu' ? { op, mode } : null;
  }
  if (op === 'candidate') {
    const pc = own(m, 'pc');
    const candidate = parseCandidate(own(m, 'candidate'));
    if ((pc !== 'pub' && pc !== 'sub') || candidate === undefined) return null;
    return { op, pc, candidate };
  }
  if (op === 'offer') {
    const jsep = parseSdp(own(m, 'jsep'), 'offer');
    const raw = own(m, 'streams');
    if (!jsep || !Array.isArray(raw)) return null;
    const streams: SfuStream[] = [];
    for (const s of raw) {
      if (!isObject(s)) return null;
      const mid = own(s, 'mid');
      const uid = own(s, 'uid');
      const kind = own(s, 'kind');
      if (typeof mid !== 'string' || !Number.isInteger(uid) || (kind !== 'audio' && kind !== 'video'))
        return null;
      streams.push({ mid, uid: uid as number, kind });
    }
    return { op, jsep, streams };
  }
  return null;
}
