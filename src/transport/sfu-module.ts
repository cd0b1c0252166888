// Entry of the SFU chunk (agora-rtc-sfu.js): what the Client needs only when a channel's media goes through Janus.
export { Sfu } from './sfu.js';
export { Handover } from './handover.js';
