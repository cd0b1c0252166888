// Writes the served service worker (dist/sw/agora-sw.js) from its compiled code (dist/sw-src/agora-sw.js) and a
// precache manifest made now from the files on disk: each entry's revision is its content hash (workbox-build), so
// any changed file makes a new worker, which replaces the old one and its cache. `root` is a parameter so tests
// can make a second build of a copy of the project.
import { injectManifest } from 'workbox-build';

/** Files (relative to the project root) → the URL the server serves them at. */
const URL_OF = [
  [/^dist\/sdk\//, '/sdk/'],
  [/^index\.html$/, '/'],
  [/^demo\//, '/demo/'],
  [/^public\//, '/'],
];

/** The SDK bundles (not source maps or types), the demo pages and the fallback page. */
export const PRECACHE = [
  'dist/sdk/*.js',
  'index.html',
  'demo/*.{html,js,css}',
  'public/*.{html,css,svg,png,ico}',
];

export async function writeServiceWorker(root) {
  const { count, size, warnings } = await injectManifest({
    swSrc: `${root}/dist/sw-src/agora-sw.js`,
    swDest: `${root}/dist/sw/agora-sw.js`,
    globDirectory: root,
    globPatterns: PRECACHE,
    manifestTransforms: [
      (entries) => ({
        manifest: entries.map((e) => {
          const rule = URL_OF.find(([re]) => re.test(e.url));
          if (!rule) throw new Error(`no URL for precached file ${e.url}`);
          return { ...e, url: e.url.replace(rule[0], rule[1]) };
        }),
        warnings: [],
      }),
    ],
  });
  for (const w of warnings) console.warn(`agora-sw.js: ${w}`);
  return { count, size };
}
