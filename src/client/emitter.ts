import { log } from '../quality/log.js';

/**
 * A typed event emitter: `on/off/once` are generic over an event map, so `client.on('peer-leave', e => e.uid)`
 * type-checks. A listener that throws is caught and reported, never breaks the SDK or the other listeners.
 */
export class Emitter<M extends object> {
  private listeners = new Map<keyof M, Set<(evt: never) => void>>();

  on<K extends keyof M>(event: K, listener: (evt: M[K]) => void): void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (evt: never) => void);
  }

  off<K extends keyof M>(event: K, listener?: (evt: M[K]) => void): void {
    if (!listener) this.listeners.delete(event);
    else this.listeners.get(event)?.delete(listener as (evt: never) => void);
  }

  once<K extends keyof M>(event: K, listener: (evt: M[K]) => void): void {
    const wrapped = (evt: M[K]) => {
      this.off(event, wrapped);
      listener(evt);
    };
    this.on(event, wrapped);
  }

  /** How many listeners an event has (work that only feeds an event can be skipped without any). */
  protected listenerCount(event: keyof M): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  protected emit<K extends keyof M>(event: K, evt: M[K]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        (listener as (e: M[K]) => void)(evt);
      } catch (e) {
        log.error(`a '${String(event)}' listener threw:`, e);
      }
    }
  }

  protected removeAllListeners(): void {
    this.listeners.clear();
  }
}
