// Device control: list cameras/microphones/speakers, switch the one a local stream uses in place, route remote
// sound to a speaker. See docs/devices-and-screen.md.
import { log } from '../quality/log.js';
import { AgoraError, toAgoraError } from '../client/errors.js';
import type { Stream } from '../stream/stream.js';
import { captureTrack, chosen } from './capture.js';

/** One entry of getDevices' list (the manual's shape, plus groupId). `label` is '' until the user allows access. */
export interface DeviceInfo {
  deviceId: string;
  label: string;
  kind: 'audioinput' | 'videoinput' | 'audiooutput';
  groupId?: string;
}

let warned = false;

/** The browser's device list in the manual's shape. */
export async function listDevices(): Promise<DeviceInfo[]> {
  const md = globalThis.navigator?.mediaDevices;
  if (!md?.enumerateDevices)
    throw new AgoraError('ERR_NOT_SUPPORTED', 'No device access here: use https:// or localhost.');
  const list = (await md.enumerateDevices()).map(({ deviceId, label, kind, groupId }) => ({
    deviceId,
    label,
    kind,
    groupId,
  }));
  if (!warned && list.some((d) => !d.label)) {
    warned = true;
    log.warn('getDevices: names and IDs stay empty until the user allows camera/mic access.');
  }
  return list;
}

/** Play remote sound on the chosen speaker. */
export async function applySink(el: HTMLMediaElement, id = chosen.audiooutput): Promise<void> {
  if (id !== undefined && el.setSinkId && el.sinkId !== id) await el.setSinkId(id);
}

/**
 * Use a device from now on. A camera or microphone in use by `stream` is switched at once: the new track
 * replaces the old one in the same senders (no renegotiation), with the stream's profile and mute state; on
 * failure the old device goes on. A disabled camera or a shared screen is not touched: the choice applies
 * when the camera comes back. A speaker moves the sound of `players` (remote <video> elements).
 */
export async function useDevice(
  device: DeviceInfo,
  stream: Stream | null,
  players: HTMLMediaElement[],
): Promise<void> {
  const { kind, deviceId: id } = device;
  if (kind === 'audiooutput') {
    if (!('setSinkId' in HTMLMediaElement.prototype))
      throw new AgoraError('ERR_NOT_SUPPORTED', 'This browser cannot choose the speaker.');
    try {
      await Promise.all(players.map((el) => applySink(el, id)));
    } catch (e) {
      throw toAgoraError(e, 'ERR_ADM_INIT_PLAYOUT');
    }
  } else if (kind === 'audioinput' || kind === 'videoinput') {
    const k = kind === 'audioinput' ? 'audio' : 'video';
    const live = () =>
      stream?._isReady() && stream._media.getTracks().some((t) => t.kind === k && t !== stream._screen);
    if (live()) {
      const track = await captureTrack(k, { profile: stream!._profile, [`${k}DeviceId`]: id });
      if (live()) stream!._replaceTrack(k, track);
      else track.stop();
    }
  } else {
    throw new AgoraError('ERR_INVALID_ARGUMENT', `Unknown device kind "${String(kind)}".`);
  }
  chosen[kind] = id;
}
