import type { TrackerEvent, TrackerStats } from '@mapp-s2s/core';

/**
 * What the exporters read from a tracker: `stats()` at collection time and the `sent` events
 * for the latency histogram. Every `Tracker` of `@mapp-s2s/core` (and of the adapters) fits.
 */
export interface MetricsSource {
  stats(): TrackerStats;
  on(listener: (event: TrackerEvent) => void): () => void;
}

/** The handle both `register*` functions return. */
export interface RegisteredMetrics {
  /** Removes the metrics from the registry or meter and stops listening to the tracker. */
  unregister(): void;
}

/** The monotonic counters of `stats()`, by metric suffix. */
export const COUNTERS = [
  ['hits_enqueued', 'enqueued', 'Hits handed to the transport.'],
  ['hits_sent', 'sent', 'Hits Mapp accepted.'],
  ['hits_retried', 'retried', 'Hits sent again after a failed attempt.'],
  ['hits_spooled', 'spooled', 'Hits written to the spool folder for a later send.'],
] as const satisfies ReadonlyArray<readonly [string, keyof TrackerStats, string]>;

/** The gauges of `stats()`, by metric suffix. `spoolBytes` only exists with a spool. */
export const GAUGES = [
  ['queue_depth', 'queueDepth', 'Hits waiting in memory (not in flight).', ''],
  ['queue_bytes', 'queueBytes', 'Bytes of the hits waiting in memory.', 'By'],
  ['in_flight', 'inFlight', 'Hits in requests being sent or waiting for a retry.', ''],
  ['spool_bytes', 'spoolBytes', "Bytes in the spool folder's files.", 'By'],
] as const satisfies ReadonlyArray<readonly [string, keyof TrackerStats, string, string]>;

/** Upper bounds (seconds) of the send-latency histogram: 5 ms to 10 s. */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Rejects what is not a tracker with a message naming the fix. */
export function assertSource(source: unknown, caller: string): asserts source is MetricsSource {
  const candidate = source as Partial<MetricsSource> | null | undefined;
  if (typeof candidate?.stats !== 'function' || typeof candidate.on !== 'function') {
    throw new TypeError(`${caller}: the first argument must be a tracker (with stats() and on()), e.g. mappTracking(options).tracker`);
  }
}
