// The SFU driver: the signaling server's side of Janus. One VideoRoom per (App ID, channel), created with a
// random id, secret and pin that never leave the server; each member gets a publisher handle and a subscriber
// handle that only this driver addresses. A member's SFU requests name no room and no handle, so whatever it
// sends it can only publish into and subscribe within its own channel's room.
//
// Janus pitfalls handled here: its candidates for a subscriber can come before the subscriber has its offer (the
// SDK buffers them); subscriber renegotiations run one at a time, each answered with `start` before the next
// `update`; sessions get a keepalive (janus.ts).
import { randomBytes, randomInt } from 'node:crypto';
import type { SfuOp, SfuPushBody, SfuStream, SdpInit } from '../../src/protocol/sfu.js';
import { JanusError, JanusSession, type JanusEvent } from './janus.js';

export interface SfuOptions {
  /** Janus WebSocket API URLs (SFU_URLS); a channel is pinned to the one with the fewest rooms. */
  urls: string[];
  /** Janus's api_secret (SFU_API_SECRET). */
  apiSecret?: string;
  log: (line: string) => void;
}

/** A channel's room as every signaling node uses it (kept in Redis when several nodes run). */
export interface SharedRoom {
  url: string;
  id: number;
  secret: string;
  pin: string;
  e2ee: boolean;
}

/**
 * Where several signaling nodes agree on each channel's room (server/cluster/sfu-rooms.ts, on Redis): one Janus
 * and one room per channel, whichever node its members are connected to.
 */
export interface SfuShared {
  /** The channel's room: the one stored, or `proposal`, which is stored when none was (and then counted). */
  claim(channel: string, proposal: SharedRoom): Promise<SharedRoom>;
  /** Forgets the channel's room if it is still room `id` (the channel emptied everywhere, or its Janus died). */
  release(channel: string, id: number): Promise<void>;
  /** Rooms per Janus URL over all nodes, to pick the least loaded one. */
  load(): Promise<Map<string, number>>;
  /** Tells the other nodes that the publishers of the channel's room changed. */
  announce(channel: string): void;
  /** Set by the driver: another node announced a change in the channel's room. */
  onNews?: (channel: string) => void;
  /** Set by the driver: the shared store is back after an outage, and may have restarted empty. */
  onReconnect?: () => void;
}

/** What the driver needs to know of a member: who it is, and how to push to it. */
export interface SfuMember {
  /** The channel's key (App ID + name): the room is looked up by it, never by anything the member sends. */
  readonly channel: string;
  readonly uid: number;
  /** Pushes to the member's current socket (dropped while it reconnects). */
  push(body: SfuPushBody): void;
}

/** A request the driver refuses: the member gets it as ERR_INVALID_ARGUMENT / ERR_FAILED. */
export class SfuRefusal extends Error {
  constructor(
    readonly code: 'ERR_INVALID_ARGUMENT' | 'ERR_FAILED' | 'ERR_NOT_READY',
    message: string,
  ) {
    super(message);
    this.name = 'SfuRefusal';
  }
}

const ANSWER_TIMEOUT_MS = 10_000;
/** VideoRoom's "room already exists": with shared rooms, another node created it first. */
const ROOM_EXISTS = 427;
/** A Janus that died or did not answer gets no new rooms for this long. */
const DOWN_MS = 15_000;

interface Subscriber {
  handle: Promise<number>;
  /** The feeds Janus currently sends on this handle. */
  feeds: Set<number>;
  /** mid → stream, as Janus last described them. */
  streams: SfuStream[];
  /** Set while Janus's offer waits for the member's answer. */
  awaiting: ((jsep: SdpInit) => void) | null;
  started: boolean;
}

interface MemberMedia {
  readonly member: SfuMember;
  pub: { handle: number; live: boolean } | null;
  /** Publishing in progress (a second publish waits for it). */
  pubChain: Promise<unknown>;
  sub: Subscriber | null;
  /** Subscriber renegotiations, one at a time. */
  subChain: Promise<void>;
  /** The members whose media this one asked for. */
  wants: Set<number>;
  /** The simulcast layer it wants of each member's video (absent: the full size). */
  layers: Map<number, 0 | 1 | 2>;
}

