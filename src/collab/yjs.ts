// yjs (with lib0, ~25 KB gz) is not in the core bundle: join loads it from beside the SDK (agora-rtc-yjs.js, built
// from yjs-module.ts), so pages that only load the SDK do not pay for it. Types come from the package as usual.
import type * as YT from 'yjs';
import { AgoraError } from '../client/errors.js';
import { assetUrl } from '../client/assets.js';

let mod: typeof YT | null = null;
let loading: Promise<typeof YT> | null = null;

/** Loads yjs once; a failed load may be retried by the next join. */
export function loadYjs(): Promise<typeof YT> {
  if (mod) return Promise.resolve(mod);
  loading ??= (import(/* @vite-ignore */ assetUrl('agora-rtc-yjs.js')) as Promise<typeof YT>).then(
    (m) => (mod = m),
    (e: unknown) => {
      loading = null;
      throw new AgoraError(
        'ERR_LOAD_MEDIA_ENGINE',
        `The whiteboard module could not be loaded from ${assetUrl('agora-rtc-yjs.js')}.`,
        { cause: e },
      );
    },
  );
  return loading;
}

/** yjs, once loadYjs has resolved (join waits for it). */
export function yjs(): typeof YT {
  if (!mod) throw new AgoraError('ERR_NOT_READY', 'The whiteboard is not available: join a channel first.');
  return mod;
}
