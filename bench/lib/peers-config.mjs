/**
 * The trackers compared in parts 2 and 3, and the settings each one gets. Each SDK gets
 * its fastest batch size and a 1 s flush interval, and tracks the same "one user id, one
 * event name, one numeric property" event. Queue bounds: in the throughput run every in-memory queue is
 * made large enough for all N events (none of these SDKs has back-pressure, so a smaller
 * bound would silently drop events and flatter the dropper); in the outage run every SDK
 * keeps its default bound, as it would in production.
 */
import { TRACK_ID } from './constants.mjs';

export const SUBJECTS = ['mapp-batch', 'segment', 'posthog', 'snowplow'];

export const LABELS = {
  'mapp-batch': 'mapp-s2s (batch)',
  'mapp-spool': 'mapp-s2s (batch + spool WAL)',
  'mapp-redis': 'mapp-s2s (Redis Streams, fleet mode)',
  segment: '@segment/analytics-node',
  posthog: 'posthog-node',
  snowplow: '@snowplow/node-tracker',
};

/**
 * Events per request for each SDK: the fastest of 100 / 500 / 1,000 in a pilot sweep on
 * the 2-core benchmark machine (bench/analysis.md). `BENCH_BATCH` overrides all (sweeps).
 */
const BEST_BATCH = { 'mapp-batch': 500, 'mapp-spool': 500, segment: 100, posthog: 1000, snowplow: 500 };
const batchOf = (subject) => Number(process.env.BENCH_BATCH ?? BEST_BATCH[subject]);
/** Flush interval of a partial batch, for every SDK (ms). */
export const FLUSH_MS = 1000;

/**
 * Human-readable settings per subject and mode, printed in BENCHMARKS.md.
 * `queue` is `undefined` for "the SDK's default".
 */
export function describeSettings(subject, mode, n) {
  const big = mode === 'throughput';
  switch (subject) {
    case 'mapp-batch':
    case 'mapp-spool':
      return `transport 'batch', batch.maxBatchSize ${batchOf(subject)} (default 50), flushInterval ${FLUSH_MS}, concurrency 2 (default), ${big ? `maxQueueSize ${n}` : 'maxQueueSize 10000 (default)'}, maxAttempts 30 / backoff 250 ms..30 s (defaults)${subject === 'mapp-spool' ? ", spool.dir set (write-ahead log), fsync 'interval' (default)" : ''}`;
    case 'segment':
      return `flushAt (maxEventsInBatch) ${batchOf(subject)}, flushInterval ${FLUSH_MS}, maxRetries 3 (default), unbounded queue (the SDK has no bound)`;
    case 'posthog':
      return `flushAt ${batchOf(subject)}, maxBatchSize ${batchOf(subject)}, flushInterval ${FLUSH_MS}, disableCompression true (gzip costs CPU, the sink is local), ${big ? `maxQueueSize ${n}` : 'maxQueueSize 1000 (default)'}, fetchRetryCount 3 (default)`;
    case 'snowplow':
      return `eventMethod 'post', bufferSize ${batchOf(subject)}, maxPostBytes 1000000, encodeBase64 false, ${big ? `in-memory eventStore maxSize ${n}` : 'in-memory eventStore (default size)'}, retries on (default)`;
    default:
      throw new Error(subject);
  }
}

