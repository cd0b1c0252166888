// Several signaling nodes on one Redis (REDIS_URL): channel membership and uid allocation live in Redis, channel
// news (join, state, leave, moves) go to every node over one pub/sub channel, relays go to the target's node, and
// each node keeps a heartbeat key with a TTL so that the others drop its members when it dies.
//
// Keys (prefix `agora:`):
//   members:<app>/<channel>  hash uid → {"node","session","info"}   one entry per member, wherever it is connected
//   node:<id>:members        set of "<app>/<channel>\n<uid>"          what to clean up when that node dies
//   alive:<id>               "1" with a TTL of HEARTBEAT_TTL_MS       the node's heartbeat
//   nodes                    set of node ids                           who to watch
//   reap:<id>                lock: one node cleans up a dead node's entries
//   ip:<id>                  hash with the TTL of the heartbeat: what each address uses on that node, for the
//                            per-address limits every node enforces on the sum over all nodes: "c <ip>" → its
//                            open sockets, "h <ip> <app>/<channel>" → its members there, "n <ip>" → its channels
//   chat:<app>/<channel>     list of chat messages (JSON), the last chatHistory
//   chatseq:<app>/<channel>  the last chat message's number
//   doc:<app>/<channel>      list of document updates "<seq> <base64>" (plain: yjs; sealed: ciphertext)
//   dockind:<app>/<channel>  "plain" | "sealed": the first update decides, the other kind is refused
//   docseq:<app>/<channel>   the last update's number
//   compacting:<app>/<channel>  lock: one node merges a plain document's updates
//   rec:<app>/<channel>      the channel's one recording {"uid","startedAt","key"}, whichever node its recorder is on
// The content keys go when the channel's last member leaves anywhere, or expire then if the app keeps content.
//
// When Redis comes back empty (restarted), every node writes its part again (members, heartbeat, address counts)
// and each node then compares its view of the other nodes' members with what Redis holds.
// Pub/sub: `agora:bus` (channel news for every node), `agora:to:<id>` (relays for one node).
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import * as Y from 'yjs';
import type { ChatMessage, PeerInfo, RecordingInfo } from '../../src/protocol/messages.js';
import { snapshotEntries, type SealedEntry, type StoredContent } from '../collab.js';

/** A node whose heartbeat key is gone for this long is dead: its members vanish from every view. */
export const HEARTBEAT_TTL_MS = 3000;
const HEARTBEAT_EVERY_MS = 1000;
const PREFIX = 'agora:';

export interface ClusterEntry {
  node: string;
  session: string;
  info: PeerInfo;
  /** The stay's end (Channel Key expiry, Unix seconds; 0 = none), kept when the member moves to another node. */
  expiresAt: number;
}

/** What a node hears from the others. */
export type ClusterEvent =
  | { k: 'join'; ch: string; node: string; peer: PeerInfo }
  | { k: 'state'; ch: string; node: string; peer: PeerInfo }
  | { k: 'leave'; ch: string; node: string; uid: number }
  /** The member rejoined on `node` with its session (its old node drops it without telling anyone). */
  | { k: 'moved'; ch: string; node: string; peer: PeerInfo }
  | { k: 'relay'; ch: string; from: number; to: number; data: unknown }
  /** Shared content, numbered by Redis (published by the scripts that store it). */
  | { k: 'chat'; ch: string; node: string; message: ChatMessage }
  | { k: 'doc'; ch: string; node: string; from: number; sealed: boolean; update: string; seq: number }
  | { k: 'compact'; ch: string; node: string; upto: number; updates: string[] }
  /** The channel's recording started (with its Recording Key, which its stop needs) or ended (null). */
  | { k: 'recording'; ch: string; node: string; recording: ClusterRecording | null }
  /** Local only: a node's heartbeat expired. */
  | { k: 'node-down'; node: string }
  /** Another node wrote its members again after Redis restarted (or this node did): compare views with Redis. */
  | { k: 'sync'; node: string };

/** A channel's recording, and the Recording Key it was started with. */
export type ClusterRecording = RecordingInfo & { key: string };

