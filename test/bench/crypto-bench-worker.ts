// Runs inside a Chromium dedicated worker (bundled by crypto.bench.ts): per-frame cost of our frame encryption
// (XTS + HMAC, and GCM) against WebCrypto AES-CTR over the same bytes, in the same worker, interleaved.
import { deriveFrameKeys, type EncryptionMode } from '../../src/crypto/keys.js';
import { createFrameCipher, createFrameContext, encryptFrame, openFrame } from '../../src/crypto/frame.js';

interface Result {
  size: number;
  /** Median per-frame microseconds over the batches. */
  us: Record<string, number>;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
};

async function run(sizes: number[], batches: number): Promise<Result[]> {
  const modes: EncryptionMode[] = ['aes-128-xts', 'aes-256-xts', 'aes-128-gcm'];
  const ctxs = new Map<string, ReturnType<typeof createFrameContext>>();
  for (const m of modes)
    ctxs.set(m, createFrameContext(await createFrameCipher(await deriveFrameKeys('bench', m))));
  const ctrKey = await crypto.subtle.generateKey({ name: 'AES-CTR', length: 128 }, false, [
    'encrypt',
    'decrypt',
  ]);
  const counter = new Uint8Array(16);
  const out: Result[] = [];
  for (const size of sizes) {
    const payload = crypto.getRandomValues(new Uint8Array(size));
    const wire = await encryptFrame(ctxs.get('aes-128-xts')!, 'video', 'video/VP8', false, payload);
    // ~2 MB per batch: far above the 100 µs timer granularity of a non-isolated page.
    const perBatch = Math.max(20, Math.round(2_000_000 / size));
    const jobs: Record<string, () => Promise<unknown>> = {
      'xts128-enc': () => encryptFrame(ctxs.get('aes-128-xts')!, 'video', 'video/VP8', false, payload),
      'xts128-dec': () => openFrame(ctxs.get('aes-128-xts')!, wire),
      'xts256-enc': () => encryptFrame(ctxs.get('aes-256-xts')!, 'video', 'video/VP8', false, payload),
      'gcm128-enc': () => encryptFrame(ctxs.get('aes-128-gcm')!, 'video', 'video/VP8', false, payload),
      'ctr128-enc': () => crypto.subtle.encrypt({ name: 'AES-CTR', counter, length: 64 }, ctrKey, payload),
    };
    const samples: Record<string, number[]> = {};
    for (const k of Object.keys(jobs)) samples[k] = [];
    // Warm-up (JIT), then interleave the jobs batch by batch so machine noise hits them alike.
    for (const job of Object.values(jobs)) for (let i = 0; i < perBatch; i++) await job();
    for (let b = 0; b < batches; b++) {
      for (const [k, job] of Object.entries(jobs)) {
        const t0 = performance.now();
        for (let i = 0; i < perBatch; i++) await job();
        samples[k]!.push(((performance.now() - t0) * 1000) / perBatch);
      }
    }
    const us: Record<string, number> = {};
    for (const [k, xs] of Object.entries(samples)) us[k] = median(xs);
    out.push({ size, us });
  }
  return out;
}

self.onmessage = (e: MessageEvent<{ sizes: number[]; batches: number }>) => {
  run(e.data.sizes, e.data.batches).then(
    (r) => self.postMessage({ ok: true, r }),
    (err: unknown) => self.postMessage({ ok: false, err: String(err) }),
  );
};
