/** Files the service worker precaches (globs relative to the project root). */
export declare const PRECACHE: string[];
/** Writes dist/sw/agora-sw.js under `root` with a precache manifest of the files there now. */
export declare function writeServiceWorker(root: string): Promise<{ count: number; size: number }>;