export type ClaimResult =
  | { ok: true; peers: ClusterEntry[] }
  | { ok: false; reason: 'taken' | 'full' | 'gone' | 'session' | 'ip-channels' };

/** What this node holds, written again into a Redis that restarted empty. */
export interface ClusterSnapshot {
  members: { ch: string; entry: Omit<ClusterEntry, 'node'> }[];
  /** Address → its open sockets on this node. */
  conns: Map<string, number>;
  /** Address → channel → its members there on this node. */
  channels: Map<string, Map<string, number>>;
  /** The recordings this node's members make. */
  recordings: { ch: string; recording: ClusterRecording }[];
}

// Lua shared by the scripts. each_node calls fn with this node's ip hash, then every other registered node's, until
// fn returns true. A dead node's hash expires with its heartbeat, so its counts vanish with it.
const EACH_NODE = `
local function each_node(self_key, fn)
  if fn(self_key) then return end
  for _, n in ipairs(redis.call('SMEMBERS', '${PREFIX}nodes')) do
    local k = '${PREFIX}ip:' .. n
    if k ~= self_key and fn(k) then return end
  end
end
-- One member more or less from an address in a channel on this node: "h <ip> <channel>" counts the members,
-- "n <ip>" the channels where that count is not 0.
local function count_channel(k, f, nf, d)
  local v = redis.call('HINCRBY', k, f, d)
  if d > 0 and v == d then redis.call('HINCRBY', k, nf, 1) end
  if v <= 0 then
    redis.call('HDEL', k, f)
    if v - d > 0 and redis.call('HINCRBY', k, nf, -1) <= 0 then redis.call('HDEL', k, nf) end
  end
end
`;

// Claim a uid (or take over one by its session) and read the channel, in one step: joins on different nodes are
// ordered by Redis, so of two members exactly one sees the other in its peers (and answers its offer).
// The address's channels are checked in the same step (O(nodes), whatever the channel's or the address's size), so
// the join costs one round trip: a channel the address already has a member in, on any node, is fine; otherwise
// the sum of its channel counts over the nodes must be under the limit. That sum counts a channel once per node
// the address has members of it on, so with members of one channel on several nodes it can refuse a little early.
// KEYS: members hash, node members set, this node's ip hash. ARGV: uid, entry, claim|take, session, tag,
// maxMembers, "h <ip> <channel>", maxChannelsPerIp, "n <ip>", ttl ms.
const JOIN_SCRIPT = `
${EACH_NODE}
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if ARGV[3] == 'take' then
  if not cur then return {'gone'} end
  local old = cjson.decode(cur)
  if old.session ~= ARGV[4] then return {'session'} end
  redis.call('SREM', '${PREFIX}node:' .. old.node .. ':members', ARGV[5])
else
  if cur then return {'taken'} end
  if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[6]) then return {'full'} end
  local has, total = false, 0
  each_node(KEYS[3], function(k)
    if redis.call('HEXISTS', k, ARGV[7]) == 1 then has = true; return true end
    total = total + tonumber(redis.call('HGET', k, ARGV[9]) or '0')
  end)
  if not has and total >= tonumber(ARGV[8]) then return {'ip-channels'} end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[5])
count_channel(KEYS[3], ARGV[7], ARGV[9], 1)
redis.call('PEXPIRE', KEYS[3], ARGV[10])
local all = redis.call('HVALS', KEYS[1])
table.insert(all, 1, 'ok')
return all
`;

