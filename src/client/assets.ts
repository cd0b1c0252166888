// Files the SDK loads on demand from beside its own bundle (dist/sdk/): the encryption module and its worker.
// Read at load time: the classic script's own <script> element is known only while it runs; an ES module knows
// its URL. An app that re-bundles the SDK serves these files beside its bundle.
export const SDK_URL: string | undefined =
  (globalThis.document?.currentScript as HTMLScriptElement | null)?.src || import.meta.url;

/** URL of a file shipped beside the SDK bundle. */
export function assetUrl(name: string): string {
  return new URL(name, SDK_URL ?? globalThis.location.href).href;
}
