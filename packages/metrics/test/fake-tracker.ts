import type { TrackerEvent, TrackerStats } from '@mapp-s2s/core';
import type { MetricsSource } from '../src/index.js';

/** A tracker whose stats the test sets and whose events it emits. */
export interface FakeTracker extends MetricsSource {
  current: TrackerStats;
  emit(event: TrackerEvent): void;
  listeners(): number;
}

export function fakeTracker(stats: Partial<TrackerStats> = {}): FakeTracker {
  const listeners = new Set<(event: TrackerEvent) => void>();
  const tracker: FakeTracker = {
    current: {
      enqueued: 0,
      sent: 0,
      retried: 0,
      dropped: {},
      skipped: {},
      spooled: 0,
      queueDepth: 0,
      queueBytes: 0,
      inFlight: 0,
      latencyMs: { p50: 0, p99: 0, max: 0, count: 0 },
      ...stats,
    },
    stats: () => structuredClone(tracker.current),
    on(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    emit: (event) => listeners.forEach((listener) => listener(event)),
    listeners: () => listeners.size,
  };
  return tracker;
}