// One more socket from an address, if the sum over the nodes allows it. KEYS: this node's ip hash.
// ARGV: "c <ip>", limit, ttl ms.
const CONNECT_SCRIPT = `
${EACH_NODE}
local total = 0
each_node(KEYS[1], function(k) total = total + tonumber(redis.call('HGET', k, ARGV[1]) or '0') end)
if total >= tonumber(ARGV[2]) then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

// A socket closed. KEYS: this node's ip hash. ARGV: "c <ip>".
const DISCONNECT_SCRIPT = `
if redis.call('HINCRBY', KEYS[1], ARGV[1], -1) <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
`;

// An address's member count in a channel on this node changed. KEYS: this node's ip hash. ARGV: "h <ip> <channel>",
// "n <ip>", delta, ttl ms.
const CHANNEL_COUNT_SCRIPT = `
${EACH_NODE}
count_channel(KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3]))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
`;

// Remove an entry only if it still belongs to that node (a member that moved is not removed by its old node). The
// last member out takes the channel's content with it, or leaves it to expire after ARGV[4] ms (kept content).
const RELEASE_SCRIPT = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[2], ARGV[3])
if cur and cjson.decode(cur).node == ARGV[2] then
  redis.call('HDEL', KEYS[1], ARGV[1])
  if redis.call('HLEN', KEYS[1]) == 0 then
    local ms = tonumber(ARGV[4])
    for i = 3, 7 do
      if ms > 0 then redis.call('PEXPIRE', KEYS[i], ms) else redis.call('DEL', KEYS[i]) end
    end
  end
  return 1
end
return 0
`;

// A chat message gets the channel's next number, joins the history (trimmed) and goes to every node, in one step.
const CHAT_SCRIPT = `
local m = cjson.decode(ARGV[1])
m.seq = redis.call('INCR', KEYS[2])
local s = cjson.encode(m)
redis.call('RPUSH', KEYS[1], s)
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
redis.call('PUBLISH', ARGV[3], ARGV[4] .. s .. '}')
return s
`;

// A document update of the channel's kind gets its number, is stored and goes to every node: {seq, length}, or
// {-1, 0} when the channel's document is of the other kind.
const DOC_SCRIPT = `
local kind = redis.call('GET', KEYS[2])
if kind and kind ~= ARGV[1] then return {-1, 0} end
if not kind then redis.call('SET', KEYS[2], ARGV[1]) end
local seq = redis.call('INCR', KEYS[3])
local n = redis.call('RPUSH', KEYS[1], seq .. ' ' .. ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4] .. ',"seq":' .. seq .. '}')
return {seq, n}
`;

// Replaces the updates numbered up to ARGV[1] by the entries ARGV[5..] ("<seq> <update>": one merged update, or a
// member's sealed snapshot in one or more parts); with ARGV[2], only if the list still starts with that number
// (nobody compacted meanwhile); ARGV[4], if any, is published on ARGV[3]. Returns how many it replaced.
const COMPACT_SCRIPT = `
local all = redis.call('LRANGE', KEYS[1], 0, -1)
if #all == 0 then return 0 end
if ARGV[2] ~= '' and string.match(all[1], '^%d+') ~= ARGV[2] then return 0 end
local upto = tonumber(ARGV[1])
local n = 0
for i, e in ipairs(all) do
  if tonumber(string.match(e, '^%d+')) <= upto then n = i else break end
end
if n == 0 then return 0 end
redis.call('LTRIM', KEYS[1], n, -1)
for i = #ARGV, 5, -1 do redis.call('LPUSH', KEYS[1], ARGV[i]) end
if ARGV[4] ~= '' then redis.call('PUBLISH', ARGV[3], ARGV[4]) end
return n
`;

// A recording starts unless the channel has one (on any node), and every node hears it: nil, or the running one.
// KEYS: rec key. ARGV: the recording, the bus, the news.
const REC_START_SCRIPT = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  redis.call('PUBLISH', ARGV[2], ARGV[3])
  return false
end
return redis.call('GET', KEYS[1])
`;

// The recording ends if uid ARGV[1] makes it; every node hears it. KEYS: rec key. ARGV: uid, the bus, the news.
const REC_END_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if not cur or cjson.decode(cur).uid ~= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
`;

/** A plain document's updates are merged into one once there are this many. */
export const PLAIN_COMPACT_AT = 200;

const membersKey = (ch: string) => `${PREFIX}members:${ch}`;
const nodeMembersKey = (node: string) => `${PREFIX}node:${node}:members`;
const tag = (ch: string, uid: number) => `${ch}\n${uid}`;
const ipKey = (node: string) => `${PREFIX}ip:${node}`;
const recKey = (ch: string) => `${PREFIX}rec:${ch}`;
// Addresses hold no space, so the channel (which may) comes last.
const channelField = (ip: string, ch: string) => `h ${ip} ${ch}`;
const contentKeys = (ch: string) =>
  ['chat', 'chatseq', 'doc', 'dockind', 'docseq'].map((k) => `${PREFIX}${k}:${ch}`) as [
    string,
    string,
    string,
    string,
    string,
  ];
