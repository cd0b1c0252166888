// Channel Key verification throughput on one core, against Node's bare HMAC-SHA1 over the same message measured in
// the same run (issue 3: ratio ≥ 0.8). Verification = layout check + App ID + HMAC + constant-time compare + window
// and expiry checks, so the HMAC is the floor; the ratio shows what the rest costs.
import { createHmac } from 'node:crypto';
import { createRegistry, registryPolicy } from '../../server/app-registry.js';
import { generateMediaChannelKey, verifyChannelKey } from '../../server/channel-key.js';
import type { BenchRow } from './run.js';

const APP = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const CERT = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const CHANNEL = 'benchmark room';
const UID = 123456789;
const T0 = 1_700_000_000;
const NOW = T0 + 60;

const ROUNDS = 9;
const ITERATIONS = 40_000;

/** Operations per second of `fn` over ITERATIONS calls. */
function opsPerSecond(fn: () => unknown): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) fn();
  const ns = Number(process.hrtime.bigint() - start);
  return (ITERATIONS * 1e9) / ns;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

const fmt = (opsPerSec: number) => `${Math.round(opsPerSec).toLocaleString('en-US')} /s`;

export default async function channelKeyBench(): Promise<BenchRow[]> {
  const key = generateMediaChannelKey(APP, CERT, CHANNEL, T0, 0x5eed, UID, T0 + 3600);
  // Exactly the message the key's signature covers.
  const message = `ACS${APP}${T0}00005eed${CHANNEL}0${UID}${T0 + 3600}`;
  if (createHmac('sha1', CERT).update(message).digest('hex') !== key.slice(3, 43)) {
    throw new Error('benchmark message does not match the key layout');
  }
  const policy = registryPolicy(createRegistry({ apps: [{ appId: APP, certificate: CERT }] }, 'bench'));
  const check = { appId: APP, channel: CHANNEL, uid: UID, key, now: NOW };
  const options = { key, appId: APP, appCertificate: CERT, channelName: CHANNEL, uid: UID, now: NOW };

  let sink = 0;
  const cases = {
    bare: () => {
      sink ^= createHmac('sha1', CERT).update(message).digest()[0] ?? 0;
    },
    verify: () => {
      if (!verifyChannelKey(options).ok) throw new Error('verification failed');
    },
    policy: () => {
      if ('code' in policy.checkJoin(check)) throw new Error('policy refused');
    },
  } as const;
  const results: Record<keyof typeof cases, number[]> = { bare: [], verify: [], policy: [] };

  // Warm up, then interleave the cases round by round (rotating their order) so drift on a noisy machine hits all.
  for (const fn of Object.values(cases)) opsPerSecond(fn);
  const names = Object.keys(cases) as (keyof typeof cases)[];
  for (let round = 0; round < ROUNDS; round++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(round + j) % names.length] as keyof typeof cases;
      results[name].push(opsPerSecond(cases[name]));
    }
    await new Promise((r) => setImmediate(r));
  }
  if (sink === -1) console.log(sink);

  const bare = median(results.bare);
  const row = (name: string, value: number): BenchRow => ({
    name,
    value: fmt(value),
    baseline: `${fmt(bare)} bare createHmac('sha1')`,
    ratio: `${(value / bare).toFixed(2)}×`,
    target: '≥ 0.8×',
  });
  return [
    row(
      `verifyChannelKey, certificate text (median of ${ROUNDS}×${ITERATIONS}, one core)`,
      median(results.verify),
    ),
    row(
      `registryPolicy.checkJoin, certificate as KeyObject (median of ${ROUNDS}×${ITERATIONS})`,
      median(results.policy),
    ),
  ];
}
