// Handing a call's media over from one transport to another during the call (the mesh → SFU move), without
// blanking the pictures: the old transport keeps running while the new one negotiates; each remote track of the
// new one is handed up only once it carries media (video: a decoded frame, since a player re-pointed to a track
// waits for that track's next key frame), and the old transport closes once every awaited user's video came
// through the new one, or after MAX_MS anyway.
import type { MediaTransport } from './transport.js';

/** The old transport is kept at most this long. */
export const HANDOVER_MAX_MS = 10_000;
const POLL_MS = 50;

export class Handover {
  private done = false;
  private readonly arrived = new Set<string>();
  /** New tracks not carrying media yet: handed up when they do, or when the handover ends anyway. */
  private readonly held = new Map<MediaStreamTrack, () => void>();

  /**
   * @param deliver hands a track of the new transport up (as its onTrack would have)
   * @param current whether the new transport is still the client's (a later change cancels the handover)
   */
  constructor(
    private readonly deliver: (uid: number, track: MediaStreamTrack) => void,
    private readonly current: () => boolean,
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
    const poll = () => {
      if (!this.held.has(track)) return;
      void carriesMedia(next, track).then(
        (ok) => (ok ? deliver() : setTimeout(poll, POLL_MS)),
        () => setTimeout(poll, POLL_MS),
      );
    };
    poll();
  }

  /**
   * Closes `old` once the video of every user `awaited()` lists came through the new transport (or after
   * HANDOVER_MAX_MS); resolves with how long the handover took.
   */
  finish(old: MediaTransport, awaited: () => number[]): Promise<number> {
    const started = Date.now();
    return new Promise((resolve) => {
      const check = () => {
        const waiting = this.current() && awaited().some((uid) => !this.arrived.has(`${uid}/video`));
        if (waiting && Date.now() - started < HANDOVER_MAX_MS) {
          setTimeout(check, 100);
          return;
        }
        this.done = true;
        for (const deliver of [...this.held.values()]) deliver();
        old.close();
        resolve(Date.now() - started);
      };
      setTimeout(check, 100);
    });
  }
}

/** Audio: packets arrive (unmuted); video: the receiver decoded a frame of this track. */
async function carriesMedia(transport: MediaTransport, track: MediaStreamTrack): Promise<boolean> {
  if (track.kind === 'audio') return !track.muted;
  let decoded = false;
  for (const report of (await transport.stats()).values()) {
    report.forEach((r: { type: string; trackIdentifier?: string; framesDecoded?: number }) => {
      if (r.type === 'inbound-rtp' && r.trackIdentifier === track.id && (r.framesDecoded ?? 0) > 0)
        decoded = true;
    });
  }
  return decoded;
}
