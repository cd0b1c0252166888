// simple-peer builds its Peer on readable-stream's Duplex for a data-channel stream API that the mesh does not use
// (it sends media, never data). A Duplex with just what simple-peer itself calls — push, end, the two state flags,
// events — is enough, and keeps readable-stream (~9 KB gzipped) out of the SDK.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS, like the simple-peer it stands under.
const { EventEmitter } = require('events');

class Duplex extends EventEmitter {
  constructor() {
    super();
    this.readable = true;
    this.writable = true;
    this._readableState = { ended: false };
    this._writableState = { finished: false };
  }

  /** Data from the channel goes to 'data' listeners; null ends the readable side. */
  push(chunk) {
    if (chunk === null) {
      this._readableState.ended = true;
      return false;
    }
    this.emit('data', chunk);
    return true;
  }

  write(chunk, encoding, cb) {
    const done = typeof encoding === 'function' ? encoding : cb;
    this._write(chunk, typeof encoding === 'string' ? encoding : undefined, (err) => {
      if (err) this.emit('error', err);
      if (done) done(err);
    });
    return true;
  }

  /** Ends the writable side: 'finish' follows, as in a stream. */
  end() {
    if (this._writableState.finished) return this;
    this._writableState.finished = true;
    this.writable = false;
    queueMicrotask(() => this.emit('finish'));
    return this;
  }
}

module.exports = { Duplex };
