// Entry of dist/sdk/agora-rtc-yjs.js, loaded by src/collab/yjs.ts at join.
export * from 'yjs';
