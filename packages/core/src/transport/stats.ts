import type { DropReason, TrackerStats } from '../types.js';

/** How many recent latencies the percentiles are computed over. */
const LATENCY_WINDOW = 512;

/**
 * Counters shared by the transports. Kept tiny and allocation-free on the hot path;
 * percentiles are computed only when `snapshot()` is called.
 * @internal
 */
export interface StatsRecorder {
  enqueued: number;
  sent: number;
  retried: number;
  spooled: number;
  readonly dropped: Partial<Record<DropReason, number>>;
  drop(reason: DropReason, count?: number): void;
  latency(ms: number): void;
  snapshot(extra: { queueDepth: number; queueBytes?: number; inFlight: number }): Partial<TrackerStats>;
}

/** @internal */
export function createStatsRecorder(): StatsRecorder {
  const window: number[] = [];
  let next = 0;
  let count = 0;
  let max = 0;
  const dropped: Partial<Record<DropReason, number>> = {};
  const recorder: StatsRecorder = {
    enqueued: 0,
    sent: 0,
    retried: 0,
    spooled: 0,
    dropped,
    drop(reason, n = 1) {
      dropped[reason] = (dropped[reason] ?? 0) + n;
    },
    latency(ms) {
      // A ring buffer: old latencies fall out so p99 describes the recent past.
      if (window.length < LATENCY_WINDOW) window.push(ms);
      else window[next] = ms;
      next = (next + 1) % LATENCY_WINDOW;
      count += 1;
      if (ms > max) max = ms;
    },
    snapshot(extra) {
      const sorted = [...window].sort((a, b) => a - b);
      const pick = (q: number): number => (sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0));
      return {
        enqueued: recorder.enqueued,
        sent: recorder.sent,
        retried: recorder.retried,
        spooled: recorder.spooled,
        dropped: { ...dropped },
        queueDepth: extra.queueDepth,
        queueBytes: extra.queueBytes ?? 0,
        inFlight: extra.inFlight,
        latencyMs: { p50: pick(0.5), p99: pick(0.99), max, count },
      };
    },
  };
  return recorder;
}
