// Builds everything `npm start` serves and the package exports: the SDK bundles (ESM + classic script), their
// type declarations, the service worker and the Node server. `node scripts/build.mjs --if-missing` only builds
// what is absent; the service worker's precache manifest is always rewritten (it hashes the files as they are).
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { build } from 'vite';
import minifyHTML from '@lit-labs/rollup-plugin-minify-html-literals';
import { writeServiceWorker } from './build-sw.mjs';

const ifMissing = process.argv.includes('--if-missing');
const root = new URL('..', import.meta.url).pathname;
const out = (p) => `${root}dist/${p}`;

const shim = (name) => `${root}src/transport/shims/${name}.cjs`;

/**
 * simple-peer is CommonJS written for Node: give it small browser stand-ins for buffer, debug and process (see
 * src/transport/shims) instead of its 28 KB prebuilt bundle. `process` is injected per module, never made global.
 */
const nodeShims = {
  name: 'agora-node-shims',
  transform(code, id) {
    if (!/node_modules[\\/](simple-peer|readable-stream)[\\/]/.test(id) || !code.includes('process.'))
      return null;
    return { code: `var process = require(${JSON.stringify(shim('process'))});\n${code}`, map: null };
  },
};

/**
 * ts-ebml and its helpers (the recording's WebM fixer) use Node's global Buffer and read and write numbers with it:
 * they get the real `buffer` package (by path, past the shim alias), injected per module, never made global.
 */
const realBuffer = {
  name: 'agora-real-buffer',
  transform(code, id) {
    if (!/node_modules[\\/](ts-ebml|ebml-block|int64-buffer)[\\/]/.test(id) || !code.includes('Buffer'))
      return null;
    const path = JSON.stringify(`${root}node_modules/buffer/index.js`);
    return { code: `var Buffer = require(${path}).Buffer;\n${code}`, map: null };
  },
};

/**
 * The components use the core SDK through its public entry (src/index.ts); in their bundle that import stays a
 * module of its own, `./agora-rtc.js` beside it, so a page that loads both gets one copy of the core.
 */
const coreAsSibling = {
  name: 'agora-core-as-sibling',
  enforce: 'pre',
  async resolveId(source, importer, options) {
    if (!importer?.includes(`${root}src/components/`)) return null;
    const r = await this.resolve(source, importer, { ...options, skipSelf: true });
    return r?.id === `${root}src/index.ts` ? { id: './agora-rtc.js', external: true } : null;
  },
};

/** One library build: a single entry, a single format. */
async function lib(entry, fileName, format, extra = {}, plugins = []) {
  await build({
    root,
    configFile: false,
    logLevel: 'warn',
    publicDir: false,
    plugins: [nodeShims, ...plugins],
    resolve: {
      alias: {
        buffer: shim('buffer'),
        'safe-buffer': shim('buffer'),
        debug: shim('debug'),
        // ts-ebml requires ebml as CommonJS; its package.json "browser" build is a script that exports nothing.
        ebml: `${root}node_modules/ebml/lib/ebml.js`,
      },
    },
    // A classic script has no import.meta; the SDK reads document.currentScript there instead.
    define: {
      global: 'globalThis',
      ...(format === 'iife' ? { 'import.meta.url': 'undefined' } : {}),
      // workbox's modules keep their development logging behind this check.
      ...(extra.production ? { 'process.env.NODE_ENV': '"production"' } : {}),
    },
    build: {
      outDir: out(extra.outDir ?? 'sdk'),
      emptyOutDir: false,
      minify: true,
      sourcemap: true,
      target: 'es2022',
      lib: { entry: `${root}${entry}`, formats: [format], fileName: () => fileName, name: extra.name },
      rollupOptions: { output: { exports: format === 'iife' ? 'auto' : 'named', minify: true } },
    },
  });
}

const steps = [
  ['sdk/agora-rtc.js', () => lib('src/index.ts', 'agora-rtc.js', 'es')],
  ['sdk/agora-rtc.iife.js', () => lib('src/global.ts', 'agora-rtc.iife.js', 'iife', { name: 'AgoraRTC' })],
  // Loaded by the SDK only when a call is encrypted, so unencrypted calls do not download it.
  ['sdk/agora-rtc-crypto.js', () => lib('src/crypto/attach.ts', 'agora-rtc-crypto.js', 'es')],
  [
    'sdk/agora-rtc-worker.js',
    () => lib('src/crypto/worker.ts', 'agora-rtc-worker.js', 'iife', { name: 'AgoraRTCWorker' }),
  ],
  // yjs for the whiteboard, loaded by the SDK at join rather than with the core bundle.
  ['sdk/agora-rtc-yjs.js', () => lib('src/collab/yjs-module.ts', 'agora-rtc-yjs.js', 'es')],
  // Loaded by the SDK only to finalise a recording (WebM duration and cues).
  ['sdk/agora-rtc-webm.js', () => lib('src/recording/webm.ts', 'agora-rtc-webm.js', 'es', {}, [realBuffer])],
  [
    'sdk/agora-components.js',
    () => lib('src/components/index.ts', 'agora-components.js', 'es', {}, [coreAsSibling, minifyHTML()]),
  ],
  // <agora-chat> and <agora-whiteboard>: loaded by <agora-call> only when its chat or whiteboard is first opened.
  [
    'sdk/agora-collab.js',
    () => lib('src/components/collab.ts', 'agora-collab.js', 'es', {}, [coreAsSibling, minifyHTML()]),
  ],
  // PDF.js as published (already ESM, minified), loaded by the whiteboard only when a PDF is opened. .mjs keeps
  // its 1.6 MB out of the service worker's precache (which takes dist/sdk/*.js).
  ['sdk/agora-rtc-pdf.mjs', () => copyPdfJs()],
  // Chinese labels, loaded by the components only for pages that show Chinese.
  ['sdk/agora-components-zh.js', () => lib('src/components/i18n-zh.ts', 'agora-components-zh.js', 'es')],
  // The elements' attributes, properties, events, parts and CSS properties, for IDEs and docs (from the JSDoc).
  ['custom-elements.json', () => cem()],
  // The service worker's code; scripts/build-sw.mjs adds the precache manifest below.
  [
    'sw-src/agora-sw.js',
    () =>
      lib('sw/agora-sw.ts', 'agora-sw.js', 'iife', { name: 'AgoraSW', outDir: 'sw-src', production: true }),
  ],
  ['sdk/types/index.d.ts', () => tsc('tsconfig.sdk-types.json')],
  ['node/server/main.js', () => tsc('tsconfig.server.json')],
];

function copyPdfJs() {
  mkdirSync(out('sdk'), { recursive: true });
  copyFileSync(`${root}node_modules/pdfjs-dist/build/pdf.min.mjs`, out('sdk/agora-rtc-pdf.mjs'));
  copyFileSync(
    `${root}node_modules/pdfjs-dist/build/pdf.worker.min.mjs`,
    out('sdk/agora-rtc-pdf.worker.mjs'),
  );
}

function cem() {
  execFileSync(
    `${root}node_modules/.bin/cem`,
    ['analyze', '--litelement', '--quiet', '--globs', 'src/components/agora-*.ts', '--outdir', 'dist'],
    { cwd: root, stdio: 'inherit' },
  );
}

function tsc(project) {
  execFileSync(`${root}node_modules/.bin/tsc`, ['-p', `${root}${project}`], { stdio: 'inherit' });
}

for (const [file, run] of steps) {
  if (ifMissing && existsSync(out(file))) continue;
  await run();
}
await writeServiceWorker(root.replace(/\/$/, ''));
