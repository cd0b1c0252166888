import { onDemand } from '../client/assets.js';

/**
 * The SFU transport and the mesh→SFU move, loaded at join beside the signaling connection (a channel may be on the
 * SFU, or move there during the call), not with the core bundle.
 */
export const loadSfu = onDemand('SFU transport', () => import('./sfu-module.js'));
