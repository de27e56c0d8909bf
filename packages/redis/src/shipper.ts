import { hostname } from 'node:os';
import { createBatchPoster, MAX_BATCH_BYTES, MAX_BATCH_LINES, resolveOptions, retryDelay, shipLineProblem, travelsAlone, type BatchPoster, type TrackerEnv } from '@mapp-s2s/core/node';
import { createClient, type RedisClientOptions } from '@redis/client';
import { checkStreamOptions, deadLetterKey, type RedisClientSettings, DEFAULT_REDIS_URL, DEFAULT_SHARDS, DEFAULT_STREAM, FIELD_COUNT, FIELD_LINES, leaseKey, shardKey, shippersKey } from './keys.js';
import { describeRedisError, redisTarget } from './redis-errors.js';
import { watchEvictionPolicy } from './eviction-check.js';

/** Options of {@link createRedisShipper}. */
export interface RedisShipperOptions {
  /** Redis URL. Env `MAPP_REDIS_URL`. @default 'redis://127.0.0.1:6379' */
  url?: string;
  /** Stream name, as given to `redisStreamTransport`. @default 'mapp:hits' */
  stream?: string;
  /** Number of shards, as given to `redisStreamTransport`. @default 4 */
  shards?: number;
  /** Consumer group, shared by all shippers of this outbox. @default 'mapp-shippers' */
  group?: string;
  /** This shipper's name in the group: unique per shipper, stable across its restarts. @default '<hostname>-<pid>' */
  consumer?: string;
  /** 15-digit Mapp track id (or several, comma-separated). Env `MAPP_TRACK_ID`. Required. */
  trackId?: string;
  /** Track domain (HTTPS implied) or an origin such as `http://127.0.0.1:9700`. Env `MAPP_TRACK_DOMAIN`. Required. */
  trackDomain?: string;
  /** Lines per POST (more are sent in several). @default 5000, max 10000 */
  batchSize?: number;
  /** Bytes per POST. @default 8 MiB, max 20 MiB */
  maxBatchBytes?: number;
  /** Stream entries read per `XREADGROUP` (an entry holds up to the transport's `maxEntryLines` lines). @default 50 */
  readCount?: number;
  /** How long one `XREADGROUP` waits for new entries, in ms. @default 1000 */
  blockMs?: number;
  /** Per-request timeout of a POST in ms. @default 10000 */
  timeout?: number;
  /**
   * How long a shard's lease lasts without renewal, in ms: a dead shipper's shards are taken
   * over after it. The lease is renewed before every POST, so it must be longer than `timeout`.
   * @default 30000
   */
  leaseMs?: number;
  /** Entries another consumer left pending this long (ms) are claimed with `XAUTOCLAIM`. @default leaseMs */
  claimIdleMs?: number;
  /** First retry delay in ms (doubles, full jitter; `Retry-After` wins). @default 250 */
  backoffBase?: number;
  /** Largest retry delay in ms. @default 30000 */
  backoffMax?: number;
  /** Stream for batches Mapp rejected for good. @default '<stream>:dead' */
  deadLetterStream?: string;
  /** Sends through this fetch instead of `node:http` (tests, instrumentation). */
  fetch?: typeof fetch;
  /** More node-redis `createClient` options (TLS, credentials); `url` wins. */
  clientOptions?: RedisClientSettings;
  /** Receives every shipper event (progress, retries, dead letters, leases). */
  onEvent?: (event: RedisShipperEvent) => void;
  /** Env for `MAPP_*` fallbacks. @default process.env */
  env?: TrackerEnv;
}

