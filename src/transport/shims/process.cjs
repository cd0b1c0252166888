// readable-stream (when present) only needs process.nextTick (with arguments). Kept module-local: no global `process` is
// defined on the page, so apps that sniff for Node are not fooled.
module.exports = {
  env: {},
  browser: true,
  nextTick: (fn, ...args) => queueMicrotask(() => fn(...args)),
};
