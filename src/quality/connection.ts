// The state of the client's connection to the server, as calling SDKs report it (Agora NG's ConnectionState),
// kept in step with the manual's `error` event: CONNECTION_INTERRUPTED is exactly the move to RECONNECTING.

export const ConnectionState = {
  DISCONNECTED: 'DISCONNECTED',
  CONNECTING: 'CONNECTING',
  CONNECTED: 'CONNECTED',
  RECONNECTING: 'RECONNECTING',
  DISCONNECTING: 'DISCONNECTING',
} as const;

export type ConnectionStateName = keyof typeof ConnectionState;

/** Why the state changed. */
export type ConnectionChangeReason =
  /** init (or a join after leave) opened the connection. */
  | 'CONNECT'
  /** The server could not be reached, or refused the App ID. */
  | 'CONNECT_FAILED'
  /** The link dropped (the `error` event's CONNECTION_INTERRUPTED). */
  | 'INTERRUPTED'
  /** A reconnect succeeded; the user is back in the channel with the same uid. */
  | 'RECONNECTED'
  /** The server ended the stay (Channel Key expired, uid taken on rejoin). */
  | 'SERVER_ENDED'
  /** leave() while reconnecting, which ends the reconnect attempts. */
  | 'LEAVE'
  /** close(). */
  | 'CLOSE';

export interface ConnectionStateChangeEvent {
  type: 'connection-state-change';
  curState: ConnectionStateName;
  prevState: ConnectionStateName;
  reason: ConnectionChangeReason;
}

export class ConnectionTracker {
  private current: ConnectionStateName = 'DISCONNECTED';

  constructor(private readonly onChange: (e: ConnectionStateChangeEvent) => void) {}

  get state(): ConnectionStateName {
    return this.current;
  }

  set(next: ConnectionStateName, reason: ConnectionChangeReason): void {
    if (next === this.current) return;
    const prevState = this.current;
    this.current = next;
    this.onChange({ type: 'connection-state-change', curState: next, prevState, reason });
  }
}
