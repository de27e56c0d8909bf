import type { DropReason, OutgoingHit, SendOutcome, TrackerStats, Transport, TransportContext, TransportFactory } from '@mapp-s2s/core';
import { LinesEncoder } from '@mapp-s2s/core/node';
import { createClient, type RedisClientOptions } from '@redis/client';
import { checkStreamOptions, DEFAULT_REDIS_URL, type RedisClientSettings, DEFAULT_SHARDS, DEFAULT_STREAM, FIELD_COUNT, FIELD_LINES, shardKey, shardOf } from './keys.js';
import { describeRedisError, redisTarget } from './redis-errors.js';
import { watchEvictionPolicy } from './eviction-check.js';

/** Options of {@link redisStreamTransport}. */
export interface RedisStreamTransportOptions {
  /** Redis URL (`redis://`, `rediss://` for TLS, with user and password if needed). Env `MAPP_REDIS_URL`. @default 'redis://127.0.0.1:6379' */
  url?: string;
  /** Stream name; the shards are the keys `{<stream>:0}` … `{<stream>:<shards-1>}`. The shipper must use the same. @default 'mapp:hits' */
  stream?: string;
  /**
   * Number of shards (stream keys). A visitor's hits always go to the same shard, and each
   * shard is shipped by one shipper at a time, which keeps every visitor's hits in order. Use
   * the same number in every app process and shipper; changing it moves visitors between
   * shards (order across the change is not guaranteed). @default 4
   */
  shards?: number;
  /**
   * Hits held in memory while they wait for Redis (a busy moment, or Redis unreachable). When
   * full (this or `maxQueueBytes`), a new hit is dropped (`queue-full`: counted, emitted,
   * warned, and `track()` resolves `dropped`); waiting hits are never evicted. @default 100000
   */
  maxQueueSize?: number;
  /** Bytes of waiting lines held in memory (see `maxQueueSize`). @default 64 MiB */
  maxQueueBytes?: number;
  /** Lines per stream entry: a shard's hits of one event-loop turn share one `XADD` up to this. @default 1000 */
  maxEntryLines?: number;
  /** Bytes per stream entry (see `maxEntryLines`). @default 1 MiB */
  maxEntryBytes?: number;
  /** First retry delay in ms after Redis failed a write (doubles, with full jitter). @default 100 */
  backoffBase?: number;
  /** Largest retry delay in ms. @default 2000 */
  backoffMax?: number;
  /** More options for node-redis's `createClient` (TLS, credentials, `socket` settings); `url` wins. */
  clientOptions?: RedisClientSettings;
}

const QUEUED: Promise<SendOutcome> = Promise.resolve(Object.freeze({ ok: true, status: 'queued' }) as SendOutcome);
const FULL_DETAIL = 'the memory buffer for Redis is full (maxQueueSize / maxQueueBytes): Redis is unreachable or too slow';
const QUEUE_FULL: Promise<SendOutcome> = Promise.resolve(Object.freeze({ ok: false, status: 'dropped', reason: 'queue-full', detail: FULL_DETAIL }) as SendOutcome);
const CLOSED: Promise<SendOutcome> = Promise.resolve(Object.freeze({ ok: false, status: 'dropped', reason: 'closed', detail: 'transport is closed' }) as SendOutcome);
const LATENCY_WINDOW = 256;

interface Shard {
  readonly key: string;
  readonly lines: string[];
  /** Index of the first line not yet appended to Redis. */
  head: number;
  /** Lines of the XADD in flight, counted from `head`. */
  taking: number;
  /** Encodes the shard's entries; one XADD per shard is in flight at a time. */
  readonly encoder: LinesEncoder;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`@mapp-s2s/redis: invalid option \`${name}\`: received ${String(value)}. Use a positive number.`);
  }
  return Math.floor(value);
}

/** Keeps the process alive while `flush()`/`close()` wait: the Redis socket itself is unref'd. */
function keepAlive(): () => void {
  const handle = setInterval(() => undefined, 1 << 30);
  return () => clearInterval(handle);
}

