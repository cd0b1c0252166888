import { onDemand } from '../client/assets.js';

/** The recorder and the recordings library (engine.ts), loaded on first use. */
export const loadRecording = onDemand('recording module', () => import('./engine.js'));
