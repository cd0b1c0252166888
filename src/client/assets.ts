// Where the SDK's server is: the origin its bundle was loaded from. The signaling WebSocket and the files the SDK
// loads on demand (the encryption module and its worker, beside the bundle in dist/sdk/) are found from there.
import { SIGNAL_PATH } from '../protocol/messages.js';
import { AgoraError } from './errors.js';

// Read at load time: the classic script's own <script> element is known only while it runs; an ES module knows
// its URL. An app that re-bundles the SDK serves the on-demand files beside its bundle.
const SDK_URL: string | undefined =
  (globalThis.document?.currentScript as HTMLScriptElement | null)?.src || import.meta.url;

function sdkBase(): URL {
  try {
    const u = new URL(SDK_URL ?? globalThis.location.href);
    if (u.protocol === 'http:' || u.protocol === 'https:') return u;
  } catch {
    // No usable URL (e.g. a blob: bundle): fall back to the page.
  }
  return new URL(globalThis.location?.href ?? 'http://localhost:8080/');
}

/** URL of a file shipped beside the SDK bundle. */
export function assetUrl(name: string): string {
  return new URL(name, sdkBase()).href;
}

/** The signaling server the SDK uses when the app names none: `/agora-signal` on the SDK's origin. */
export function defaultSignalingUrl(): string {
  const u = new URL(SIGNAL_PATH, sdkBase());
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.href;
}

/**
 * An on-demand part as the classic script loads it: the classic script cannot split code, so each part is also
 * built on its own as `agora-rtc-classic-<name>.js` beside it, taking the SDK's modules from the running script
 * rather than from a second copy (scripts/build.mjs, classicParts). Only in the classic script's bundle.
 */
export function classicPart<T>(name: string): Promise<T> {
  return import(
    /* @vite-ignore */ /* webpackIgnore: true */ assetUrl(`agora-rtc-classic-${name}.js`)
  ) as Promise<T>;
}

/**
 * A part of the SDK that loads on first use (recording, the call test, the service-worker check, encryption): its
 * own file beside the bundle, or a chunk of an app that re-bundles the SDK, so `load` must be a literal
 * `import('./…')` that bundlers can follow. One download per page; a failed one is retried on the next call and
 * reported as ERR_LOAD_MEDIA_ENGINE.
 */
export function onDemand<T>(what: string, load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | null = null;
  return () =>
    (loading ??= load().catch((e: unknown) => {
      loading = null;
      throw new AgoraError(
        'ERR_LOAD_MEDIA_ENGINE',
        `The SDK's ${what} could not be loaded (it is a file beside the SDK bundle, ${assetUrl('')}): check the network, and that the SDK's files are served together.`,
        { cause: e },
      );
    }));
}
