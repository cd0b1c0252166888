// Page side of media encryption: one worker per client, and the calls src/transport makes for every RTCRtpSender and
// RTCRtpReceiver of every link. Chromium 156 supports both encoded-transform APIs; RTCRtpScriptTransform is used
// whenever it exists (standard, no RTCPeerConnection option, survives replaceTrack), createEncodedStreams only
// where it is the sole API (older Chromium). docs/encryption.md has the measurements behind this.
import { assetUrl } from '../client/assets.js';
import { deriveFrameKeys, parseMode, type EncryptionMode } from './keys.js';
import type { MediaKind } from './frame.js';
import type {
  CryptErrorEvent,
  FrameSample,
  FromWorker,
  ToWorker,
  TransformSide,
  TransformStats,
} from './worker-protocol.js';

export type { CryptErrorEvent, CryptErrorReason, FrameSample } from './worker-protocol.js';

/** Which encoded-transform API this browser offers: the standard one, Chromium's legacy one, or none. */
export type FrameCryptoPath = 'script-transform' | 'encoded-streams' | 'none';

/** Media encryption for one client; see {@link createFrameCrypto}. */
export interface FrameCrypto {
  /**
   * Derives keys from the secret and mode (PBKDF2, tens of ms) and hands them to the worker; resolves once the
   * worker uses them. An empty secret removes the keys: attached transforms then drop every frame (fail closed).
   * @throws TypeError for an unknown mode
   */
  setSecret(secret: string, mode?: EncryptionMode | ''): Promise<void>;
  /**
   * Encrypts everything this sender sends, now and after `replaceTrack`. Call it right after `addTrack` /
   * `addTransceiver`, before negotiation. Idempotent per sender.
   * @throws Error when the browser cannot transform frames ({@link FrameCrypto.supported} is false)
   */
  attachSender(sender: RTCRtpSender, kind: MediaKind, uid: number | string): void;
  /**
   * Decrypts what this receiver gets, dropping frames that do not verify. Attach receivers as early as possible:
   * via {@link FrameCrypto.attachTransceiver} right after `addTrack`, and here, synchronously in `ontrack`, for
   * transceivers the remote offer created (calling both is fine: idempotent per receiver).
   * @throws Error when the browser cannot transform frames
   */
  attachReceiver(receiver: RTCRtpReceiver, kind: MediaKind, uid: number | string): void;
  /**
   * Both ends of a transceiver: its sender (encrypt) and its receiver (decrypt). The way to attach in Chromium:
   * call it right after `addTrack`/`addTransceiver`, before negotiation. A receiver of a transceiver that already
   * existed when the remote description was applied and that gets its transform only in `ontrack` is silently
   * bypassed by Chromium 156's RTCRtpScriptTransform (see docs/encryption.md); attaching early avoids that.
   */
  attachTransceiver(transceiver: RTCRtpTransceiver, kind: MediaKind, uid: number | string): void;
  /** Subscribes to decryption failures (throttled per uid and direction). Returns the unsubscribe function. */
  onCryptError(cb: (e: CryptErrorEvent) => void): () => void;
  /** True when this browser can run the transforms; when false, a secret must make join fail (never send clear). */
  supported(): boolean;
  /** The API in use. */
  readonly path: FrameCryptoPath;
  /**
   * True on the legacy path: RTCPeerConnections must then be created with `{encodedInsertableStreams: true}`
   * (Chromium 156 no longer needs it, older versions do, and it is harmless).
   */
  needsEncodedInsertableStreams(): boolean;
  /** Diagnostics and tests: resolves with the next `count` frames sent to `uid`, before and after encryption. */
  sample(uid: number | string, count: number): Promise<FrameSample[]>;
  /** Diagnostics: frames seen and dropped per `side:kind:uid`. */
  stats(): Promise<Record<string, TransformStats>>;
  /** Terminates the worker; attached transforms stop passing frames (their connections should be closed too). */
  close(): void;
}

interface LegacyEndpoint {
  createEncodedStreams(): { readable: ReadableStream; writable: WritableStream };
}

/**
 * The worker beside this module. Written as the `new Worker(new URL('…', import.meta.url), { type: 'module' })`
 * pattern that Vite, webpack 5, Rollup and esbuild follow, so an app that re-bundles the SDK ships the worker
 * without configuration. `./worker.ts` is the source (what the Vite dev server serves); the build writes the name
 * of the shipped file, `./agora-rtc-worker.js` (scripts/build.mjs). A classic script has no import.meta: the
 * classic-script bundle finds the worker beside itself.
 */
function startWorker(): Worker {
  if (__AGORA_CLASSIC__) return new Worker(assetUrl('agora-rtc-worker.js'), { name: 'agora-rtc-crypto' });
  return new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'agora-rtc-crypto' });
}

/** Detects the encoded-transform API, without side effects. */
export function detectFrameCryptoPath(): FrameCryptoPath {
  const g = globalThis as Record<string, unknown>;
  if (typeof g.Worker !== 'function' || !globalThis.crypto?.subtle) return 'none';
  const sender = (g.RTCRtpSender as { prototype?: object } | undefined)?.prototype;
  if (typeof g.RTCRtpScriptTransform === 'function' && sender && 'transform' in sender)
    return 'script-transform';
  if (sender && typeof (sender as Partial<LegacyEndpoint>).createEncodedStreams === 'function')
    return 'encoded-streams';
  return 'none';
}

