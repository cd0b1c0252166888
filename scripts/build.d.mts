import type { InlineConfig, Plugin } from 'vite';
/** The library builds, by name (`vite build --mode <name>`): each returns its Vite config. */
export declare const LIBRARIES: Record<string, () => InlineConfig>;
/** How the SDK's sources resolve in the browser (Node module stand-ins for simple-peer, ts-ebml's ebml). */
export declare const SDK_ALIASES: Record<string, string>;
/** Gives simple-peer and readable-stream a module-local `process`. */
export declare const nodeShims: Plugin;
/** Gives ts-ebml and its helpers the real `buffer` package. */
export declare const realBuffer: Plugin;
