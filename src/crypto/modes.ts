// The encryption modes: the manual's two XTS modes plus two authenticated GCM modes beyond it.

/** Every mode `setEncryptionMode` accepts, besides `''` (which means aes-128-xts, as in the manual). */
export const ENCRYPTION_MODES = ['aes-128-xts', 'aes-256-xts', 'aes-128-gcm', 'aes-256-gcm'] as const;

/** An encryption mode, normalised (never `''`). */
export type EncryptionMode = (typeof ENCRYPTION_MODES)[number];

/** Normalises a mode: `''` → `'aes-128-xts'`; anything unknown → `undefined`. */
export function parseMode(mode: unknown): EncryptionMode | undefined {
  if (mode === '') return 'aes-128-xts';
  return (ENCRYPTION_MODES as readonly unknown[]).includes(mode) ? (mode as EncryptionMode) : undefined;
}

/** One byte per mode, carried in every frame's trailer so a receiver can tell "other mode" from "other key". */
export const MODE_IDS: Record<EncryptionMode, number> = {
  'aes-128-xts': 1,
  'aes-256-xts': 2,
  'aes-128-gcm': 3,
  'aes-256-gcm': 4,
};
