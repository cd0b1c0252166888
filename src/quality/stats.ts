// WebRTC statistics, read only through MediaTransport.stats(), turned into plain numbers with their unit in the
// name. Rates (bitrate, loss) need two samples: the collector keeps the previous one and works on the difference.
import type { MediaTransport } from '../transport/transport.js';

/** What we send, summed over every link (a mesh uploads once per remote user). */
export interface LocalStats {
  uid: number;
  sendBitrateKbps: number;
  audioSendBitrateKbps: number;
  videoSendBitrateKbps: number;
  sendFrameRateFps: number;
  sendWidthPx: number;
  sendHeightPx: number;
  /** Level of the local microphone, 0 (silence) to 1 (full scale). */
  audioLevel: number;
  /** Average round-trip time to the remote users (ms). */
  rttMs: number;
  /** Share of our packets the remote users report lost (%, the worst link). */
  packetLossPercent: number;
  /** Jitter the remote users report on our media (ms, the worst link). */
  jitterMs: number;
  audioCodec: string;
  videoCodec: string;
}

/** One remote user: what we receive from them, and what we send them. */
export interface RemoteStats {
  uid: number;
  recvBitrateKbps: number;
  audioRecvBitrateKbps: number;
  videoRecvBitrateKbps: number;
  recvFrameRateFps: number;
  recvWidthPx: number;
  recvHeightPx: number;
  /** Level of the user's received audio, 0 to 1. */
  audioLevel: number;
  /** Share of the user's packets lost on the way to us (%). */
  packetLossPercent: number;
  /** Jitter of the user's audio packets arriving here (ms; video's when there is no audio). */
  jitterMs: number;
  rttMs: number;
  /** What we send to this user (kbps). */
  sendBitrateKbps: number;
  /** Share of our packets this user reports lost (%). */
  sendPacketLossPercent: number;
  /** Jitter this user reports on our audio packets (ms; video's when we send no audio). */
  sendJitterMs: number;
  audioCodec: string;
  videoCodec: string;
}

/** client.getStats()'s result. */
export interface CallStats {
  /** Milliseconds since the epoch when the numbers were taken. */
  timestamp: number;
  local: LocalStats;
  remotes: RemoteStats[];
}

type Stat = Record<string, unknown> & { id: string; type: string; timestamp: number };

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const round = (v: number, digits = 1): number => Math.round(v * 10 ** digits) / 10 ** digits;

/** Cumulative counters of one link at one moment. */
export interface LinkSample {
  at: number;
  report: RTCStatsReport;
}

function all(report: RTCStatsReport, type: string): Stat[] {
  const out: Stat[] = [];
  report.forEach((s: Stat) => {
    if (s.type === type) out.push(s);
  });
  return out;
}

function codecOf(report: RTCStatsReport, s: Stat | undefined): string {
  const c = s && typeof s.codecId === 'string' ? (report.get(s.codecId) as Stat | undefined) : undefined;
  const mime = typeof c?.mimeType === 'string' ? c.mimeType : '';
  return mime.slice(mime.indexOf('/') + 1);
}

/** Bits per second of `field` between two samples of the same stat. */
function rateKbps(cur: Stat, prev: Stat | undefined, field: string): number {
  if (!prev) return 0;
  const dt = (cur.timestamp - prev.timestamp) / 1000;
  if (dt <= 0) return 0;
  return Math.max(0, ((num(cur[field]) - num(prev[field])) * 8) / dt / 1000);
}

/** The selected candidate pair's current round-trip time, else the RTCP-measured one. */
export function rttOf(report: RTCStatsReport): number {
  let rtt = 0;
  for (const t of all(report, 'transport')) {
    const pair =
      typeof t.selectedCandidatePairId === 'string' ? (report.get(t.selectedCandidatePairId) as Stat) : null;
    if (pair) rtt = Math.max(rtt, num(pair.currentRoundTripTime) * 1000);
  }
  if (rtt === 0) {
    for (const p of all(report, 'candidate-pair'))
      if (p.nominated && p.state === 'succeeded') rtt = Math.max(rtt, num(p.currentRoundTripTime) * 1000);
  }
  if (rtt === 0)
    for (const r of all(report, 'remote-inbound-rtp')) rtt = Math.max(rtt, num(r.roundTripTime) * 1000);
  return rtt;
}

/** Loss (%) of received packets between two samples, over every inbound stream of the link. */
function inboundLoss(
  cur: RTCStatsReport,
  prev: RTCStatsReport | undefined,
): { lossPercent: number; packets: number } {
  let lost = 0;
  let received = 0;
  for (const s of all(cur, 'inbound-rtp')) {
    const p = prev?.get(s.id) as Stat | undefined;
    lost += Math.max(0, num(s.packetsLost) - num(p?.packetsLost));
    received += Math.max(0, num(s.packetsReceived) - num(p?.packetsReceived));
  }
  const total = lost + received;
  return { lossPercent: total > 0 ? (lost / total) * 100 : 0, packets: received };
}

