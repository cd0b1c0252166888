// Handing a call's media over from one transport to another during the call (the mesh → SFU move), make before
// break, so that no picture blanks:
// - the old transport keeps running while the new one negotiates; each remote track of the new one is handed up
//   only once it carries media (video: a decoded frame, since a player re-pointed to a track waits for that
//   track's next key frame);
// - the old link with a remote user closes only when both ends are done with it: we have that user's video
//   through the new transport (or do not wait for it), and that user told us it has ours (a `handover` relay
//   sent the same way). Closing on our side alone would cut the picture the other end still shows from the link;
// - the old transport closes once every link is closed, or after HANDOVER_MAX_MS anyway.
import type { MediaTransport } from './transport.js';

/** The old transport is kept at most this long. */
export const HANDOVER_MAX_MS = 10_000;
/** getStats is not free, and under make before break a later switch costs no gap: look 5 times a second. */
const POLL_MS = 200;

/** What one end tells the other: it no longer needs the old link's media. */
interface DoneMessage {
  k: 'handover';
  done: true;
}

export class Handover {
  private done = false;
  private readonly arrived = new Set<string>();
  /** New tracks not carrying media yet: handed up when they do, or when the handover ends anyway. */
  private readonly held = new Map<MediaStreamTrack, () => void>();
  /** Users we told that we are done with their old link. */
  private readonly told = new Set<number>();
  /** Users that told us they are done with ours. */
  private readonly heard = new Set<number>();
  /** Users whose old link we closed. */
  private readonly cut = new Set<number>();

  /**
   * @param deliver hands a track of the new transport up (as its onTrack would have)
   * @param current whether the new transport is still the client's (a later change cancels the handover)
   * @param send relays a message to another member (as TransportHooks.send)
   */
  constructor(
    private readonly deliver: (uid: number, track: MediaStreamTrack) => void,
    private readonly current: () => boolean,
    private readonly send: (to: number, data: unknown) => void,
  ) {}

  /** The new transport's onTrack. */
  onTrack(next: MediaTransport, uid: number, track: MediaStreamTrack): void {
    const deliver = () => {
      this.held.delete(track);
      if (!this.current()) return;
      this.arrived.add(`${uid}/${track.kind}`);
      this.deliver(uid, track);
    };
    if (this.done) return deliver();
    this.held.set(track, deliver);
    if (!this.polling) void this.poll(next);
  }

  private polling = false;

  /** One look at the new transport's statistics per tick for all held tracks (getStats is not free). */
  private async poll(next: MediaTransport): Promise<void> {
    this.polling = true;
    while (this.held.size > 0 && !this.done) {
      const ready = await carryingMedia(next, [...this.held.keys()]).catch(() => []);
      for (const track of ready) this.held.get(track)?.();
      if (this.held.size > 0) await new Promise((r) => setTimeout(r, POLL_MS));
    }
    this.polling = false;
  }

  /** A relayed message: true when it was the handover's (untrusted: only the exact shape counts). */
  signal(from: number, data: unknown): boolean {
    const m = data as Partial<DoneMessage> | null;
    if (typeof m !== 'object' || m === null || m.k !== 'handover') return false;
    if (m.done === true) this.heard.add(from);
    return true;
  }

  /**
   * Closes each old link once both ends are done with it (see the top of this file), and `old` once all are (or
   * after HANDOVER_MAX_MS); resolves with how long the handover took.
   *
   * @param peers the users the old transport links us with (those still in the channel)
   * @param awaited the users whose video we wait for through the new transport
   */
  finish(old: MediaTransport, peers: () => number[], awaited: () => number[]): Promise<number> {
    const started = Date.now();
    return new Promise((resolve) => {
      const check = () => {
        const live = this.current() && Date.now() - started < HANDOVER_MAX_MS;
        const waitFor = new Set(awaited());
        const open = peers().filter((uid) => !this.cut.has(uid));
        for (const uid of open) {
          if (!this.told.has(uid) && (!waitFor.has(uid) || this.arrived.has(`${uid}/video`))) {
            this.told.add(uid);
            this.send(uid, { k: 'handover', done: true } satisfies DoneMessage);
          }
          if (live && this.told.has(uid) && this.heard.has(uid)) {
            this.cut.add(uid);
            old.removePeer(uid);
          }
        }
        if (live && open.some((uid) => !this.cut.has(uid))) {
          setTimeout(check, POLL_MS);
          return;
        }
        this.done = true;
        for (const deliver of [...this.held.values()]) deliver();
        old.close();
        resolve(Date.now() - started);
      };
      setTimeout(check, POLL_MS);
    });
  }
}

/** Of these tracks, those carrying media: audio, packets arrive (unmuted); video, a frame of it was decoded. */
async function carryingMedia(
  transport: MediaTransport,
  tracks: MediaStreamTrack[],
): Promise<MediaStreamTrack[]> {
  const decoded = new Set<string>();
  if (tracks.some((t) => t.kind === 'video')) {
    for (const report of (await transport.stats()).values()) {
      report.forEach((r: { type: string; trackIdentifier?: string; framesDecoded?: number }) => {
        if (r.type === 'inbound-rtp' && r.trackIdentifier && (r.framesDecoded ?? 0) > 0)
          decoded.add(r.trackIdentifier);
      });
    }
  }
  return tracks.filter((t) => (t.kind === 'audio' ? !t.muted : decoded.has(t.id)));
}