interface Room extends Readonly<SharedRoom> {
  readonly janus: JanusSession;
  ready: Promise<void>;
  /** This node's members in the room. */
  readonly members: Map<number, MemberMedia>;
  /** With shared rooms: the room's live publishers as Janus last listed them (members of other nodes among them). */
  publishers: Set<number>;
  /** A refresh of `publishers` is running / another one is due after it. */
  refreshing: boolean;
  refreshAgain: boolean;
}

export class SfuDriver {
  private readonly sessions = new Map<string, Promise<JanusSession>>();
  private readonly rooms = new Map<string, Room>();
  /** Rooms being made (one attempt per channel at a time). */
  private readonly making = new Map<string, Promise<Room>>();
  private shared: SfuShared | null = null;
  private readonly roomsPerUrl = new Map<string, number>();
  /** Janus URLs that failed lately → until when new rooms avoid them. */
  private readonly down = new Map<string, number>();
  private closed = false;

  constructor(private readonly opts: SfuOptions) {
    if (opts.urls.length === 0) throw new Error('SfuDriver needs at least one Janus URL.');
  }

  /**
   * Several signaling nodes: every node puts a channel's members in the same room on the same Janus, chosen once
   * (least loaded over all nodes) and kept in `shared`.
   */
  share(shared: SfuShared): void {
    this.shared = shared;
    shared.onNews = (channel) => {
      const room = this.rooms.get(channel);
      if (room) this.refreshPublishers(room);
    };
    shared.onReconnect = () => void this.claimAgain(shared);
  }

  /**
   * Redis is back and may have restarted empty: this node claims again the rooms its members are in, so that a node
   * making a room for one of these channels later gets the same room rather than a second one nobody else is in.
   * Should another node have stored a different room meanwhile, this node's members move there.
   */
  private async claimAgain(shared: SfuShared): Promise<void> {
    for (const [key, room] of [...this.rooms]) {
      const { url, id, secret, pin, e2ee } = room;
      const stored = await shared.claim(key, { url, id, secret, pin, e2ee }).catch(() => null);
      if (!stored || stored.id === id || this.rooms.get(key) !== room) continue;
      this.opts.log(
        `sfu: another node stored a new room for a channel while Redis was away; its members move there`,
      );
      this.leaveRoom(key, room);
    }
  }

  /** Rooms currently open (diagnostics and tests). */
  roomCount(): number {
    return this.rooms.size;
  }

  /** The Janus room id of a channel (diagnostics and tests; never sent to a member). */
  roomId(channel: string): number | undefined {
    return this.rooms.get(channel)?.id;
  }

  /** Handles one request of a member; resolves with the reply's result. */
  async request(member: SfuMember, op: SfuOp): Promise<unknown> {
    if (this.closed) throw new SfuRefusal('ERR_FAILED', 'The SFU is shutting down.');
    const e2ee =
      (op.op === 'publish' && op.jsep.e2ee === true) || (op.op === 'subscribe' && op.e2ee === true);
    const room = await this.roomOf(member.channel, e2ee);
    const media = this.mediaOf(room, member);
    switch (op.op) {
      case 'publish':
        return { jsep: await this.publish(room, media, op.jsep) };
      case 'unpublish':
        await this.unpublish(room, media);
        return undefined;
      case 'answer': {
        const sub = media.sub;
        if (!sub?.awaiting)
          throw new SfuRefusal('ERR_INVALID_ARGUMENT', 'No SFU offer is waiting for an answer.');
        sub.awaiting(op.jsep);
        return undefined;
      }
      case 'trickle': {
        const handle = op.pc === 'pub' ? media.pub?.handle : media.sub ? await media.sub.handle : undefined;
        if (handle === undefined)
          throw new SfuRefusal('ERR_NOT_READY', `No ${op.pc} connection to add a candidate to.`);
        await room.janus.trickle(handle, op.candidate ?? { completed: true });
        return undefined;
      }
      case 'layer': {
        media.layers.set(op.uid, op.layer);
        media.subChain = media.subChain
          .then(() => this.applyLayers(room, media, [op.uid]))
          .catch(() => undefined);
        return undefined;
      }
      case 'subscribe': {
        if (op.on) media.wants.add(op.uid);
        else media.wants.delete(op.uid);
        this.reconcile(room, media);
        return undefined;
      }
    }
  }

