// yjs for the whiteboard's code (its chunk, which alone imports this module): handed over by load.ts, which
// loads yjs beside it on the first openWhiteboard.
import type * as YT from 'yjs';

let mod: typeof YT | null = null;

/** Called once yjs is loaded, before any of the whiteboard's code runs. */
export function useYjs(m: typeof YT): void {
  mod = m;
}

/** yjs (the whiteboard's code runs only after useYjs). */
export function yjs(): typeof YT {
  return mod!;
}
