// Builds everything `npm start` serves and the package exports: the SDK bundles (ESM + classic script), their
// type declarations, the service worker and the Node server. `node scripts/build.mjs --if-missing` only builds
// what is absent; the service worker's precache manifest is always rewritten (it hashes the files as they are).
//
// The Vite library builds are declared here (LIBRARIES) and vite.config.ts serves them too (`vite build --mode
// agora-rtc` builds one; `npm run dev` uses the same aliases and shims). This script stays the one way to build
// everything because the package is several Vite builds of different formats (ES with chunks, classic scripts,
// the worker, the service worker) plus steps that are not Vite's: declarations, the server, the elements'
// manifest and the service worker's precache manifest.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
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
export const nodeShims = {
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
export const realBuffer = {
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

/**
 * The crypto module starts its worker with `new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' })`
 * (what the Vite dev server serves). The shipped chunk must keep that pattern whole, naming the shipped worker
 * file, so the bundlers of apps that re-bundle the SDK find and ship the worker; Vite's own worker bundling must
 * not rewrite it (the worker is built on its own below). The URL hides behind a placeholder until the chunk is
 * rendered.
 */
const workerAsSibling = {
  name: 'agora-worker-as-sibling',
  enforce: 'pre',
  transform(code, id) {
    if (!id.endsWith('/src/crypto/attach.ts')) return null;
    const source = "new URL('./worker.ts', import.meta.url)";
    if (!code.includes(source))
      throw new Error(`src/crypto/attach.ts no longer starts its worker with ${source}`);
    return { code: code.replace(source, 'new URL(__AGORA_WORKER_FILE__, import.meta.url)'), map: null };
  },
  renderChunk(code) {
    if (!code.includes('__AGORA_WORKER_FILE__')) return null;
    return { code: code.replaceAll('__AGORA_WORKER_FILE__', '"./agora-rtc-worker.js"'), map: null };
  },
};

/**
 * Parts of the SDK that load on first use (`import('./…')` in the source): their chunks keep names a server
 * operator recognises, without hashes, since they are served beside agora-rtc.js under fixed URLs.
 */
const LAZY_CHUNKS = {
  'src/crypto/attach.ts': 'agora-rtc-crypto.js',
  'src/recording/engine.ts': 'agora-rtc-recording.js',
  'src/recording/webm.ts': 'agora-rtc-webm.js',
  'src/agent/worker-check.ts': 'agora-rtc-agent.js',
  'src/quality/calltest-run.ts': 'agora-rtc-calltest.js',
  // yjs and the whiteboard's code, loaded by the first openWhiteboard rather than with the core.
  'src/collab/yjs-module.ts': 'agora-rtc-yjs.js',
  'src/collab/whiteboard/whiteboard.ts': 'agora-rtc-whiteboard.js',
  // The SFU transport, loaded at join: a channel may be on Janus or move there.
  'src/transport/sfu-module.ts': 'agora-rtc-sfu.js',
  // <agora-chat> and <agora-whiteboard>: loaded by <agora-call> only when its chat or whiteboard is first opened.
  'src/components/collab.ts': 'agora-collab.js',
  // Chinese labels, loaded by the components only for pages that show Chinese.
  'src/components/i18n-zh.ts': 'agora-components-zh.js',
  // <agora-call>'s statistics panel, recording mark and unsupported-browser page: loaded when first shown.
  'src/components/call-extras.ts': 'agora-components-extras.js',
};
const chunkFileName = (chunk) =>
  LAZY_CHUNKS[chunk.facadeModuleId?.slice(root.length) ?? ''] ?? 'agora-rtc-[name]-[hash].js';

/**
 * Keeps the core in one file. Left alone, rolldown moves the modules the core shares with its lazy chunks (errors,
 * log, asset URLs…) into a third file that every page then loads; this plugin lists every module the entry reaches
 * through static imports, and the build's `codeSplitting` group puts them all in the entry chunk.
 */
function staticReach() {
  const reached = new Set();
  return {
    reached,
    plugin: {
      name: 'agora-static-reach',
      buildEnd() {
        const entry = [...this.getModuleIds()].find((id) => this.getModuleInfo(id)?.isEntry);
        const todo = [entry];
        while (todo.length) {
          const id = todo.pop();
          if (!id || reached.has(id)) continue;
          reached.add(id);
          todo.push(...(this.getModuleInfo(id)?.importedIds ?? []));
        }
      },
    },
  };
}

/** How the SDK's sources resolve in the browser, in builds and in the dev server. */
export const SDK_ALIASES = {
  buffer: shim('buffer'),
  'safe-buffer': shim('buffer'),
  debug: shim('debug'),
  'readable-stream': shim('readable-stream'),
  // ts-ebml requires ebml as CommonJS; its package.json "browser" build is a script that exports nothing.
  ebml: `${root}node_modules/ebml/lib/ebml.js`,
};

/** The Vite config of one library build: a single entry, a single format. */
function lib(entry, fileName, format, extra = {}, plugins = []) {
  const core = extra.reach ?? staticReach();
  return {
    root,
    configFile: false,
    logLevel: 'warn',
    publicDir: false,
    plugins: [nodeShims, core.plugin, ...plugins],
    resolve: { alias: SDK_ALIASES },
    // A classic script has no import.meta; the SDK reads document.currentScript there instead.
    define: {
      global: 'globalThis',
      __AGORA_CLASSIC__: String(format === 'iife' || !!extra.classic),
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
      rollupOptions: {
        // The lazy chunks import what they share with the core from agora-rtc.js itself, not from a third file.
        preserveEntrySignatures: 'allow-extension',
        output: {
          exports: format === 'iife' ? 'auto' : 'named',
          minify: true,
          chunkFileNames: chunkFileName,
          ...(format === 'es'
            ? {
                codeSplitting: {
                  groups: [{ name: fileName.replace(/\.js$/, ''), test: (id) => core.reached.has(id) }],
                },
              }
            : {}),
        },
      },
    },
  };
}

/**
 * The SDK's on-demand parts as the classic script loads them (classicPart in src/client/assets.ts): a classic script
 * cannot split code, and the ES build's chunks import the ES core, which would be a second copy of the SDK beside
 * the script (its own errors, clients, log). So each part is built again, as agora-rtc-classic-<name>.js, with its
 * imports of core modules taken from what the running classic script provides (provideCore).
 */
const CLASSIC_PARTS = {
  crypto: 'src/crypto/attach.ts',
  recording: 'src/recording/engine.ts',
  agent: 'src/agent/worker-check.ts',
  calltest: 'src/quality/calltest-run.ts',
  whiteboard: 'src/collab/whiteboard/whiteboard.ts',
  sfu: 'src/transport/sfu-module.ts',
};
/** Where the classic script puts the core modules' bindings the parts use: a list, indexed as the parts read it. */
const CLASSIC_CORE = 'globalThis[Symbol.for("agora-rtc-web/classic-core")]';
const CORE_PREFIX = 'agora-core:';

/**
 * Builds the classic parts; resolves with the core bindings they use, in the order they index them: for each core
 * module its id and the names imported from it ('*' for the whole module).
 */
async function classicParts() {
  // The core: every module the classic script reaches through static imports.
  const reach = staticReach();
  const scan = lib('src/global.ts', 'agora-rtc.iife.js', 'iife', { name: 'AgoraRTC', reach }, [realBuffer]);
  Object.assign(scan.build, { write: false, minify: false, sourcemap: false });
  scan.build.rollupOptions.output.minify = false;
  await build(scan);
  const core = reach.reached;

  /** @type {Map<string, Set<string>>} */
  const used = new Map();
  const modules = () => [...used.keys()];
  const fromCore = {
    name: 'agora-classic-from-core',
    enforce: 'pre',
    async resolveId(source, importer, options) {
      if (!importer || source.startsWith(CORE_PREFIX)) return null;
      const r = await this.resolve(source, importer, { ...options, skipSelf: true });
      if (!r || r.external || !core.has(r.id) || !r.id.startsWith(root)) return null;
      return { id: CORE_PREFIX + r.id, external: true };
    },
    // `import { a as b } from "agora-core:<id>"` becomes `const { a: b } = <the script's list>[i]`.
    renderChunk(code) {
      const importRe =
        /import\s*([^"';]*?)\s*from\s*"agora-core:([^"]+)"\s*;?|import\s*"agora-core:[^"]+"\s*;?/g;
      const out = code.replace(importRe, (all, clause, id) => {
        if (!id) return '';
        if (!used.has(id)) used.set(id, new Set());
        const names = used.get(id);
        const at = `__agoraCore[${modules().indexOf(id)}]`;
        const decl = [];
        const named = /\{([^}]*)\}/.exec(clause);
        const rest = clause
          .replace(/\{[^}]*\}/, '')
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean);
        for (const part of rest) {
          const ns = /^\*\s*as\s+([\w$]+)$/.exec(part);
          if (ns) {
            names.add('*');
            decl.push(`const ${ns[1]}=${at};`);
          } else {
            names.add('default');
            decl.push(`const ${part}=${at}.default;`);
          }
        }
        if (named) {
          const pairs = named[1]
            .split(',')
            .map((p) => p.trim())
            .filter(Boolean)
            .map((p) => {
              const [name, local = name] = p.split(/\s+as\s+/);
              names.add(name);
              return name === local ? name : `${name}:${local}`;
            });
          decl.push(`const{${pairs.join(',')}}=${at};`);
        }
        return decl.join('');
      });
      if (out.includes(CORE_PREFIX))
        throw new Error('a classic part imports the core in a way classicParts cannot rewrite');
      return out === code ? null : { code: `const __agoraCore=${CLASSIC_CORE};${out}`, map: null };
    },
  };
  // lib()'s single entry and file name are replaced by the parts, one file each.
  const config = lib(Object.values(CLASSIC_PARTS)[0], 'unused.js', 'es', { classic: true }, [
    workerAsSibling,
    fromCore,
  ]);
  config.build.lib = {
    entry: Object.fromEntries(Object.entries(CLASSIC_PARTS).map(([name, src]) => [name, `${root}${src}`])),
    formats: ['es'],
    fileName: (_, name) => `agora-rtc-classic-${name}.js`,
  };
  const output = config.build.rollupOptions.output;
  delete output.codeSplitting;
  output.chunkFileNames = 'agora-rtc-classic-[name]-[hash].js';
  await build(config);
  return [...used].map(([id, names]) => ({ id, names: [...names] }));
}

/** The classic script puts the core bindings its parts use (classicParts) where they look for them. */
function provideCore(bindings) {
  return {
    name: 'agora-provide-core',
    transform(code, id) {
      if (id !== `${root}src/global.ts`) return null;
      const imports = [];
      const list = bindings.map(({ id: mod, names }, i) => {
        if (names.includes('*')) {
          imports.push(`import * as __agoraCore${i} from ${JSON.stringify(mod)};`);
          return `__agoraCore${i}`;
        }
        const pairs = names.map((n, k) => [n, `__agoraCore${i}_${k}`]);
        imports.push(
          `import { ${pairs.map(([n, l]) => `${n} as ${l}`).join(', ')} } from ${JSON.stringify(mod)};`,
        );
        return `{ ${pairs.map(([n, l]) => `${JSON.stringify(n)}: ${l}`).join(', ')} }`;
      });
      // Appended, imports too (they are hoisted): the module's own lines keep their place for the source map.
      return { code: `${code}\n${imports.join('\n')}\n${CLASSIC_CORE} = [${list.join(', ')}];\n`, map: null };
    },
  };
}

/** The library builds, by name (`vite build --mode <name>`): each returns its Vite config. */
export const LIBRARIES = {
  // The core, and beside it the chunks it loads on first use (LAZY_CHUNKS): encryption, recording and its WebM
  // fixer, the service-worker check, the call test. An app that only joins downloads none of them.
  'agora-rtc': () => lib('src/index.ts', 'agora-rtc.js', 'es', {}, [workerAsSibling, realBuffer]),
  // The classic script, after its on-demand parts (classicParts), whose imports of the core it provides.
  'agora-rtc-iife': async () =>
    lib('src/global.ts', 'agora-rtc.iife.js', 'iife', { name: 'AgoraRTC' }, [
      workerAsSibling,
      realBuffer,
      provideCore(await classicParts()),
    ]),
  // The encryption worker, started by the crypto chunk (a module worker) or the classic script (a classic one).
  'agora-rtc-worker': () =>
    lib('src/crypto/worker.ts', 'agora-rtc-worker.js', 'iife', { name: 'AgoraRTCWorker' }),
  'agora-components': () =>
    lib('src/components/index.ts', 'agora-components.js', 'es', {}, [coreAsSibling, minifyHTML()]),
  // The service worker's code; scripts/build-sw.mjs adds the precache manifest below.
  'agora-sw': () =>
    lib('sw/agora-sw.ts', 'agora-sw.js', 'iife', { name: 'AgoraSW', outDir: 'sw-src', production: true }),
};

const library = (name) => async () => build(await LIBRARIES[name]());

const steps = [
  ['sdk/agora-rtc.js', library('agora-rtc')],
  ['sdk/agora-rtc.iife.js', library('agora-rtc-iife')],
  ['sdk/agora-rtc-worker.js', library('agora-rtc-worker')],
  ['sdk/agora-components.js', library('agora-components')],
  // PDF.js as published (already ESM, minified), loaded by the whiteboard only when a PDF is opened. .mjs keeps
  // its 1.6 MB out of the service worker's precache (which takes dist/sdk/*.js).
  ['sdk/agora-rtc-pdf.mjs', () => copyPdfJs()],
  // The elements' attributes, properties, events, parts and CSS properties, for IDEs and docs (from the JSDoc).
  ['custom-elements.json', () => cem()],
  ['sw-src/agora-sw.js', library('agora-sw')],
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

// Run as a script (not when vite.config.ts imports the declarations above).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const [file, run] of steps) {
    if (ifMissing && existsSync(out(file))) continue;
    await run();
  }
  await writeServiceWorker(root.replace(/\/$/, ''));
}