/**
 * Fleet mode's app side: hits go to a Redis Streams outbox shared by every app process, and a
 * shipper (`mapp-s2s ship --from redis://…`, or `createRedisShipper()`) delivers them to Mapp.
 * Pass it as `transport` to `createTracker` from `@mapp-s2s/core/node` or to any adapter.
 *
 * - A hit is hashed by its visitor (eid, else ceid, else IP + UA) to one of `shards` stream
 *   keys. The hits of one event-loop turn are appended with one `XADD` per shard (an entry
 *   holds up to `maxEntryLines` lines), all pipelined: one round trip per turn at most, and
 *   the next round trip leaves only after the previous one was answered.
 * - `send()` resolves `queued` at once: pages never wait for Redis. While Redis is unreachable
 *   (or answers errors), hits wait in memory in order and are retried with backoff; beyond
 *   `maxQueueSize`/`maxQueueBytes` new hits are dropped (`queue-full`), never silently: a
 *   `dropped` event, `stats().dropped`, and the tracker's rate-limited warning.
 * - Entries are never trimmed: the shipper deletes them once Mapp accepted them.
 * - `close({ timeout })` appends what still waits, or reports it as dropped (`closed`).
 * - The track id and domain are the shipper's settings: the outbox holds bare wire lines.
 */