  /** The member left the channel: its handles go (Janus tells the others' subscriptions). */
  leave(channel: string, uid: number): void {
    const room = this.rooms.get(channel);
    const media = room?.members.get(uid);
    if (!room || !media) return;
    room.members.delete(uid);
    if (media.pub) {
      void room.janus.detach(media.pub.handle);
      this.shared?.announce(channel);
    }
    media.pub = null;
    if (media.sub) void media.sub.handle.then((h) => room.janus.detach(h)).catch(() => undefined);
    media.sub?.awaiting?.({ type: 'answer', sdp: '' });
    for (const other of room.members.values()) {
      other.sub?.feeds.delete(uid);
      other.wants.delete(uid);
    }
  }

  /**
   * The channel has no member left on this node: its room is destroyed, unless members on other nodes still use it
   * (`everywhere` false: this node only forgets it).
   */
  channelClosed(channel: string, everywhere = true): void {
    const room = this.rooms.get(channel);
    if (!room) return;
    this.rooms.delete(channel);
    this.roomsPerUrl.set(room.url, (this.roomsPerUrl.get(room.url) ?? 1) - 1);
    if (this.shared && !everywhere) return;
    void this.shared?.release(channel, room.id).catch(() => undefined);
    void room.ready
      .then(async () => {
        const h = await room.janus.attach(() => undefined);
        await room.janus
          .message(h, { request: 'destroy', room: room.id, secret: room.secret })
          .catch(() => undefined);
        await room.janus.detach(h);
      })
      .catch(() => undefined);
  }

  close(): void {
    this.closed = true;
    for (const s of this.sessions.values()) void s.then((j) => j.close()).catch(() => undefined);
    this.sessions.clear();
    this.rooms.clear();
  }

  private session(url: string): Promise<JanusSession> {
    let s = this.sessions.get(url);
    if (!s) {
      s = JanusSession.open(url, this.opts.apiSecret).then((j) => {
        j.onLost = (e) => this.lost(url, e);
        return j;
      });
      s.catch(() => {
        if (this.sessions.get(url) === s) this.sessions.delete(url);
        this.down.set(url, Date.now() + DOWN_MS);
      });
      this.sessions.set(url, s);
    }
    return s;
  }

  /**
   * A Janus died (or its connection did): its rooms are gone with their media. Their channels get new rooms on
   * another Janus when their members come back: each member that used the room is told to publish and subscribe
   * again (`restart`), and that new request creates the room elsewhere.
   */
  private lost(url: string, e: Error): void {
    this.opts.log(`sfu: lost ${url}: ${e.message}; its channels move to another Janus`);
    this.sessions.delete(url);
    this.down.set(url, Date.now() + DOWN_MS);
    this.roomsPerUrl.set(url, 0);
    for (const [key, room] of [...this.rooms]) {
      if (room.url !== url) continue;
      // Every node that used the room says so; the first new request after that makes one elsewhere.
      void this.shared?.release(key, room.id).catch(() => undefined);
      this.leaveRoom(key, room);
    }
  }

  /** This node stops using the room: its members publish and subscribe again (`restart`), in the channel's room. */
  private leaveRoom(key: string, room: Room): void {
    this.rooms.delete(key);
    for (const m of room.members.values()) m.member.push({ op: 'restart' });
  }

  /** The channel's room; a new one requires end-to-end encryption when its first user encrypts. */
  private async roomOf(channel: string, e2ee = false): Promise<Room> {
    let room = this.rooms.get(channel);
    if (!room) {
      let making = this.making.get(channel);
      if (!making) {
        making = this.makeRoom(channel, e2ee).finally(() => this.making.delete(channel));
        this.making.set(channel, making);
      }
      room = await making;
    }
    await room.ready;
    return room;
  }

