import { describe, expect, it } from '@jest/globals';
import { AggregationTemporality, MeterProvider, MetricReader, type DataPoint, type Histogram, type MetricData } from '@opentelemetry/sdk-metrics';
import { registerOpenTelemetryMetrics } from '../src/index.js';
import { fakeTracker } from './fake-tracker.js';

/** A reader the test collects from on demand (cumulative, as Prometheus-style backends read). */
class InMemoryReader extends MetricReader {
  async read(): Promise<Record<string, MetricData>> {
    const { resourceMetrics, errors } = await this.collect();
    expect(errors).toEqual([]);
    const out: Record<string, MetricData> = {};
    for (const scope of resourceMetrics.scopeMetrics) for (const metric of scope.metrics) out[metric.descriptor.name] = metric;
    return out;
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function setup(stats: Parameters<typeof fakeTracker>[0] = {}) {
  const reader = new InMemoryReader({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  const provider = new MeterProvider({ readers: [reader] });
  const tracker = fakeTracker(stats);
  const registered = registerOpenTelemetryMetrics(tracker, { meter: provider.getMeter('test') });
  return { reader, tracker, registered, provider };
}

/** `attributes JSON → value` of one metric's points. */
function points(metric: MetricData | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const point of (metric?.dataPoints ?? []) as Array<DataPoint<unknown>>) out[JSON.stringify(point.attributes)] = point.value;
  return out;
}

describe('registerOpenTelemetryMetrics', () => {
  it('observes the tracker totals as monotonic counters, the same on every collection', async () => {
    const { reader, tracker, provider } = setup({ enqueued: 5, sent: 4, retried: 1, spooled: 2 });
    const first = await reader.read();
    expect(points(first['mapp_s2s.hits.sent'])).toEqual({ '{}': 4 });
    expect(points(first['mapp_s2s.hits.enqueued'])).toEqual({ '{}': 5 });
    expect(points(first['mapp_s2s.hits.retried'])).toEqual({ '{}': 1 });
    expect(points(first['mapp_s2s.hits.spooled'])).toEqual({ '{}': 2 });
    expect(first['mapp_s2s.hits.sent']).toMatchObject({ isMonotonic: true });
    expect(points((await reader.read())['mapp_s2s.hits.sent'])).toEqual({ '{}': 4 });

    tracker.current.sent = 10;
    expect(points((await reader.read())['mapp_s2s.hits.sent'])).toEqual({ '{}': 10 });
    await provider.shutdown();
  });

  it('counts dropped hits and skipped requests with a reason attribute', async () => {
    const { reader, provider } = setup({ dropped: { 'retries-exhausted': 2 }, skipped: { bot: 3, 'opt-out': 1 } });
    const metrics = await reader.read();
    expect(points(metrics['mapp_s2s.hits.dropped'])).toEqual({ '{"reason":"retries-exhausted"}': 2 });
    expect(points(metrics['mapp_s2s.requests.skipped'])).toEqual({ '{"reason":"bot"}': 3, '{"reason":"opt-out"}': 1 });
    await provider.shutdown();
  });

  it('observes the queue, in-flight and spool gauges (sizes in bytes)', async () => {
    const { reader, tracker, provider } = setup({ queueDepth: 7, queueBytes: 2100, inFlight: 3 });
    let metrics = await reader.read();
    expect(points(metrics['mapp_s2s.queue.depth'])).toEqual({ '{}': 7 });
    expect(points(metrics['mapp_s2s.queue.size'])).toEqual({ '{}': 2100 });
    expect(metrics['mapp_s2s.queue.size']?.descriptor.unit).toBe('By');
    expect(points(metrics['mapp_s2s.in_flight'])).toEqual({ '{}': 3 });
    expect(points(metrics['mapp_s2s.spool.size'])).toEqual({});
    tracker.current.spoolBytes = 512;
    metrics = await reader.read();
    expect(points(metrics['mapp_s2s.spool.size'])).toEqual({ '{}': 512 });
    await provider.shutdown();
  });

  it('records the send latency of each sent event in a histogram, in seconds', async () => {
    const { reader, tracker, provider } = setup();
    tracker.emit({ type: 'sent', lines: 10, status: 200, latencyMs: 20 });
    tracker.emit({ type: 'sent', lines: 1, status: 200, latencyMs: 300 });
    tracker.emit({ type: 'dropped', lines: 1, reason: 'rejected' });
    const metric = (await reader.read())['mapp_s2s.send.duration'];
    const value = (metric?.dataPoints[0] as DataPoint<Histogram>).value;
    expect(metric?.descriptor.unit).toBe('s');
    expect(value.count).toBe(2);
    expect(value.sum).toBeCloseTo(0.32, 6);
    expect(value.buckets.boundaries).toEqual([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
    expect(value.buckets.counts).toEqual([0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0]);
    await provider.shutdown();
  });

  it('unregisters: no more observations and no tracker listener', async () => {
    const { reader, tracker, registered, provider } = setup({ sent: 4 });
    expect(tracker.listeners()).toBe(1);
    registered.unregister();
    expect(tracker.listeners()).toBe(0);
    tracker.current.sent = 99;
    const metrics = await reader.read();
    expect(points(metrics['mapp_s2s.hits.sent'])).not.toEqual({ '{}': 99 });
    await provider.shutdown();
  });

  it('rejects a missing meter with the fix', () => {
    expect(() => registerOpenTelemetryMetrics(fakeTracker(), {} as never)).toThrow("options.meter must be an OpenTelemetry Meter, e.g. metrics.getMeter('shop')");
  });
});
