// simple-peer and readable-stream ask for Node's Buffer. We never stream data over simple-peer's data channel,
// so the 20 KB buffer polyfill would be dead weight: this covers what their code paths touch (random ids).
class ShimBuffer extends Uint8Array {
  static from(x) {
    return typeof x === 'string' ? new ShimBuffer(new TextEncoder().encode(x)) : new ShimBuffer(x);
  }
  static isBuffer(x) {
    return x instanceof Uint8Array;
  }
  static alloc(n) {
    return new ShimBuffer(n);
  }
  static allocUnsafe(n) {
    return new ShimBuffer(n);
  }
  static concat(list) {
    const out = new ShimBuffer(list.reduce((n, b) => n + b.length, 0));
    let at = 0;
    for (const b of list) {
      out.set(b, at);
      at += b.length;
    }
    return out;
  }
  toString(encoding) {
    if (encoding === 'hex') return Array.from(this, (b) => b.toString(16).padStart(2, '0')).join('');
    return new TextDecoder().decode(this);
  }
}
module.exports = { Buffer: ShimBuffer };