  private async makeRoom(channel: string, e2ee: boolean): Promise<Room> {
    for (let attempt = 0; attempt < this.opts.urls.length; attempt++) {
      let want: SharedRoom = {
        url: await this.leastLoaded(),
        id: randomInt(1, 2 ** 48),
        secret: randomBytes(18).toString('base64url'),
        pin: randomBytes(18).toString('base64url'),
        e2ee,
      };
      // Another node may have chosen already: then its room (and its Janus) it is.
      if (this.shared) want = await this.shared.claim(channel, want);
      let janus: JanusSession;
      try {
        janus = await this.session(want.url);
      } catch (err) {
        this.opts.log(`sfu: cannot reach ${want.url}: ${String(err)}`);
        await this.shared?.release(channel, want.id).catch(() => undefined);
        continue;
      }
      this.roomsPerUrl.set(want.url, (this.roomsPerUrl.get(want.url) ?? 0) + 1);
      const r: Room = {
        ...want,
        janus,
        ready: Promise.resolve(),
        members: new Map(),
        publishers: new Set(),
        refreshing: false,
        refreshAgain: false,
      };
      r.ready = (async () => {
        const h = await janus.attach(() => undefined);
        try {
          await janus.message(h, {
            request: 'create',
            room: r.id,
            secret: r.secret,
            pin: r.pin,
            is_private: true,
            publishers: 100,
            audiocodec: 'opus',
            videocodec: 'vp8',
            notify_joining: false,
            ...(want.e2ee ? { require_e2ee: true } : {}),
          });
        } catch (err) {
          // Shared rooms: every node asks Janus for the room it agreed on; the first one makes it.
          if (!(this.shared && err instanceof JanusError && err.code === ROOM_EXISTS)) throw err;
        } finally {
          void janus.detach(h);
        }
      })();
      this.rooms.set(channel, r);
      r.ready.then(
        () => this.refreshPublishers(r),
        (err: unknown) => {
          this.opts.log(`sfu: could not create a room on ${want.url}: ${String(err)}`);
          if (this.rooms.get(channel) === r) this.rooms.delete(channel);
        },
      );
      return r;
    }
    throw new SfuRefusal('ERR_FAILED', 'No SFU is reachable; try again shortly.');
  }

  /**
   * Shared rooms: which feeds of the room are live, members of other nodes included (their nodes announce changes;
   * Janus is asked, since it is what subscriptions are made of). Subscriptions are then brought in line.
   */
  private refreshPublishers(room: Room): void {
    if (!this.shared) return;
    if (room.refreshing) {
      room.refreshAgain = true;
      return;
    }
    room.refreshing = true;
    void (async () => {
      do {
        room.refreshAgain = false;
        const h = await room.janus.attach(() => undefined);
        try {
          const r = await room.janus.message(h, { request: 'listparticipants', room: room.id });
          const list = r.plugindata?.data.participants;
          room.publishers = new Set(
            (Array.isArray(list) ? (list as Array<Record<string, unknown>>) : [])
              .filter((p) => p.publisher === true && typeof p.id === 'number')
              .map((p) => p.id as number),
          );
        } finally {
          void room.janus.detach(h);
        }
        for (const media of room.members.values()) {
          // Janus already dropped gone feeds from every subscription.
          for (const uid of [...(media.sub?.feeds ?? [])])
            if (!this.isLive(room, uid)) media.sub!.feeds.delete(uid);
          this.reconcile(room, media);
        }
      } while (room.refreshAgain && this.rooms.get(this.channelOf(room) ?? '') === room);
    })()
      .catch((e: unknown) => this.opts.log(`sfu: could not list the room's publishers: ${String(e)}`))
      .finally(() => (room.refreshing = false));
  }

  private channelOf(room: Room): string | undefined {
    for (const [k, r] of this.rooms) if (r === room) return k;
    return undefined;
  }

  /** A feed others may subscribe to: this node's publisher once its media is up, or one Janus lists. */
  private isLive(room: Room, uid: number): boolean {
    const local = room.members.get(uid);
    return local?.pub ? local.pub.live : room.publishers.has(uid);
  }

  /** The reachable Janus with the fewest rooms, over all nodes when shared (all of them when none answered lately). */
  private async leastLoaded(): Promise<string> {
    const counts = this.shared ? await this.shared.load().catch(() => this.roomsPerUrl) : this.roomsPerUrl;
    const now = Date.now();
    const up = this.opts.urls.filter((u) => (this.down.get(u) ?? 0) <= now);
    const pool = up.length > 0 ? up : this.opts.urls;
    let best = pool[0]!;
    for (const url of pool) {
      if ((counts.get(url) ?? 0) < (counts.get(best) ?? 0)) best = url;
    }
    return best;
  }

