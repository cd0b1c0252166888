// client.rate / client.complain: checked here, sent to the server over the signaling link with the call's
// identifiers and its last statistics; a complaint also carries the tail of the exported log.
import { AgoraError, assertType } from '../client/errors.js';
import type { FeedbackRequest } from '../protocol/messages.js';
import { exportLog } from './log.js';
import type { CallStats } from './stats.js';

export const MAX_DESCRIPTION_CHARS = 4096;
/** How much of the log a complaint carries (the server keeps at most this much). */
const COMPLAINT_LOG_CHARS = 32_768;

/** The call a rating or complaint is about: set at each join, kept after leave so the app can ask afterwards. */
export interface CallInfo {
  callId: string;
  channel: string;
  uid: number;
  /** The last statistics taken during the call, or null. */
  stats: CallStats | null;
}

export function newCallId(): string {
  return crypto.randomUUID();
}

/** A feedback message as the Client sends it (the link adds the request id). */
export type FeedbackRequestBody = Omit<FeedbackRequest, 'id'>;
type Body = FeedbackRequestBody;

/** rate's argument types (TypeError, synchronously). */
export function checkRateArgs(callId: unknown, score: unknown, description: unknown): void {
  assertType(
    typeof callId === 'string',
    'rate(callId, score, description?) takes the callId from client.getCallId().',
  );
  assertType(typeof score === 'number', 'rate(callId, score, …): score must be a number from 1 to 5.');
  assertType(
    description === undefined || description === null || typeof description === 'string',
    'rate(…, description?) takes a string.',
  );
}

/** complain's argument types (TypeError, synchronously). */
export function checkComplaintArgs(callId: unknown, description: unknown): void {
  assertType(
    typeof callId === 'string',
    'complain(callId, description) takes the callId from client.getCallId().',
  );
  assertType(typeof description === 'string', 'complain(callId, description): description must be a string.');
}

/** A rating's message; bad values fail with ERR_INVALID_ARGUMENT. */
export function ratingBody(call: CallInfo | null, callId: string, score: number, description: string): Body {
  return { ...common(call, callId, description), kind: 'rating', score: checkScore(score) };
}

/** A complaint's message, with the tail of the log. */
export async function complaintBody(
  call: CallInfo | null,
  callId: string,
  description: string,
): Promise<Body> {
  const body: Body = { ...common(call, callId, description), kind: 'complaint' };
  const log = await exportLog();
  return { ...body, log: log.slice(-COMPLAINT_LOG_CHARS) };
}

function checkScore(score: number): number {
  if (!Number.isInteger(score) || score < 1 || score > 5)
    throw new AgoraError(
      'ERR_INVALID_ARGUMENT',
      `score must be an integer from 1 (worst) to 5 (best); got ${score}.`,
    );
  return score;
}

function common(call: CallInfo | null, callId: string, description: string): Omit<Body, 'kind'> {
  if (!call || call.callId !== callId) {
    throw new AgoraError(
      'ERR_INVALID_ARGUMENT',
      call
        ? `Unknown callId ${JSON.stringify(callId)}: use client.getCallId() of this client's last call.`
        : 'No call to rate yet: join a channel first, then use client.getCallId().',
    );
  }
  if (description.length > MAX_DESCRIPTION_CHARS)
    throw new AgoraError(
      'ERR_INVALID_ARGUMENT',
      `description is ${description.length} characters; the limit is ${MAX_DESCRIPTION_CHARS}.`,
    );
  return { t: 'feedback', callId, channel: call.channel, uid: call.uid, description, stats: call.stats };
}
