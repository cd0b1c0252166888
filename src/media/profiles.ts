/**
 * The manual's video profile table (视频属性定义): string name, enum value, resolution and frame rate.
 * The manual gives no bitrates; `kbps` is the encoder's maximum, taken from Agora's published Web SDK profile
 * table for the same resolution and frame rate (portrait and square variants use their landscape twin's).
 */
export interface VideoProfile {
  name: string;
  value: number;
  width: number;
  height: number;
  frameRate: number;
  /** Encoder ceiling, kilobits per second. */
  kbps: number;
}

const TABLE: ReadonlyArray<readonly [string, number, number, number, number, number]> = [
  ['120P', 0, 160, 120, 15, 65],
  ['120P_2', 1, 120, 160, 15, 65],
  ['120P_3', 2, 120, 120, 15, 50],
  ['180P', 10, 320, 180, 15, 140],
  ['180P_2', 11, 180, 320, 15, 140],
  ['180P_3', 12, 180, 180, 15, 100],
  ['240P', 20, 320, 240, 15, 200],
  ['240P_2', 21, 240, 320, 15, 200],
  ['240P_3', 22, 240, 240, 15, 140],
  ['360P', 30, 640, 360, 15, 400],
  ['360P_2', 31, 360, 640, 15, 400],
  ['360P_3', 32, 360, 360, 15, 260],
  ['360P_4', 33, 640, 360, 30, 600],
  ['360P_5', 34, 360, 640, 30, 600],
  ['360P_6', 35, 360, 360, 30, 400],
  ['480P', 40, 640, 480, 15, 500],
  ['480P_2', 41, 480, 640, 15, 500],
  ['480P_3', 42, 480, 480, 15, 400],
  ['480P_4', 43, 640, 480, 30, 750],
  ['480P_5', 44, 480, 640, 30, 750],
  ['480P_6', 45, 480, 480, 30, 600],
  ['480P_7', 46, 640, 480, 15, 500],
  ['720P', 50, 1280, 720, 15, 1130],
  ['720P_2', 51, 720, 1280, 15, 1130],
  ['720P_3', 52, 1280, 720, 30, 1710],
  ['720P_4', 53, 720, 1280, 30, 1710],
];

/** Every profile of the manual's table, in table order. */
export const VIDEO_PROFILES: readonly VideoProfile[] = TABLE.map(
  ([name, value, width, height, frameRate, kbps]) => ({
    name,
    value,
    width,
    height,
    frameRate,
    kbps,
  }),
);

/** The SDK's default when the app sets none: the manual's recommended 480p at 15 fps. */
export const DEFAULT_PROFILE = '480P';

/**
 * Look a profile up by its string ("480P", case-insensitive) or enum value (40), and apply
 * swapWidthAndHeight. Returns null for an unknown profile.
 */
export function resolveProfile(profile: string | number, swapWidthAndHeight = false): VideoProfile | null {
  const key = typeof profile === 'string' ? profile.toUpperCase() : profile;
  const found = VIDEO_PROFILES.find((p) => (typeof key === 'string' ? p.name === key : p.value === key));
  if (!found) return null;
  return swapWidthAndHeight ? { ...found, width: found.height, height: found.width } : found;
}

/** getUserMedia video constraints for a profile (and an optional device). */
export function captureConstraints(p: VideoProfile, deviceId?: string): MediaTrackConstraints {
  return {
    width: { ideal: p.width },
    height: { ideal: p.height },
    frameRate: { ideal: p.frameRate },
    // Chromium scales/crops camera frames to the asked size, so the encoded size is the profile's even when
    // the camera's native modes differ (the manual: "编码分辨率仍然用 setVideoProfile 指定的").
    resizeMode: 'crop-and-scale',
    ...(deviceId ? { deviceId: { exact: deviceId } } : {}),
  } as MediaTrackConstraints;
}

/** The sender encoding for a profile: bitrate ceiling and frame rate. */
export function encoderParameters(p: VideoProfile): { maxBitrate: number; maxFramerate: number } {
  return { maxBitrate: p.kbps * 1000, maxFramerate: p.frameRate };
}