  private mediaOf(room: Room, member: SfuMember): MemberMedia {
    let m = room.members.get(member.uid);
    if (!m) {
      m = {
        member,
        pub: null,
        pubChain: Promise.resolve(),
        sub: null,
        subChain: Promise.resolve(),
        wants: new Set(),
        layers: new Map(),
      };
      room.members.set(member.uid, m);
    } else if (m.member !== member) {
      // The same user on a newer socket (session rejoin): pushes go to it now.
      (m as { member: SfuMember }).member = member;
    }
    return m;
  }

  private publish(room: Room, media: MemberMedia, offer: SdpInit): Promise<SdpInit> {
    const run = async (): Promise<SdpInit> => {
      await this.unpublish(room, media);
      const handle = await room.janus.attach((e) => this.onPublisherEvent(room, media, handle, e));
      media.pub = { handle, live: false };
      try {
        const r = await room.janus.message(
          handle,
          {
            request: 'joinandconfigure',
            room: room.id,
            pin: room.pin,
            ptype: 'publisher',
            id: media.member.uid,
          },
          offer,
        );
        if (r.jsep?.type !== 'answer')
          throw new SfuRefusal('ERR_FAILED', 'Janus gave no answer to the offer.');
        return { type: 'answer', sdp: r.jsep.sdp };
      } catch (e) {
        if (media.pub?.handle === handle) media.pub = null;
        void room.janus.detach(handle);
        throw e instanceof JanusError
          ? new SfuRefusal('ERR_FAILED', `Janus refused to publish: ${e.message}`)
          : e;
      }
    };
    const p = media.pubChain.then(run, run);
    media.pubChain = p.catch(() => undefined);
    return p;
  }

  private async unpublish(room: Room, media: MemberMedia): Promise<void> {
    const pub = media.pub;
    if (!pub) return;
    media.pub = null;
    await room.janus.detach(pub.handle);
    this.feedGone(room, media.member.uid);
    this.shared?.announce(media.member.channel);
  }

  private onPublisherEvent(room: Room, media: MemberMedia, handle: number, e: JanusEvent): void {
    if (media.pub?.handle !== handle) return;
    if (e.janus === 'trickle') {
      media.member.push({ op: 'candidate', pc: 'pub', candidate: janusCandidate(e) });
    } else if (e.janus === 'webrtcup') {
      // Janus lists the feed (and lets others subscribe to it) once its media is up.
      media.pub.live = true;
      for (const other of room.members.values()) if (other !== media) this.reconcile(room, other);
      this.shared?.announce(media.member.channel);
    } else if (e.janus === 'hangup') {
      media.pub.live = false;
      this.feedGone(room, media.member.uid);
      this.shared?.announce(media.member.channel);
    }
  }

  /** Janus dropped that feed from every subscription; remember it so a republish is subscribed again. */
  private feedGone(room: Room, uid: number): void {
    for (const other of room.members.values()) other.sub?.feeds.delete(uid);
  }

  /** Brings the member's subscriber handle in line with what it wants and what is live, one step at a time. */
  private reconcile(room: Room, media: MemberMedia): void {
    const step = async () => {
      if (!room.members.has(media.member.uid) || this.rooms.get(media.member.channel) !== room) return;
      const live = (uid: number) => this.isLive(room, uid);
      const current = media.sub?.feeds ?? new Set<number>();
      const add = [...media.wants].filter((u) => live(u) && !current.has(u));
      const drop = [...current].filter((u) => !media.wants.has(u));
      if (add.length === 0 && drop.length === 0) return;
      let sub = media.sub;
      let r: JanusEvent;
      if (!sub) {
        const s: Subscriber = {
          handle: room.janus.attach((e) => this.onSubscriberEvent(room, media, s, e)),
          feeds: new Set(),
          streams: [],
          awaiting: null,
          started: false,
        };
        sub = media.sub = s;
        r = await room.janus.message(await s.handle, {
          request: 'join',
          room: room.id,
          pin: room.pin,
          ptype: 'subscriber',
          streams: add.map((feed) => ({ feed })),
          use_msid: true,
        });
      } else {
        r = await room.janus.message(await sub.handle, {
          request: 'update',
          ...(add.length ? { subscribe: add.map((feed) => ({ feed })) } : {}),
          ...(drop.length ? { unsubscribe: drop.map((feed) => ({ feed })) } : {}),
        });
      }
      for (const u of add) sub.feeds.add(u);
      for (const u of drop) sub.feeds.delete(u);
      await this.negotiate(room, media, sub, r);
    };
    media.subChain = media.subChain.then(step).catch((e: unknown) => {
      this.opts.log(`sfu: subscription update for uid ${media.member.uid} failed: ${String(e)}`);
    });
  }

