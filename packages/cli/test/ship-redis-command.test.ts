import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startCollector, type Collector } from '@mapp-s2s/collector';
import { createTracker } from '@mapp-s2s/core/node';
import { redisStreamTransport } from '@mapp-s2s/redis';
import { main } from '../src/index.js';
import { startRedisServer, type RedisServer } from '../../redis/test/support/redis-server.js';

const TRACK_ID = '123451234512345';

function output(): { write(text: string): boolean; text(): string } {
  let text = '';
  return { write: (chunk: string) => ((text += chunk), true), text: () => text };
}

describe('mapp-s2s ship --from redis://', () => {
  let redis: RedisServer;
  let collector: Collector;
  beforeAll(async () => {
    [redis, collector] = await Promise.all([startRedisServer(), startCollector({ inspector: false, trackIds: [TRACK_ID] })]);
  });
  afterAll(async () => {
    await Promise.all([redis?.close(), collector?.close()]);
  });

  it('runs the Redis shipper until stopped, then prints its counters and exits 0', async () => {
    const tracker = createTracker({ trackId: TRACK_ID, trackDomain: collector.url, transport: redisStreamTransport({ url: redis.url, stream: 'cli', shards: 2 }) });
    for (let i = 0; i < 120; i += 1) void tracker.track({ page: { name: `p${i}` } }, { eid: `81700000000000000${10 + (i % 9)}` });
    await tracker.close();
    const stdout = output();
    const stderr = output();
    const abort = new AbortController();
    const exit = main(['ship', '--from', redis.url, '--stream', 'cli', '--shards', '2', '--group', 'g', '--consumer', 'c1', '--json', '--progress', '100', '--lease', '3000', '--timeout', '1000'], {
      stdout,
      stderr,
      signal: abort.signal,
      env: { MAPP_TRACK_ID: TRACK_ID, MAPP_TRACK_DOMAIN: collector.url },
    } as Parameters<typeof main>[1]);
    await collector.waitForHits(120, { timeoutMs: 15_000 });
    const deadline = Date.now() + 5000;
    while (!stdout.text().includes('"type":"progress","sent":120') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    abort.abort();
    expect(await exit).toBe(0);
    const events = stdout
      .text()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; sent?: number; action?: string });
    expect(events.at(-1)).toMatchObject({ type: 'stopped', sent: 120, deadLettered: 0 });
    expect(events.filter((event) => event.type === 'lease' && event.action === 'acquired')).toHaveLength(2);
    expect(events.some((event) => event.type === 'progress')).toBe(true);
    expect(stderr.text()).toBe('');
  });

  it('explains a bad --from and a missing @mapp-s2s/redis, exiting 2', async () => {
    const stderr = output();
    expect(await main(['ship', '--from', 'http://x'], { stderr, stdout: output() })).toBe(2);
    expect(stderr.text()).toMatch(/--from must be a redis:\/\/ or rediss:\/\/ URL/);
    const missing = output();
    const code = await main(['ship', '--from', 'redis://127.0.0.1:1'], {
      stderr: missing,
      stdout: output(),
      loadRedis: () => Promise.reject(Object.assign(new Error("Cannot find package '@mapp-s2s/redis'"), { code: 'ERR_MODULE_NOT_FOUND' })),
    } as Parameters<typeof main>[1]);
    expect(code).toBe(2);
    expect(missing.text()).toMatch(/needs the optional package @mapp-s2s\/redis[\s\S]*npm install @mapp-s2s\/redis/);
  });

  it('names the flag when an option is wrong', async () => {
    const stderr = output();
    const code = await main(['ship', '--from', redis.url, '--lease', '1000', '--timeout', '5000'], { stderr, stdout: output(), env: { MAPP_TRACK_ID: TRACK_ID, MAPP_TRACK_DOMAIN: collector.url } });
    expect(code).toBe(2);
    expect(stderr.text()).toMatch(/invalid option --lease: received 1000\. It must be longer than --timeout/);
  });

  it.each([
    [['--batch-size', '20000'], '--batch-size must be at most 10,000 (lines), got "20000"'],
    [['--timeout', '3000000000'], '--timeout must be at most 600,000 (ms)'],
  ])('refuses %p, outside its documented bound, with exit 2', async (flags, message) => {
    const stderr = output();
    const before = collector.requestCount();
    const code = await main(['ship', '--from', redis.url, ...flags], { stderr, stdout: output(), env: { MAPP_TRACK_ID: TRACK_ID, MAPP_TRACK_DOMAIN: collector.url } });
    expect(code).toBe(2);
    expect(stderr.text()).toContain(message);
    expect(collector.requestCount()).toBe(before);
  });

  it('keeps the spool mode: --help without --from shows the --dir usage, with --from the Redis usage', async () => {
    const spool = output();
    expect(await main(['help', 'ship'], { stdout: spool })).toBe(0);
    expect(spool.text()).toMatch(/--dir <path>/);
    const fleet = output();
    expect(await main(['ship', '--from', 'redis://x', '--help'], { stdout: fleet })).toBe(0);
    expect(fleet.text()).toMatch(/--consumer <name>/);
  });
});
