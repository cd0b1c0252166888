import { classicPart, onDemand } from '../client/assets.js';

/**
 * The SFU transport and the mesh→SFU move, not in the core bundle: fetched at join when the server's hello says it
 * has an SFU (a channel may be on the SFU, or move there during the call), never on a server without one.
 */
export const loadSfu = onDemand('SFU transport', () =>
  __AGORA_CLASSIC__ ? classicPart<typeof import('./sfu-module.js')>('sfu') : import('./sfu-module.js'),
);
