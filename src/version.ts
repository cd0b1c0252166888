/** The SDK's version (this package's). */
export const VERSION = '0.1.0';