const entryOf = (s: string): SealedEntry => {
  const at = s.indexOf(' ');
  return { seq: Number(s.slice(0, at)), update: s.slice(at + 1) };
};

export interface RedisClusterOptions {
  url: string;
  onEvent(ev: ClusterEvent): void;
  /** Each command's round trip, for GET /metrics. */
  onRoundTrip?(seconds: number): void;
  /** How long a channel's content stays after its last member leaves (the app's choice), ms; 0 = dropped. */
  keepContentMs?(ch: string): number;
  log(line: string): void;
  /** What this node holds, to write again when Redis comes back empty. */
  snapshot(): ClusterSnapshot;
  /** The nodes this node's view has members of (a node that never comes back after a Redis restart is dead). */
  knownNodes(): Iterable<string>;
}

export class RedisCluster {
  readonly nodeId = randomBytes(6).toString('hex');
  private readonly cmd: Redis;
  private readonly sub: Redis;
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  /** Connected once: a later 'ready' is a reconnect, after which Redis may have restarted empty. */
  private started = false;
  /** Nodes this node's view holds members of that are not registered in Redis, since when (ms). */
  private readonly missing = new Map<string, number>();

  private constructor(private readonly opts: RedisClusterOptions) {
    // Commands fail fast while Redis is away rather than queue joins for minutes.
    const options = { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: true };
    this.cmd = new Redis(opts.url, options);
    this.sub = new Redis(opts.url, options);
    for (const c of [this.cmd, this.sub]) c.on('error', (e: Error) => opts.log(`redis: ${e.message}`));
    this.sub.on('message', (_channel: string, text: string) => this.onMessage(text));
    this.cmd.on('ready', () => {
      if (this.started && !this.closed)
        void this.register().catch((e: Error) => opts.log(`redis: re-registering failed: ${e.message}`));
    });
    // News published while our subscription was away are lost: compare views once it is back.
    this.sub.on('ready', () => {
      if (this.started && !this.closed) opts.onEvent({ k: 'sync', node: this.nodeId });
    });
    this.timer = setInterval(
      () => void this.beat().catch((e: Error) => opts.log(`redis: ${e.message}`)),
      HEARTBEAT_EVERY_MS,
    );
    this.timer.unref();
  }

  /** Connects both links, subscribes, and announces this node. */
  static async connect(opts: RedisClusterOptions): Promise<RedisCluster> {
    const c = new RedisCluster(opts);
    await Promise.all([c.cmd.connect(), c.sub.connect()]);
    await c.sub.subscribe(`${PREFIX}bus`, `${PREFIX}to:${c.nodeId}`);
    await c.beat();
    c.started = true;
    opts.log(`cluster node ${c.nodeId} on Redis`);
    return c;
  }

  private async timed<T>(p: Promise<T>): Promise<T> {
    const t0 = performance.now();
    const v = await p;
    this.opts.onRoundTrip?.((performance.now() - t0) / 1000);
    return v;
  }

  /**
   * Claim `uid` in the channel for a member of this node (or, with `session`, take over the member that rejoins
   * here from another node). On success: every entry of the channel, this one included.
   */
  async claim(
    ch: string,
    uid: number,
    entry: Omit<ClusterEntry, 'node'>,
    limits: { maxMembers: number; ip: string; maxChannelsPerIp: number },
    take: boolean,
  ): Promise<ClaimResult> {
    const value = JSON.stringify({ node: this.nodeId, ...entry });
    const r = (await this.timed(
      this.cmd.eval(
        JOIN_SCRIPT,
        3,
        membersKey(ch),
        nodeMembersKey(this.nodeId),
        ipKey(this.nodeId),
        String(uid),
        value,
        take ? 'take' : 'claim',
        entry.session,
        tag(ch, uid),
        String(limits.maxMembers),
        channelField(limits.ip, ch),
        String(limits.maxChannelsPerIp),
        `n ${limits.ip}`,
        String(HEARTBEAT_TTL_MS),
      ),
    )) as string[];
    if (r[0] !== 'ok') return { ok: false, reason: r[0] as Exclude<ClaimResult, { ok: true }>['reason'] };
    return { ok: true, peers: r.slice(1).map((s) => JSON.parse(s) as ClusterEntry) };
  }