  /** Sends Janus's offer to the member and `start`s with its answer. */
  private async negotiate(room: Room, media: MemberMedia, sub: Subscriber, e: JanusEvent): Promise<void> {
    if (e.plugindata?.data.streams) sub.streams = streamsOf(e);
    if (e.jsep?.type !== 'offer') return;
    const answer = await new Promise<SdpInit | null>((resolve) => {
      const timer = setTimeout(() => {
        sub.awaiting = null;
        resolve(null);
      }, ANSWER_TIMEOUT_MS);
      sub.awaiting = (jsep) => {
        clearTimeout(timer);
        sub.awaiting = null;
        resolve(jsep);
      };
      media.member.push({ op: 'offer', jsep: { type: 'offer', sdp: e.jsep!.sdp }, streams: sub.streams });
    });
    if (!answer || !answer.sdp || !room.members.has(media.member.uid)) return;
    await room.janus.message(await sub.handle, { request: 'start' }, answer);
    sub.started = true;
    await this.applyLayers(room, media, [...media.layers.keys()]);
  }

  /** Tells Janus which simulcast layer of these users' video to send this member. */
  private async applyLayers(room: Room, media: MemberMedia, uids: number[]): Promise<void> {
    const sub = media.sub;
    if (!sub?.started) return;
    const streams = sub.streams
      .filter((s) => s.kind === 'video' && uids.includes(s.uid) && media.layers.has(s.uid))
      .map((s) => ({ mid: s.mid, substream: media.layers.get(s.uid)! }));
    if (streams.length === 0) return;
    await room.janus.message(await sub.handle, { request: 'configure', streams });
  }

  private onSubscriberEvent(room: Room, media: MemberMedia, sub: Subscriber, e: JanusEvent): void {
    if (media.sub !== sub) return;
    if (e.janus === 'trickle') {
      media.member.push({ op: 'candidate', pc: 'sub', candidate: janusCandidate(e) });
      return;
    }
    if (e.janus !== 'event') return;
    if (e.plugindata?.data.streams) sub.streams = streamsOf(e);
    // Janus renegotiates on its own when a feed it sends goes away: queue it behind our own updates.
    if (e.jsep?.type === 'offer') {
      media.subChain = media.subChain.then(() => this.negotiate(room, media, sub, e)).catch(() => undefined);
    }
  }
}

function janusCandidate(
  e: JanusEvent,
): { candidate: string; sdpMid?: string; sdpMLineIndex?: number } | null {
  const c = e.candidate;
  if (!c || c.completed || typeof c.candidate !== 'string') return null;
  return {
    candidate: c.candidate,
    ...(typeof c.sdpMid === 'string' ? { sdpMid: c.sdpMid } : {}),
    ...(typeof c.sdpMLineIndex === 'number' ? { sdpMLineIndex: c.sdpMLineIndex } : {}),
  };
}

/** Janus's description of the subscriber's streams, as mid → (uid, kind). */
function streamsOf(e: JanusEvent): SfuStream[] {
  const raw = e.plugindata?.data.streams;
  if (!Array.isArray(raw)) return [];
  const out: SfuStream[] = [];
  for (const s of raw as Array<Record<string, unknown>>) {
    const kind = s.type;
    if (typeof s.mid !== 'string' || typeof s.feed_id !== 'number' || (kind !== 'audio' && kind !== 'video'))
      continue;
    if (s.active === false) continue;
    out.push({ mid: s.mid, uid: s.feed_id, kind });
  }
  return out;
}
