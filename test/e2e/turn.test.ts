// Media through TURN: a coturn the test starts (REST secret), the server handing out credentials, and
// iceTransportPolicy 'relay' on both pages. Then the same call with a server whose secret is wrong: no media, and the
// SDK says why.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunningServer } from '../../server/app.js';
import { startCoturn, type Coturn } from './coturn.js';
import { APP_ID, openPage, serve, until, videoFrames } from './harness.js';
import { browserSuite } from './setup.js';

const SECRET = 'turn-test-secret-0123456789';
let coturn: Coturn;
const ice = { turnUrls: [] as string[], secret: SECRET };

beforeAll(async () => {
  coturn = await startCoturn(SECRET);
  ice.turnUrls.push(coturn.url);
});
afterAll(async () => {
  await coturn?.stop();
});

const has = (page: Page, ev: string, uid?: number) =>
  page.evaluate(([ev, uid]) => window.T.has(ev, uid), [ev, uid] as const);

/** The local and remote candidate types of the pair each of the page's links selected. */
function selectedPairs(page: Page): Promise<Array<[string, string]>> {
  return page.evaluate(async () => {
    const mesh = (
      window.T.client as unknown as { transport: { connections(): Map<number, RTCPeerConnection> } }
    ).transport;
    const out: Array<[string, string]> = [];
    for (const pc of mesh.connections().values()) {
      const stats = new Map<string, Record<string, unknown>>();
      (await pc.getStats()).forEach((r: Record<string, unknown>) => stats.set(r.id as string, r));
      for (const r of stats.values()) {
        if (r.type !== 'transport' || !r.selectedCandidatePairId) continue;
        const pair = stats.get(r.selectedCandidatePairId as string)!;
        out.push([
          stats.get(pair.localCandidateId as string)!.candidateType as string,
          stats.get(pair.remoteCandidateId as string)!.candidateType as string,
        ]);
      }
    }
    return out;
  });
}

/** Warnings the page's client raised, as the app's listener saw them. */
function warnings(page: Page): Promise<Array<{ code: number; name: string; message: string }>> {
  return page.evaluate(() => (window as unknown as { warnings?: [] }).warnings ?? []);
}

async function joinRelay(page: Page, channel: string, publish: boolean): Promise<number> {
  return page.evaluate(
    async ([appId, channel, publish]) => {
      const w = window as unknown as { warnings: unknown[] };
      w.warnings = [];
      const uid = await window.T.join(appId, channel, 0, { iceTransportPolicy: 'relay', publish });
      (window.T.client as unknown as { on(ev: string, f: (e: unknown) => void): void }).on('warning', (e) =>
        w.warnings.push(e),
      );
      return uid;
    },
    [APP_ID, channel, publish] as const,
  );
}

