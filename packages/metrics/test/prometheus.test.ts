import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { registerPrometheusMetrics } from '../src/index.js';
import { fakeTracker } from './fake-tracker.js';

/** Metric name → `labels` JSON → value, from the registry's JSON form. */
async function scrape(registry: Registry): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  for (const metric of await registry.getMetricsAsJSON()) {
    const values: Record<string, number> = {};
    for (const { labels, value, metricName } of metric.values as Array<{ labels: Record<string, string | number>; value: number; metricName?: string }>) {
      values[`${metricName ?? metric.name}${JSON.stringify(labels)}`] = value;
    }
    out[metric.name] = values;
  }
  return out;
}

describe('registerPrometheusMetrics', () => {
  it('reads the totals at scrape time: scraping twice never doubles a counter', async () => {
    const registry = new Registry();
    const tracker = fakeTracker({ enqueued: 5, sent: 4, retried: 1, spooled: 2 });
    registerPrometheusMetrics(tracker, { registry });
    const first = await scrape(registry);
    const second = await scrape(registry);
    expect(second).toEqual(first);
    expect(first['mapp_s2s_hits_enqueued_total']).toEqual({ 'mapp_s2s_hits_enqueued_total{}': 5 });
    expect(first['mapp_s2s_hits_sent_total']).toEqual({ 'mapp_s2s_hits_sent_total{}': 4 });
    expect(first['mapp_s2s_hits_retried_total']).toEqual({ 'mapp_s2s_hits_retried_total{}': 1 });
    expect(first['mapp_s2s_hits_spooled_total']).toEqual({ 'mapp_s2s_hits_spooled_total{}': 2 });

    tracker.current.sent = 9;
    expect((await scrape(registry))['mapp_s2s_hits_sent_total']).toEqual({ 'mapp_s2s_hits_sent_total{}': 9 });
  });

  it('counts dropped hits and skipped requests by reason', async () => {
    const registry = new Registry();
    const tracker = fakeTracker({ dropped: { 'queue-full': 3, rejected: 1 }, skipped: { bot: 7, asset: 2 } });
    registerPrometheusMetrics(tracker, { registry });
    const metrics = await scrape(registry);
    expect(metrics['mapp_s2s_hits_dropped_total']).toEqual({ 'mapp_s2s_hits_dropped_total{"reason":"queue-full"}': 3, 'mapp_s2s_hits_dropped_total{"reason":"rejected"}': 1 });
    expect(metrics['mapp_s2s_requests_skipped_total']).toEqual({ 'mapp_s2s_requests_skipped_total{"reason":"bot"}': 7, 'mapp_s2s_requests_skipped_total{"reason":"asset"}': 2 });
    const text = await registry.metrics();
    expect(text).toContain('# TYPE mapp_s2s_requests_skipped_total counter');
    expect(text).toContain('mapp_s2s_requests_skipped_total{reason="bot"} 7');
  });

  it('shows the queue and in-flight gauges, and no spool size for a tracker without a spool', async () => {
    const registry = new Registry();
    const tracker = fakeTracker({ queueDepth: 12, queueBytes: 3400, inFlight: 50 });
    registerPrometheusMetrics(tracker, { registry, prefix: 'shop_' });
    let metrics = await scrape(registry);
    expect(metrics['shop_queue_depth']).toEqual({ 'shop_queue_depth{}': 12 });
    expect(metrics['shop_queue_bytes']).toEqual({ 'shop_queue_bytes{}': 3400 });
    expect(metrics['shop_in_flight']).toEqual({ 'shop_in_flight{}': 50 });
    expect(metrics['shop_spool_bytes']).toBeUndefined();
    expect(await registry.metrics()).toContain('# TYPE shop_queue_depth gauge');

    tracker.current.queueDepth = 0;
    metrics = await scrape(registry);
    expect(metrics['shop_queue_depth']).toEqual({ 'shop_queue_depth{}': 0 });
  });

  it('shows the spool size of a tracker with a spool', async () => {
    const registry = new Registry();
    const tracker = fakeTracker({ spoolBytes: 0 });
    registerPrometheusMetrics(tracker, { registry });
    tracker.current.spoolBytes = 4096;
    expect((await scrape(registry))['mapp_s2s_spool_bytes']).toEqual({ 'mapp_s2s_spool_bytes{}': 4096 });
  });

  it('fills the send-latency histogram from sent events, in seconds', async () => {
    const registry = new Registry();
    const tracker = fakeTracker();
    registerPrometheusMetrics(tracker, { registry });
    tracker.emit({ type: 'sent', lines: 40, status: 200, latencyMs: 30 });
    tracker.emit({ type: 'sent', lines: 1, status: 200, latencyMs: 700 });
    tracker.emit({ type: 'retry', lines: 40, attempt: 1, delayMs: 500, reason: '503' });
    const histogram = (await scrape(registry))['mapp_s2s_send_duration_seconds']!;
    expect(histogram['mapp_s2s_send_duration_seconds_count{}']).toBe(2);
    expect(histogram['mapp_s2s_send_duration_seconds_sum{}']).toBeCloseTo(0.73, 6);
    expect(histogram['mapp_s2s_send_duration_seconds_bucket{"le":0.025}']).toBe(0);
    expect(histogram['mapp_s2s_send_duration_seconds_bucket{"le":0.05}']).toBe(1);
    expect(histogram['mapp_s2s_send_duration_seconds_bucket{"le":1}']).toBe(2);
    // Scraping twice changes nothing: each event is one observation.
    expect((await scrape(registry))['mapp_s2s_send_duration_seconds']).toEqual(histogram);
  });

  it('unregisters: the metrics leave the registry and the tracker listener is removed', async () => {
    const registry = new Registry();
    const tracker = fakeTracker();
    const metrics = registerPrometheusMetrics(tracker, { registry });
    expect(tracker.listeners()).toBe(1);
    metrics.unregister();
    expect(tracker.listeners()).toBe(0);
    expect(await registry.getMetricsAsJSON()).toEqual([]);
    // The same names can be registered again, e.g. for a new tracker.
    registerPrometheusMetrics(fakeTracker(), { registry });
    expect((await registry.getMetricsAsJSON()).length).toBe(10);
  });

  it('uses the global registry by default', async () => {
    const { register } = await import('prom-client');
    const metrics = registerPrometheusMetrics(fakeTracker({ sent: 3 }), { prefix: 'global_test_' });
    try {
      expect(await register.metrics()).toContain('global_test_hits_sent_total 3');
    } finally {
      metrics.unregister();
    }
  });

  it('rejects what is not a tracker, and a prefix Prometheus cannot use, naming the fix', () => {
    expect(() => registerPrometheusMetrics({} as never)).toThrow('registerPrometheusMetrics: the first argument must be a tracker (with stats() and on()), e.g. mappTracking(options).tracker');
    expect(() => registerPrometheusMetrics(fakeTracker(), { registry: new Registry(), prefix: 'mapp-s2s.' })).toThrow('prefix must be a Prometheus name prefix such as "mapp_s2s_", got "mapp-s2s."');
  });
});
