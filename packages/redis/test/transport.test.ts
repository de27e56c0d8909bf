import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTracker } from '@mapp-s2s/core/node';
import type { TrackerEvent } from '@mapp-s2s/core';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createClient } from '@redis/client';
import { createRedisShipper, redisStreamTransport, shardKey, shardOf, type RedisShipperEvent } from '../src/index.js';
import { evictionWarning } from '../src/eviction-check.js';
import { freePort, startRedisServer, type RedisServer } from './support/redis-server.js';

const TRACK = { trackId: '123451234512345', trackDomain: 'http://127.0.0.1:9' } as const;
const quiet = { debug() {}, warn() {}, error() {} };

/** Every entry of every shard: `[shard, lines]` in stream order. */
async function readOutbox(url: string, stream: string, shards: number): Promise<Array<{ shard: number; lines: string[] }>> {
  const client = createClient({ url });
  await client.connect();
  const entries: Array<{ shard: number; lines: string[] }> = [];
  for (let shard = 0; shard < shards; shard += 1) {
    const raw = (await client.sendCommand(['XRANGE', shardKey(stream, shard), '-', '+'])) as Array<[string, string[]]>;
    for (const [, fields] of raw) {
      const map = new Map<string, string>();
      for (let i = 0; i < fields.length; i += 2) map.set(fields[i] as string, fields[i + 1] as string);
      const lines = (map.get('l') ?? '').split('\n');
      expect(Number(map.get('n'))).toBe(lines.length);
      entries.push({ shard, lines });
    }
  }
  await client.close();
  return entries;
}

function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (check()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(poll, 10);
    };
    poll();
  });
}

describe('redisStreamTransport against a real redis-server', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.close();
  });

  it('appends the hits of one event-loop turn with one XADD per shard, each visitor on its own shard, in order', async () => {
    const stream = 'turns';
    const tracker = createTracker({ ...TRACK, logger: quiet, transport: redisStreamTransport({ url: redis.url, stream, shards: 4 }) });
    const visitors = ['8000000000000000001', '8000000000000000002', '8000000000000000003'];
    const results = [];
    for (let i = 0; i < 90; i += 1) results.push(tracker.track({ page: { name: `p${i}` } }, { eid: visitors[i % 3] as string }));
    expect((await Promise.all(results)).every((result) => result.ok && result.status === 'queued')).toBe(true);
    await tracker.flush();
    const entries = await readOutbox(redis.url, stream, 4);
    const usedShards = new Set(visitors.map((eid) => shardOf(eid, 4)));
    // One round trip for the whole turn: one entry per shard that got hits.
    expect(entries).toHaveLength(usedShards.size);
    for (const eid of visitors) {
      const shard = shardOf(eid, 4);
      const own = entries.filter((entry) => entry.shard === shard).flatMap((entry) => entry.lines).filter((line) => line.includes(`eid=${eid}`));
      expect(own.map((line) => /p=600,p(\d+),/.exec(line)?.[1]).map(Number)).toEqual(Array.from({ length: 30 }, (_, n) => visitors.indexOf(eid) + 3 * n));
    }
    expect(tracker.stats()).toMatchObject({ enqueued: 90, sent: 90, queueDepth: 0, inFlight: 0 });
    await tracker.close();
  });

  it('splits a large turn into entries of maxEntryLines and never trims the stream', async () => {
    const stream = 'large';
    const tracker = createTracker({ ...TRACK, logger: quiet, transport: redisStreamTransport({ url: redis.url, stream, shards: 1, maxEntryLines: 100 }) });
    for (let i = 0; i < 1000; i += 1) void tracker.track({ page: { name: `p${i}` } }, { eid: '8000000000000000009' });
    await tracker.close();
    const entries = await readOutbox(redis.url, stream, 1);
    expect(entries.every((entry) => entry.lines.length <= 100)).toBe(true);
    const lines = entries.flatMap((entry) => entry.lines);
    expect(lines.map((line) => Number(/p=600,p(\d+),/.exec(line)?.[1]))).toEqual(Array.from({ length: 1000 }, (_, n) => n));
  });

  it('lets a script that tracked and ended exit on its own, its hits appended first (flushOnExit)', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', resolve(__dirname, 'fixtures/ends-on-its-own.ts'), redis.url, 'script'], { cwd: resolve(__dirname, '../../..'), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((done, fail) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        fail(new Error(`the script did not exit within 20 s (an open Redis connection keeps it alive?)\n${stderr}`));
      }, 20_000);
      child.on('exit', (exitCode) => {
        clearTimeout(timer);
        done(exitCode);
      });
    });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect((await readOutbox(redis.url, 'script', 1)).flatMap((entry) => entry.lines)).toHaveLength(10);
  }, 30_000);

  it('rejects nonsense options at construction, naming the option', () => {
    expect(() => redisStreamTransport({ shards: 0 })).toThrow(/`shards`.*received 0/);
    expect(() => redisStreamTransport({ stream: 'a b' })).toThrow(/`stream`/);
    expect(() => redisStreamTransport({ maxQueueSize: -1 })).toThrow(/`maxQueueSize`/);
  });
});

