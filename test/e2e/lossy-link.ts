// A bad network for one page, without `tc netem` (not built into these machines' kernels) and without libwebrtc's
// fake-network field trials (not compiled into Debian's Chromium: its binary does not contain the trial's name).
// Every UDP packet of the page's WebRTC goes through a relay in the test process that really drops and delays
// packets: the page sees each remote candidate as a port of the relay, and the other side learns the page only
// through the relay (the page's own candidates are withheld, so the other side meets it as peer-reflexive).
import { createSocket, type Socket } from 'node:dgram';
import type { Page } from 'playwright-core';

/** The address every page has inside the test network namespace (scripts/netns.mjs). */
const NETNS_ADDRESS = '10.99.0.1';

export class LossyLink {
  private relays = new Map<string, Promise<number>>();
  private sockets: Socket[] = [];
  private timers = new Set<ReturnType<typeof setTimeout>>();
  dropped = 0;
  forwarded = 0;

  constructor(
    /** Share of packets dropped, each direction (%). */
    public lossPercent: number,
    /** Added one-way delay (ms). */
    public delayMs: number,
  ) {}

  /** Make `page` (before it loads) use this link for all its WebRTC traffic. */
  async attach(page: Page): Promise<void> {
    await page.exposeFunction('__lossyRelay', (address: string, port: number) =>
      this.relayFor(address, port),
    );
    await page.addInitScript(PAGE_SCRIPT);
  }

  /** A relay port forwarding to `address:port`, and back to whoever last spoke to the relay from elsewhere. */
  relayFor(address: string, port: number): Promise<number> {
    // Host candidates may be mDNS names; inside the namespace every page is at the one address.
    const target = address.endsWith('.local') ? NETNS_ADDRESS : address;
    const key = `${target}:${port}`;
    let relay = this.relays.get(key);
    if (!relay) {
      relay = new Promise<number>((resolve, reject) => {
        const s = createSocket('udp4');
        this.sockets.push(s);
        let client: { address: string; port: number } | null = null;
        s.on('message', (msg, from) => {
          const fromTarget = from.address === target && from.port === port;
          if (!fromTarget) client = { address: from.address, port: from.port };
          const to = fromTarget ? client : { address: target, port };
          if (!to) return;
          if (Math.random() * 100 < this.lossPercent) {
            this.dropped++;
            return;
          }
          this.forwarded++;
          const t = setTimeout(() => {
            this.timers.delete(t);
            s.send(msg, to.port, to.address, () => undefined);
          }, this.delayMs);
          this.timers.add(t);
        });
        s.once('error', reject);
        s.bind(0, NETNS_ADDRESS, () => resolve(s.address().port));
      });
      this.relays.set(key, relay);
    }
    return relay;
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    for (const s of this.sockets) s.close();
  }
}

/** Runs in the degraded page before any of its scripts. */
const PAGE_SCRIPT = `(() => {
  const Native = window.RTCPeerConnection;
  const relay = window.__lossyRelay;
  // "candidate:<foundation> <component> <protocol> <priority> <address> <port> typ …": UDP ones go to a relay port.
  async function rewrite(line) {
    const f = line.split(' ');
    if (f.length < 8 || f[2].toLowerCase() !== 'udp') return null;
    f[5] = String(await relay(f[4], Number(f[5])));
    return f.join(' ');
  }
  const withoutCandidates = (sdp) => sdp.split('\\r\\n').filter((l) => !l.startsWith('a=candidate:')).join('\\r\\n');
  class DegradedPeerConnection extends Native {
    async addIceCandidate(c) {
      if (!c || !c.candidate) return super.addIceCandidate(c);
      const line = await rewrite(c.candidate.replace(/^a=/, ''));
      if (!line) return;
      return super.addIceCandidate({ candidate: line, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex });
    }
    async setRemoteDescription(d) {
      const out = [];
      for (const l of d.sdp.split('\\r\\n')) {
        if (!l.startsWith('a=candidate:')) out.push(l);
        else {
          const r = await rewrite(l.slice(2));
          if (r) out.push('a=' + r);
        }
      }
      return super.setRemoteDescription({ type: d.type, sdp: out.join('\\r\\n') });
    }
    get localDescription() {
      const d = super.localDescription;
      return d && { type: d.type, sdp: withoutCandidates(d.sdp), toJSON() { return { type: this.type, sdp: this.sdp }; } };
    }
    get onicecandidate() {
      return super.onicecandidate;
    }
    set onicecandidate(fn) {
      super.onicecandidate = fn && ((e) => (e.candidate && e.candidate.candidate ? undefined : fn(e)));
    }
  }
  window.RTCPeerConnection = DegradedPeerConnection;
})();`;
