// Network-quality scores from loss, round-trip time and jitter. The scale is the one calling SDKs use (Agora NG's
// NetworkQuality): 0 unknown, 1 excellent, 2 good, 3 poor, 4 bad, 5 very bad, 6 down.
import type { LinkNumbers } from './stats.js';

export const NetworkQuality = {
  UNKNOWN: 0,
  EXCELLENT: 1,
  GOOD: 2,
  POOR: 3,
  BAD: 4,
  VERY_BAD: 5,
  DOWN: 6,
} as const;

export type NetworkQualityScore = (typeof NetworkQuality)[keyof typeof NetworkQuality];

/**
 * Upper bounds (exclusive) of each metric for scores 1 to 4; anything worse is 5. A direction's score is the worst
 * of its metrics' scores. Written down in docs/quality.md; change both together.
 */
export const THRESHOLDS = {
  lossPercent: [1, 3, 8, 15],
  rttMs: [100, 200, 400, 800],
  jitterMs: [30, 60, 100, 200],
} as const;

function level(value: number, bounds: readonly number[]): NetworkQualityScore {
  const i = bounds.findIndex((b) => value < b);
  return (i === -1 ? 5 : i + 1) as NetworkQualityScore;
}

/** The score of one direction from what was measured; metrics not measured (undefined) do not count. */
export function score(m: { lossPercent?: number; rttMs?: number; jitterMs?: number }): NetworkQualityScore {
  const levels: NetworkQualityScore[] = [];
  if (m.lossPercent !== undefined) levels.push(level(m.lossPercent, THRESHOLDS.lossPercent));
  if (m.rttMs !== undefined && m.rttMs > 0) levels.push(level(m.rttMs, THRESHOLDS.rttMs));
  if (m.jitterMs !== undefined) levels.push(level(m.jitterMs, THRESHOLDS.jitterMs));
  return levels.length ? (Math.max(...levels) as NetworkQualityScore) : 0;
}

export interface UserQuality {
  uid: number;
  /** How well this user's media reaches us (their uplink, as seen here). */
  uplinkNetworkQuality: NetworkQualityScore;
  /** How well our media reaches this user (their downlink, from what they report back). */
  downlinkNetworkQuality: NetworkQualityScore;
}

/**
 * One remote user's scores. `connected`: the media link is up; `wasConnected`: it was up before (a link that
 * went away is "down", one not up yet is "unknown").
 */
export function userQuality(
  uid: number,
  link: LinkNumbers | undefined,
  connected: boolean,
  wasConnected: boolean,
): UserQuality {
  if (!connected || !link) {
    const s = wasConnected ? NetworkQuality.DOWN : NetworkQuality.UNKNOWN;
    return { uid, uplinkNetworkQuality: s, downlinkNetworkQuality: s };
  }
  const r = link.remote;
  const rttMs = r.rttMs > 0 ? r.rttMs : undefined;
  // With media flowing, loss and jitter count; with none (the user does not publish, or we do not subscribe),
  // the round-trip time alone says how the path is.
  const up =
    link.hasRates && link.receiving && link.packetsReceived > 0
      ? score({ lossPercent: r.packetLossPercent, rttMs, jitterMs: r.jitterMs })
      : score({ rttMs });
  const down = link.sendReported
    ? score({ lossPercent: r.sendPacketLossPercent, rttMs, jitterMs: r.sendJitterMs })
    : score({ rttMs });
  return { uid, uplinkNetworkQuality: up, downlinkNetworkQuality: down };
}

/** Our own scores: the worst known score over the users (0 when none is known). */
export function localQuality(users: UserQuality[]): {
  uplink: NetworkQualityScore;
  downlink: NetworkQualityScore;
} {
  const worst = (xs: NetworkQualityScore[]) =>
    xs.filter((x) => x > 0).length ? (Math.max(...xs) as NetworkQualityScore) : 0;
  return {
    uplink: worst(users.map((u) => u.downlinkNetworkQuality)),
    downlink: worst(users.map((u) => u.uplinkNetworkQuality)),
  };
}

/** Rounds a reported score looks back over: one bad round (a CPU hiccup) does not flip it, two do. */
export const SMOOTHING_ROUNDS = 3;

/**
 * Reports the median of each user's last SMOOTHING_ROUNDS scores per direction, so a user's score moves within two
 * rounds (4 s) of a real change. Unknown (0) and down (6) are reported at once.
 */
export class ScoreSmoother {
  private history = new Map<string, NetworkQualityScore[]>();

  smooth(u: UserQuality): UserQuality {
    return {
      uid: u.uid,
      uplinkNetworkQuality: this.push(`${u.uid}/up`, u.uplinkNetworkQuality),
      downlinkNetworkQuality: this.push(`${u.uid}/down`, u.downlinkNetworkQuality),
    };
  }

  reset(): void {
    this.history.clear();
  }

  private push(key: string, s: NetworkQualityScore): NetworkQualityScore {
    if (s === NetworkQuality.UNKNOWN || s === NetworkQuality.DOWN) {
      this.history.delete(key);
      return s;
    }
    const h = [...(this.history.get(key) ?? []), s].slice(-SMOOTHING_ROUNDS);
    this.history.set(key, h);
    return [...h].sort((a, b) => a - b)[Math.floor((h.length - 1) / 2)]!;
  }
}