/** What a shipper reports while it runs. */
export type RedisShipperEvent =
  | { type: 'lease'; shard: number; action: 'acquired' | 'released' | 'lost' }
  | { type: 'claimed'; shard: number; entries: number }
  | { type: 'posting'; shard: number; lines: number; attempt: number }
  | { type: 'sent'; shard: number; lines: number; entries: number; status: number; latencyMs: number }
  | { type: 'retry'; shard: number; lines: number; attempt: number; delayMs: number; reason: string }
  | { type: 'dead-letter'; shard: number; lines: number; reason: string }
  | { type: 'invalid'; shard: number; entry: string; problem: string }
  | { type: 'redis-error'; shard?: number; reason: string }
  /** Redis is set up in a way that can lose hits (an evicting `maxmemory-policy`). */
  | { type: 'warning'; message: string };

/** Counters of a shipper. */
export interface RedisShipperStats {
  /** Lines Mapp accepted. */
  sent: number;
  /** POSTs Mapp accepted. */
  batches: number;
  /** Lines Mapp rejected for good, moved to the dead-letter stream. */
  deadLettered: number;
  /** Malformed lines (not `wt?…` hit lines): never sent, dead-lettered with their reason. */
  invalid: number;
  /** Failed POST attempts that were retried. */
  retries: number;
  /** Entries claimed from shippers that stopped without acknowledging them. */
  claimed: number;
  /** Entries acknowledged and deleted. */
  acked: number;
  /** Failed Redis commands (Redis unreachable or restarting). */
  redisErrors: number;
  /** Shards this shipper holds now. */
  shards: number[];
}

/** A running shipper. */
export interface RedisShipper {
  /** Resolves once connected to Redis and the first shards were taken. */
  readonly ready: Promise<void>;
  /** Resolves with the final counters after `stop()` (or a fatal error). */
  readonly done: Promise<RedisShipperStats>;
  /**
   * Stops: no new reads; each in-flight batch is finished (its POST answered and acknowledged),
   * then the leases are released so another shipper takes over at once. Past `timeout` (ms)
   * the rest is abandoned: those entries stay pending in Redis and are shipped again later.
   */
  stop(options?: { timeout?: number }): Promise<RedisShipperStats>;
  stats(): RedisShipperStats;
}

interface Entry {
  readonly id: string;
  /** `null`: deleted while pending (acknowledged without sending). */
  readonly lines: string[] | null;
}

interface Worker {
  readonly shard: number;
  readonly key: string;
  readonly lease: string;
  release: boolean;
  /** The lease passed to another shipper: stop without touching the shard. */
  lost: boolean;
  reader: ReturnType<typeof createClient> | undefined;
  reading: boolean;
  done: Promise<void>;
}

/** Compare-and-renew: the lease is extended only if this shipper still holds it. */
const RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";
/** Compare-and-delete: a shipper releases only its own lease. */
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

function positive(name: string, value: number | undefined, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`@mapp-s2s/redis shipper: invalid option \`${name}\`: received ${String(value)}. Use a positive number.`);
  }
  return Math.min(Math.floor(value), max);
}

/** Entries from a raw RESP2 `XREADGROUP`/`XAUTOCLAIM` entry list. */
function parseEntries(raw: unknown): Entry[] {
  if (!Array.isArray(raw)) return [];
  const entries: Entry[] = [];
  for (const item of raw) {
    if (!Array.isArray(item)) continue;
    const id = String(item[0]);
    const fields = item[1];
    if (!Array.isArray(fields)) {
      entries.push({ id, lines: null });
      continue;
    }
    let body: string | undefined;
    for (let i = 0; i + 1 < fields.length; i += 2) if (String(fields[i]) === FIELD_LINES) body = String(fields[i + 1]);
    entries.push({ id, lines: body === undefined || body === '' ? [] : body.split('\n') });
  }
  return entries;
}

