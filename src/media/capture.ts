// Camera and microphone capture, with the browser's failures turned into the manual's codes.
import { AgoraError } from '../client/errors.js';
import type { ErrorName } from '../protocol/codes.js';
import { captureConstraints, type VideoProfile } from './profiles.js';

export interface CaptureRequest {
  audio: boolean;
  video: boolean;
  profile: VideoProfile;
  audioDeviceId?: string;
  videoDeviceId?: string;
}

function mediaDevices(): MediaDevices {
  const md = globalThis.navigator?.mediaDevices;
  if (!md?.getUserMedia) {
    throw new AgoraError(
      'ERR_NOT_SUPPORTED',
      'This page cannot use the camera or microphone: open it over https:// or http://localhost in a current browser.',
    );
  }
  return md;
}

/** The devices client.selectDevice chose; captures without an explicit device use them. */
export const chosen: Partial<Record<MediaDeviceKind, string>> = {};

function constraints(req: CaptureRequest): MediaStreamConstraints {
  const mic = req.audioDeviceId ?? chosen.audioinput;
  return {
    audio: req.audio ? (mic ? { deviceId: { exact: mic } } : true) : false,
    video: req.video ? captureConstraints(req.profile, req.videoDeviceId ?? chosen.videoinput) : false,
  };
}

/** The manual's code for a getUserMedia failure of one kind of device. */
function codeFor(kind: 'audio' | 'video', e: unknown): ErrorName {
  const name = e instanceof Error ? e.name : '';
  if (kind === 'video')
    return name === 'NotAllowedError' ? 'ERR_VDM_CAMERA_NOT_AUTHORIZED' : 'ERR_START_CAMERA';
  return name === 'NotAllowedError' || name === 'NotFoundError'
    ? 'ERR_ADM_INIT_RECORDING'
    : 'ERR_ADM_START_RECORDING';
}

function explain(kind: 'audio' | 'video', e: unknown): string {
  const device = kind === 'video' ? 'camera' : 'microphone';
  const name = e instanceof Error ? e.name : '';
  switch (name) {
    case 'NotAllowedError':
      return `Access to the ${device} was denied: allow it in the browser's site settings and try again.`;
    case 'NotFoundError':
    case 'OverconstrainedError':
      return `No ${device} matching the request was found: plug one in or choose another device.`;
    case 'NotReadableError':
      return `The ${device} is busy or failed to start: close other apps using it and try again.`;
    default:
      return `The ${device} could not be started: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/**
 * Open the requested devices with one prompt. On failure, find which device failed so the error carries the
 * right code (camera → ERR_START_CAMERA / ERR_VDM_CAMERA_NOT_AUTHORIZED, microphone → ERR_ADM_*).
 */
export async function capture(req: CaptureRequest): Promise<MediaStream> {
  const md = mediaDevices();
  try {
    const ms = await md.getUserMedia(constraints(req));
    const video = ms.getVideoTracks()[0];
    if (video) await fitToProfile(video, req.profile);
    return ms;
  } catch (e) {
    if (e instanceof AgoraError) throw e;
    let kind: 'audio' | 'video' = req.video ? 'video' : 'audio';
    if (req.audio && req.video) {
      // Probe the camera alone to tell which device failed.
      try {
        const probe = await md.getUserMedia({ video: constraints(req).video });
        probe.getTracks().forEach((t) => t.stop());
        kind = 'audio';
      } catch {
        kind = 'video';
      }
    }
    throw new AgoraError(codeFor(kind, e), explain(kind, e), { cause: e });
  }
}

/** Open just one kind of device (used when video is re-enabled or a device is switched). */
export async function captureTrack(
  kind: 'audio' | 'video',
  req: Omit<CaptureRequest, 'audio' | 'video'>,
): Promise<MediaStreamTrack> {
  const ms = await capture({ ...req, audio: kind === 'audio', video: kind === 'video' });
  const track = ms.getTracks()[0];
  if (!track)
    throw new AgoraError(
      kind === 'video' ? 'ERR_START_CAMERA' : 'ERR_ADM_START_RECORDING',
      `No ${kind} track.`,
    );
  return track;
}

/** Some cameras ignore ideal sizes; ask again exactly so the encoded size is the profile's. */
async function fitToProfile(track: MediaStreamTrack, p: VideoProfile): Promise<void> {
  const s = track.getSettings();
  if (s.width === p.width && s.height === p.height) return;
  try {
    await track.applyConstraints({
      width: { exact: p.width },
      height: { exact: p.height },
      frameRate: { ideal: p.frameRate },
      resizeMode: 'crop-and-scale',
    } as MediaTrackConstraints);
  } catch {
    // The camera cannot produce that size at all; keep what it gives rather than failing the call.
  }
}

/** Apply a (new) profile to a running camera track. */
export async function applyProfile(track: MediaStreamTrack, p: VideoProfile): Promise<void> {
  await track.applyConstraints(captureConstraints(p)).catch(() => undefined);
  await fitToProfile(track, p);
}