export function redisStreamTransport(options: RedisStreamTransportOptions = {}): TransportFactory {
  const url = options.url ?? process.env.MAPP_REDIS_URL ?? DEFAULT_REDIS_URL;
  const stream = options.stream ?? DEFAULT_STREAM;
  const shardCount = options.shards ?? DEFAULT_SHARDS;
  checkStreamOptions('@mapp-s2s/redis', stream, shardCount);
  const maxQueueSize = positive('maxQueueSize', options.maxQueueSize, 100_000);
  const maxQueueBytes = positive('maxQueueBytes', options.maxQueueBytes, 64 * 1024 * 1024);
  const maxEntryLines = positive('maxEntryLines', options.maxEntryLines, 1000);
  const maxEntryBytes = positive('maxEntryBytes', options.maxEntryBytes, 1024 * 1024);
  const backoffBase = positive('backoffBase', options.backoffBase, 100);
  const backoffMax = positive('backoffMax', options.backoffMax, 2000);
  const target = redisTarget(url);

  const clientOptions = options.clientOptions as RedisClientOptions | undefined;

  return function redisTransport(context: TransportContext): Transport {
    const client = createClient({
      ...clientOptions,
      url,
      // Our own bounded buffer holds hits while Redis is away; node-redis's offline queue would be a second, unbounded one.
      disableOfflineQueue: true,
      // A command already written is never rejected before its reply: it may have been stored (a
      // retry would duplicate it), and its bytes (a view into the shard's reused array) may still
      // be in the socket's buffer.
      commandOptions: { ...clientOptions?.commandOptions, rejectInFlight: false },
      socket: { reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 6), backoffMax), ...clientOptions?.socket } as NonNullable<RedisClientOptions['socket']>,
    });
    let lastError = 'not connected yet';
    client.on('error', (error: unknown) => {
      lastError = describeRedisError(error);
    });
    watchEvictionPolicy(client, target, '@mapp-s2s/redis', (message) => context.logger.warn(message));
    client.on('ready', () => {
      if (retryTimer !== undefined) {
        clearTimeout(retryTimer);
        retryTimer = undefined;
      }
      schedule();
    });
    client.connect().catch((error: unknown) => {
      lastError = describeRedisError(error);
    });
    // An idle connection must not keep a script alive; flush()/close() hold the process while they wait.
    // Again on every (re)connect: node-redis 6 does not apply an unref made before the socket connected.
    client.unref();
    client.on('connect', () => client.unref());

    const shards: Shard[] = Array.from({ length: shardCount }, (_, index) => ({ key: shardKey(stream, index), lines: [], head: 0, taking: 0, encoder: new LinesEncoder() }));
    const dropped: Partial<Record<DropReason, number>> = {};
    const latencies: number[] = [];
    let latencyNext = 0;
    let latencyCount = 0;
    let latencyMax = 0;
    let enqueued = 0;
    let appended = 0;
    let retried = 0;
    let queued = 0;
    let queuedBytes = 0;
    let inFlightLines = 0;
    let inFlight = false;
    let scheduled = false;
    let closed = false;
    let attempt = 0;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    let turnWaiters: Array<() => void> = [];

    function drop(reason: DropReason, count: number, detail: string): void {
      dropped[reason] = (dropped[reason] ?? 0) + count;
      context.emit({ type: 'dropped', lines: count, reason, detail });
    }

    function schedule(): void {
      if (scheduled || inFlight || retryTimer !== undefined || queued === 0) return;
      scheduled = true;
      // After this turn's I/O: every hit tracked in this turn rides in the same round trip.
      setImmediate(pump);
    }

    function settleTurn(): void {
      const waiters = turnWaiters;
      turnWaiters = [];
      for (const resolve of waiters) resolve();
    }

    function pump(): void {
      scheduled = false;
      if (inFlight || queued === 0) return settleTurn();
      if (!client.isReady) return settleTurn(); // 'ready' schedules the next round trip
      inFlight = true;
      const started = performance.now();
      const writes: Array<Promise<unknown>> = [];
      const used: Shard[] = [];
      for (const shard of shards) {
        const available = shard.lines.length - shard.head;
        if (available === 0) continue;
        let count = 0;
        let bytes = 0;
        while (count < available && count < maxEntryLines) {
          const line = shard.lines[shard.head + count] as string;
          if (count > 0 && bytes + line.length + 1 > maxEntryBytes) break;
          bytes += line.length + 1;
          count += 1;
        }
        // Bytes, not a joined string: the client would flatten and encode a string of up to maxEntryBytes.
        const head = shard.head;
        const encoded = shard.encoder.encode(count, (i) => shard.lines[head + i] as string);
        const body = Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
        shard.taking = count;
        inFlightLines += count;
        used.push(shard);
        // One entry per shard per round trip: a failed entry is retried before anything after it, so order holds.
        writes.push(client.sendCommand(['XADD', shard.key, '*', FIELD_COUNT, String(count), FIELD_LINES, body]));
      }
      void Promise.allSettled(writes).then((results) => {
        inFlight = false;
        let failedLines = 0;
        let reason = '';
        for (let i = 0; i < used.length; i += 1) {
          const shard = used[i] as Shard;
          const result = results[i] as PromiseSettledResult<unknown>;
          const count = shard.taking;
          shard.taking = 0;
          inFlightLines -= count;
          if (result.status === 'fulfilled') {
            for (let j = shard.head; j < shard.head + count; j += 1) queuedBytes -= (shard.lines[j] as string).length + 1;
            shard.head += count;
            queued -= count;
            appended += count;
            if (shard.head === shard.lines.length) {
              shard.lines.length = 0;
              shard.head = 0;
              // Nothing left to append: an array grown for a burst is not kept.
              shard.encoder.idle();
            } else if (shard.head > 4096 && shard.head * 2 > shard.lines.length) {
              shard.lines.splice(0, shard.head);
              shard.head = 0;
            }
          } else {
            failedLines += count;
            reason = describeRedisError(result.reason);
          }
        }
        if (failedLines === 0) {
          attempt = 0;
          recordLatency(performance.now() - started);
          settleTurn();
          schedule();
          return;
        }
        attempt += 1;
        retried += failedLines;
        const delayMs = Math.floor(Math.random() * Math.min(backoffMax, backoffBase * 2 ** Math.min(attempt - 1, 20)));
        context.emit({ type: 'retry', lines: failedLines, attempt, delayMs, reason: `Redis at ${target} did not take them (${reason === '' ? lastError : reason}); they wait in memory` });
        settleTurn();
        retryTimer = setTimeout(() => {
          retryTimer = undefined;
          schedule();
        }, delayMs);
        retryTimer.unref();
      });
    }

    function recordLatency(ms: number): void {
      if (latencies.length < LATENCY_WINDOW) latencies.push(ms);
      else latencies[latencyNext] = ms;
      latencyNext = (latencyNext + 1) % LATENCY_WINDOW;
      latencyCount += 1;
      if (ms > latencyMax) latencyMax = ms;
    }

    /** Resolves after the next round trip settled (or at once when nothing can go now). */
    function nextTurn(): Promise<void> {
      return new Promise((resolve) => {
        turnWaiters.push(resolve);
        if (!inFlight && !scheduled) {
          if (retryTimer !== undefined || queued === 0 || !client.isReady) {
            settleTurn();
            return;
          }
          schedule();
        }
      });
    }

    /** Resolves when the client is ready, or `ms` passed, or (with `orError`) a connection attempt failed. */
    function readyOrTimeout(ms: number, orError = false): Promise<void> {
      return new Promise((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          client.off('ready', done);
          client.off('error', done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        client.on('ready', done);
        if (orError) client.on('error', done);
      });
    }

    return {
      name: 'redis',
      send(hit: OutgoingHit): Promise<SendOutcome> {
        if (closed) {
          drop('closed', 1, 'transport is closed');
          return CLOSED;
        }
        const bytes = hit.line.length + 1;
        if (queued >= maxQueueSize || queuedBytes + bytes > maxQueueBytes) {
          drop('queue-full', 1, FULL_DETAIL);
          return QUEUE_FULL;
        }
        (shards[shardOf(hit.key, shardCount)] as Shard).lines.push(hit.line);
        queued += 1;
        queuedBytes += bytes;
        enqueued += 1;
        if (!scheduled && !inFlight && retryTimer === undefined) schedule();
        return QUEUED;
      },
      async flush() {
        if (queued === 0 && !inFlight) return;
        const release = keepAlive();
        try {
          // Until the buffer is empty, or a round trip failed (Redis away: the hits keep waiting).
          while (queued > 0 || inFlight) {
            const before = retried;
            if (!inFlight && !client.isReady) {
              // Connecting: wait for it; unreachable: the hits keep waiting, flush() returns.
              await readyOrTimeout(5000, true);
              if (!client.isReady) return;
            }
            if (!inFlight && retryTimer !== undefined) return;
            await nextTurn();
            if (retried !== before) return;
          }
        } finally {
          release();
        }
      },
      async close({ timeout = 5000 } = {}) {
        if (closed) return;
        closed = true;
        const deadline = Date.now() + timeout;
        const release = keepAlive();
        try {
          while ((queued > 0 || inFlight) && Date.now() < deadline) {
            if (!inFlight && !client.isReady) {
              await readyOrTimeout(Math.max(1, deadline - Date.now()));
              continue;
            }
            if (!inFlight && retryTimer !== undefined) {
              // Closing: retry now rather than after the backoff, but never spin.
              clearTimeout(retryTimer);
              retryTimer = undefined;
              if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(50, Math.max(1, deadline - Date.now()))));
            }
            await nextTurn();
          }
          if (retryTimer !== undefined) clearTimeout(retryTimer);
          retryTimer = undefined;
          const left = queued;
          if (left > 0) {
            drop('closed', left, `close() timed out after ${timeout} ms with these hits not in Redis (${target}: ${lastError})`);
            for (const shard of shards) {
              shard.lines.length = 0;
              shard.head = 0;
            }
            queued = 0;
            queuedBytes = 0;
          }
        } finally {
          release();
          if (client.isReady) await client.close().catch(() => client.destroy());
          else client.destroy();
        }
      },
      stats(): Partial<TrackerStats> {
        const sorted = [...latencies].sort((a, b) => a - b);
        const pick = (q: number): number => (sorted.length === 0 ? 0 : Math.round((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0) * 100) / 100);
        return {
          enqueued,
          // Lines appended to Redis: the shipper reports what reached Mapp.
          sent: appended,
          retried,
          spooled: 0,
          dropped: { ...dropped },
          queueDepth: queued - inFlightLines,
          queueBytes: queuedBytes,
          inFlight: inFlightLines,
          latencyMs: { p50: pick(0.5), p99: pick(0.99), max: Math.round(latencyMax * 100) / 100, count: latencyCount },
        };
      },
    };
  };
}
