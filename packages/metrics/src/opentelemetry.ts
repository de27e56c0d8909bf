import type { Attributes, BatchObservableCallback, Meter, Observable } from '@opentelemetry/api';
import { COUNTERS, GAUGES, LATENCY_BUCKETS_SECONDS, assertSource, type MetricsSource, type RegisteredMetrics } from './source.js';

/** Options of {@link registerOpenTelemetryMetrics}. */
export interface OpenTelemetryMetricsOptions {
  /** The meter to create the instruments with, e.g. `metrics.getMeter('shop')`. */
  meter: Meter;
  /** Prefix of every instrument name. @default 'mapp_s2s.' */
  prefix?: string;
  /** Advised bucket boundaries of the send-latency histogram, in seconds. @default 5 ms to 10 s */
  latencyBuckets?: readonly number[];
}

/**
 * Creates a tracker's OpenTelemetry instruments on `meter`. Counters and gauges are
 * observable instruments read from one `tracker.stats()` per collection (a batch callback),
 * so the SDK sees the tracker's own monotonic totals; the send latency is a histogram
 * recorded from the tracker's `sent` events. Needs only `@opentelemetry/api` (through the
 * meter you pass): bring any SDK and exporter.
 *
 * | Instrument | Kind | |
 * | --- | --- | --- |
 * | `mapp_s2s.hits.enqueued`, `.hits.sent`, `.hits.retried`, `.hits.spooled` | observable counter | `{hit}` |
 * | `mapp_s2s.hits.dropped` (`reason`) | observable counter | |
 * | `mapp_s2s.requests.skipped` (`reason`) | observable counter | |
 * | `mapp_s2s.queue.depth`, `.queue.size`, `.in_flight`, `.spool.size` | observable gauge | sizes in `By` |
 * | `mapp_s2s.send.duration` | histogram | `s`, one record per accepted request |
 */
export function registerOpenTelemetryMetrics(tracker: MetricsSource, options: OpenTelemetryMetricsOptions): RegisteredMetrics {
  assertSource(tracker, 'registerOpenTelemetryMetrics');
  const { meter, prefix = 'mapp_s2s.', latencyBuckets = LATENCY_BUCKETS_SECONDS } = options ?? ({} as OpenTelemetryMetricsOptions);
  if (typeof meter?.createObservableCounter !== 'function') {
    throw new TypeError("registerOpenTelemetryMetrics: options.meter must be an OpenTelemetry Meter, e.g. metrics.getMeter('shop')");
  }
  const counters = COUNTERS.map(([suffix, field, description]) => ({
    field,
    instrument: meter.createObservableCounter(`${prefix}${suffix.replace('_', '.')}`, { description, unit: '{hit}' }),
  }));
  const dropped = meter.createObservableCounter(`${prefix}hits.dropped`, { description: 'Hits given up on, by reason.', unit: '{hit}' });
  const skipped = meter.createObservableCounter(`${prefix}requests.skipped`, {
    description: 'Requests (and track() calls) that did not become a hit, by reason.',
    unit: '{request}',
  });
  const gauges = GAUGES.map(([suffix, field, description, unit]) => ({
    field,
    instrument: meter.createObservableGauge(`${prefix}${OTEL_GAUGE_NAMES[suffix]}`, { description, unit: unit === 'By' ? 'By' : '{hit}' }),
  }));
  const latency = meter.createHistogram(`${prefix}send.duration`, {
    description: 'Time Mapp took to accept one tracking request (a batch or a single hit).',
    unit: 's',
    advice: { explicitBucketBoundaries: [...latencyBuckets] },
  });

  const observe: BatchObservableCallback<Attributes> = (result) => {
    const stats = tracker.stats();
    for (const { field, instrument } of counters) result.observe(instrument, stats[field]);
    for (const [reason, count] of Object.entries(stats.dropped)) result.observe(dropped, count ?? 0, { reason });
    for (const [reason, count] of Object.entries(stats.skipped)) result.observe(skipped, count ?? 0, { reason });
    for (const { field, instrument } of gauges) {
      const value = stats[field];
      if (typeof value === 'number') result.observe(instrument, value);
    }
  };
  const observables: Observable[] = [...counters.map((c) => c.instrument), dropped, skipped, ...gauges.map((g) => g.instrument)];
  meter.addBatchObservableCallback(observe, observables);
  const stop = tracker.on((event) => {
    if (event.type === 'sent') latency.record(event.latencyMs / 1000);
  });

  return {
    unregister() {
      stop();
      meter.removeBatchObservableCallback(observe, observables);
    },
  };
}

/** OpenTelemetry's names for the gauges: dotted namespaces, `size` for bytes. */
const OTEL_GAUGE_NAMES: Record<(typeof GAUGES)[number][0], string> = {
  queue_depth: 'queue.depth',
  queue_bytes: 'queue.size',
  in_flight: 'in_flight',
  spool_bytes: 'spool.size',
};