describe('TURN through coturn', () => {
  const suite = browserSuite([], { ice });

  test("iceTransportPolicy 'relay': media flows and the selected candidate pair is relay on both sides", async () => {
    const a = await suite.user();
    const b = await suite.user();
    const uidA = await joinRelay(a, 'turn relay', true);
    await joinRelay(b, 'turn relay', false);
    await until(() => has(b, 'stream-subscribed', uidA), 20_000, 'B subscribed to A');
    const v = await videoFrames(b, `#remote-${uidA} video`);
    expect(v.width).toBeGreaterThan(0);
    expect(v.frames).toBeGreaterThan(5);
    for (const page of [a, b]) {
      const pairs = await until(async () => {
        const p = await selectedPairs(page);
        return p.length > 0 && p;
      });
      expect(pairs).toEqual([['relay', 'relay']]);
    }
    // coturn saw the allocations (the media did not go around it).
    // coturn allocated for A with a REST username `<expiry>:<uid>` (a day ahead) and relayed the channel.
    const alloc = new RegExp(`username=<(\\d+):${uidA}>`).exec(coturn.log());
    expect(alloc).not.toBeNull();
    expect(Number(alloc![1]) - Date.now() / 1000).toBeGreaterThan(86_000);
    expect(coturn.log()).toMatch(/CHANNEL_BIND processed, success/);
    expect(coturn.log()).not.toContain(SECRET);
    expect(await warnings(a)).toEqual([]);
    await Promise.all([a.context().close(), b.context().close()]);
  });

  test("'relay' on a server that hands out no TURN: warning 106 WARN_OPEN_CHANNEL_TIMEOUT says TURN_URLS is missing", async () => {
    const plain = await serve({ staticDirs: { '/test-pages/': 'test/e2e/pages' } });
    try {
      const a = await openPage(suite.browser, `${plain.url}/test-pages/call.html`);
      const b = await openPage(suite.browser, `${plain.url}/test-pages/call.html`);
      await joinRelay(a, 'no turn', true);
      await joinRelay(b, 'no turn', false);
      for (const page of [a, b]) {
        const w = (await until(
          async () => (await warnings(page)).find((x) => x.code === 106),
          20_000,
          'warning 106',
        ))!;
        expect(w.name).toBe('WARN_OPEN_CHANNEL_TIMEOUT');
        expect(w.message).toContain('TURN_URLS');
      }
      await Promise.all([a.context().close(), b.context().close()]);
    } finally {
      await plain.close();
    }
  });

  describe('credentials renewed during a call (a 6 s TTL)', () => {
    let short: RunningServer;
    beforeAll(async () => {
      short = await serve({
        ice: { turnUrls: [coturn.url], secret: SECRET, ttlSeconds: 6 },
        staticDirs: { '/test-pages/': 'test/e2e/pages' },
      });
    });
    afterAll(async () => {
      await short?.close();
    });

    /** The TURN username each of the page's open links holds now (its RTCConfiguration). */
    const linkUsernames = (page: Page): Promise<string[]> =>
      page.evaluate(() => {
        const t = (
          window.T.client as unknown as { transport: { connections(): Map<number, RTCPeerConnection> } }
        ).transport;
        return [...t.connections().values()].map(
          (pc) => pc.getConfiguration().iceServers?.find((s) => s.username)?.username ?? '',
        );
      });
    /** The page's selected local candidates, as "type address:port". */
    const selectedLocal = (page: Page): Promise<string[]> =>
      page.evaluate(async () => {
        const t = (
          window.T.client as unknown as { transport: { connections(): Map<number, RTCPeerConnection> } }
        ).transport;
        const out: string[] = [];
        for (const pc of t.connections().values()) {
          const stats = new Map<string, Record<string, unknown>>();
          (await pc.getStats()).forEach((r: Record<string, unknown>) => stats.set(r.id as string, r));
          for (const r of stats.values()) {
            if (r.type !== 'transport' || !r.selectedCandidatePairId) continue;
            const pair = stats.get(r.selectedCandidatePairId as string)!;
            const local = stats.get(pair.localCandidateId as string)!;
            out.push(`${String(local.candidateType)} ${String(local.address)}:${String(local.port)}`);
          }
        }
        return out;
      });

    test('the open link gets the new username; an ICE restart after the first credential expired relays media with it', async () => {
      const a = await openPage(suite.browser, `${short.url}/test-pages/call.html`);
      const b = await openPage(suite.browser, `${short.url}/test-pages/call.html`);
      // A is in the channel first: it makes the offers, so it restarts ICE below.
      const uidA = await joinRelay(a, 'turn renew', true);
      const uidB = await joinRelay(b, 'turn renew', false);
      await until(() => has(b, 'stream-subscribed', uidA), 20_000, 'B subscribed to A');
      expect((await videoFrames(b, `#remote-${uidA} video`)).frames).toBeGreaterThan(5);
      const [first] = await linkUsernames(a);
      expect(first).toMatch(new RegExp(`^\\d+:${uidA}$`));
      const firstExpiry = Number(first!.split(':')[0]);
      const before = (await until(async () => {
        const now = await selectedLocal(a);
        return now.length > 0 ? now : null;
      }))!;
      expect(before[0]).toMatch(/^relay /);

      // Renewed half-way through its life, on the link that is already open.
      const renewed = (await until(
        async () => {
          const [u] = await linkUsernames(a);
          return u !== first ? u : null;
        },
        15_000,
        'a renewed username on the open link',
      ))!;
      expect(Number(renewed.split(':')[0])).toBeGreaterThan(firstExpiry);
      expect(renewed.endsWith(`:${uidA}`)).toBe(true);

      // Past the first credential's expiry (coturn refuses it from then on), A restarts ICE.
      await until(() => Date.now() / 1000 > firstExpiry + 1, 15_000, "the first credential's expiry");
      const current = (await linkUsernames(a))[0]!;
      expect(Number(current.split(':')[0])).toBeGreaterThan(Date.now() / 1000);
      await a.evaluate((uid) => {
        const t = (
          window.T.client as unknown as {
            transport: { links: Map<number, { pc: RTCPeerConnection; peer: { negotiate(): void } }> };
          }
        ).transport;
        const link = t.links.get(uid)!;
        link.pc.restartIce();
        link.peer.negotiate();
      }, uidB);
      // A new relay allocation, made with a credential that had not expired, carries the media.
      const after = (await until(
        async () => {
          const now = await selectedLocal(a);
          return now.length > 0 && now[0] !== before[0] ? now : null;
        },
        20_000,
        'a new selected pair after the ICE restart',
      ))!;
      expect(after[0]).toMatch(/^relay /);
      const allocated = [...coturn.log().matchAll(new RegExp(`username=<(\\d+):${uidA}>`, 'g'))].map((m) =>
        Number(m[1]),
      );
      expect(allocated.some((exp) => exp > firstExpiry)).toBe(true);
      const v = await videoFrames(b, `#remote-${uidA} video`);
      expect(v.frames).toBeGreaterThan(5);
      expect(v.advanced).toBe(true);
      expect(await warnings(a)).toEqual([]);
      await Promise.all([a.context().close(), b.context().close()]);
    });
  });

  describe('a server whose TURN_SECRET differs from coturn', () => {
    let wrong: RunningServer;
    beforeAll(async () => {
      wrong = await serve({
        ice: { turnUrls: [coturn.url], secret: 'not-the-secret' },
        staticDirs: { '/test-pages/': 'test/e2e/pages' },
      });
    });
    afterAll(async () => {
      await wrong?.close();
    });

    test('no media flows, and each side gets warning 107 WARN_OPEN_CHANNEL_REJECTED naming the relay and 401', async () => {
      const a = await openPage(suite.browser, `${wrong.url}/test-pages/call.html`);
      const b = await openPage(suite.browser, `${wrong.url}/test-pages/call.html`);
      const uidA = await joinRelay(a, 'turn wrong', true);
      await joinRelay(b, 'turn wrong', false);
      for (const page of [a, b]) {
        const w = (await until(
          async () => (await warnings(page)).find((x) => x.code === 107),
          20_000,
          'warning 107',
        ))!;
        expect(w.name).toBe('WARN_OPEN_CHANNEL_REJECTED');
        expect(w.message).toContain(coturn.url.split('?')[0]!);
        expect(w.message).toContain('401');
        expect(w.message).toContain('TURN_SECRET');
      }
      // The stream is announced through signaling, but no frame ever arrives.
      await until(() => has(b, 'stream-added', uidA), 10_000, 'stream-added on B');
      const v = await videoFrames(b, `#remote-${uidA} video`, 500, 3000);
      expect(v.frames).toBe(0);
      expect(await selectedPairs(b)).toEqual([]);
      await Promise.all([a.context().close(), b.context().close()]);
    });
  });
});
