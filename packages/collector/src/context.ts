import type { EventHub } from './event-hub.js';
import type { FaultState } from './faults.js';
import type { HitStore } from './store.js';

/** Shared state of one running collector, handed to the route handlers. */
export interface CollectorContext {
  readonly store: HitStore;
  readonly faults: FaultState;
  readonly events: EventHub;
  /** Accepted track ids, or `undefined` to accept every well-formed id. */
  readonly trackIds: ReadonlySet<string> | undefined;
  readonly inspector: boolean;
  /** `true` when a `Host` header names this collector (guard.ts). */
  isAllowedHost: (hostHeader: string | undefined) => boolean;
  /** Tracking requests received, faulted ones included. */
  requests: number;
  /** Waits `ms`, or less if the collector closes meanwhile. */
  delay(ms: number): Promise<void>;
  /** `true` once `close()` started. */
  isClosed(): boolean;
}