  /** One more socket from `ip` on this node, if all nodes together hold fewer than `limit` from it. */
  async connect(ip: string, limit: number): Promise<boolean> {
    const r = await this.timed(
      this.cmd.eval(
        CONNECT_SCRIPT,
        1,
        ipKey(this.nodeId),
        `c ${ip}`,
        String(limit),
        String(HEARTBEAT_TTL_MS),
      ),
    );
    return r === 1;
  }

  /** A socket from `ip` on this node closed. */
  disconnect(ip: string): void {
    void this.cmd.eval(DISCONNECT_SCRIPT, 1, ipKey(this.nodeId), `c ${ip}`).catch(() => undefined);
  }

  /** The members from `ip` in `ch` on this node changed by `delta` (joins count themselves in claim()). */
  countChannel(ip: string, ch: string, delta: number): void {
    void this.cmd
      .eval(
        CHANNEL_COUNT_SCRIPT,
        1,
        ipKey(this.nodeId),
        channelField(ip, ch),
        `n ${ip}`,
        String(delta),
        String(HEARTBEAT_TTL_MS),
      )
      .catch(() => undefined);
  }

  /** Every entry and the recording of these channels, as Redis holds them, and the nodes alive now. */
  async read(chs: string[]): Promise<{
    entries: Map<string, ClusterEntry[]>;
    alive: Set<string>;
    recordings: Map<string, ClusterRecording | null>;
  }> {
    const pipe = this.cmd.pipeline().smembers(`${PREFIX}nodes`);
    for (const ch of chs) pipe.hvals(membersKey(ch)).get(recKey(ch));
    const res = (await pipe.exec())!.map(([e, v]) => {
      if (e) throw e;
      return v;
    });
    const nodes = res[0] as string[];
    const check = this.cmd.pipeline();
    for (const n of nodes) check.exists(`${PREFIX}alive:${n}`);
    const up = (await check.exec())!;
    const alive = new Set(nodes.filter((_, i) => up[i]![1] === 1));
    const entries = new Map<string, ClusterEntry[]>();
    const recordings = new Map<string, ClusterRecording | null>();
    for (const [i, ch] of chs.entries()) {
      const [list, rec] = res.slice(1 + 2 * i, 3 + 2 * i) as [string[], string | null];
      entries.set(
        ch,
        list.map((s) => JSON.parse(s) as ClusterEntry),
      );
      recordings.set(ch, rec === null ? null : (JSON.parse(rec) as ClusterRecording));
    }
    return { entries, alive, recordings };
  }

  /**
   * After a reconnect: Redis may have restarted empty, so this node writes its part again (heartbeat, members,
   * address counts), then tells the others to compare their views with Redis.
   */
  private async register(): Promise<void> {
    const snap = this.opts.snapshot();
    const pipe = this.cmd
      .multi()
      .set(`${PREFIX}alive:${this.nodeId}`, '1', 'PX', HEARTBEAT_TTL_MS)
      .sadd(`${PREFIX}nodes`, this.nodeId)
      .del(ipKey(this.nodeId));
    for (const { ch, entry } of snap.members) {
      pipe.hset(membersKey(ch), String(entry.info.uid), JSON.stringify({ node: this.nodeId, ...entry }));
      pipe.sadd(nodeMembersKey(this.nodeId), tag(ch, entry.info.uid));
    }
    for (const { ch, recording } of snap.recordings) pipe.set(recKey(ch), JSON.stringify(recording));
    for (const [ip, n] of snap.conns) pipe.hset(ipKey(this.nodeId), `c ${ip}`, String(n));
    for (const [ip, chs] of snap.channels) {
      for (const [ch, n] of chs) pipe.hset(ipKey(this.nodeId), channelField(ip, ch), String(n));
      pipe.hset(ipKey(this.nodeId), `n ${ip}`, String(chs.size));
    }
    pipe.pexpire(ipKey(this.nodeId), HEARTBEAT_TTL_MS);
    await pipe.exec();
    this.opts.log(`cluster node ${this.nodeId}: Redis is back; ${snap.members.length} members written again`);
    // A node that took a channel in before this one wrote its recording again missed it in Redis: tell it.
    for (const { ch, recording } of snap.recordings)
      void this.cmd
        .publish(`${PREFIX}bus`, JSON.stringify({ k: 'recording', ch, node: this.nodeId, recording }))
        .catch(() => undefined);
    this.publish({ k: 'sync', node: this.nodeId });
    this.opts.onEvent({ k: 'sync', node: this.nodeId });
  }

