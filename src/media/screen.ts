// Screen capture. A page cannot list the desktop's windows: getWindows offers the browser picker's three kinds
// of surface, and the windowId is the picker's preselected tab. See docs/devices-and-screen.md.
import { AgoraError } from '../client/errors.js';

/** One choice of getWindows (the manual's shape). */
export interface WindowInfo {
  /** "" = the entire screen (as in the manual), "window" = an application window, "browser" = a browser tab. */
  windowId: string;
  title: string;
}

const SURFACES: Record<string, [string, string]> = {
  '': ['monitor', 'Entire screen'],
  window: ['window', 'Application window'],
  browser: ['browser', 'Browser tab'],
};

const md = () => globalThis.navigator?.mediaDevices as Partial<MediaDevices> | undefined;

/** What getWindows returns: the picker's choices, or none where the browser cannot share the screen. */
export function windows(): WindowInfo[] {
  return md()?.getDisplayMedia
    ? Object.entries(SURFACES).map(([windowId, [, title]]) => ({ windowId, title }))
    : [];
}

/**
 * Ask the user what to share (the browser's picker, opened on the windowId's kind of surface). The track is
 * marked as detailed content, so encoders keep its resolution. Refusing the picker → ERR_FAILED with the
 * browser's NotAllowedError as `cause`.
 */
export async function captureScreen(windowId: string): Promise<MediaStreamTrack> {
  const surface = SURFACES[windowId];
  if (!surface) {
    throw new AgoraError(
      'ERR_INVALID_ARGUMENT',
      `Unknown windowId ${JSON.stringify(windowId)}: use one from getWindows().`,
    );
  }
  if (!md()?.getDisplayMedia)
    throw new AgoraError('ERR_NOT_SUPPORTED', 'This browser cannot share the screen.');
  let ms: MediaStream;
  try {
    ms = await md()!.getDisplayMedia!({
      video: { displaySurface: surface[0] },
      audio: false,
      selfBrowserSurface: 'exclude',
    } as DisplayMediaStreamOptions);
  } catch (e) {
    throw new AgoraError(
      'ERR_FAILED',
      (e as Error)?.name === 'NotAllowedError'
        ? 'Screen sharing was cancelled or not allowed.'
        : `Screen sharing failed: ${String(e)}`,
      { cause: e },
    );
  }
  const track = ms.getVideoTracks()[0]!;
  track.contentHint = 'detail';
  return track;
}

/** Encoder settings for a shared screen: its own size's bitrate (~1.6 bit/pixel/s, ≤ 4 Mbps) at 15 fps. */
export function screenEncoding(track: MediaStreamTrack): { maxBitrate: number; maxFramerate: number } {
  const { width = 1280, height = 720 } = track.getSettings();
  return { maxBitrate: Math.round(Math.min(4e6, width * height * 1.6)), maxFramerate: 15 };
}