describe('redisStreamTransport while Redis is unreachable', () => {
  it('keeps pages unaffected, holds hits within the bound, counts and warns the drops, and delivers once Redis is back', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const events: TrackerEvent[] = [];
    const warnings: string[] = [];
    const tracker = createTracker({
      ...TRACK,
      logger: { ...quiet, warn: (message: string) => warnings.push(message) },
      onEvent: (event) => events.push(event),
      transport: redisStreamTransport({ url, stream: 'outage', shards: 2, maxQueueSize: 50, backoffMax: 200 }),
    });
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => tracker.track({ page: { name: `p${i}` } }, { eid: `80000000000000000${10 + (i % 5)}` })));
    // track() never waits for Redis.
    expect(performance.now() - started).toBeLessThan(1000);
    expect(results.filter((result) => result.ok && result.status === 'queued')).toHaveLength(50);
    expect(results.filter((result) => !result.ok && result.status === 'dropped' && result.reason === 'queue-full')).toHaveLength(10);
    expect(tracker.stats()).toMatchObject({ dropped: { 'queue-full': 10 }, queueDepth: 50 });
    expect(events.filter((event) => event.type === 'dropped').reduce((sum, event) => sum + event.lines, 0)).toBe(10);
    expect(warnings.some((message) => /10? ?hits? dropped \(queue-full\)/.test(message) || /dropped \(queue-full\)/.test(message))).toBe(true);

    const redis = await startRedisServer({ port });
    try {
      await until(() => tracker.stats().sent === 50, 'the buffered hits to reach Redis');
      const entries = await readOutbox(url, 'outage', 2);
      expect(entries.flatMap((entry) => entry.lines)).toHaveLength(50);
      expect(tracker.stats()).toMatchObject({ queueDepth: 0, inFlight: 0 });
      await tracker.close();
    } finally {
      await redis.close();
    }
  });

  it('reports what close() could not append as dropped (closed)', async () => {
    const port = await freePort();
    const events: TrackerEvent[] = [];
    const tracker = createTracker({ ...TRACK, logger: quiet, onEvent: (event) => events.push(event), transport: redisStreamTransport({ url: `redis://127.0.0.1:${port}`, stream: 'gone' }) });
    for (let i = 0; i < 7; i += 1) void tracker.track({ page: { name: `p${i}` } }, { eid: '8000000000000000020' });
    await tracker.close({ timeout: 200 });
    expect(tracker.stats().dropped).toEqual({ closed: 7 });
    expect(events).toContainEqual(expect.objectContaining({ type: 'dropped', reason: 'closed', lines: 7 }));
  });
});

describe('a Redis that may evict the outbox', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.close();
  });

  it('says so when maxmemory-policy is allkeys-* with maxmemory set: the transport warns, the shipper reports a warning', async () => {
    const admin = createClient({ url: redis.url });
    await admin.connect();
    await admin.sendCommand(['CONFIG', 'SET', 'maxmemory', '104857600']);
    await admin.sendCommand(['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru']);
    await admin.close();
    const warnings: string[] = [];
    const tracker = createTracker({ ...TRACK, logger: { ...quiet, warn: (message: string) => warnings.push(message) }, transport: redisStreamTransport({ url: redis.url, stream: 'evict' }) });
    await until(() => warnings.length > 0, 'the eviction warning');
    expect(warnings).toEqual([expect.stringContaining('maxmemory-policy allkeys-lru and maxmemory 104857600 bytes')]);
    expect(warnings[0]).toContain('Set maxmemory-policy noeviction');
    await tracker.close();

    const events: RedisShipperEvent[] = [];
    const shipper = createRedisShipper({ url: redis.url, stream: 'evict', trackId: TRACK.trackId, trackDomain: TRACK.trackDomain, onEvent: (event) => events.push(event) });
    await until(() => events.some((event) => event.type === 'warning'), 'the shipper warning');
    expect(events.find((event) => event.type === 'warning')).toEqual({ type: 'warning', message: expect.stringMatching(/^mapp-s2s ship: Redis at redis:\/\/127\.0\.0\.1:\d+ runs with maxmemory-policy allkeys-lru/) });
    await shipper.stop({ timeout: 1000 });
  });
});

describe('evictionWarning', () => {
  it.each([
    ['noeviction', 'maxmemory:104857600\r\nmaxmemory_policy:noeviction\r\n'],
    ['volatile-lru (streams have no TTL)', 'maxmemory:104857600\r\nmaxmemory_policy:volatile-lru\r\n'],
    ['allkeys-lru without maxmemory', 'maxmemory:0\r\nmaxmemory_policy:allkeys-lru\r\n'],
    ['an INFO without the fields', '# Memory\r\nused_memory:1\r\n'],
  ])('stays silent for %s', (_label, info) => {
    expect(evictionWarning(info, 'redis://x:6379', 'w')).toBeUndefined();
  });

  it.each(['allkeys-lru', 'allkeys-lfu', 'allkeys-random'])('warns for %s with maxmemory set', (policy) => {
    expect(evictionWarning(`# Memory\r\nmaxmemory:1024\r\nmaxmemory_policy:${policy}\r\n`, 'redis://x:6379', 'w')).toMatch(new RegExp(`^w: Redis at redis://x:6379 runs with maxmemory-policy ${policy} and maxmemory 1024 bytes`));
  });
});
