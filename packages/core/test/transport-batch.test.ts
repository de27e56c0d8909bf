import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { startCollector, type Collector } from '@mapp-s2s/collector';
import { createBatchTransport } from '../src/transport/batch.js';
import type { Transport } from '../src/types.js';
import { eidOf, hit, hitLine, recordingContext, TRACK_ID } from './fixtures/transport-context.js';

let collector: Collector;
let open: Transport[] = [];

beforeEach(async () => {
  collector = await startCollector({ inspector: false });
});

afterEach(async () => {
  await Promise.all(open.map((transport) => transport.close({ timeout: 100 })));
  open = [];
  await collector.close();
});

function batch(options: Parameters<typeof createBatchTransport>[0] = {}, trackId = TRACK_ID) {
  const recording = recordingContext(collector.url, trackId);
  const transport = createBatchTransport({ backoffBase: 5, backoffMax: 40, ...options })(recording.context);
  open.push(transport);
  return { transport, ...recording };
}

/** Waits until `n` batches were accepted. */
async function waitForSent(events: readonly { type: string }[], n: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (events.filter((e) => e.type === 'sent').length < n) {
    if (Date.now() > deadline) throw new Error(`fewer than ${n} batches sent within 5 s`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** cp1 values per eid, in the order the collector stored them. */
function orderByVisitor(): Map<string, number[]> {
  const byEid = new Map<string, number[]>();
  for (const stored of collector.hits()) {
    const list = byEid.get(stored.params.eid ?? '') ?? [];
    list.push(Number(stored.params.cp1));
    byEid.set(stored.params.eid ?? '', list);
  }
  return byEid;
}

describe('batch transport', () => {
  it('sends lines that are not ASCII (raw UTF-8 passed through) intact, in a batch beside ASCII lines, batch after batch', async () => {
    const { transport, events } = batch({ maxBatchSize: 3, flushInterval: 60_000, concurrency: 1 });
    const raw = (n: number, value: string) => ({ ...hit(1, n), line: `${hitLine(1, n)}&cp2=${value}` });
    // One lane, so each batch is encoded into the same reused array as the one before.
    await transport.send(raw(0, 'plain'));
    await transport.send(raw(1, 'café'));
    await transport.send(raw(2, 'plain'));
    await waitForSent(events, 1);
    await transport.send(raw(3, 'x'));
    await transport.send(raw(4, 'y'));
    await transport.send(raw(5, '€\u{1F600}'));
    await transport.flush();
    expect(collector.hits().map((stored) => stored.params.cp2)).toEqual(['plain', 'café', 'plain', 'x', 'y', '€\u{1F600}']);
  });

  it('POSTs newline-separated lines to /<trackId>/batch, maxBatchSize lines at a time', async () => {
    const { transport, events } = batch({ maxBatchSize: 50, flushInterval: 60_000, concurrency: 1 });
    for (let n = 0; n < 49; n += 1) await transport.send(hit(n % 7, n));
    expect(collector.requestCount()).toBe(0);
    await transport.send(hit(0, 49));
    await waitForSent(events, 1);
    for (let n = 50; n < 70; n += 1) await transport.send(hit(n % 7, n));
    await transport.flush();
    const stored = collector.hits();
    expect(stored).toHaveLength(70);
    expect(stored.every((h) => h.via === 'batch' && h.problems.length === 0)).toBe(true);
    // A full batch of 50 left at once; the 20 left over were sent by flush().
    expect(events.flatMap((e) => (e.type === 'sent' ? [e.lines] : []))).toEqual([50, 20]);
    expect(transport.stats?.()).toMatchObject({ enqueued: 70, sent: 70, queueDepth: 0, queueBytes: 0, inFlight: 0 });
  });

  it('sends a backlog larger than maxBatchSize in larger batches, up to maxBacklogBatchSize', async () => {
    collector.setFaults({ latencyMs: 100 });
    const { transport, events } = batch({ maxBatchSize: 50, maxBacklogBatchSize: 400, flushInterval: 60_000, concurrency: 1 });
    // The first 50 leave at once; the rest pile up behind that request.
    for (let n = 0; n < 1000; n += 1) await transport.send(hit(1, n));
    await transport.flush();
    expect(collector.hits().map((h) => Number(h.params.cp1))).toEqual(Array.from({ length: 1000 }, (_, n) => n));
    expect(events.flatMap((e) => (e.type === 'sent' ? [e.lines] : []))).toEqual([50, 400, 400, 150]);
  });

  it('sends a line over 7 KB on its own, as a GET, in its place in the order', async () => {
    const { transport, events } = batch({ maxBatchSize: 3, flushInterval: 60_000, concurrency: 1 });
    const long = { ...hit(1, 1), line: `${hit(1, 1).line}&cp2=${'x'.repeat(8 * 1024)}` };
    await transport.send(hit(1, 0));
    await transport.send(long);
    await transport.send(hit(1, 2));
    await transport.send(hit(1, 3));
    await transport.flush();
    const stored = collector.hits();
    expect(stored.map((h) => [Number(h.params.cp1), h.via])).toEqual([
      [0, 'batch'],
      [1, 'wt'],
      [2, 'batch'],
      [3, 'batch'],
    ]);
    expect(stored[1]?.params.cp2).toHaveLength(8 * 1024);
    expect(events.flatMap((e) => (e.type === 'sent' ? [e.lines] : []))).toEqual([1, 1, 2]);
  });

  it('sends a partial batch after flushInterval', async () => {
    const { transport } = batch({ maxBatchSize: 50, flushInterval: 25 });
    await transport.send(hit(1, 1));
    await transport.send(hit(1, 2));
    const stored = await collector.waitForHits(2);
    expect(stored.map((h) => h.params.cp1)).toEqual(['1', '2']);
    expect(collector.requestCount()).toBe(1);
  });

  it('splits at maxBatchBytes', async () => {
    const { transport, events } = batch({ maxBatchSize: 1000, maxBatchBytes: 1000, flushInterval: 60_000 });
    for (let n = 0; n < 40; n += 1) await transport.send(hit(1, n));
    await transport.flush();
    expect(collector.hits()).toHaveLength(40);
    const sizes = events.flatMap((e) => (e.type === 'sent' ? [e.lines] : []));
    // Each line is ~80 bytes: no POST above 1000 bytes.
    expect(Math.max(...sizes)).toBeLessThanOrEqual(Math.floor(1000 / 70));
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(40);
  });

  it('keeps every visitor in order across 5xx retries and connection resets, with bounded concurrency', async () => {
    collector.setFaults({ errorRate: 0.3, dropRate: 0.15, seed: 7 } as never);
    const { transport, count } = batch({ maxBatchSize: 7, concurrency: 4, flushInterval: 5, maxAttempts: 50 });
    const visitors = 25;
    for (let n = 0; n < 600; n += 1) await transport.send(hit(n % visitors, n));
    await transport.flush();
    const byEid = orderByVisitor();
    expect(byEid.size).toBe(visitors);
    for (let v = 0; v < visitors; v += 1) {
      const expected = Array.from({ length: 600 / visitors }, (_, i) => v + i * visitors);
      expect(byEid.get(eidOf(v))).toEqual(expected);
    }
    expect(count('retry')).toBeGreaterThan(0);
    expect(transport.stats?.().dropped).toEqual({});
  });

  it('honours Retry-After on 429', async () => {
    collector.setFaults({ status: 429, retryAfter: 1 });
    const { transport, waitForEvent } = batch({ flushInterval: 5 });
    await transport.send(hit(1, 1));
    const retry = await waitForEvent('retry');
    expect(retry).toMatchObject({ attempt: 1, delayMs: 1000, reason: 'HTTP 429' });
    collector.setFaults({});
    await transport.flush();
    expect(collector.hits().map((h) => h.params.cp1)).toEqual(['1']);
    expect(collector.requestCount()).toBe(2);
  }, 20_000);

  it('waits at most the longest timer Node keeps for a huge Retry-After, instead of retrying at once', async () => {
    collector.setFaults({ status: 429, retryAfter: 3_000_000 });
    const { transport, waitForEvent } = batch({ flushInterval: 5, maxRetryAge: Number.MAX_SAFE_INTEGER });
    await transport.send(hit(1, 1));
    expect(await waitForEvent('retry')).toMatchObject({ attempt: 1, delayMs: 2 ** 31 - 1, reason: 'HTTP 429' });
    collector.setFaults({});
    // close() tries the waiting batch once more before its deadline.
    await transport.close({ timeout: 2000 });
    expect(collector.hits().map((h) => h.params.cp1)).toEqual(['1']);
    expect(collector.requestCount()).toBe(2);
  }, 20_000);

  it('sends nothing more when closed with timeout 0 while a batch waits for its Retry-After: it is reported dropped (closed)', async () => {
    collector.setFaults({ status: 429, retryAfter: 3600 });
    const { transport, waitForEvent } = batch({ flushInterval: 5, maxRetryAge: Number.MAX_SAFE_INTEGER });
    await transport.send(hit(1, 1));
    await waitForEvent('retry');
    collector.setFaults({});
    await transport.close({ timeout: 0 });
    expect(collector.requestCount()).toBe(1);
    expect(transport.stats?.().dropped).toEqual({ closed: 1 });
  }, 20_000);

  it('drops a 404 batch at once (no retry) and keeps sending the others', async () => {
    collector.setFaults({ status: 404 });
    const { transport, waitForEvent, count } = batch({ flushInterval: 5, maxBatchSize: 2 });
    await transport.send(hit(1, 1));
    await transport.send(hit(1, 2));
    const dropped = await waitForEvent('dropped');
    expect(dropped).toMatchObject({ lines: 2, reason: 'rejected', detail: 'HTTP 404' });
    collector.setFaults({});
    await transport.send(hit(1, 3));
    await transport.flush();
    expect(collector.hits().map((h) => h.params.cp1)).toEqual(['3']);
    expect(collector.requestCount()).toBe(2);
    expect(count('retry')).toBe(0);
    expect(transport.stats?.().dropped).toEqual({ rejected: 2 });
  });

  it('drops only the rejected batches when some fail with 400', async () => {
    collector.setFaults({ status: 400, errorRate: 0.5, seed: 3 } as never);
    const { transport, lines, count } = batch({ flushInterval: 5, maxBatchSize: 5, concurrency: 3 });
    for (let n = 0; n < 200; n += 1) await transport.send(hit(n % 9, n));
    await transport.flush();
    const rejected = lines('dropped');
    expect(rejected).toBeGreaterThan(0);
    expect(collector.hits().length + rejected).toBe(200);
    // Every batch was sent exactly once: a rejection is final and blocks nothing.
    expect(count('retry')).toBe(0);
    expect(collector.requestCount()).toBe(count('sent') + count('dropped'));
  });

  it('treats a redirect as a rejection and does not follow it', async () => {
    collector.setFaults({ status: 302 });
    const { transport, waitForEvent } = batch({ flushInterval: 5 });
    await transport.send(hit(1, 1));
    expect(await waitForEvent('dropped')).toMatchObject({ reason: 'rejected', detail: 'HTTP 302' });
    expect(collector.requestCount()).toBe(1);
  });

  it('times out slow answers and retries them', async () => {
    collector.setFaults({ latencyMs: 400 });
    const { transport, waitForEvent } = batch({ flushInterval: 5, timeout: 50 });
    await transport.send(hit(1, 1));
    const retry = await waitForEvent('retry');
    expect(retry.reason).toBe('timeout after 50 ms');
    collector.setFaults({});
    await transport.flush();
    // The slow request was abandoned by us; the collector drops an aborted upload.
    expect(collector.hits().map((h) => h.params.cp1)).toContain('1');
  });

  it('gives up after maxAttempts', async () => {
    collector.setFaults({ status: 503 });
    const { transport, waitForEvent } = batch({ flushInterval: 5, maxAttempts: 3 });
    await transport.send(hit(1, 1));
    expect(await waitForEvent('dropped')).toMatchObject({ reason: 'retries-exhausted', lines: 1 });
    expect(collector.requestCount()).toBe(3);
  });

  it('gives up when the next attempt would exceed maxRetryAge', async () => {
    collector.setFaults({ status: 503, retryAfter: 5 });
    const { transport, waitForEvent } = batch({ flushInterval: 5, maxRetryAge: 2000 });
    await transport.send(hit(1, 1));
    expect(await waitForEvent('dropped')).toMatchObject({ reason: 'too-old' });
    expect(collector.requestCount()).toBe(1);
  });

  it('enforces maxQueueSize by refusing new hits, never evicting queued ones', async () => {
    collector.setFaults({ latencyMs: 300 });
    const { transport, waitForEvent, count } = batch({ maxQueueSize: 10, maxBatchSize: 5, concurrency: 1, flushInterval: 60_000 });
    const outcomes = [];
    for (let n = 0; n < 100; n += 1) outcomes.push(await transport.send(hit(1, n)));
    // 5 hits went out in the first batch, 10 wait; the other 85 were refused, and told so.
    expect(transport.stats?.()).toMatchObject({ queueDepth: 10, inFlight: 5, dropped: { 'queue-full': 85 } });
    expect(outcomes.slice(15).every((o) => !o.ok && o.status === 'dropped' && o.reason === 'queue-full')).toBe(true);
    expect(count('dropped')).toBe(85);
    await waitForEvent('sent');
    collector.setFaults({});
    await transport.flush();
    expect(collector.hits().map((h) => Number(h.params.cp1))).toEqual(Array.from({ length: 15 }, (_, n) => n));
  });

  it('enforces maxQueueBytes as well as maxQueueSize', async () => {
    collector.setFaults({ latencyMs: 300 });
    const size = hit(1, 10).line.length + 1;
    const { transport } = batch({ maxQueueSize: 1000, maxQueueBytes: size * 4, maxBatchSize: 2, concurrency: 1, flushInterval: 60_000 });
    for (let n = 10; n < 30; n += 1) await transport.send(hit(1, n));
    // 2 in flight, 4 fit the byte cap, 14 refused.
    expect(transport.stats?.()).toMatchObject({ queueDepth: 4, queueBytes: size * 4, inFlight: 2, dropped: { 'queue-full': 14 } });
  });

  it('sends overflow to the overflow transport instead of dropping', async () => {
    const spilled: string[] = [];
    const overflow: Transport = {
      name: 'memory-overflow',
      send: async (h) => {
        spilled.push(h.line);
        return { ok: true, status: 'spooled' };
      },
      flush: async () => undefined,
      close: async () => undefined,
      stats: () => ({ spooled: spilled.length }),
    };
    collector.setFaults({ latencyMs: 200 });
    const { transport } = batch({ maxQueueSize: 3, maxBatchSize: 2, concurrency: 1, flushInterval: 60_000, overflow });
    const outcomes = [];
    for (let n = 0; n < 10; n += 1) outcomes.push(await transport.send(hit(1, n)));
    expect(outcomes.filter((o) => o.ok && o.status === 'spooled')).toHaveLength(5);
    expect(transport.stats?.()).toMatchObject({ spooled: 5, dropped: {} });
  });

  it('close() drains the queue and the requests in flight', async () => {
    collector.setFaults({ latencyMs: 30 });
    const { transport } = batch({ maxBatchSize: 40, flushInterval: 60_000, concurrency: 2 });
    for (let n = 0; n < 250; n += 1) await transport.send(hit(n % 5, n));
    await transport.close({ timeout: 10_000 });
    expect(collector.hits()).toHaveLength(250);
    expect(transport.stats?.()).toMatchObject({ sent: 250, queueDepth: 0, inFlight: 0, dropped: {} });
    expect(await transport.send(hit(1, 1))).toMatchObject({ ok: false, reason: 'closed' });
  });

  it('close() hands what is still unsent at the timeout to the overflow, or counts it closed', async () => {
    collector.setFaults({ status: 503 });
    const spilled: string[] = [];
    const overflow: Transport = {
      name: 'memory-overflow',
      send: async (h) => {
        spilled.push(h.line);
        return { ok: true, status: 'spooled' };
      },
      flush: async () => undefined,
      close: async () => undefined,
    };
    const withSpool = batch({ flushInterval: 5, maxBatchSize: 3, maxAttempts: 1000, overflow });
    const without = batch({ flushInterval: 5, maxBatchSize: 3, maxAttempts: 1000 });
    for (let n = 0; n < 7; n += 1) {
      await withSpool.transport.send(hit(n, n));
      await without.transport.send(hit(n, n));
    }
    await Promise.all([withSpool.waitForEvent('retry'), without.waitForEvent('retry')]);
    await withSpool.transport.close({ timeout: 50 });
    await without.transport.close({ timeout: 50 });
    expect(spilled.map((line) => /cp1=(\d+)/.exec(line)?.[1])).toEqual(['0', '1', '2', '3', '4', '5', '6']);
    expect(without.transport.stats?.().dropped).toEqual({ closed: 7 });
  });

  it('rejects nonsense options at construction, naming the option', () => {
    expect(() => createBatchTransport({ maxBatchSize: 0 })).toThrow(/batch\.maxBatchSize/);
    expect(() => createBatchTransport({ maxQueueSize: Number.NaN })).toThrow(/batch\.maxQueueSize/);
  });
});