  /** A member's entry, wherever it is connected. */
  async lookup(ch: string, uid: number): Promise<ClusterEntry | null> {
    const v = await this.timed(this.cmd.hget(membersKey(ch), String(uid)));
    return v === null ? null : (JSON.parse(v) as ClusterEntry);
  }

  /** The member left (or vanished) from this node. */
  async release(ch: string, uid: number, node = this.nodeId): Promise<void> {
    const keep = this.opts.keepContentMs?.(ch) ?? 0;
    await this.timed(
      this.cmd.eval(
        RELEASE_SCRIPT,
        7,
        membersKey(ch),
        nodeMembersKey(node),
        ...contentKeys(ch),
        String(uid),
        node,
        tag(ch, uid),
        String(keep),
      ),
    );
  }

  /** Starts the channel's one recording unless one runs, on any node: null when started, else the running one. */
  async startRecording(ch: string, recording: ClusterRecording): Promise<ClusterRecording | null> {
    const news: ClusterEvent = { k: 'recording', ch, node: this.nodeId, recording };
    const running = (await this.timed(
      this.cmd.eval(
        REC_START_SCRIPT,
        1,
        recKey(ch),
        JSON.stringify(recording),
        `${PREFIX}bus`,
        JSON.stringify(news),
      ),
    )) as string | null;
    return running === null ? null : (JSON.parse(running) as ClusterRecording);
  }

  /** Ends the channel's recording if `uid` makes it; the other nodes hear it. */
  async endRecording(ch: string, uid: number): Promise<void> {
    const news: ClusterEvent = { k: 'recording', ch, node: this.nodeId, recording: null };
    await this.timed(
      this.cmd.eval(REC_END_SCRIPT, 1, recKey(ch), String(uid), `${PREFIX}bus`, JSON.stringify(news)),
    );
  }

  /** The channel's recording, for a node that takes the channel in. */
  async recording(ch: string): Promise<ClusterRecording | null> {
    const v = await this.timed(this.cmd.get(recKey(ch)));
    return v === null ? null : (JSON.parse(v) as ClusterRecording);
  }

  /**
   * The channel's content as Redis holds it, for a node that takes the channel in (its first member here). A kept
   * channel's content stops expiring: it has a member again.
   */
  async loadContent(ch: string): Promise<StoredContent> {
    const [chat, chatseq, doc, dockind, docseq] = contentKeys(ch);
    const pipe = this.cmd.multi();
    for (const k of [chat, chatseq, doc, dockind, docseq]) pipe.persist(k);
    pipe.lrange(chat, 0, -1).get(chatseq).lrange(doc, 0, -1).get(dockind);
    const res = (await this.timed(pipe.exec()))!.map(([e, v]) => {
      if (e) throw e;
      return v;
    });
    const [chatList, chatSeq, docList, kind] = res.slice(5) as [
      string[],
      string | null,
      string[],
      string | null,
    ];
    return {
      chat: chatList.map((m) => JSON.parse(m) as ChatMessage),
      chatSeq: Number(chatSeq ?? 0),
      kind: kind === 'plain' || kind === 'sealed' ? kind : null,
      entries: docList.map(entryOf),
    };
  }

