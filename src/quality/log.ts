// The SDK's log: printed to the console from the level set with AgoraRTC.setLogLevel, and kept in a ring buffer
// in IndexedDB (via idb) so that AgoraRTC.exportLog() can attach the recent past to a complaint, across reloads.
// Secrets never reach either: values registered with registerSecret, Channel/Recording Keys by their shape, and
// object fields named like secrets are replaced before a line is formatted.
import { openDB, type IDBPDatabase } from 'idb';

export const LogLevel = { DEBUG: 0, INFO: 1, WARNING: 2, ERROR: 3, NONE: 4 } as const;
export type LogLevelName = keyof typeof LogLevel;
type Level = (typeof LogLevel)[LogLevelName];

const NAMES = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'NONE'] as const;
/** Entries kept in IndexedDB; older ones are dropped. */
export const LOG_CAPACITY = 2000;
const DB_NAME = 'agora-rtc-log';
const STORE = 'entries';
const FLUSH_MS = 1000;
const REDACTED = '‹redacted›';
/** A Channel Key or Recording Key (version 004): 3 + 40 + 32 + 10 + 8 + 10 characters, all hex digits. */
const KEY_SHAPE = /\b00\d[0-9a-fA-F]{100}\b/g;
const SECRET_FIELD = /key|secret|password|credential|token|passphrase/i;

interface Entry {
  t: number;
  level: Level;
  text: string;
}

let level: Level = LogLevel.WARNING;
const secrets = new Set<string>();
let pending: Entry[] = [];
let flushTimer: ReturnType<typeof setTimeout> | undefined;
let db: Promise<IDBPDatabase | null> | undefined;
/** Where entries go when IndexedDB is unavailable (private mode, Node). */
let memory: Entry[] = [];

/** Console output from this level up (default WARNING); NONE also stops recording. */
export function setLogLevel(name: LogLevelName): void {
  level = LogLevel[name];
}

export function logLevel(): LogLevelName {
  return NAMES[level];
}

/** A value that must never appear in the log (Channel Key, encryption secret, TURN password). */
export function registerSecret(value: string | null | undefined): void {
  if (typeof value === 'string' && value.length > 0) secrets.add(value);
}

export function redact(text: string): string {
  let out = text.replace(KEY_SHAPE, REDACTED);
  // Longest first, so a secret containing another is replaced whole.
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join(REDACTED);
  return out;
}

function format(part: unknown): string {
  if (typeof part === 'string') return part;
  if (part instanceof Error) return `${part.name}: ${part.message}`;
  try {
    return JSON.stringify(part, (k, v: unknown) =>
      k && SECRET_FIELD.test(k) && v !== null && v !== '' ? REDACTED : v,
    );
  } catch {
    return String(part);
  }
}

function write(l: Level, parts: unknown[]): void {
  if (level === LogLevel.NONE) return;
  // The buffer keeps INFO and up whatever the console shows (DEBUG only when asked for): a complaint's log
  // should say what happened even when the console was quiet.
  if (l < Math.min(level, LogLevel.INFO)) return;
  const text = redact(parts.map(format).join(' '));
  if (l >= level) {
    const line = `[agora-rtc] ${text}`;
    if (l === LogLevel.ERROR) console.error(line);
    else if (l === LogLevel.WARNING) console.warn(line);
    else if (l === LogLevel.INFO) console.info(line);
    else console.debug(line);
  }
  pending.push({ t: Date.now(), level: l, text });
  flushTimer ??= setTimeout(() => void flush(), FLUSH_MS);
}

/** The SDK's logger. */
export const log = {
  debug: (...parts: unknown[]) => write(LogLevel.DEBUG, parts),
  info: (...parts: unknown[]) => write(LogLevel.INFO, parts),
  warn: (...parts: unknown[]) => write(LogLevel.WARNING, parts),
  error: (...parts: unknown[]) => write(LogLevel.ERROR, parts),
};

function open(): Promise<IDBPDatabase | null> {
  db ??= (
    typeof indexedDB === 'undefined'
      ? Promise.resolve(null)
      : openDB(DB_NAME, 1, { upgrade: (d) => void d.createObjectStore(STORE, { autoIncrement: true }) })
  ).catch(() => null); // private mode or a blocked database: the log still prints
  return db;
}

/** Write what is pending to IndexedDB and drop what is beyond the capacity. */
async function flush(): Promise<void> {
  clearTimeout(flushTimer);
  flushTimer = undefined;
  const batch = pending;
  pending = [];
  const d = await open();
  if (!d) {
    memory = [...memory, ...batch].slice(-LOG_CAPACITY);
    return;
  }
  if (batch.length === 0) return;
  try {
    const tx = d.transaction(STORE, 'readwrite');
    for (const e of batch) void tx.store.add(e);
    const keys = await tx.store.getAllKeys();
    if (keys.length > LOG_CAPACITY)
      await tx.store.delete(IDBKeyRange.upperBound(keys[keys.length - LOG_CAPACITY - 1]!));
    await tx.done;
  } catch {
    // Quota or a closed database: these lines are lost from the buffer, never from the console.
  }
}

if (typeof addEventListener === 'function') addEventListener('pagehide', () => void flush());

/** The recent log, oldest first, one line per entry: ISO time, level, text. */
export async function exportLog(): Promise<string> {
  await flush();
  const d = await open();
  const entries: Entry[] = d ? ((await d.getAll(STORE).catch(() => [])) as Entry[]) : memory;
  return entries.map((e) => `${new Date(e.t).toISOString()} ${NAMES[e.level]} ${e.text}`).join('\n');
}