/**
 * The shipper of fleet mode: a long-lived process that delivers the hits that app processes
 * appended with `redisStreamTransport` to Mapp's batch endpoint.
 *
 * - Shards: each shard (stream key) is consumed by one shipper at a time, under a lease in
 *   Redis (`SET NX PX`, renewed before every POST). Live shippers register in a sorted set and
 *   share the shards evenly; a dead shipper's shards are taken over when its leases expire.
 * - Reading: `XREADGROUP` in a consumer group, large batches (up to `batchSize` lines per POST).
 * - After a 2xx the entries are acknowledged and deleted (`XACK` + `XDEL` in one `MULTI`). A
 *   batch Mapp rejects for good (non-retryable 4xx, 3xx) goes to the dead-letter stream with
 *   its reason, then is acknowledged. Network errors, timeouts, 5xx, 408 and 429 are retried
 *   with backoff and `Retry-After`, for as long as it takes: the entries wait in Redis.
 * - One batch in flight per shipper: the shard workers read in parallel, but POST (and
 *   acknowledge) one batch at a time, so a shipper killed mid-batch resends at most one batch.
 * - Taking over a shard: entries a dead shipper left pending are claimed with `XAUTOCLAIM`
 *   once idle for `claimIdleMs`, and shipped before any new entry, so a visitor's order holds.
 */
