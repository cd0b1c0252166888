// Entry of dist/sdk/agora-collab.js: registers <agora-chat> and <agora-whiteboard>. Kept out of
// agora-components.js so a call without chat or whiteboard does not download them; <agora-call> imports this
// module the first time its chat or whiteboard is opened.
export { AgoraChatElement } from './agora-chat.js';
export { AgoraWhiteboardElement } from './agora-whiteboard.js';
export type { ChatMessageDetail } from './agora-chat.js';
