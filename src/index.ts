export { ErrorCode, WarningCode } from './protocol/codes.js';
export const VERSION = '0.1.0';
const AgoraRTC = { VERSION };
export default AgoraRTC;
