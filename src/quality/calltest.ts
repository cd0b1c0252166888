// AgoraRTC.startCallTest: before a call, check the camera gives pictures, the microphone gives sound, and a call
// through the server carries media well — two clients of this page in a private channel, one sending to the
// other — and say in words what is wrong.
// The test itself (calltest-run.ts) is loaded on first use, so apps that never test do not download it.
import { classicPart, onDemand } from '../client/assets.js';
import { assertType, type AgoraError } from '../client/errors.js';

const loadRun = onDemand('call test', () =>
  __AGORA_CLASSIC__
    ? classicPart<typeof import('./calltest-run.js')>('calltest')
    : import('./calltest-run.js'),
);

export interface CallTestOptions {
  /** The App ID to test with (the test joins a private channel of this app). */
  appId: string;
  /** Default: the SDK's origin, as createRtcClient. */
  signalingUrl?: string;
  /** How long media flows once it arrives, ms (2000 to 30000, default 5000). */
  durationMs?: number;
  /** Test the camera (default true). */
  video?: boolean;
  /** Test the microphone (default true). */
  audio?: boolean;
  /** Video profile of the test call (default '480P'). */
  profile?: string;
}

export interface CallTestResult {
  /** Nothing is wrong. */
  ok: boolean;
  /** One sentence per problem, for a person to act on; empty when ok. */
  problems: string[];
  /** The problems in one paragraph, or that all is well. */
  summary: string;
  camera: { ok: boolean; widthPx: number; heightPx: number; frameRateFps: number } | null;
  microphone: { ok: boolean; peakLevel: number } | null;
  network: {
    ok: boolean;
    sendBitrateKbps: number;
    recvBitrateKbps: number;
    packetLossPercent: number;
    rttMs: number;
    jitterMs: number;
  } | null;
}

export function startCallTest(
  options: CallTestOptions,
  onResult?: ((r: CallTestResult) => void) | null,
  onFailure?: ((e: AgoraError) => void) | null,
): Promise<CallTestResult> {
  assertType(typeof options === 'object' && options !== null, 'startCallTest(options) takes { appId, … }.');
  assertType(typeof options.appId === 'string', 'startCallTest({ appId }): appId must be a string.');
  const duration = options.durationMs ?? 5000;
  assertType(typeof duration === 'number', 'startCallTest({ durationMs }): a number of milliseconds.');
  const work = loadRun().then((m) => m.runCallTest({ ...options, durationMs: duration }));
  work.then(
    (r) => onResult?.(r),
    (e: AgoraError) => onFailure?.(e),
  );
  return work;
}