  /** Numbers and stores a chat message, and sends it to the other nodes: the message as numbered. */
  async appendChat(ch: string, message: Omit<ChatMessage, 'seq'>, history: number): Promise<ChatMessage> {
    const [chat, chatseq] = contentKeys(ch);
    const head = `{"k":"chat","ch":${JSON.stringify(ch)},"node":"${this.nodeId}","message":`;
    const s = (await this.timed(
      this.cmd.eval(
        CHAT_SCRIPT,
        2,
        chat,
        chatseq,
        JSON.stringify(message),
        String(history),
        `${PREFIX}bus`,
        head,
      ),
    )) as string;
    return JSON.parse(s) as ChatMessage;
  }

  /**
   * Numbers and stores a document update, and sends it to the other nodes: its number and how many updates the
   * channel stores, or null when the channel's document is of the other kind (plain vs sealed).
   */
  async appendDoc(
    ch: string,
    from: number,
    update: string,
    sealed: boolean,
  ): Promise<{ seq: number; stored: number } | null> {
    const [, , doc, dockind, docseq] = contentKeys(ch);
    const head = `{"k":"doc","ch":${JSON.stringify(ch)},"node":"${this.nodeId}","from":${from},"sealed":${sealed},"update":"${update}"`;
    const [seq, stored] = (await this.timed(
      this.cmd.eval(
        DOC_SCRIPT,
        3,
        doc,
        dockind,
        docseq,
        sealed ? 'sealed' : 'plain',
        update,
        `${PREFIX}bus`,
        head,
      ),
    )) as [number, number];
    if (seq < 0) return null;
    if (!sealed && stored > PLAIN_COMPACT_AT)
      void this.compactPlain(ch).catch((e: Error) => this.opts.log(`redis: ${e.message}`));
    return { seq, stored };
  }

  /** Merges a plain document's stored updates into one (yjs can merge updates without the document). */
  private async compactPlain(ch: string): Promise<void> {
    const lock = `${PREFIX}compacting:${ch}`;
    if ((await this.cmd.set(lock, this.nodeId, 'PX', 10_000, 'NX')) !== 'OK') return;
    try {
      const entries = (await this.cmd.lrange(contentKeys(ch)[2], 0, -1)).map(entryOf);
      if (entries.length < 2) return;
      const merged = Y.mergeUpdates(entries.map((e) => Buffer.from(e.update, 'base64')));
      const upto = entries[entries.length - 1]!.seq;
      await this.cmd.eval(
        COMPACT_SCRIPT,
        1,
        contentKeys(ch)[2],
        String(upto),
        String(entries[0]!.seq),
        '',
        '',
        `${upto} ${Buffer.from(merged).toString('base64')}`,
      );
    } finally {
      await this.cmd.del(lock);
    }
  }

  /** A member's sealed snapshot (its parts) replaces the stored sealed updates up to `upto`, on every node. */
  async compactSealed(ch: string, upto: number, updates: string[]): Promise<void> {
    const ev: ClusterEvent = { k: 'compact', ch, node: this.nodeId, upto, updates };
    await this.timed(
      this.cmd.eval(
        COMPACT_SCRIPT,
        1,
        contentKeys(ch)[2],
        String(upto),
        '',
        `${PREFIX}bus`,
        JSON.stringify(ev),
        ...snapshotEntries(upto, updates).map((e) => `${e.seq} ${e.update}`),
      ),
    );
  }

  /** What Redis stores of a channel's document, for tests and operators: its entries in order. */
  async storedDoc(ch: string): Promise<SealedEntry[]> {
    return (await this.cmd.lrange(contentKeys(ch)[2], 0, -1)).map(entryOf);
  }

  /** Keeps the stored state current for members joining later on other nodes. */
  async update(ch: string, uid: number, entry: Omit<ClusterEntry, 'node'>): Promise<void> {
    await this.timed(
      this.cmd.hset(membersKey(ch), String(uid), JSON.stringify({ node: this.nodeId, ...entry })),
    );
  }