export function createRedisShipper(options: RedisShipperOptions): RedisShipper {
  const env = options.env ?? process.env;
  const url = options.url ?? env.MAPP_REDIS_URL ?? DEFAULT_REDIS_URL;
  const stream = options.stream ?? DEFAULT_STREAM;
  const shardCount = options.shards ?? DEFAULT_SHARDS;
  checkStreamOptions('@mapp-s2s/redis shipper', stream, shardCount);
  const group = options.group ?? 'mapp-shippers';
  const consumer = options.consumer ?? `${hostname()}-${process.pid}`;
  if (group === '' || consumer === '') throw new TypeError('@mapp-s2s/redis shipper: `group` and `consumer` must not be empty.');
  const config = resolveOptions({ trackId: options.trackId, trackDomain: options.trackDomain }, env);
  const batchSize = positive('batchSize', options.batchSize, 5000, MAX_BATCH_LINES);
  const maxBatchBytes = positive('maxBatchBytes', options.maxBatchBytes, 8 * 1024 * 1024, MAX_BATCH_BYTES);
  const readCount = positive('readCount', options.readCount, 50);
  const timeout = positive('timeout', options.timeout, 10_000);
  const leaseMs = positive('leaseMs', options.leaseMs, Math.max(30_000, 3 * timeout));
  if (leaseMs <= timeout) {
    throw new TypeError(`@mapp-s2s/redis shipper: invalid option \`leaseMs\`: received ${leaseMs}. It must be longer than \`timeout\` (${timeout} ms), so a POST started under a lease ends before the lease can pass to another shipper.`);
  }
  const blockMs = positive('blockMs', options.blockMs, Math.min(1000, Math.floor(leaseMs / 3)));
  const claimIdleMs = positive('claimIdleMs', options.claimIdleMs, leaseMs);
  const backoffBase = positive('backoffBase', options.backoffBase, 250);
  const backoffMax = positive('backoffMax', options.backoffMax, 30_000);
  const deadKey = options.deadLetterStream ?? deadLetterKey(stream);
  const membersKey = shippersKey(stream);
  const target = redisTarget(url);
  const tickMs = Math.max(50, Math.min(1000, Math.floor(leaseMs / 3)));

  const stats: RedisShipperStats = { sent: 0, batches: 0, deadLettered: 0, invalid: 0, retries: 0, claimed: 0, acked: 0, redisErrors: 0, shards: [] };
  const workers = new Map<number, Worker>();
  const poster: BatchPoster = createBatchPoster({ origin: config.origin, trackId: config.trackId, timeout, ...(options.fetch === undefined ? {} : { fetch: options.fetch }) });
  const clientOptions = {
    ...(options.clientOptions as RedisClientOptions | undefined),
    url,
    disableOfflineQueue: true,
    socket: { reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 6), 2000), ...options.clientOptions?.socket } as NonNullable<RedisClientOptions['socket']>,
  } as RedisClientOptions;
  // Raw RESP2 replies (arrays of strings): parsed here, independent of node-redis's reply transforms.
  (clientOptions as { RESP?: number }).RESP = 2;
  const client = createClient(clientOptions);
  client.on('error', () => undefined);
  watchEvictionPolicy(client, redisTarget(url), 'mapp-s2s ship', (message) => emit({ type: 'warning', message }));

  let stopping = false;
  /** One batch in flight per shipper (POST, then its acknowledgement): a killed shipper resends at most one batch. */
  let postSlot: Promise<unknown> = Promise.resolve();
  function oneAtATime<T>(work: () => Promise<T>): Promise<T> {
    const run = postSlot.then(work);
    postSlot = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
  const sleepers = new Set<() => void>();
  let tickTimer: ReturnType<typeof setTimeout> | undefined;
  let resolveReady!: () => void;
  const ready = new Promise<void>((resolve) => (resolveReady = resolve));
  let resolveDone!: (stats: RedisShipperStats) => void;
  const done = new Promise<RedisShipperStats>((resolve) => (resolveDone = resolve));

  function emit(event: RedisShipperEvent): void {
    try {
      options.onEvent?.(event);
    } catch {
      // A listener's bug must not stop the shipper.
    }
  }

  function redisFailed(error: unknown, shard?: number): void {
    stats.redisErrors += 1;
    const reason = `Redis at ${target}: ${describeRedisError(error)}`;
    emit(shard === undefined ? { type: 'redis-error', reason } : { type: 'redis-error', shard, reason });
  }

  /** Waits `ms`, or less when `stop()` is called. */
  function sleep(ms: number): Promise<void> {
    if (stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      sleepers.add(wake);
    });
  }

  async function renew(worker: Worker): Promise<boolean> {
    if (worker.lost) return false;
    for (let attempt = 1; ; attempt += 1) {
      try {
        const renewed = Number(await client.sendCommand(['EVAL', RENEW, '1', worker.lease, consumer, String(leaseMs)]));
        if (renewed !== 1) {
          if (!worker.lost) emit({ type: 'lease', shard: worker.shard, action: 'lost' });
          worker.lost = true;
          return false;
        }
        return true;
      } catch (error) {
        redisFailed(error, worker.shard);
        if (stopping) return false;
        await sleep(retryDelay(attempt, { base: 100, max: 1000 }));
      }
    }
  }

  async function ensureGroup(key: string): Promise<void> {
    try {
      // From the stream's start: hits appended before the first shipper ever ran are shipped too.
      await client.sendCommand(['XGROUP', 'CREATE', key, group, '0', 'MKSTREAM']);
    } catch (error) {
      if (!/BUSYGROUP/.test(describeRedisError(error))) throw error;
    }
  }

  /** `XACK` + `XDEL` in one `MULTI`, retried until Redis takes it (or the shipper stops). */
  async function acknowledge(worker: Worker, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await client.multi().addCommand(['XACK', worker.key, group, ...ids]).addCommand(['XDEL', worker.key, ...ids]).exec();
        stats.acked += ids.length;
        return;
      } catch (error) {
        redisFailed(error, worker.shard);
        if (stopping && attempt >= 3) return; // pending: shipped again later (a duplicate, never a loss)
        await sleep(retryDelay(attempt, { base: 100, max: 1000 }));
      }
    }
  }

  async function deadLetter(worker: Worker, lines: readonly string[], reason: string, status: number | undefined): Promise<void> {
    const fields = ['shard', worker.key, 'reason', reason, 'status', String(status ?? 0), 'time', String(Date.now()), FIELD_COUNT, String(lines.length), FIELD_LINES, lines.join('\n')];
    for (let attempt = 1; ; attempt += 1) {
      try {
        await client.sendCommand(['XADD', deadKey, '*', ...fields]);
        stats.deadLettered += lines.length;
        emit({ type: 'dead-letter', shard: worker.shard, lines: lines.length, reason });
        return;
      } catch (error) {
        redisFailed(error, worker.shard);
        if (stopping && attempt >= 3) throw error;
        await sleep(retryDelay(attempt, { base: 100, max: 1000 }));
      }
    }
  }

  /** One POST with the retry policy; 'lost' when the lease is gone or the shipper stops during an outage. */
  async function deliver(worker: Worker, lines: string[]): Promise<'lost' | { status: number; latencyMs: number } | { reject: string; status: number }> {
    for (let attempt = 1; ; attempt += 1) {
      if (!(await renew(worker))) return 'lost';
      emit({ type: 'posting', shard: worker.shard, lines: lines.length, attempt });
      const result = await poster.post(lines);
      if (result.kind === 'ok') {
        stats.sent += lines.length;
        stats.batches += 1;
        return { status: result.status, latencyMs: result.latencyMs };
      }
      if (result.kind === 'reject') {
        const hint = result.status === 404 ? ` (Mapp does not know track id ${config.trackId}?)` : '';
        return { reject: `${result.reason}${hint}`, status: result.status };
      }
      stats.retries += 1;
      if (stopping) return 'lost';
      const delayMs = retryDelay(attempt, { base: backoffBase, max: backoffMax, retryAfterMs: result.retryAfterMs });
      emit({ type: 'retry', shard: worker.shard, lines: lines.length, attempt, delayMs, reason: result.reason });
      await sleep(delayMs);
      if (stopping) return 'lost';
    }
  }

  /**
   * Ships entries in order: POSTs of up to `batchSize` lines, an over-long line alone (as a
   * GET), each POST's fully sent entries acknowledged right after it, so a crash resends at
   * most the batch in flight. Returns false when the lease was lost (the rest stays pending).
   */
  async function ship(worker: Worker, entries: Entry[]): Promise<boolean> {
    const stale: string[] = [];
    const posts: Array<{ lines: string[]; bytes: number; completes: string[]; entries: number }> = [];
    let current: { lines: string[]; bytes: number; completes: string[]; entries: number } = { lines: [], bytes: 0, completes: [], entries: 0 };
    const invalid: string[] = [];
    const close = (): void => {
      if (current.lines.length > 0) posts.push(current);
      current = { lines: [], bytes: 0, completes: [], entries: 0 };
    };
    for (const entry of entries) {
      if (entry.lines === null) {
        stale.push(entry.id);
        continue;
      }
      for (const line of entry.lines) {
        const problem = shipLineProblem(line);
        if (problem !== undefined) {
          stats.invalid += 1;
          invalid.push(line);
          emit({ type: 'invalid', shard: worker.shard, entry: entry.id, problem });
          continue;
        }
        const bytes = line.length + 1;
        // Over Mapp's 7 KB batch-line limit (a Smart Pixel hit passed through): sent alone, as a GET.
        const overLong = travelsAlone(line);
        if (current.lines.length >= batchSize || (current.lines.length > 0 && (current.bytes + bytes > maxBatchBytes || overLong))) close();
        current.lines.push(line);
        current.bytes += bytes;
        if (overLong) close();
      }
      // The entry is done when the POST holding its last line is.
      if (current.lines.length > 0) {
        current.completes.push(entry.id);
        current.entries += 1;
      } else if (posts.length > 0) {
        (posts[posts.length - 1] as (typeof posts)[number]).completes.push(entry.id);
      } else stale.push(entry.id);
    }
    close();
    if (invalid.length > 0) await deadLetter(worker, invalid, 'malformed lines (not "wt?..." hit lines)', undefined);
    await acknowledge(worker, stale);
    for (const post of posts) {
      const kept = await oneAtATime(async () => {
        const outcome = await deliver(worker, post.lines);
        if (outcome === 'lost') return false;
        if ('reject' in outcome) await deadLetter(worker, post.lines, outcome.reject, outcome.status);
        await acknowledge(worker, post.completes);
        if (!('reject' in outcome)) emit({ type: 'sent', shard: worker.shard, lines: post.lines.length, entries: post.completes.length, status: outcome.status, latencyMs: outcome.latencyMs });
        return true;
      });
      if (!kept) return false;
    }
    return true;
  }

  /** Before new entries: claim what others left pending (once idle), then ship this consumer's own pending entries. */
  async function recover(worker: Worker): Promise<boolean> {
    for (;;) {
      if (stopping || worker.release) return false;
      let cursor = '0-0';
      do {
        const reply = (await client.sendCommand(['XAUTOCLAIM', worker.key, group, consumer, String(claimIdleMs), cursor, 'COUNT', '1000'])) as [string, unknown[], unknown[]?];
        cursor = String(reply[0]);
        const claimed = Array.isArray(reply[1]) ? reply[1].length : 0;
        if (claimed > 0) {
          stats.claimed += claimed;
          emit({ type: 'claimed', shard: worker.shard, entries: claimed });
        }
      } while (cursor !== '0-0');
      const summary = (await client.sendCommand(['XPENDING', worker.key, group])) as [number, string | null, string | null, Array<[string, string]> | null];
      const others = (summary[3] ?? []).filter(([name, count]) => name !== consumer && Number(count) > 0);
      if (others.length === 0) break;
      // Pending at a consumer that may still be alive: wait until it is idle long enough to be claimed.
      await sleep(Math.min(1000, Math.max(50, Math.floor(claimIdleMs / 4))));
      if (!(await renew(worker))) return false;
    }
    let after = '0';
    for (;;) {
      if (stopping) return false;
      const reply = (await client.sendCommand(['XREADGROUP', 'GROUP', group, consumer, 'COUNT', String(readCount), 'STREAMS', worker.key, after])) as Array<[string, unknown[]]> | null;
      const entries = parseEntries(reply?.[0]?.[1]);
      if (entries.length === 0) return true;
      after = (entries[entries.length - 1] as Entry).id;
      if (!(await ship(worker, entries))) return false;
    }
  }

  async function runWorker(worker: Worker): Promise<void> {
    let recovered = false;
    let failures = 0;
    try {
      while (!stopping && !worker.release && !worker.lost) {
        try {
          if (!recovered) {
            await ensureGroup(worker.key);
            if (!(await recover(worker))) {
              if (stopping || worker.release) break;
              return; // lease lost
            }
            recovered = true;
          }
          if (!(await renew(worker))) return;
          if (worker.reader === undefined) {
            const reader = client.duplicate();
            reader.on('error', () => undefined);
            worker.reader = reader;
            await reader.connect();
          }
          worker.reading = true;
          let reply: Array<[string, unknown[]]> | null;
          try {
            reply = (await worker.reader.sendCommand(['XREADGROUP', 'GROUP', group, consumer, 'COUNT', String(readCount), 'BLOCK', String(blockMs), 'STREAMS', worker.key, '>'])) as Array<[string, unknown[]]> | null;
          } finally {
            worker.reading = false;
          }
          failures = 0;
          const entries = parseEntries(reply?.[0]?.[1]);
          if (entries.length > 0 && !(await ship(worker, entries))) return;
        } catch (error) {
          if (stopping) break;
          failures += 1;
          redisFailed(error, worker.shard);
          // NOGROUP (Redis lost its data) or a reconnect: start the shard over, pending entries first.
          recovered = false;
          await sleep(retryDelay(failures, { base: 100, max: 2000 }));
        }
      }
      try {
        if (Number(await client.sendCommand(['EVAL', RELEASE, '1', worker.lease, consumer])) === 1) emit({ type: 'lease', shard: worker.shard, action: 'released' });
      } catch (error) {
        redisFailed(error, worker.shard); // the lease expires on its own
      }
    } finally {
      workers.delete(worker.shard);
      stats.shards = [...workers.keys()].sort((a, b) => a - b);
      const reader = worker.reader;
      worker.reader = undefined;
      if (reader !== undefined) {
        if (reader.isReady) await reader.close().catch(() => reader.destroy());
        else reader.destroy();
      }
    }
  }

  /** Heartbeat, fair share, and taking free shards. */
  async function tick(): Promise<void> {
    try {
      const [seconds, micros] = (await client.sendCommand(['TIME'])) as [string, string];
      const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
      await client.sendCommand(['ZADD', membersKey, String(now), consumer]);
      await client.sendCommand(['ZREMRANGEBYSCORE', membersKey, '-inf', String(now - leaseMs)]);
      const live = Math.max(1, Number(await client.sendCommand(['ZCARD', membersKey])));
      const fair = Math.ceil(shardCount / live);
      // Held leases are renewed here too, so a shard waiting for the post slot keeps its lease.
      for (const worker of workers.values()) {
        if (worker.lost) continue;
        if (Number(await client.sendCommand(['EVAL', RENEW, '1', worker.lease, consumer, String(leaseMs)])) !== 1) {
          worker.lost = true;
          emit({ type: 'lease', shard: worker.shard, action: 'lost' });
        }
      }
      const active = [...workers.values()].filter((worker) => !worker.release && !worker.lost);
      for (const worker of active.slice(fair)) worker.release = true;
      let holding = Math.min(active.length, fair);
      // Start at a different shard per shipper, so two shippers starting together pick different ones.
      const offset = [...consumer].reduce((sum, char) => (sum * 31 + char.charCodeAt(0)) >>> 0, 7) % shardCount;
      for (let i = 0; i < shardCount && holding < fair && !stopping; i += 1) {
        const shard = (offset + i) % shardCount;
        if (workers.has(shard)) continue;
        const got: unknown = await client.sendCommand(['SET', leaseKey(stream, shard), consumer, 'NX', 'PX', String(leaseMs)]);
        if (got !== 'OK') continue;
        holding += 1;
        const worker: Worker = { shard, key: shardKey(stream, shard), lease: leaseKey(stream, shard), release: false, lost: false, reader: undefined, reading: false, done: Promise.resolve() };
        workers.set(shard, worker);
        stats.shards = [...workers.keys()].sort((a, b) => a - b);
        emit({ type: 'lease', shard, action: 'acquired' });
        worker.done = runWorker(worker);
      }
      resolveReady();
    } catch (error) {
      redisFailed(error);
    }
    if (!stopping) {
      tickTimer = setTimeout(() => void tick(), tickMs);
    }
  }

  client.connect().then(
    () => void tick(),
    (error: unknown) => {
      if (!stopping) redisFailed(error);
    },
  );

  let stopped: Promise<RedisShipperStats> | undefined;
  return {
    ready,
    done,
    stats: () => ({ ...stats, shards: [...stats.shards] }),
    stop({ timeout: stopTimeout = 30_000 } = {}) {
      if (stopped !== undefined) return stopped;
      stopping = true;
      if (tickTimer !== undefined) clearTimeout(tickTimer);
      for (const wake of [...sleepers]) wake();
      // A blocked XREADGROUP ends at once; an in-flight POST is awaited.
      for (const worker of workers.values()) if (worker.reading) worker.reader?.destroy();
      stopped = (async () => {
        const all = Promise.all([...workers.values()].map((worker) => worker.done));
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([all, new Promise((resolve) => (timer = setTimeout(resolve, stopTimeout)))]);
        clearTimeout(timer);
        for (const worker of workers.values()) worker.reader?.destroy();
        try {
          if (client.isReady) await client.sendCommand(['ZREM', membersKey, consumer]);
        } catch {
          // Our heartbeat ages out on its own.
        }
        if (client.isReady) await client.close().catch(() => client.destroy());
        else client.destroy();
        poster.close();
        resolveReady();
        const final = { ...stats, shards: [] };
        resolveDone(final);
        return final;
      })();
      return stopped;
    },
  };
}
