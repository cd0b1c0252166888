// Call-quality ratings and complaints (client.rate / client.complain): validated, then appended as JSON lines to
// a file that rotates at a size cap (feedback.jsonl → feedback.jsonl.1 → … → dropped), and listed for the operator
// at GET /api/feedback with `Authorization: Bearer <FEEDBACK_TOKEN>` (no token configured: no endpoint).
import { appendFile, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import { timingSafeEqual, createHash } from 'node:crypto';
import { checkChannelName, checkUid } from '../src/protocol/validate.js';
import type { Route } from './http.js';
import type { FeedbackRequest } from '../src/protocol/messages.js';

export interface FeedbackOptions {
  /** The JSON-lines file; default `feedback/feedback.jsonl` under the working directory. */
  path?: string;
  /** Size at which the file rotates; default 10 MB. */
  maxBytes?: number;
  /** Rotated files kept besides the current one; default 3. */
  keep?: number;
}

/** What is stored: the client's feedback message, stamped with the time and the sender's app. */
export type FeedbackRecord = Omit<FeedbackRequest, 't' | 'id'> & {
  /** When the server received it (ISO 8601). */
  at: string;
  appId: string;
};

export const MAX_DESCRIPTION_CHARS = 4096;
export const MAX_STATS_CHARS = 16_384;
export const MAX_LOG_CHARS = 32_768;
const MAX_CALL_ID_CHARS = 128;

type Msg = Record<string, unknown>;
const own = (m: Msg, k: string): unknown => (Object.hasOwn(m, k) ? m[k] : undefined);

/** Checks a `feedback` message from a client; returns the record's fields or what is wrong. */
export function parseFeedback(m: Msg): Omit<FeedbackRecord, 'at' | 'appId'> | string {
  const kind = own(m, 'kind');
  if (kind !== 'rating' && kind !== 'complaint') return '"kind" must be "rating" or "complaint".';
  const callId = own(m, 'callId');
  if (typeof callId !== 'string' || callId.length === 0 || callId.length > MAX_CALL_ID_CHARS)
    return '"callId" must be the string client.getCallId() returned.';
  const channel = own(m, 'channel');
  const badChannel = checkChannelName(channel);
  if (badChannel) return badChannel;
  const uid = own(m, 'uid');
  const badUid = checkUid(uid);
  if (badUid) return badUid;
  const description = own(m, 'description');
  if (typeof description !== 'string' || description.length > MAX_DESCRIPTION_CHARS)
    return `"description" must be a string of at most ${MAX_DESCRIPTION_CHARS} characters.`;
  const rec: Omit<FeedbackRecord, 'at' | 'appId'> = {
    kind,
    callId,
    channel: channel as string,
    uid: uid as number,
    description,
    stats: null,
  };
  if (kind === 'rating') {
    const score = own(m, 'score');
    if (typeof score !== 'number' || !Number.isInteger(score) || score < 1 || score > 5)
      return '"score" must be an integer from 1 to 5.';
    rec.score = score;
  }
  const stats = own(m, 'stats');
  const statsText = stats === undefined ? 'null' : JSON.stringify(stats);
  // Oversized stats are dropped rather than refusing the user's feedback.
  rec.stats = statsText.length <= MAX_STATS_CHARS ? (JSON.parse(statsText) as unknown) : null;
  const logText = own(m, 'log');
  if (kind === 'complaint' && typeof logText === 'string') rec.log = logText.slice(-MAX_LOG_CHARS);
  return rec;
}

/** Append-only JSON lines with size-capped rotation; appends are serialized so lines never interleave. */
export class FeedbackStore {
  readonly path: string;
  private readonly maxBytes: number;
  private readonly keep: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(opts: FeedbackOptions = {}) {
    this.path = opts.path ?? 'feedback/feedback.jsonl';
    this.maxBytes = opts.maxBytes ?? 10 * 1024 * 1024;
    this.keep = opts.keep ?? 3;
  }

  append(rec: FeedbackRecord): Promise<void> {
    const line = JSON.stringify(rec) + '\n';
    const run = this.queue.then(() => this.write(line));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async write(line: string): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const size = await stat(this.path).then(
      (s) => s.size,
      () => 0,
    );
    if (size > 0 && size + Buffer.byteLength(line) > this.maxBytes) await this.rotate();
    await appendFile(this.path, line, { mode: 0o600 });
  }

  private async rotate(): Promise<void> {
    await rm(`${this.path}.${this.keep}`, { force: true });
    for (let i = this.keep - 1; i >= 1; i--) {
      await rename(`${this.path}.${i}`, `${this.path}.${i + 1}`).catch(() => undefined);
    }
    if (this.keep > 0) await rename(this.path, `${this.path}.1`);
    else await rm(this.path, { force: true });
  }

  /** Everything kept, oldest first. */
  async list(): Promise<FeedbackRecord[]> {
    await this.queue;
    const files = [
      ...Array.from({ length: this.keep }, (_, i) => `${this.path}.${this.keep - i}`),
      this.path,
    ];
    const out: FeedbackRecord[] = [];
    for (const f of files) {
      const text = await readFile(f, 'utf8').catch(() => '');
      for (const line of text.split('\n')) {
        if (!line) continue;
        try {
          out.push(JSON.parse(line) as FeedbackRecord);
        } catch {
          // A line cut short by a crash is skipped.
        }
      }
    }
    return out;
  }
}

function sameToken(given: string, expected: string): boolean {
  // Hashing first makes the comparison constant-time whatever the lengths.
  const h = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(given), h(expected));
}

/** GET /api/feedback for the operator; undefined (no endpoint) without a token. */
export function feedbackRoute(store: FeedbackStore, token: string | undefined): Route | undefined {
  if (!token) return undefined;
  return {
    method: 'GET',
    path: '/api/feedback',
    async handle(req: IncomingMessage, res: ServerResponse) {
      const auth = req.headers.authorization ?? '';
      const given = auth.startsWith('Bearer ') ? auth.slice(7) : '';
      if (!sameToken(given, token)) {
        res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' });
        res.end(
          JSON.stringify({ error: 'An operator token is required: Authorization: Bearer <FEEDBACK_TOKEN>.' }),
        );
        return;
      }
      const entries = await store.list();
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ entries }));
    },
  };
}
