/** The SDK's version (this package's; set by `npm version`, see scripts/sync-version.mjs). */
export const VERSION = '0.1.0';