export interface LinkNumbers {
  remote: RemoteStats;
  /** Packets received from this user since the previous sample. */
  packetsReceived: number;
  /** A previous sample existed, so rates mean something. */
  hasRates: boolean;
  /** The link sends us media (some inbound-rtp stream exists). */
  receiving: boolean;
  /** We send media on this link and the user has reported on it. */
  sendReported: boolean;
}

/** The numbers of one link, from two of its samples. */
export function linkNumbers(uid: number, cur: RTCStatsReport, prev: RTCStatsReport | undefined): LinkNumbers {
  const r: RemoteStats = {
    uid,
    recvBitrateKbps: 0,
    audioRecvBitrateKbps: 0,
    videoRecvBitrateKbps: 0,
    recvFrameRateFps: 0,
    recvWidthPx: 0,
    recvHeightPx: 0,
    audioLevel: 0,
    packetLossPercent: 0,
    jitterMs: 0,
    rttMs: round(rttOf(cur)),
    sendBitrateKbps: 0,
    sendPacketLossPercent: 0,
    sendJitterMs: 0,
    audioCodec: '',
    videoCodec: '',
  };
  const inbound = all(cur, 'inbound-rtp');
  // Audio jitter says how the path is; video's mostly reflects frames sent in bursts.
  const hasAudio = inbound.some((s) => s.kind === 'audio');
  for (const s of inbound) {
    const kbps = rateKbps(s, prev?.get(s.id) as Stat | undefined, 'bytesReceived');
    if (s.kind === (hasAudio ? 'audio' : 'video')) r.jitterMs = Math.max(r.jitterMs, num(s.jitter) * 1000);
    if (s.kind === 'audio') {
      r.audioRecvBitrateKbps += kbps;
      r.audioLevel = Math.max(r.audioLevel, num(s.audioLevel));
      r.audioCodec ||= codecOf(cur, s);
    } else if (s.kind === 'video') {
      r.videoRecvBitrateKbps += kbps;
      r.recvFrameRateFps = Math.max(r.recvFrameRateFps, num(s.framesPerSecond));
      r.recvWidthPx = Math.max(r.recvWidthPx, num(s.frameWidth));
      r.recvHeightPx = Math.max(r.recvHeightPx, num(s.frameHeight));
      r.videoCodec ||= codecOf(cur, s);
    }
  }
  const loss = inboundLoss(cur, prev);
  r.packetLossPercent = loss.lossPercent;
  for (const s of all(cur, 'outbound-rtp'))
    r.sendBitrateKbps += rateKbps(s, prev?.get(s.id) as Stat | undefined, 'bytesSent');
  const remoteInbound = all(cur, 'remote-inbound-rtp');
  const sendsAudio = remoteInbound.some((s) => s.kind === 'audio');
  for (const s of remoteInbound) {
    r.sendPacketLossPercent = Math.max(r.sendPacketLossPercent, num(s.fractionLost) * 100);
    if (s.kind === (sendsAudio ? 'audio' : 'video'))
      r.sendJitterMs = Math.max(r.sendJitterMs, num(s.jitter) * 1000);
  }
  r.recvBitrateKbps = r.audioRecvBitrateKbps + r.videoRecvBitrateKbps;
  for (const k of Object.keys(r) as (keyof RemoteStats)[]) {
    const v = r[k];
    if (typeof v === 'number' && k !== 'uid')
      (r as unknown as Record<string, number>)[k] = round(v, k === 'audioLevel' ? 3 : 1);
  }
  return {
    remote: r,
    packetsReceived: loss.packets,
    hasRates: prev !== undefined,
    receiving: inbound.length > 0,
    sendReported: remoteInbound.length > 0,
  };
}

