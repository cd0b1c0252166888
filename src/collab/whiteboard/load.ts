// The whiteboard's code and yjs (~35 KB gz) are not in the core bundle: the first openWhiteboard loads them
// (agora-rtc-whiteboard.js and agora-rtc-yjs.js beside the SDK, or chunks of an app that re-bundles it), so calls
// that never open the whiteboard never pay for them.
import type * as YT from 'yjs';
import { assetUrl, classicPart, onDemand } from '../../client/assets.js';

export const loadWhiteboard = onDemand('whiteboard module', async () => {
  const [y, m] = await Promise.all([
    // The classic script cannot split code: it finds the ES chunk beside itself by URL (see finalize.ts).
    __AGORA_CLASSIC__
      ? (import(/* @vite-ignore */ assetUrl('agora-rtc-yjs.js')) as Promise<typeof YT>)
      : import('../yjs-module.js'),
    __AGORA_CLASSIC__
      ? classicPart<typeof import('./whiteboard.js')>('whiteboard')
      : import('./whiteboard.js'),
  ]);
  m.useYjs(y);
  return m;
});
