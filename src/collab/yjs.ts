// yjs (with lib0, ~25 KB gz) is not in the core bundle: join loads it on first use (agora-rtc-yjs.js beside the
// SDK, or a chunk of an app that re-bundles it), so pages that only load the SDK do not pay for it until they join.
import type * as YT from 'yjs';
import { AgoraError } from '../client/errors.js';
import { assetUrl, onDemand } from '../client/assets.js';

let mod: typeof YT | null = null;
const load = onDemand('whiteboard module', () =>
  // The classic script cannot split code: it finds the ES chunk beside itself by URL (see finalize.ts).
  __AGORA_CLASSIC__
    ? (import(/* @vite-ignore */ assetUrl('agora-rtc-yjs.js')) as Promise<typeof YT>)
    : import('./yjs-module.js'),
);

/** Loads yjs once; a failed load may be retried by the next join. */
export async function loadYjs(): Promise<typeof YT> {
  return (mod ??= await load());
}

/** yjs, once loadYjs has resolved (join waits for it). */
export function yjs(): typeof YT {
  if (!mod) throw new AgoraError('ERR_NOT_READY', 'The whiteboard is not available: join a channel first.');
  return mod;
}
