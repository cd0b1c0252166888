/**
 * The manual's appendix: error codes (错误代码) and warning codes (警告代码), by their constant names.
 * Shared by the SDK and the server so both speak the same numbers.
 *
 * The manual lists code 20 twice; the second entry ("SDK 放弃请求") is ERR_ABORTED.
 */
export const ErrorCode = {
  ERR_OK: 0,
  ERR_FAILED: 1,
  ERR_INVALID_ARGUMENT: 2,
  ERR_NOT_READY: 3,
  ERR_NOT_SUPPORTED: 4,
  ERR_REFUSED: 5,
  ERR_BUFFER_TOO_SMALL: 6,
  ERR_NOT_INITIALIZED: 7,
  ERR_INVALID_VIEW: 8,
  ERR_NO_PERMISSION: 9,
  ERR_TIMEDOUT: 10,
  ERR_CANCELED: 11,
  ERR_TOO_OFTEN: 12,
  ERR_BIND_SOCKET: 13,
  ERR_NET_DOWN: 14,
  ERR_NET_NOBUFS: 15,
  ERR_INIT_VIDEO: 16,
  ERR_JOIN_CHANNEL_REJECTED: 17,
  ERR_LEAVE_CHANNEL_REJECTED: 18,
  ERR_ALREADY_IN_USE: 19,
  ERR_ABORTED: 20,
  ERR_INVALID_APP_ID: 101,
  ERR_INVALID_CHANNEL_NAME: 102,
  ERR_CHANNEL_KEY_EXPIRED: 109,
  ERR_INVALID_CHANNEL_KEY: 110,
  ERR_CONNECTION_INTERRUPTED: 111,
  ERR_CONNECTION_LOST: 112,
  ERR_LOAD_MEDIA_ENGINE: 1001,
  ERR_START_CALL: 1002,
  ERR_START_CAMERA: 1003,
  ERR_START_VIDEO_RENDER: 1004,
  ERR_ADM_GENERAL_ERROR: 1005,
  ERR_ADM_JAVA_RESOURCE: 1006,
  ERR_ADM_SAMPLE_RATE: 1007,
  ERR_ADM_INIT_PLAYOUT: 1008,
  ERR_ADM_START_PLAYOUT: 1009,
  ERR_ADM_STOP_PLAYOUT: 1010,
  ERR_ADM_INIT_RECORDING: 1011,
  ERR_ADM_START_RECORDING: 1012,
  ERR_ADM_STOP_RECORDING: 1013,
  ERR_ADM_RUNTIME_PLAYOUT_ERROR: 1015,
  ERR_ADM_RUNTIME_RECORDING_ERROR: 1017,
  ERR_ADM_RECORD_AUDIO_FAILED: 1018,
  ERR_ADM_INIT_LOOPBACK: 1022,
  ERR_ADM_START_LOOPBACK: 1023,
  ERR_VDM_CAMERA_NOT_AUTHORIZED: 1501,
} as const;

export type ErrorName = keyof typeof ErrorCode;
export type ErrorCodeValue = (typeof ErrorCode)[ErrorName];

/** Warnings: the SDK met a problem it may recover from; informational. */
export const WarningCode = {
  WARN_PENDING: 20,
  WARN_NO_AVAILABLE_CHANNEL: 103,
  WARN_LOOKUP_CHANNEL_TIMEOUT: 104,
  WARN_LOOKUP_CHANNEL_REJECTED: 105,
  WARN_OPEN_CHANNEL_TIMEOUT: 106,
  WARN_OPEN_CHANNEL_REJECTED: 107,
  WARN_ADM_RUNTIME_PLAYOUT_WARNING: 1014,
  WARN_ADM_RUNTIME_RECORDING_WARNING: 1016,
  WARN_ADM_RECORD_AUDIO_SILENCE: 1019,
  WARN_ADM_PLAYOUT_MALFUNCTION: 1020,
  WARN_ADM_RECORD_MALFUNCTION: 1021,
  WARN_ADM_HOWLING: 1051,
  /**
   * Beyond the manual, whose SDK had a native agent instead: init could not register the SDK's service worker
   * (calls work; no offline start). 2001 lies outside every range the manual uses.
   */
  WARN_SERVICE_WORKER_UNAVAILABLE: 2001,
} as const;

export type WarningName = keyof typeof WarningCode;

const byCode = new Map<number, ErrorName>(
  Object.entries(ErrorCode).map(([name, code]) => [code, name as ErrorName]),
);

/** The constant name of an error code, e.g. 102 → "ERR_INVALID_CHANNEL_NAME". */
export function errorName(code: number): ErrorName | undefined {
  return byCode.get(code);
}
