import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { startCollector, type Collector } from '@mapp-s2s/collector';
import { createTracker } from '@mapp-s2s/core/node';
import { createRedisShipper, deadLetterKey, leaseKey, redisStreamTransport, shardKey, shardOf, type RedisShipper, type RedisShipperEvent } from '../src/index.js';
import { inspectRedis, until } from './support/outbox.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';

const TRACK_ID = '123451234512345';
const quiet = { debug() {}, warn() {}, error() {} };
let stream = '';
let streamNo = 0;

describe('createRedisShipper against redis-server and the local collector', () => {
  let redis: RedisServer;
  let collector: Collector;
  const shippers: RedisShipper[] = [];

  beforeAll(async () => {
    [redis, collector] = await Promise.all([startRedisServer(), startCollector()]);
  });
  afterEach(async () => {
    await Promise.all(shippers.splice(0).map((shipper) => shipper.stop({ timeout: 2000 })));
    collector.setFaults({});
    collector.clear();
    streamNo += 1;
  });
  afterAll(async () => {
    await Promise.all([redis?.close(), collector?.close()]);
  });

  function shipper(extra: Parameters<typeof createRedisShipper>[0] = {}): RedisShipper {
    const created = createRedisShipper({ url: redis.url, stream, shards: 2, trackId: TRACK_ID, trackDomain: collector.url, timeout: 2000, leaseMs: 2500, backoffBase: 20, backoffMax: 200, ...extra });
    shippers.push(created);
    return created;
  }

  async function write(count: number, visitors: number, shards = 2): Promise<void> {
    const tracker = createTracker({ trackId: TRACK_ID, trackDomain: collector.url, logger: quiet, transport: redisStreamTransport({ url: redis.url, stream, shards, maxEntryLines: 25 }) });
    for (let i = 0; i < count; i += 1) void tracker.track({ page: { name: `n${i}` } }, { eid: `80000000000000${String(10000 + (i % visitors))}` });
    await tracker.close();
  }

  const seqOf = (line: string): number => Number(/p=600,n(\d+),/.exec(line)?.[1]);

  it('ships every hit in large batches, per-visitor order kept, then acknowledges and deletes the entries', async () => {
    stream = `ship${streamNo}`;
    await write(500, 7);
    const events: RedisShipperEvent[] = [];
    const running = shipper({ batchSize: 200, onEvent: (event) => events.push(event) });
    await collector.waitForHits(500, { timeoutMs: 15_000 });
    const hits = collector.hits();
    expect(hits).toHaveLength(500);
    for (let v = 0; v < 7; v += 1) {
      const eid = `80000000000000${String(10000 + v)}`;
      const seqs = hits.filter((hit) => hit.raw.includes(`eid=${eid}`)).map((hit) => seqOf(hit.raw));
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
    const inspect = await inspectRedis(redis.url);
    await until(async () => (await inspect.raw<number>(['XLEN', shardKey(stream, 0)])) + (await inspect.raw<number>(['XLEN', shardKey(stream, 1)])) === 0, 'the entries to be deleted');
    expect(running.stats()).toMatchObject({ sent: 500, deadLettered: 0, invalid: 0 });
    expect(events.filter((event) => event.type === 'sent').every((event) => event.type === 'sent' && event.lines <= 200)).toBe(true);
    await inspect.close();
  });

  it('moves a batch Mapp rejects (4xx) to the dead-letter stream with its reason', async () => {
    stream = `dead${streamNo}`;
    collector.setFaults({ status: 400 });
    await write(30, 3);
    const running = shipper({ shards: 2 });
    const inspect = await inspectRedis(redis.url);
    await until(async () => running.stats().deadLettered === 30, 'the batches to be dead-lettered');
    const dead = await inspect.raw<Array<[string, string[]]>>(['XRANGE', deadLetterKey(stream), '-', '+']);
    const fields = dead.map(([, list]) => Object.fromEntries(list.flatMap((value, i) => (i % 2 === 0 ? [[value, list[i + 1]]] : []))) as Record<string, string>);
    expect(fields.every((entry) => entry.reason === 'HTTP 400' && entry.status === '400')).toBe(true);
    expect(fields.reduce((sum, entry) => sum + Number(entry.n), 0)).toBe(30);
    expect(fields.flatMap((entry) => (entry.l as string).split('\n'))).toHaveLength(30);
    await until(async () => (await inspect.raw<number>(['XLEN', shardKey(stream, 0)])) + (await inspect.raw<number>(['XLEN', shardKey(stream, 1)])) === 0, 'the rejected entries to be deleted');
    await inspect.close();
  });

  it('retries 5xx with backoff until Mapp accepts', async () => {
    stream = `retry${streamNo}`;
    collector.setFaults({ status: 503 });
    await write(40, 4);
    const events: RedisShipperEvent[] = [];
    const running = shipper({ onEvent: (event) => events.push(event) });
    await until(() => events.filter((event) => event.type === 'retry').length >= 3, 'three retries');
    collector.setFaults({});
    await collector.waitForHits(40, { timeoutMs: 10_000 });
    expect(running.stats().retries).toBeGreaterThanOrEqual(3);
    expect(running.stats().deadLettered).toBe(0);
  });

  it('claims the entries a dead shipper left pending (XAUTOCLAIM) and ships them before newer ones', async () => {
    stream = `claim${streamNo}`;
    await write(60, 1, 1);
    const inspect = await inspectRedis(redis.url);
    // A shipper that read a batch, held the lease, and died: its entries are pending, its lease runs out.
    await inspect.raw(['XGROUP', 'CREATE', shardKey(stream, 0), 'mapp-shippers', '0', 'MKSTREAM']);
    const read = await inspect.raw<Array<[string, unknown[]]>>(['XREADGROUP', 'GROUP', 'mapp-shippers', 'dead-one', 'COUNT', '1', 'STREAMS', shardKey(stream, 0), '>']);
    expect(read[0]?.[1]).toHaveLength(1);
    await inspect.raw(['SET', leaseKey(stream, 0), 'dead-one', 'PX', '300']);
    await write(20, 1, 1);
    const events: RedisShipperEvent[] = [];
    const running = shipper({ shards: 1, leaseMs: 2500, claimIdleMs: 300, onEvent: (event) => events.push(event) });
    await collector.waitForHits(80, { timeoutMs: 10_000 });
    expect(events).toContainEqual({ type: 'claimed', shard: 0, entries: 1 });
    const seqs = collector.hits().map((hit) => seqOf(hit.raw));
    // Both writes numbered from 0: the first 60, then the next 20, each in order.
    expect(seqs).toEqual([...Array.from({ length: 60 }, (_, i) => i), ...Array.from({ length: 20 }, (_, i) => i)]);
    expect(running.stats().claimed).toBe(1);
    await until(async () => (await inspect.raw<unknown[]>(['XPENDING', shardKey(stream, 0), 'mapp-shippers']))[0] === 0, 'nothing pending');
    expect(await inspect.raw<number>(['XLEN', shardKey(stream, 0)])).toBe(0);
    await inspect.close();
  });

  it('shares the shards between shippers, one shipper per shard, and takes over a stopped one', async () => {
    stream = `share${streamNo}`;
    const a = shipper({ shards: 4, consumer: 'a' });
    await a.ready;
    await until(() => a.stats().shards.length === 4, 'a to take all four shards alone');
    const b = shipper({ shards: 4, consumer: 'b' });
    await until(() => a.stats().shards.length === 2 && b.stats().shards.length === 2, 'a and b to hold two shards each');
    expect(new Set([...a.stats().shards, ...b.stats().shards]).size).toBe(4);
    await b.stop();
    await until(() => a.stats().shards.length === 4, 'a to take b\'s shards back');
    await write(100, 10, 4);
    await collector.waitForHits(100, { timeoutMs: 10_000 });
  });

  it('on stop() finishes its in-flight batch: answered, acknowledged, nothing left pending', async () => {
    stream = `stop${streamNo}`;
    await write(50, 5, 1);
    collector.setFaults({ latencyMs: 400 });
    let posting!: () => void;
    const posted = new Promise<void>((resolve) => (posting = resolve));
    const running = shipper({ shards: 1, onEvent: (event) => event.type === 'posting' && posting() });
    await posted;
    const final = await running.stop();
    expect(final.sent).toBe(50);
    expect(collector.hits()).toHaveLength(50);
    const inspect = await inspectRedis(redis.url);
    expect(await inspect.raw<number>(['XLEN', shardKey(stream, 0)])).toBe(0);
    expect(await inspect.raw<string | null>(['GET', leaseKey(stream, 0)])).toBeNull();
    await inspect.close();
  });

  it('sends a line over 7 KB (a Smart Pixel hit passed through) on its own as a GET, in its place', async () => {
    stream = `long${streamNo}`;
    const tracker = createTracker({ trackId: TRACK_ID, trackDomain: collector.url, logger: quiet, transport: redisStreamTransport({ url: redis.url, stream, shards: 1 }) });
    const eid = '8000000000000099999';
    await tracker.sendLine?.(`wt?p=600,n0,,,,,1700000000000,0,,&eid=${eid}`, { key: eid });
    await tracker.sendLine?.(`wt?p=600,n1,,,,,1700000000000,0,,&eid=${eid}&cp9=${'x'.repeat(9000)}`, { key: eid });
    await tracker.sendLine?.(`wt?p=600,n2,,,,,1700000000000,0,,&eid=${eid}`, { key: eid });
    await tracker.close();
    shipper({ shards: 1 });
    await collector.waitForHits(3, { timeoutMs: 10_000 });
    expect(collector.hits().map((hit) => [seqOf(hit.raw), hit.via])).toEqual([
      [0, 'batch'],
      [1, 'wt'],
      [2, 'batch'],
    ]);
  });

  it('validates its options, naming the option', () => {
    expect(() => createRedisShipper({ trackId: TRACK_ID, trackDomain: 'http://127.0.0.1:9', timeout: 5000, leaseMs: 1000 })).toThrow(/`leaseMs`.*longer than `timeout`/);
    expect(() => createRedisShipper({ trackDomain: 'http://127.0.0.1:9', env: {} })).toThrow(/trackId/);
    expect(shardOf('x', 1)).toBe(0);
  });
});
