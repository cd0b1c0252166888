// The SFU's shared state on a real Redis (Debian's redis-server on loopback): one room per channel whichever node
// asks first, rooms counted per Janus for the least loaded choice, and news between nodes.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRedis, type RedisInstance } from '../redis-server.js';
import { RedisSfuRooms } from '../../server/cluster/sfu-rooms.js';
import type { SharedRoom } from '../../server/sfu/sfu.js';

let redis: RedisInstance;
let a: RedisSfuRooms;
let b: RedisSfuRooms;

beforeAll(async () => {
  redis = await startRedis();
  [a, b] = await Promise.all([
    RedisSfuRooms.connect(redis.url, () => undefined),
    RedisSfuRooms.connect(redis.url, () => undefined),
  ]);
});

afterAll(async () => {
  a?.close();
  b?.close();
  await redis?.stop();
});

const room = (url: string, id: number): SharedRoom => ({
  url,
  id,
  secret: `s${id}`,
  pin: `p${id}`,
  e2ee: false,
});

describe('rooms shared by the nodes', () => {
  test('the first claim of a channel wins: a second node gets the same Janus and room', async () => {
    const first = await a.claim('app/one', room('ws://j1', 2 ** 47 + 1));
    const second = await b.claim('app/one', room('ws://j2', 7));
    expect(first).toEqual(room('ws://j1', 2 ** 47 + 1));
    expect(second).toEqual(first);
    expect(await b.load()).toEqual(new Map([['ws://j1', 1]]));
  });

  test('rooms are counted per Janus over all nodes; a release counts down only for the room still stored', async () => {
    await b.claim('app/two', room('ws://j2', 8));
    expect(await a.load()).toEqual(
      new Map([
        ['ws://j1', 1],
        ['ws://j2', 1],
      ]),
    );
    // A stale release (another room id) changes nothing.
    await a.release('app/one', 12345);
    expect((await a.claim('app/one', room('ws://j2', 9))).id).toBe(2 ** 47 + 1);
    await a.release('app/one', 2 ** 47 + 1);
    expect(await b.load()).toEqual(
      new Map([
        ['ws://j1', 0],
        ['ws://j2', 1],
      ]),
    );
    // Released: the next claim makes a new room.
    expect(await b.claim('app/one', room('ws://j2', 10))).toEqual(room('ws://j2', 10));
  });

  test("one node's news reach the others, not itself", async () => {
    const heardA: string[] = [];
    const heardB: string[] = [];
    a.onNews = (ch) => heardA.push(ch);
    b.onNews = (ch) => heardB.push(ch);
    a.announce('app/one');
    const deadline = Date.now() + 5000;
    while (heardB.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(heardB).toEqual(['app/one']);
    expect(heardA).toEqual([]);
  });
});
