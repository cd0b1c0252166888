// What the mesh accepts from another member's relays (src/transport/signal.ts): the shapes simple-peer sends, and
// nothing else, copied field by field.
import { describe, expect, it } from 'vitest';
import { parseMeshSignal } from '../../src/transport/signal.js';

const sig = (s: unknown, link: unknown = 'abc123') => parseMeshSignal({ k: 'sig', link, sig: s });

describe('relayed mesh signals', () => {
  it('accepts what simple-peer sends: offer, answer, candidate, renegotiate, transceiver request, and sub', () => {
    expect(sig({ type: 'offer', sdp: 'v=0\r\n' })).toEqual({
      k: 'sig',
      link: 'abc123',
      sig: { type: 'offer', sdp: 'v=0\r\n' },
    });
    expect(sig({ type: 'answer', sdp: 'v=0\r\n' })?.k).toBe('sig');
    const candidate = {
      candidate: 'candidate:1 1 udp 1 10.99.0.1 5000 typ host',
      sdpMid: '0',
      sdpMLineIndex: 0,
    };
    expect(sig({ type: 'candidate', candidate })).toEqual({
      k: 'sig',
      link: 'abc123',
      sig: { type: 'candidate', candidate },
    });
    expect(sig({ type: 'renegotiate', renegotiate: true })?.k).toBe('sig');
    expect(sig({ type: 'transceiverRequest', transceiverRequest: { kind: 'video' } })?.k).toBe('sig');
    expect(
      sig({
        type: 'transceiverRequest',
        transceiverRequest: { kind: 'audio', init: { direction: 'recvonly' } },
      }),
    ).toMatchObject({ sig: { transceiverRequest: { kind: 'audio', init: { direction: 'recvonly' } } } });
    expect(parseMeshSignal({ k: 'sub', on: true })).toEqual({ k: 'sub', on: true });
  });

  it('refuses other shapes, oversized fields and odd link ids', () => {
    const bad: unknown[] = [
      null,
      'offer',
      [],
      { k: 'sub', on: 'yes' },
      { k: 'other' },
      { k: 'sig', link: 'x' },
    ];
    for (const b of bad) expect(parseMeshSignal(b), JSON.stringify(b)).toBeNull();
    expect(sig({ type: 'offer', sdp: 'x'.repeat(60_001) })).toBeNull();
    expect(sig({ type: 'rollback', sdp: 'v=0' })).toBeNull();
    expect(sig({ type: 'offer', sdp: 5 })).toBeNull();
    expect(sig({ candidate: { candidate: 'c'.repeat(2000) } })).toBeNull();
    expect(sig({ candidate: { candidate: 'c', sdpMLineIndex: -1 } })).toBeNull();
    expect(sig({ candidate: 'c' })).toBeNull();
    expect(sig({ transceiverRequest: { kind: 'data' } })).toBeNull();
    expect(sig({ transceiverRequest: { kind: 'video', init: { sendEncodings: [{}] } } })).toBeNull();
    expect(sig({ renegotiate: 'yes' })).toBeNull();
    expect(sig({})).toBeNull();
    expect(sig({ type: 'offer', sdp: 'v=0' }, '')).toBeNull();
    expect(sig({ type: 'offer', sdp: 'v=0' }, 'l'.repeat(33))).toBeNull();
    expect(sig({ type: 'offer', sdp: 'v=0' }, 7)).toBeNull();
  });

  it('copies only known fields, never inherited ones', () => {
    const r = sig({ type: 'offer', sdp: 'v=0', extra: { huge: 'x'.repeat(1000) } });
    expect(r).toEqual({ k: 'sig', link: 'abc123', sig: { type: 'offer', sdp: 'v=0' } });
    const polluted = JSON.parse(
      '{"k":"sig","link":"a","sig":{"__proto__":{"type":"offer","sdp":"v=0"}}}',
    ) as unknown;
    expect(parseMeshSignal(polluted)).toBeNull();
  });
});