/**
 * Creates the media-encryption worker for one client.
 * @param workerUrl the worker bundle; by default `agora-rtc-worker.js` beside this module (or, in a re-bundled app,
 *   wherever the app's bundler put it)
 *
 * @example
 * const fc = createFrameCrypto();
 * if (!fc.supported()) throw new AgoraError(ERR_NOT_SUPPORTED, ...);
 * await fc.setSecret(secret, mode);
 * const pc = new RTCPeerConnection(fc.needsEncodedInsertableStreams() ? { encodedInsertableStreams: true } : {});
 * const sender = pc.addTrack(track, stream);
 * fc.attachTransceiver(pc.getTransceivers().find((t) => t.sender === sender)!, track.kind, remoteUid);
 * pc.ontrack = (e) => fc.attachReceiver(e.receiver, e.track.kind, remoteUid);
 * fc.onCryptError(({ uid, direction, reason }) => client.emit('crypt-error', ...));
 */
export function createFrameCrypto(workerUrl?: string | URL, path = detectFrameCryptoPath()): FrameCrypto {
  const worker =
    path === 'none'
      ? undefined
      : workerUrl
        ? new Worker(workerUrl, { name: 'agora-rtc-crypto' })
        : startWorker();
  const attached = new WeakSet<object>();
  const listeners = new Set<(e: CryptErrorEvent) => void>();
  const pendingKeys = new Map<number, { resolve(): void; reject(e: Error): void }>();
  const samplers = new Map<string, { want: number; got: FrameSample[]; done(s: FrameSample[]): void }>();
  const statsWaiters: ((s: Record<string, TransformStats>) => void)[] = [];
  let epoch = 0;
  let closed = false;

  const post = (m: ToWorker, transfer: Transferable[] = []) => worker!.postMessage(m, transfer);

  worker?.addEventListener('message', (e: MessageEvent<FromWorker>) => {
    const m = e.data;
    if (m.type === 'keys-set') {
      const p = pendingKeys.get(m.epoch);
      pendingKeys.delete(m.epoch);
      if (m.error) p?.reject(new Error(`encryption keys rejected by the worker: ${m.error}`));
      else p?.resolve();
    } else if (m.type === 'crypt-error') {
      const { type: _t, ...ev } = m;
      for (const cb of listeners) {
        try {
          cb(ev);
        } catch (err) {
          console.error('crypt-error listener threw', err);
        }
      }
    } else if (m.type === 'sample') {
      const s = samplers.get(String(m.uid));
      if (!s) return;
      const { type: _t, ...sample } = m;
      s.got.push(sample);
      if (s.got.length >= s.want) {
        samplers.delete(String(m.uid));
        s.done(s.got);
      }
    } else if (m.type === 'stats') {
      statsWaiters.splice(0).forEach((w) => w(m.stats));
    }
  });
  worker?.addEventListener('error', (e) => console.error('agora-rtc crypto worker failed:', e.message));

  const usable = (what: string) => {
    if (!worker)
      throw new Error(`${what}: this browser cannot transform encoded media frames (no encoded transforms)`);
    if (closed) throw new Error(`${what}: media encryption was closed`);
  };

  const attach = (
    endpoint: RTCRtpSender | RTCRtpReceiver,
    side: TransformSide,
    kind: MediaKind,
    uid: number | string,
  ) => {
    usable(side === 'send' ? 'attachSender' : 'attachReceiver');
    if (kind !== 'audio' && kind !== 'video') throw new TypeError(`kind must be 'audio' or 'video'`);
    if (attached.has(endpoint)) return;
    if (path === 'script-transform') {
      endpoint.transform = new RTCRtpScriptTransform(worker!, { side, kind, uid });
    } else {
      const { readable, writable } = (endpoint as unknown as LegacyEndpoint).createEncodedStreams();
      post({ type: 'attach', readable, writable, side, kind, uid }, [
        readable as unknown as Transferable,
        writable as unknown as Transferable,
      ]);
    }
    attached.add(endpoint);
  };

  return {
    path,
    supported: () => path !== 'none' && !closed,
    needsEncodedInsertableStreams: () => path === 'encoded-streams',
    async setSecret(secret, mode = '') {
      usable('setSecret');
      if (!parseMode(mode)) throw new TypeError(`unknown encryption mode: ${JSON.stringify(mode)}`);
      const keys = secret ? await deriveFrameKeys(secret, mode) : null;
      const e = ++epoch;
      const done = new Promise<void>((resolve, reject) => pendingKeys.set(e, { resolve, reject }));
      post({ type: 'keys', keys, epoch: e });
      return done;
    },
    attachSender: (sender, kind, uid) => attach(sender, 'send', kind, uid),
    attachReceiver: (receiver, kind, uid) => attach(receiver, 'recv', kind, uid),
    attachTransceiver(transceiver, kind, uid) {
      attach(transceiver.sender, 'send', kind, uid);
      attach(transceiver.receiver, 'recv', kind, uid);
    },
    onCryptError(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    sample(uid, count) {
      usable('sample');
      return new Promise((done) => {
        samplers.set(String(uid), { want: count, got: [], done });
        post({ type: 'sample', uid, count });
      });
    },
    stats() {
      usable('stats');
      return new Promise((resolve) => {
        statsWaiters.push(resolve);
        post({ type: 'stats' });
      });
    },
    close() {
      if (closed) return;
      closed = true;
      worker?.terminate();
      for (const p of pendingKeys.values()) p.reject(new Error('media encryption closed'));
      pendingKeys.clear();
      listeners.clear();
    },
  };
}
