// What another member relays to our mesh, checked for shape and size and copied field by field: a member can
// send anything through the server, and simple-peer hands what it gets to the RTCPeerConnection.
import type { SignalData } from 'simple-peer';

/** What the mesh relays through the server to one other member. */
export type MeshSignal =
  | { k: 'sig'; link: string; sig: SignalData }
  /** The sender of this message wants (or no longer wants) our media. */
  | { k: 'sub'; on: boolean };

/** An SDP with many candidates and both media stays well below; the server's frame limit is 64 KiB anyway. */
const MAX_SDP_CHARS = 60_000;
const MAX_CANDIDATE_CHARS = 1024;
const MAX_LINK_ID_CHARS = 32;
const SDP_TYPES = new Set(['offer', 'answer']);
const DIRECTIONS = new Set(['sendrecv', 'sendonly', 'recvonly', 'inactive']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function own(o: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(o, name) ? o[name] : undefined;
}

function shortString(v: unknown, max: number): v is string {
  return typeof v === 'string' && v.length <= max;
}

/** One simple-peer signal (offer/answer, ICE candidate, renegotiation or transceiver request), or null. */
function parseSignalData(v: unknown): SignalData | null {
  if (!isObject(v)) return null;
  const type = own(v, 'type');
  const sdp = own(v, 'sdp');
  if (sdp !== undefined) {
    if (typeof type !== 'string' || !SDP_TYPES.has(type) || !shortString(sdp, MAX_SDP_CHARS)) return null;
    return { type: type as 'offer' | 'answer', sdp };
  }
  const candidate = own(v, 'candidate');
  if (candidate !== undefined) {
    if (!isObject(candidate)) return null;
    const line = own(candidate, 'candidate');
    const mid = own(candidate, 'sdpMid');
    const index = own(candidate, 'sdpMLineIndex');
    const ufrag = own(candidate, 'usernameFragment');
    if (!shortString(line, MAX_CANDIDATE_CHARS)) return null;
    if (mid !== undefined && mid !== null && !shortString(mid, 64)) return null;
    if (
      index !== undefined &&
      index !== null &&
      !(Number.isInteger(index) && (index as number) >= 0 && (index as number) < 1024)
    )
      return null;
    if (ufrag !== undefined && ufrag !== null && !shortString(ufrag, 256)) return null;
    const init: RTCIceCandidateInit = { candidate: line };
    if (typeof mid === 'string' || mid === null) init.sdpMid = mid;
    if (typeof index === 'number' || index === null) init.sdpMLineIndex = index;
    if (typeof ufrag === 'string' || ufrag === null) init.usernameFragment = ufrag;
    // @types/simple-peer says RTCIceCandidate; simple-peer passes it to addIceCandidate, which takes the init.
    return { type: 'candidate', candidate: init as RTCIceCandidate };
  }
  if (own(v, 'renegotiate') === true) return { type: 'renegotiate', renegotiate: true };
  const request = own(v, 'transceiverRequest');
  if (isObject(request)) {
    const kind = own(request, 'kind');
    const init = own(request, 'init');
    if (kind !== 'audio' && kind !== 'video') return null;
    if (init === undefined) return { type: 'transceiverRequest', transceiverRequest: { kind } };
    const direction = isObject(init) ? own(init, 'direction') : undefined;
    if (typeof direction !== 'string' || !DIRECTIONS.has(direction)) return null;
    return {
      type: 'transceiverRequest',
      transceiverRequest: { kind, init: { direction: direction as RTCRtpTransceiverDirection } },
    };
  }
  return null;
}

/** A relayed mesh message in the only shapes the mesh sends, or null for anything else. */
export function parseMeshSignal(data: unknown): MeshSignal | null {
  if (!isObject(data)) return null;
  const k = own(data, 'k');
  if (k === 'sub') {
    const on = own(data, 'on');
    return typeof on === 'boolean' ? { k: 'sub', on } : null;
  }
  if (k !== 'sig') return null;
  const link = own(data, 'link');
  if (!shortString(link, MAX_LINK_ID_CHARS) || link === '') return null;
  const sig = parseSignalData(own(data, 'sig'));
  return sig === null ? null : { k: 'sig', link, sig };
}