  /** Channel news for every other node. */
  publish(ev: Extract<ClusterEvent, { k: 'join' | 'state' | 'leave' | 'moved' | 'sync' }>): void {
    void this.cmd.publish(`${PREFIX}bus`, JSON.stringify(ev)).catch(() => undefined);
  }

  /** A relay for a member connected to `node`. */
  relay(node: string, ev: Extract<ClusterEvent, { k: 'relay' }>): void {
    void this.cmd.publish(`${PREFIX}to:${node}`, JSON.stringify(ev)).catch(() => undefined);
  }

  private onMessage(text: string): void {
    let ev: ClusterEvent;
    try {
      ev = JSON.parse(text) as ClusterEvent;
    } catch {
      return;
    }
    if (ev.k !== 'relay' && ev.k !== 'node-down' && ev.node === this.nodeId) return;
    this.opts.onEvent(ev);
  }

  /** Our heartbeat, and a look at everyone else's: a node whose key expired is dead. */
  private async beat(): Promise<void> {
    if (this.closed) return;
    const t0 = performance.now();
    const [, , , nodes] = (await this.cmd
      .multi()
      .set(`${PREFIX}alive:${this.nodeId}`, '1', 'PX', HEARTBEAT_TTL_MS)
      .sadd(`${PREFIX}nodes`, this.nodeId)
      .pexpire(ipKey(this.nodeId), HEARTBEAT_TTL_MS)
      .smembers(`${PREFIX}nodes`)
      .exec())!.map(([, v]) => v) as [unknown, unknown, unknown, string[]];
    this.opts.onRoundTrip?.((performance.now() - t0) / 1000);
    this.checkUnregistered(new Set(nodes));
    const others = nodes.filter((n) => n !== this.nodeId);
    if (others.length === 0) return;
    const pipe = this.cmd.pipeline();
    for (const n of others) pipe.exists(`${PREFIX}alive:${n}`);
    const res = (await pipe.exec())!;
    for (const [i, n] of others.entries()) {
      if (res[i]![1] === 1) continue;
      this.opts.onEvent({ k: 'node-down', node: n });
      await this.reap(n);
    }
  }

  /**
   * A node our view holds members of, missing from Redis's node list (Redis restarted and it never wrote itself
   * again: it died meanwhile) for two heartbeat TTLs, is dead too. The wait lets live nodes reconnect first.
   */
  private checkUnregistered(registered: Set<string>): void {
    const now = Date.now();
    const known = new Set(this.opts.knownNodes());
    for (const n of this.missing.keys()) if (!known.has(n) || registered.has(n)) this.missing.delete(n);
    for (const n of known) {
      if (registered.has(n)) continue;
      const since = this.missing.get(n);
      if (since === undefined) this.missing.set(n, now);
      else if (now - since > 2 * HEARTBEAT_TTL_MS) {
        this.missing.delete(n);
        this.opts.onEvent({ k: 'node-down', node: n });
      }
    }
  }

  /** One node removes a dead node's entries from Redis (the others only drop them from their own views). */
  private async reap(node: string): Promise<void> {
    const won = await this.cmd.set(`${PREFIX}reap:${node}`, this.nodeId, 'PX', 10_000, 'NX');
    if (won !== 'OK') return;
    const tags = await this.cmd.smembers(nodeMembersKey(node));
    for (const t of tags) {
      const [ch, uid] = t.split('\n') as [string, string];
      await this.release(ch, Number(uid), node);
    }
    await this.cmd.multi().del(nodeMembersKey(node)).del(ipKey(node)).srem(`${PREFIX}nodes`, node).exec();
    this.opts.log(`cluster node ${node} is gone: ${tags.length} members removed`);
  }

  /**
   * Stops the heartbeat and disconnects. Our entries stay until another node reaps them (within a heartbeat): that
   * way every node drops our members from its view the same way as for a crash.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    try {
      await this.cmd.del(`${PREFIX}alive:${this.nodeId}`);
    } catch {
      // Redis is gone: the key expires on its own.
    }
    this.sub.disconnect();
    this.cmd.disconnect();
  }
}