/** What we send, from every link's report (a report shared by several users, as an SFU's, counts once). */
export function localNumbers(
  uid: number,
  samples: Map<number, { cur: RTCStatsReport; prev?: RTCStatsReport }>,
  links: LinkNumbers[],
): LocalStats {
  const l: LocalStats = {
    uid,
    sendBitrateKbps: 0,
    audioSendBitrateKbps: 0,
    videoSendBitrateKbps: 0,
    sendFrameRateFps: 0,
    sendWidthPx: 0,
    sendHeightPx: 0,
    audioLevel: 0,
    rttMs: 0,
    packetLossPercent: 0,
    jitterMs: 0,
    audioCodec: '',
    videoCodec: '',
  };
  const seen = new Set<RTCStatsReport>();
  for (const { cur, prev } of samples.values()) {
    if (seen.has(cur)) continue;
    seen.add(cur);
    for (const s of all(cur, 'outbound-rtp')) {
      const kbps = rateKbps(s, prev?.get(s.id) as Stat | undefined, 'bytesSent');
      if (s.kind === 'audio') {
        l.audioSendBitrateKbps += kbps;
        l.audioCodec ||= codecOf(cur, s);
      } else if (s.kind === 'video') {
        l.videoSendBitrateKbps += kbps;
        l.sendFrameRateFps = Math.max(l.sendFrameRateFps, num(s.framesPerSecond));
        l.sendWidthPx = Math.max(l.sendWidthPx, num(s.frameWidth));
        l.sendHeightPx = Math.max(l.sendHeightPx, num(s.frameHeight));
        l.videoCodec ||= codecOf(cur, s);
      }
    }
    for (const m of all(cur, 'media-source'))
      if (m.kind === 'audio') l.audioLevel = Math.max(l.audioLevel, num(m.audioLevel));
  }
  const rtts = links.map((x) => x.remote.rttMs).filter((x) => x > 0);
  l.rttMs = rtts.length ? rtts.reduce((a, b) => a + b, 0) / rtts.length : 0;
  for (const x of links) {
    l.packetLossPercent = Math.max(l.packetLossPercent, x.remote.sendPacketLossPercent);
    l.jitterMs = Math.max(l.jitterMs, x.remote.sendJitterMs);
  }
  l.sendBitrateKbps = l.audioSendBitrateKbps + l.videoSendBitrateKbps;
  for (const k of Object.keys(l) as (keyof LocalStats)[]) {
    const v = l[k];
    if (typeof v === 'number' && k !== 'uid')
      (l as unknown as Record<string, number>)[k] = round(v, k === 'audioLevel' ? 3 : 1);
  }
  return l;
}

/** Total energy of the local microphone so far (media-source stats), to tell silence from sound. */
export function localAudioEnergy(reports: Iterable<RTCStatsReport>): number | null {
  let energy: number | null = null;
  for (const r of reports) {
    for (const m of all(r, 'media-source')) {
      if (m.kind === 'audio' && typeof m.totalAudioEnergy === 'number')
        energy = Math.max(energy ?? 0, m.totalAudioEnergy);
    }
  }
  return energy;
}

/** One round of numbers: the stats of every link, compared with the round before. */
export interface Round {
  at: number;
  stats: CallStats;
  links: LinkNumbers[];
  reports: Map<number, RTCStatsReport>;
}

/**
 * Samples the transport and keeps the previous sample of each link. Whoever samples (getStats, the 2 s monitor)
 * gets rates over the time since the previous sample; a first sample waits `warmupMs` for a second one.
 */
export class StatsCollector {
  private prev = new Map<number, LinkSample>();
  private last: Round | null = null;

  constructor(
    private readonly transport: () => MediaTransport | null,
    private readonly localUid: () => number,
  ) {}

  /** Numbers since the previous sample; if that is older than `maxAgeMs` (or none), a fresh pair is taken. */
  async sample(warmupMs = 1000, maxAgeMs = 5000): Promise<Round> {
    const now = Date.now();
    if (this.prev.size === 0 || now - Math.min(...[...this.prev.values()].map((s) => s.at)) > maxAgeMs) {
      await this.take();
      await new Promise((r) => setTimeout(r, warmupMs));
    }
    return this.round(await this.take());
  }

  /** The latest round, if one was taken in the last `ms`. */
  recent(ms: number): Round | null {
    return this.last && Date.now() - this.last.at <= ms ? this.last : null;
  }

  reset(): void {
    this.prev.clear();
    this.last = null;
  }

  private async take(): Promise<{ cur: Map<number, RTCStatsReport>; prev: Map<number, LinkSample> }> {
    const t = this.transport();
    const cur = t ? await t.stats() : new Map<number, RTCStatsReport>();
    const prev = this.prev;
    const at = Date.now();
    this.prev = new Map([...cur].map(([uid, report]) => [uid, { at, report }]));
    return { cur, prev };
  }

  private round({ cur, prev }: { cur: Map<number, RTCStatsReport>; prev: Map<number, LinkSample> }): Round {
    const samples = new Map(
      [...cur].map(([uid, report]) => [uid, { cur: report, prev: prev.get(uid)?.report }]),
    );
    const links = [...samples].map(([uid, s]) => linkNumbers(uid, s.cur, s.prev));
    const at = Date.now();
    const stats: CallStats = {
      timestamp: at,
      local: localNumbers(this.localUid(), samples, links),
      remotes: links.map((l) => l.remote),
    };
    this.last = { at, stats, links, reports: cur };
    return this.last;
  }
}
