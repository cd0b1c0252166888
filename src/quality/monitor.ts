// What the Client delegates to for quality: getStats, the network-quality event every 2 s, and the warnings
// that come from watching the call (microphone silence, a join the server does not answer).
import { WarningCode, type WarningName } from '../protocol/codes.js';
import type { MediaTransport } from '../transport/transport.js';
import { log } from './log.js';
import {
  localQuality,
  ScoreSmoother,
  userQuality,
  type NetworkQualityScore,
  type UserQuality,
} from './network.js';
import { localAudioEnergy, StatsCollector, type CallStats } from './stats.js';

/** The network-quality event: our own scores and each remote user's (see docs/quality.md for the scale). */
export interface NetworkQualityEvent {
  type: 'network-quality';
  /** How well our media reaches the others (the worst of their downlinks). */
  uplinkNetworkQuality: NetworkQualityScore;
  /** How well the others' media reaches us (the worst of their uplinks). */
  downlinkNetworkQuality: NetworkQualityScore;
  users: UserQuality[];
}

/** The warning event: one of the manual's warning codes. */
export interface WarningEvent {
  type: 'warning';
  code: number;
  name: WarningName;
  message: string;
}

export interface QualityHooks {
  transport(): MediaTransport | null;
  uid(): number;
  /** The remote users of the channel. */
  users(): number[];
  /** We publish live microphone audio that is not muted. */
  sendingAudio(): boolean;
  /** Someone listens to network-quality (or warning): otherwise stats are not polled. */
  wanted(): boolean;
  onNetworkQuality(e: NetworkQualityEvent): void;
  onWarning(e: WarningEvent): void;
}

export const NETWORK_QUALITY_INTERVAL_MS = 2000;
/** The microphone sending nothing but silence this long raises WARN_ADM_RECORD_AUDIO_SILENCE. */
export const SILENCE_WARNING_MS = 5000;
/** A join the server has not answered this long raises WARN_LOOKUP_CHANNEL_TIMEOUT (the join waits on). */
export const LOOKUP_WARNING_MS = 5000;
/** Energy below this over the silence window is digital silence (a muted or dead microphone), not a quiet room. */
const SILENT_ENERGY = 1e-7;

export class Quality {
  private readonly collector: StatsCollector;
  private timer: ReturnType<typeof setInterval> | undefined;
  private everConnected = new Set<number>();
  private smoother = new ScoreSmoother();
  private silence: { since: number; energy: number; warned: boolean } | null = null;
  private busy = false;

  constructor(private readonly hooks: QualityHooks) {
    this.collector = new StatsCollector(hooks.transport, hooks.uid);
  }

  /** In a channel: start the 2 s tick. */
  start(): void {
    this.stop();
    this.timer = setInterval(() => void this.tick(), NETWORK_QUALITY_INTERVAL_MS);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.collector.reset();
    this.everConnected.clear();
    this.smoother.reset();
    this.silence = null;
  }

  /** client.getStats(): the latest 2 s round if there is one, else a fresh measurement (about 1 s). */
  async getStats(): Promise<CallStats> {
    const recent = this.collector.recent(NETWORK_QUALITY_INTERVAL_MS);
    return recent ? recent.stats : (await this.collector.sample()).stats;
  }

  /** Call around a join request: warns once if the server has not answered in time. */
  watchJoin(): () => void {
    const t = setTimeout(
      () =>
        this.warn(
          'WARN_LOOKUP_CHANNEL_TIMEOUT',
          `The server has not answered the join for ${LOOKUP_WARNING_MS / 1000} s; still waiting (the network may be poor).`,
        ),
      LOOKUP_WARNING_MS,
    );
    return () => clearTimeout(t);
  }

  warn(name: WarningName, message: string): void {
    log.warn(`warning ${WarningCode[name]} ${name}: ${message}`);
    this.hooks.onWarning({ type: 'warning', code: WarningCode[name], name, message });
  }

  private async tick(): Promise<void> {
    if (this.busy || !this.hooks.wanted()) return;
    this.busy = true;
    try {
      const round = await this.collector.sample(500, NETWORK_QUALITY_INTERVAL_MS * 2);
      if (!this.timer) return;
      const transport = this.hooks.transport();
      const byUid = new Map(round.links.map((l) => [l.remote.uid, l]));
      const users = this.hooks.users().map((uid) => {
        const connected = transport?.isConnected(uid) ?? false;
        if (connected) this.everConnected.add(uid);
        return this.smoother.smooth(userQuality(uid, byUid.get(uid), connected, this.everConnected.has(uid)));
      });
      const local = localQuality(users);
      this.hooks.onNetworkQuality({
        type: 'network-quality',
        uplinkNetworkQuality: local.uplink,
        downlinkNetworkQuality: local.downlink,
        users,
      });
      this.checkSilence(localAudioEnergy(round.reports.values()));
    } catch (e) {
      log.debug('quality tick failed', e);
    } finally {
      this.busy = false;
    }
  }

  private checkSilence(energy: number | null): void {
    const now = Date.now();
    if (energy === null || !this.hooks.sendingAudio()) {
      this.silence = null;
      return;
    }
    const s = this.silence;
    if (!s || energy - s.energy > SILENT_ENERGY) {
      this.silence = { since: now, energy, warned: false };
      return;
    }
    if (!s.warned && now - s.since >= SILENCE_WARNING_MS) {
      s.warned = true;
      this.warn(
        'WARN_ADM_RECORD_AUDIO_SILENCE',
        `The microphone has sent only silence for ${Math.round((now - s.since) / 1000)} s: check that it is not muted in the system or unplugged.`,
      );
    }
  }
}
