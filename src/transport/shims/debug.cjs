// simple-peer's `debug` logging is off in production anyway; a no-op saves its 2.5 KB.
module.exports = () => () => {};
