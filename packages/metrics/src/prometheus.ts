import { createRequire } from 'node:module';
import type { Registry } from 'prom-client';
import { COUNTERS, GAUGES, LATENCY_BUCKETS_SECONDS, assertSource, type MetricsSource, type RegisteredMetrics } from './source.js';

type PromClient = typeof import('prom-client');

/** Options of {@link registerPrometheusMetrics}. */
export interface PrometheusMetricsOptions {
  /** The registry to register in. @default prom-client's global `register` */
  registry?: Registry;
  /** Prefix of every metric name. @default 'mapp_s2s_' */
  prefix?: string;
  /** Upper bounds of the send-latency histogram, in seconds. @default 5 ms to 10 s */
  latencyBuckets?: readonly number[];
}

/**
 * Registers a tracker's metrics in a prom-client registry. Counters and gauges are read from
 * `tracker.stats()` when the registry is scraped (a `collect()` callback), so every scrape
 * shows the tracker's own monotonic totals and nothing is counted twice; the send latency is
 * a histogram fed by the tracker's `sent` events. One tracker per registry and prefix.
 *
 * | Metric | Type | |
 * | --- | --- | --- |
 * | `mapp_s2s_hits_enqueued_total`, `_sent_total`, `_retried_total`, `_spooled_total` | counter | |
 * | `mapp_s2s_hits_dropped_total{reason}` | counter | `queue-full`, `rejected`, `retries-exhausted`... |
 * | `mapp_s2s_requests_skipped_total{reason}` | counter | `bot`, `asset`, `opt-out`, `status`... |
 * | `mapp_s2s_queue_depth`, `_queue_bytes`, `_in_flight`, `_spool_bytes` | gauge | `_spool_bytes` with a spool only |
 * | `mapp_s2s_send_duration_seconds` | histogram | one observation per accepted request (a batch or a hit) |
 *
 * @example
 * const registry = new Registry();
 * registerPrometheusMetrics(tracking.tracker, { registry });
 * app.get('/metrics', noTracking(), async (_req, res) => res.type(registry.contentType).send(await registry.metrics()));
 */
export function registerPrometheusMetrics(tracker: MetricsSource, options: PrometheusMetricsOptions = {}): RegisteredMetrics {
  assertSource(tracker, 'registerPrometheusMetrics');
  const client = loadPromClient();
  const { registry = client.register, prefix = 'mapp_s2s_', latencyBuckets = LATENCY_BUCKETS_SECONDS } = options;
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix)) {
    throw new TypeError(`registerPrometheusMetrics: prefix must be a Prometheus name prefix such as "mapp_s2s_", got ${JSON.stringify(prefix)}`);
  }
  const registers = [registry];
  const names: string[] = [];

  for (const [suffix, field, help] of COUNTERS) {
    const name = `${prefix}${suffix}_total`;
    names.push(name);
    new client.Counter({
      name,
      help,
      registers,
      collect() {
        // The tracker keeps the total: replace ours with it on every scrape.
        this.reset();
        this.inc(tracker.stats()[field]);
      },
    });
  }
  for (const [suffix, field, help] of [
    ['hits_dropped', 'dropped', 'Hits given up on, by reason.'],
    ['requests_skipped', 'skipped', 'Requests (and track() calls) that did not become a hit, by reason.'],
  ] as const) {
    const name = `${prefix}${suffix}_total`;
    names.push(name);
    new client.Counter({
      name,
      help,
      labelNames: ['reason'],
      registers,
      collect() {
        this.reset();
        for (const [reason, count] of Object.entries(tracker.stats()[field])) this.inc({ reason }, count ?? 0);
      },
    });
  }
  // A tracker without a spool has no spool size: no such gauge rather than a false 0.
  const hasSpool = typeof tracker.stats().spoolBytes === 'number';
  for (const [suffix, field, help, unit] of GAUGES) {
    if (field === 'spoolBytes' && !hasSpool) continue;
    const name = `${prefix}${suffix}`;
    names.push(name);
    new client.Gauge({
      name,
      help: unit === 'By' ? `${help} In bytes.` : help,
      registers,
      collect() {
        this.set(tracker.stats()[field] ?? 0);
      },
    });
  }
  const latencyName = `${prefix}send_duration_seconds`;
  names.push(latencyName);
  const latency = new client.Histogram({
    name: latencyName,
    help: 'Time Mapp took to accept one tracking request (a batch or a single hit), in seconds.',
    buckets: [...latencyBuckets],
    registers,
  });
  const stop = tracker.on((event) => {
    if (event.type === 'sent') latency.observe(event.latencyMs / 1000);
  });

  return {
    unregister() {
      stop();
      for (const name of names) registry.removeSingleMetric(name);
    },
  };
}

/**
 * prom-client is an optional peer, loaded on first use: an app that exports only OpenTelemetry
 * metrics does not need it installed. `require` is Node's in the CommonJS build and
 * `createRequire(import.meta.url)` in the ES module build (see tsup.config.ts). Run from the
 * TypeScript sources as an ES module (tsx) there is no `require`: prom-client is then
 * resolved from the working directory, the app that installed it.
 */
function loadPromClient(): PromClient {
  const load = typeof require === 'function' ? require : createRequire(`${process.cwd()}/`);
  try {
    return load('prom-client') as PromClient;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') {
      throw new Error('registerPrometheusMetrics: needs the optional peer dependency "prom-client"; install it next to @mapp-s2s/metrics (npm install prom-client)');
    }
    throw error;
  }
}
