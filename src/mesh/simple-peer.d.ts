// simple-peer's prebuilt browser bundle carries its own Node polyfills (a plain `import 'simple-peer'` fails in
// the browser); its API is the one @types/simple-peer describes.
declare module 'simple-peer/simplepeer.min.js' {
  import SimplePeer from 'simple-peer';
  export default SimplePeer;
}
