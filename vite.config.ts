// Vite for the people working on the SDK. `npm run dev`: the dev server with hot reload for `/` (the <agora-call>
// demo), /demo/ and the components, all from the TypeScript sources, with our signaling server started beside it
// and proxied (`/agora-signal`, `/api/`), so the SDK's default signaling URL (its own origin) just works.
// `vite build --mode <library>` builds one of the library builds declared in scripts/build.mjs (LIBRARIES);
// `npm run build` builds them all, with the declarations, the server and the service worker.
import { pathToFileURL } from 'node:url';
import { defineConfig, type Plugin, type UserConfig } from 'vite';
import { LIBRARIES, nodeShims, SDK_ALIASES } from './scripts/build.mjs';

const root = import.meta.dirname;

/** The pages load the built components bundle; in the dev server they get its sources instead. */
const componentsFromSource: Plugin = {
  name: 'agora-components-from-source',
  transformIndexHtml: {
    order: 'pre',
    handler: (html) => html.replaceAll('src="/sdk/agora-components.js"', 'src="/src/components/index.ts"'),
  },
};

interface SignalingServer {
  url: string;
  close(): Promise<void>;
}

export default defineConfig(async ({ command, mode }): Promise<UserConfig> => {
  if (command === 'build') {
    const library = LIBRARIES[mode];
    if (!library)
      throw new Error(
        `vite build --mode <library> builds one of: ${Object.keys(LIBRARIES).join(', ')}. npm run build builds everything.`,
      );
    return library();
  }
  // The built server (npm run dev builds what is missing first): what it runs is not what this server reloads.
  process.env.AGORA_DEMO_KEYS ??= '1';
  const app = (await import(pathToFileURL(`${root}/dist/node/server/app.js`).href)) as {
    startServer(o: { port: number; host: string; quiet?: boolean }): Promise<SignalingServer>;
  };
  const signaling = await app.startServer({ port: 0, host: '127.0.0.1', quiet: true });
  const closeSignaling: Plugin = {
    name: 'agora-signaling-beside',
    configureServer(server) {
      server.httpServer?.once('close', () => void signaling.close());
      server.config.logger.info(`  signaling server (proxied): ${signaling.url}`);
    },
  };
  return {
    root,
    appType: 'mpa',
    publicDir: 'public',
    plugins: [componentsFromSource, closeSignaling],
    resolve: { alias: SDK_ALIASES },
    define: { global: 'globalThis', __AGORA_CLASSIC__: 'false' },
    // simple-peer is CommonJS written for Node: pre-bundled with the same stand-ins as the library builds.
    optimizeDeps: { include: ['simple-peer'], rolldownOptions: { plugins: [nodeShims] } },
    server: {
      proxy: {
        '/agora-signal': { target: signaling.url, ws: true },
        '/api/': signaling.url,
        // The classic-script bundle and the files it loads (demo/sample.html): built, not hot-reloaded.
        '/sdk/': signaling.url,
      },
    },
  };
});
