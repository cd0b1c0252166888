import { onDemand } from '../../client/assets.js';

/** The whiteboard's code (whiteboard.ts with its drawing and file handling), loaded at join beside yjs. */
export const loadWhiteboard = onDemand('whiteboard module', () => import('./whiteboard.js'));
