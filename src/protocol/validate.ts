/**
 * The manual's input rules, shared by the SDK (to fail fast with a clear message) and the server (which never
 * trusts a client). Each check returns null when the value is good, otherwise a sentence a person can act on.
 */

/** App IDs are 32 hexadecimal characters. */
export function checkAppId(appId: unknown): string | null {
  if (typeof appId !== 'string') return 'App ID must be a string of 32 hexadecimal characters.';
  if (!/^[0-9a-fA-F]{32}$/.test(appId)) {
    return `App ID must be 32 hexadecimal characters; got ${appId.length} characters${
      /^[0-9a-fA-F]*$/.test(appId) ? '' : ' including non-hex ones'
    }.`;
  }
  return null;
}

/**
 * The manual's 89 channel-name characters: a–z A–Z 0–9, space and ! # $ % & ( ) + , - : ; < = . > ? @ [ ] ^ _ ` { } ~
 * (the manual's scan shows "::" where ":;" is meant).
 */
const CHANNEL_CHARS = /^[a-zA-Z0-9 !#$%&()+,\-:;<=.>?@[\]^_`{}~]+$/;
const MAX_CHANNEL_BYTES = 64;

export function checkChannelName(name: unknown): string | null {
  if (typeof name !== 'string') return 'Channel name must be a string.';
  if (name.length === 0) return 'Channel name must not be empty.';
  // Every allowed character is one UTF-8 byte, so once the characters pass, length in bytes = name.length.
  const bad = [...name].find((ch) => !CHANNEL_CHARS.test(ch));
  if (bad !== undefined) {
    return `Channel name contains ${JSON.stringify(bad)}, which is not allowed: use only a-z A-Z 0-9, space and ! # $ % & ( ) + , - : ; < = . > ? @ [ ] ^ _ \` { } ~.`;
  }
  if (name.length > MAX_CHANNEL_BYTES) {
    return `Channel name is ${name.length} bytes; the limit is ${MAX_CHANNEL_BYTES}.`;
  }
  return null;
}

export const MAX_UID = 0xffffffff;

/** uid: an unsigned 32-bit integer; 0 asks the server to assign one. */
export function checkUid(uid: unknown): string | null {
  if (typeof uid !== 'number' || !Number.isInteger(uid) || uid < 0 || uid > MAX_UID) {
    return `uid must be an integer from 0 to 4294967295 (0 lets the server assign one); got ${String(uid)}.`;
  }
  return null;
}

/** Longest display name, in characters (code points). */
export const MAX_DISPLAY_NAME_CHARS = 64;

/**
 * A display name: a string of at most 64 characters with no control characters ('' = none). It is text, never
 * markup: whoever shows it must insert it as text.
 */
export function checkDisplayName(name: unknown): string | null {
  if (typeof name !== 'string') return 'Display name must be a string.';
  const n = [...name].length;
  if (n > MAX_DISPLAY_NAME_CHARS)
    return `Display name is ${n} characters; the limit is ${MAX_DISPLAY_NAME_CHARS}.`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'Display name must not contain control characters.';
  return null;
}
