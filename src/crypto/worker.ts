// The encoded-transform worker, bundled on its own as dist/sdk/agora-rtc-worker.js (classic script, IIFE).
// Frames reach it two ways: `rtctransform` events (RTCRtpScriptTransform, the standard path) and streams posted by
// the page (createEncodedStreams, the legacy Chromium path). Both end in the same `pipe()`.
//
// Fail closed: with no keys, every frame is dropped, in both directions; plaintext is never sent.
import { createFrameCipher, createFrameContext, encryptFrame, openFrame } from './frame.js';
import type { FrameCipher, FrameContext, MediaKind } from './frame.js';
import type {
  CryptErrorReason,
  FromWorker,
  ToWorker,
  TransformOptions,
  TransformSide,
  TransformStats,
} from './worker-protocol.js';

/** The worker-side transformer of RTCRtpScriptTransform (lib.webworker's type, which this DOM build lacks). */
interface ScriptTransformer {
  readonly readable: ReadableStream;
  readonly writable: WritableStream;
  readonly options: unknown;
  generateKeyFrame?: () => Promise<unknown>;
  sendKeyFrameRequest?: () => Promise<unknown>;
}
interface EncodedFrame {
  data: ArrayBuffer;
  readonly type?: 'key' | 'delta' | 'empty';
  getMetadata?: () => { mimeType?: string };
}
interface WorkerScope {
  postMessage(message: FromWorker): void;
  addEventListener(type: 'message', fn: (e: MessageEvent<ToWorker>) => void): void;
  addEventListener(type: 'rtctransform', fn: (e: Event & { transformer: ScriptTransformer }) => void): void;
}
const scope = globalThis as unknown as WorkerScope;

/** Error reports: at most one per second per uid and direction, carrying how many frames were dropped. */
const REPORT_INTERVAL_MS = 1000;
const SAMPLE_BYTES = 64;

let cipher: FrameCipher | null = null;
let epoch = 0;
const stats: Record<string, TransformStats> = {};
const reports = new Map<string, { last: number; pending: number }>();
const sampling = new Map<string, number>();
const senders = new Set<ScriptTransformer>();

function report(uid: number | string, direction: TransformSide, reason: CryptErrorReason): void {
  const key = `${direction}:${uid}`;
  let r = reports.get(key);
  if (!r) reports.set(key, (r = { last: -Infinity, pending: 0 }));
  r.pending++;
  const now = Date.now();
  if (now - r.last < REPORT_INTERVAL_MS) return;
  scope.postMessage({ type: 'crypt-error', uid, direction, reason, count: r.pending });
  r.last = now;
  r.pending = 0;
}

function parseOptions(o: unknown): TransformOptions | undefined {
  if (typeof o !== 'object' || o === null) return undefined;
  const { side, kind, uid } = o as Record<string, unknown>;
  if (side !== 'send' && side !== 'recv') return undefined;
  if (kind !== 'audio' && kind !== 'video') return undefined;
  return {
    side,
    kind: kind as MediaKind,
    uid: typeof uid === 'number' || typeof uid === 'string' ? uid : '',
  };
}

function pipe(
  readable: ReadableStream,
  writable: WritableStream,
  o: TransformOptions,
  t?: ScriptTransformer,
): void {
  const { side, kind, uid } = o;
  const stat: TransformStats = (stats[`${side}:${kind}:${uid}`] ??= { frames: 0, dropped: 0 });
  let ctx: FrameContext | null = null;
  let ctxEpoch = -1;
  // After drops, the decoder needs a key frame to start again: ask for one on the first frame that verifies.
  let recovering = false;
  if (t && side === 'send') senders.add(t);

  const transform = async (frame: EncodedFrame): Promise<EncodedFrame | undefined> => {
    stat.frames++;
    const data = new Uint8Array(frame.data);
    // Nothing to protect in an empty frame; passing it keeps the RTP pipeline's bookkeeping intact.
    if (data.length === 0) return frame;
    if (!cipher) {
      stat.dropped++;
      if (side === 'recv') report(uid, side, 'no-key');
      return;
    }
    if (ctxEpoch !== epoch || !ctx) {
      ctx = createFrameContext(cipher);
      ctxEpoch = epoch;
    }
    if (side === 'send') {
      let wire: Uint8Array;
      try {
        const keyFrame = frame.type === 'key';
        wire = await encryptFrame(ctx, kind, frame.getMetadata?.().mimeType, keyFrame, data);
        const left = sampling.get(String(uid)) ?? 0;
        if (left > 0) {
          sampling.set(String(uid), left - 1);
          scope.postMessage({
            type: 'sample',
            uid,
            kind,
            plain: data.slice(0, SAMPLE_BYTES),
            wire: wire.slice(0, SAMPLE_BYTES),
            plainLength: data.length,
            wireLength: wire.length,
            keyFrame,
          });
        }
      } catch {
        stat.dropped++;
        report(uid, side, 'encrypt-failed');
        return;
      }
      frame.data = wire.buffer as ArrayBuffer;
      return frame;
    }
    const r = await openFrame(ctx, data);
    if (!r.ok) {
      stat.dropped++;
      recovering = true;
      report(uid, side, r.reason);
      return;
    }
    if (recovering && kind === 'video') {
      recovering = false;
      t?.sendKeyFrameRequest?.().catch(() => undefined);
    }
    frame.data = r.data.buffer as ArrayBuffer;
    return frame;
  };

  // A read/transform/write loop rather than pipeThrough(new TransformStream()): one frame costs two stream
  // operations instead of four queue hops, and frames arrive 15-60 ms apart, so there is nothing to overlap.
  const reader = readable.getReader() as ReadableStreamDefaultReader<EncodedFrame>;
  const writer = writable.getWriter() as WritableStreamDefaultWriter<EncodedFrame>;
  const closed = () => undefined; // the connection closed: its streams error, nothing to do
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      const out = await transform(value);
      if (out) writer.write(out).catch(closed);
    }
  })()
    .catch(closed)
    .finally(() => t && senders.delete(t));
}

scope.addEventListener('rtctransform', (e) => {
  const t = e.transformer;
  const o = parseOptions(t.options);
  if (!o) {
    // Unknown options: never let frames through untransformed.
    t.readable.cancel().catch(() => undefined);
    return;
  }
  pipe(t.readable, t.writable, o, t);
});

scope.addEventListener('message', (e) => {
  const m = e.data;
  if (m.type === 'keys') {
    const next = m.keys ? createFrameCipher(m.keys) : Promise.resolve(null);
    next.then(
      (c) => {
        if (m.epoch < epoch) return;
        cipher = c;
        epoch = m.epoch;
        scope.postMessage({ type: 'keys-set', epoch: m.epoch });
        // New keys: receivers can only decode from a key frame on, so senders start with one.
        for (const t of senders) t.generateKeyFrame?.().catch(() => undefined);
      },
      (err: unknown) => scope.postMessage({ type: 'keys-set', epoch: m.epoch, error: String(err) }),
    );
  } else if (m.type === 'attach') {
    const o = parseOptions(m);
    if (o) pipe(m.readable, m.writable, o);
    else m.readable.cancel().catch(() => undefined);
  } else if (m.type === 'sample') {
    sampling.set(String(m.uid), m.count);
  } else if (m.type === 'stats') {
    scope.postMessage({ type: 'stats', stats });
  }
});