/** Builds `{ track(i), close() }` for one subject, pointed at the sink. Runs in the child. */
export async function createSubject(subject, mode, n, origin, spoolDir) {
  const big = mode === 'throughput';
  const url = new URL(origin);
  switch (subject) {
    case 'mapp-batch':
    case 'mapp-spool': {
      const { createTracker } = await import('@mapp-s2s/core/node');
      const tracker = createTracker(
        {
          trackId: TRACK_ID,
          trackDomain: origin,
          transport: 'batch',
          batch: { maxBatchSize: batchOf(subject), flushInterval: FLUSH_MS, ...(big ? { maxQueueSize: n } : {}) },
          ...(subject === 'mapp-spool' ? { spool: { dir: spoolDir } } : {}),
          logger: { debug() {}, warn() {}, error() {} },
        },
        {},
      );
      return {
        track: (i) => tracker.track({ action: { name: 'bench_event', parameters: { 1: i } } }, { ceid: `user-${i % 1000}` }),
        flush: () => tracker.flush(),
        close: () => tracker.close({ timeout: 5000 }),
        stats: () => tracker.stats(),
      };
    }
    case 'mapp-redis': {
      // Fleet mode (part 7): the same tracker and event, appended to Redis Streams; a shipper
      // process delivers to the sink. BENCH_REDIS_URL / BENCH_REDIS_STREAM come from the parent.
      const { createTracker } = await import('@mapp-s2s/core/node');
      const { redisStreamTransport } = await import('@mapp-s2s/redis');
      const tracker = createTracker({
        trackId: TRACK_ID,
        trackDomain: origin,
        transport: redisStreamTransport({ url: process.env.BENCH_REDIS_URL, stream: process.env.BENCH_REDIS_STREAM, shards: 4, ...(big ? { maxQueueSize: n } : {}) }),
        logger: { debug() {}, warn() {}, error() {} },
      });
      return {
        track: (i) => tracker.track({ action: { name: 'bench_event', parameters: { 1: i } } }, { ceid: `user-${i % 1000}` }),
        flush: () => tracker.flush(),
        close: () => tracker.close({ timeout: 5000 }),
        stats: () => tracker.stats(),
      };
    }
    case 'segment': {
      const { Analytics } = await import('@segment/analytics-node');
      const analytics = new Analytics({ writeKey: 'bench', host: origin, flushAt: batchOf(subject), flushInterval: FLUSH_MS });
      analytics.on('error', () => {});
      return {
        track: (i) => analytics.track({ userId: `user-${i % 1000}`, event: 'bench_event', properties: { i } }),
        flush: () => analytics.flush?.() ?? Promise.resolve(),
        close: () => analytics.closeAndFlush({ timeout: 5000 }),
      };
    }
    case 'posthog': {
      const { PostHog } = await import('posthog-node');
      const client = new PostHog('phc_bench', {
        host: origin,
        flushAt: batchOf(subject),
        maxBatchSize: batchOf(subject),
        flushInterval: FLUSH_MS,
        disableCompression: true,
        ...(big ? { maxQueueSize: n } : {}),
      });
      client.on('error', () => {});
      return {
        track: (i) => client.capture({ distinctId: `user-${i % 1000}`, event: 'bench_event', properties: { i } }),
        flush: () => client.flush(),
        close: () => client.shutdown(5000),
      };
    }
    case 'snowplow': {
      const { newTracker, buildStructEvent } = await import('@snowplow/node-tracker');
      // The node tracker does not re-export the store factory; take it from its own tracker-core.
      const { createRequire } = await import('node:module');
      const fromTracker = createRequire(createRequire(import.meta.url).resolve('@snowplow/node-tracker'));
      const { newInMemoryEventStore } = fromTracker('@snowplow/tracker-core');
      const tracker = newTracker(
        { namespace: 'bench', appId: 'bench', encodeBase64: false },
        {
          endpoint: url.hostname,
          port: Number(url.port),
          protocol: 'http',
          eventMethod: 'post',
          bufferSize: batchOf(subject),
          maxPostBytes: 1_000_000,
          ...(big ? { eventStore: newInMemoryEventStore({ maxSize: n }) } : {}),
        },
      );
      return {
        track: (i) => {
          tracker.setUserId(`user-${i % 1000}`);
          tracker.track(buildStructEvent({ category: 'bench', action: 'bench_event', label: String(i) }));
        },
        flush: () => tracker.flush(),
        close: () => tracker.flush(),
      };
    }
    default:
      throw new Error(`unknown subject ${subject}`);
  }
}
