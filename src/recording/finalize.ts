// Turning stored chunks into a finished file: the header rewritten with duration and cues (webm.ts, loaded on
// demand), the row marked complete. Used when a recording stops and, for one a crash interrupted, by recover().
import { assetUrl, onDemand } from '../client/assets.js';
import { chunksOf, entryOf, getMeta, putMeta, removeRecording, type RecordingEntry } from './store.js';

/** The Web Lock a page holds while it writes a recording. */
export function lockName(id: string): string {
  return `agora-rtc-recording:${id}`;
}

/**
 * The WebM fixer, loaded when a recording is finalised. The classic-script bundle cannot split code: it loads the
 * ES build's chunk beside itself (that chunk imports nothing else of the SDK).
 */
const loadWebm = onDemand('WebM module', () =>
  __AGORA_CLASSIC__
    ? (import(/* @vite-ignore */ assetUrl('agora-rtc-webm.js')) as Promise<typeof import('./webm.js')>)
    : import('./webm.js'),
);

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
