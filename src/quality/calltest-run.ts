// The call test itself, loaded on demand by AgoraRTC.startCallTest (src/quality/calltest.ts) so that apps which
// never test do not download it: two clients of this page in a private channel, one sending to the other.
import { defaultSignalingUrl } from '../client/assets.js';
import { Client } from '../client/client.js';
import { AgoraError } from '../client/errors.js';
import { Stream } from '../stream/stream.js';
import { checkAppId } from '../protocol/validate.js';
import { log } from './log.js';
import type { CallTestOptions, CallTestResult } from './calltest.js';
import type { CallStats, RemoteStats } from './stats.js';

/** Below these the result says what is wrong (the network-quality "poor" bounds, docs/quality.md). */
export const CALL_TEST_LIMITS = {
  minVideoKbps: 150,
  minAudioKbps: 10,
  maxLossPercent: 3,
  maxRttMs: 400,
} as const;
/** Peak sample level under which the microphone counts as silent. */
const SILENT_PEAK = 0.01;
const MEDIA_WAIT_MS = 20_000;

export async function runCallTest(o: CallTestOptions & { durationMs: number }): Promise<CallTestResult> {
  const bad = checkAppId(o.appId);
  if (bad) throw new AgoraError('ERR_INVALID_APP_ID', bad);
  if (!(o.durationMs >= 2000 && o.durationMs <= 30_000))
    throw new AgoraError('ERR_INVALID_ARGUMENT', 'durationMs must be from 2000 to 30000.');
  const wantVideo = o.video !== false;
  const wantAudio = o.audio !== false;
  const url = o.signalingUrl ?? defaultSignalingUrl();
  const problems: string[] = [];
  const result: CallTestResult = {
    ok: false,
    problems,
    summary: '',
    camera: null,
    microphone: null,
    network: null,
  };
  const channel = `calltest-${crypto.randomUUID()}`;
  const sender = new Client(url);
  const receiver = new Client(url);
  const stream = new Stream({ local: true, audio: wantAudio, video: wantVideo });
  log.info('call test started', { video: wantVideo, audio: wantAudio });
  try {
    stream.setVideoProfile(o.profile ?? '480P');
    try {
      await stream.init();
    } catch (e) {
      const err = e as AgoraError;
      problems.push(
        `The ${wantVideo && wantAudio ? 'camera or microphone' : wantVideo ? 'camera' : 'microphone'} could not start (${err.message}): allow access in the browser, and close other applications that use it.`,
      );
      return result;
    }
    const peak = wantAudio ? micPeak(stream._media.getAudioTracks()[0]!, Math.min(o.durationMs, 3000)) : null;

    const got = new Promise<void>((resolve) => receiver.on('stream-subscribed', () => resolve()));
    receiver.on(
      'stream-added',
      (e) =>
        void receiver
          .subscribe(e.stream)
          .catch((err: AgoraError) => log.warn('call test: subscribe failed', err)),
    );
    try {
      await Promise.all([sender.init(o.appId), receiver.init(o.appId)]);
      // The publisher is in first, as with users who join a call already going.
      await sender.join(null, channel, 0);
      await sender.publish(stream);
      await receiver.join(null, channel, 0);
    } catch (e) {
      problems.push(`The test call could not start: ${(e as AgoraError).message}`);
      return result;
    }
    const arrived = await Promise.race([got.then(() => true), sleep(MEDIA_WAIT_MS).then(() => false)]);
    if (!arrived) log.warn(`call test: no media after ${MEDIA_WAIT_MS / 1000} s`);
    let recv: RemoteStats | undefined;
    let sent: CallStats['local'] | undefined;
    if (arrived) {
      await sleep(o.durationMs);
      [recv, sent] = await Promise.all([
        receiver.getStats().then((s) => s.remotes[0]),
        sender.getStats().then((s) => s.local),
      ]);
    }
    if (wantVideo) {
      const ok = !!sent && sent.sendFrameRateFps > 0 && sent.sendWidthPx > 0;
      result.camera = {
        ok,
        widthPx: sent?.sendWidthPx ?? 0,
        heightPx: sent?.sendHeightPx ?? 0,
        frameRateFps: sent?.sendFrameRateFps ?? 0,
      };
      if (!ok && arrived)
        problems.push(
          'The camera gives no pictures: check that it is not covered, disabled or used by another application.',
        );
    }
    if (peak) {
      const level = await peak;
      result.microphone = { ok: level >= SILENT_PEAK, peakLevel: Math.round(level * 1000) / 1000 };
      if (level < SILENT_PEAK)
        problems.push(
          'The microphone gives only silence: check that it is not muted (in the system or on the device) and that the right one is selected.',
        );
    }
    if (!arrived || !recv) {
      problems.push(
        'No media came through the test call: the network probably blocks WebRTC (UDP). Try another network, or ask the operator for a TURN server.',
      );
    } else {
      const n = {
        ok: true,
        sendBitrateKbps: sent?.sendBitrateKbps ?? 0,
        recvBitrateKbps: recv.recvBitrateKbps,
        packetLossPercent: recv.packetLossPercent,
        rttMs: recv.rttMs,
        jitterMs: recv.jitterMs,
      };
      const before = problems.length;
      const L = CALL_TEST_LIMITS;
      const minKbps = (wantVideo ? L.minVideoKbps : 0) + (wantAudio ? L.minAudioKbps : 0);
      if (n.recvBitrateKbps < minKbps)
        problems.push(
          `The connection carries only ${n.recvBitrateKbps} kbps (at least ${minKbps} needed): video will be poor or freeze.`,
        );
      if (n.packetLossPercent > L.maxLossPercent)
        problems.push(
          `${n.packetLossPercent}% of packets are lost (more than ${L.maxLossPercent}%): expect choppy sound and frozen pictures; a wired connection helps.`,
        );
      if (n.rttMs > L.maxRttMs)
        problems.push(
          `The round trip takes ${n.rttMs} ms (more than ${L.maxRttMs} ms): conversation will lag.`,
        );
      n.ok = problems.length === before;
      result.network = n;
    }
    return result;
  } finally {
    result.ok = problems.length === 0;
    result.summary = result.ok ? 'Camera, microphone and network work.' : problems.join(' ');
    log.info('call test finished', result.summary);
    sender.close();
    receiver.close();
    stream.close();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Peak sample (0..1) of a microphone track over `ms`. */
async function micPeak(track: MediaStreamTrack, ms: number): Promise<number> {
  const ctx = new AudioContext();
  try {
    await ctx.resume();
    const an = ctx.createAnalyser();
    an.fftSize = 2048;
    ctx.createMediaStreamSource(new MediaStream([track])).connect(an);
    const buf = new Float32Array(an.fftSize);
    let peak = 0;
    const end = Date.now() + ms;
    while (Date.now() < end) {
      an.getFloatTimeDomainData(buf);
      for (const x of buf) peak = Math.max(peak, Math.abs(x));
      await sleep(50);
    }
    return peak;
  } finally {
    void ctx.close();
  }
}
