import { classicPart, onDemand } from '../client/assets.js';

/** The recorder and the recordings library (engine.ts), loaded on first use. */
export const loadRecording = onDemand('recording module', () =>
  __AGORA_CLASSIC__ ? classicPart<typeof import('./engine.js')>('recording') : import('./engine.js'),
);
