// The SFU's shared state when several signaling nodes run on one Redis: each channel's Janus room (which Janus,
// which room id, secret and pin), claimed once by the first node that needs it so that every node puts the
// channel's members in that same room; rooms per Janus over all nodes, for the least loaded choice; and news of
// publishers coming and going, so that a node subscribes its members to feeds published through another node.
//
// Keys (prefix `agora:sfu:`, apart from the membership keys of redis.ts):
//   rooms   hash channel → {"url","id","secret","pin","e2ee"}   the room every node uses for the channel
//   load    hash Janus URL → rooms                              counted when a room is claimed / released
// Pub/sub: `agora:sfu:news` ("<node>\n<channel>": the room's publishers changed).
// Room secrets and pins stay inside Redis and the nodes, as they stay inside the one node without Redis.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { SfuShared, SharedRoom } from '../sfu/sfu.js';

const ROOMS = 'agora:sfu:rooms';
const LOAD = 'agora:sfu:load';
const NEWS = 'agora:sfu:news';

// Store the proposal unless a room is stored; return what is stored now.
const CLAIM_SCRIPT = `
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
end
return redis.call('HGET', KEYS[1], ARGV[1])
`;

// Forget the channel's room only if it is still that room (another node may have replaced it already).
const RELEASE_SCRIPT = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return 0 end
local room = cjson.decode(cur)
if room.id ~= tonumber(ARGV[2]) then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HINCRBY', KEYS[2], room.url, -1)
return 1
`;

export class RedisSfuRooms implements SfuShared {
  onNews?: (channel: string) => void;
  onReconnect?: () => void;
  private readonly node = randomBytes(6).toString('hex');

  private constructor(
    private readonly cmd: Redis,
    private readonly sub: Redis,
  ) {}

  /** Connects (two links: commands, and the news subscription). */
  static async connect(url: string, log: (line: string) => void): Promise<RedisSfuRooms> {
    const options = { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: true };
    const cmd = new Redis(url, options);
    const sub = new Redis(url, options);
    for (const c of [cmd, sub]) c.on('error', (e: Error) => log(`redis (sfu rooms): ${e.message}`));
    const rooms = new RedisSfuRooms(cmd, sub);
    sub.on('message', (_ch: string, text: string) => {
      const at = text.indexOf('\n');
      if (at > 0 && text.slice(0, at) !== rooms.node) rooms.onNews?.(text.slice(at + 1));
    });
    await Promise.all([cmd.connect(), sub.connect()]);
    await sub.subscribe(NEWS);
    // Later 'ready's are reconnects, after which Redis may have restarted empty.
    cmd.on('ready', () => rooms.onReconnect?.());
    return rooms;
  }

  async claim(channel: string, proposal: SharedRoom): Promise<SharedRoom> {
    const stored = (await this.cmd.eval(
      CLAIM_SCRIPT,
      2,
      ROOMS,
      LOAD,
      channel,
      JSON.stringify(proposal),
      proposal.url,
    )) as string | null;
    const room = stored === null ? null : parseRoom(stored);
    return room ?? proposal;
  }

  async release(channel: string, id: number): Promise<void> {
    await this.cmd.eval(RELEASE_SCRIPT, 2, ROOMS, LOAD, channel, String(id));
  }

  async load(): Promise<Map<string, number>> {
    const all = await this.cmd.hgetall(LOAD);
    return new Map(Object.entries(all).map(([url, n]) => [url, Number(n) || 0]));
  }

  announce(channel: string): void {
    void this.cmd.publish(NEWS, `${this.node}\n${channel}`).catch(() => undefined);
  }

  close(): void {
    this.sub.disconnect();
    this.cmd.disconnect();
  }
}

function parseRoom(text: string): SharedRoom | null {
  try {
    const r = JSON.parse(text) as Partial<SharedRoom>;
    if (
      typeof r.url === 'string' &&
      typeof r.id === 'number' &&
      typeof r.secret === 'string' &&
      typeof r.pin === 'string' &&
      typeof r.e2ee === 'boolean'
    )
      return { url: r.url, id: r.id, secret: r.secret, pin: r.pin, e2ee: r.e2ee };
  } catch {
    // Not ours: treated as no room.
  }
  return null;
}
