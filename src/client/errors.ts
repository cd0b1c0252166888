import { ErrorCode, type ErrorName } from '../protocol/codes.js';
import { log } from '../quality/log.js';

/**
 * The one error type the SDK reports: `code` is the manual's number, `name` its constant.
 *
 * @example
 * client.join(null, 'room 1', 0, undefined, (err) => {
 *   if (err.code === AgoraRTC.ErrorCode.ERR_INVALID_CHANNEL_NAME) alert(err.message);
 * });
 */
export class AgoraError extends Error {
  /** The manual's error code, e.g. 102. */
  readonly code: number;
  /** The manual's constant, e.g. "ERR_INVALID_CHANNEL_NAME". */
  override readonly name: ErrorName;

  constructor(name: ErrorName, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = name;
    this.code = ErrorCode[name];
  }

  override toString(): string {
    return `${this.name} (${this.code}): ${this.message}`;
  }
}

/** Turn anything thrown into an AgoraError, keeping the original as `cause`. */
export function toAgoraError(e: unknown, fallback: ErrorName = 'ERR_FAILED'): AgoraError {
  if (e instanceof AgoraError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new AgoraError(fallback, message, { cause: e });
}

/**
 * The manual's methods take callbacks; modern code awaits. Every method returns the Promise; when callbacks are
 * given the result also goes to them, and a failure no callback asked for is logged rather than lost (the
 * Promise counts as handled, so no "unhandled rejection" either).
 */
export function settle<T>(
  work: Promise<T>,
  onSuccess?: ((value: T) => void) | null,
  onFailure?: ((err: AgoraError) => void) | null,
): Promise<T> {
  const p = work.catch((e: unknown) => {
    throw toAgoraError(e);
  });
  if (onSuccess || onFailure) {
    p.then(
      (v) => safeCall(onSuccess, v),
      (e: AgoraError) => (onFailure ? safeCall(onFailure, e) : log.error(e.toString())),
    );
  }
  return p;
}

/** Call an app's callback; an exception in app code is reported, never breaks the SDK. */
export function safeCall<A>(fn: ((arg: A) => void) | null | undefined, arg: A): void {
  if (typeof fn !== 'function') return;
  try {
    fn(arg);
  } catch (e) {
    log.error('an app callback threw:', e);
  }
}

/** Misuse of the API (a wrong argument type) fails synchronously, as a programming error. */
export function assertType(ok: boolean, message: string): void {
  if (!ok) throw new TypeError(message);
}

export function isOptionalFn(v: unknown): boolean {
  return v === undefined || v === null || typeof v === 'function';
}
