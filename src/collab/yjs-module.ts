// Entry of dist/sdk/agora-rtc-yjs.js, loaded by src/collab/whiteboard/load.ts on the first openWhiteboard.
export * from 'yjs';
