// The recording code that loads on first use (load.ts): the recorder (compositor, MediaRecorder, IndexedDB store)
// and the recordings library, one chunk, so calls that never record or list recordings do not download it.
export { Recorder } from './recorder.js';
export { library } from './library-impl.js';
