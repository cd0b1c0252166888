// Turning stored chunks into a finished file: the header rewritten with duration and cues (webm.ts, loaded on
// demand), the row marked complete. Used when a recording stops and, for one a crash interrupted, by recover().
import { assetUrl } from '../client/assets.js';
import { AgoraError } from '../client/errors.js';
import { chunksOf, entryOf, getMeta, putMeta, removeRecording, type RecordingEntry } from './store.js';

/** The Web Lock a page holds while it writes a recording. */
export function lockName(id: string): string {
  return `agora-rtc-recording:${id}`;
}

let webm: Promise<typeof import('./webm.js')> | null = null;

function loadWebm(): Promise<typeof import('./webm.js')> {
  webm ??= (
    import(/* @vite-ignore */ assetUrl('agora-rtc-webm.js')) as Promise<typeof import('./webm.js')>
  ).catch((e: unknown) => {
    webm = null;
    throw new AgoraError(
      'ERR_LOAD_MEDIA_ENGINE',
      `The WebM module could not be loaded from ${assetUrl('')}; the recording stays unfinished and is finalised on the next AgoraRTC.recordings call.`,
      { cause: e },
    );
  });
  return webm;
}

/**
 * Finalises recording `id` (no-op when complete). A recording without a single stored header (stopped within the
 * first second, or nothing recorded) is removed, and the result is null.
 */
export async function finalize(id: string, endReason?: string): Promise<RecordingEntry | null> {
  const meta = await getMeta(id);
  if (!meta) return null;
  if (meta.complete) return entryOf(meta);
  const { fixWebm } = await loadWebm();
  const fixed = meta.chunks > 0 ? await fixWebm(chunksOf(meta)) : null;
  if (!fixed) {
    await removeRecording(id);
    return null;
  }
  const done = {
    ...meta,
    head: fixed.head,
    skip: fixed.skip,
    end: fixed.end,
    durationMs: Math.round(fixed.durationMs),
    size: fixed.end - fixed.skip + fixed.head.size,
    complete: true,
    ...(endReason ? { endReason } : {}),
  };
  await putMeta(done);
  return entryOf(done);
}
