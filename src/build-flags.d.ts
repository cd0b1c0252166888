// Set by the build (scripts/build.mjs, vite.config.ts, vitest.config.ts): true only in the classic-script bundle,
// which has no import.meta and cannot split code, so it finds its on-demand files by URL beside itself.
declare const __AGORA_CLASSIC__: boolean;
