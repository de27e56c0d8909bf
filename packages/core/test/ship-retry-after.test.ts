import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { startCollector, type Collector } from '@mapp-s2s/collector';
import { shipSpool, type ShipLine, type ShipSource, type ShipUnit } from '../src/node/ship.js';

const TRACK_ID = '123451234512345';
const MAX_TIMER_MS = 2 ** 31 - 1;

let collector: Collector;

beforeEach(async () => {
  collector = await startCollector({ inspector: false, trackIds: [TRACK_ID] });
});

afterEach(async () => {
  jest.restoreAllMocks();
  await collector.close();
});

function line(n: number): string {
  return `wt?p=600,page${n},,,,,1700000000000,0,,&eid=8170000000000000001&cp1=${n}`;
}

/** One unit of `count` lines in memory, recording what was acknowledged and whether it completed. */
function memorySource(count: number): { source: ShipSource; acked: number[]; completed: () => boolean } {
  const acked: number[] = [];
  let completed = false;
  const unit: ShipUnit = {
    id: 'memory',
    size: count * 60,
    async *lines(): AsyncIterable<ShipLine> {
      for (let position = 0; position < count; position++) if (!acked.includes(position)) yield { position, line: line(position) };
    },
    async ack(lines) {
      acked.push(...lines.map((item) => Number(item.position)));
    },
    async complete() {
      completed = true;
    },
  };
  return { source: { description: 'memory', open: async () => [unit], close: async () => undefined }, acked, completed: () => completed };
}

const received = (): number[] => collector.hits().map((hit) => Number(hit.params.cp1));

describe('shipSpool and Retry-After', () => {
  it('stops cleanly, keeping the progress, when Mapp asks to wait longer than maxRetryAfter (default 60 s)', async () => {
    const timers = jest.spyOn(globalThis, 'setTimeout');
    const memory = memorySource(10);
    // Seed 10: four answers pass, the fifth is a 429 asking for 100000 s.
    collector.setFaults({ status: 429, retryAfter: 100_000, errorRate: 0.5, seed: 10 });
    const report = await shipSpool({ source: memory.source, origin: collector.url, trackId: TRACK_ID, batchSize: 1 });
    expect(report.stoppedBy).toBe('Mapp asked to wait 100000 s before retrying (HTTP 429, Retry-After), longer than the 60 s allowed by `maxRetryAfter`; nothing was deleted and the progress so far is kept: the next run continues from here');
    expect(report).toMatchObject({ sent: 4, retries: 0, complete: false, unitsDone: 0 });
    expect(memory.acked).toEqual([0, 1, 2, 3]);
    expect(memory.completed()).toBe(false);
    expect(received()).toEqual([0, 1, 2, 3]);
    // No wait was ever scheduled for the retry (only request timeouts, far below the cap).
    expect(timers.mock.calls.every(([, delay]) => (delay ?? 0) <= 10_000)).toBe(true);
  });

  it('never sets a timer beyond 2^31-1 ms, even with maxRetryAfter above it (capped)', async () => {
    const timers = jest.spyOn(globalThis, 'setTimeout');
    const memory = memorySource(2);
    collector.setFaults({ status: 429, retryAfter: 3_000_000 });
    const report = await shipSpool({ source: memory.source, origin: collector.url, trackId: TRACK_ID, maxRetryAfter: Number.MAX_SAFE_INTEGER, maxAttempts: 20 });
    expect(report.stoppedBy).toContain('Mapp asked to wait 3000000 s before retrying');
    expect(report.stoppedBy).toContain(`longer than the ${Math.ceil(MAX_TIMER_MS / 1000)} s allowed`);
    expect(collector.requestCount()).toBe(1);
    expect(timers.mock.calls.every(([, delay]) => (delay ?? 0) <= MAX_TIMER_MS)).toBe(true);
  });

  it('waits for a Retry-After up to maxRetryAfter inclusive, then delivers', async () => {
    const memory = memorySource(4);
    // Seed 26: ok ok ok F ok: one retry, after the 1 s Retry-After.
    collector.setFaults({ status: 503, retryAfter: 1, errorRate: 0.5, seed: 26 });
    const report = await shipSpool({ source: memory.source, origin: collector.url, trackId: TRACK_ID, batchSize: 1, maxRetryAfter: 1000 });
    expect(report).toMatchObject({ sent: 4, retries: 1, complete: true });
    expect(report.stoppedBy).toBeUndefined();
    expect(received()).toEqual([0, 1, 2, 3]);
    expect(memory.completed()).toBe(true);
  });

  it.each([-1, Number.NaN])('refuses maxRetryAfter %p before opening the source', async (value) => {
    const memory = memorySource(1);
    const open = jest.spyOn(memory.source, 'open');
    await expect(shipSpool({ source: memory.source, origin: collector.url, trackId: TRACK_ID, maxRetryAfter: value })).rejects.toThrow(/invalid option `maxRetryAfter`/);
    expect(open).not.toHaveBeenCalled();
    expect(collector.requestCount()).toBe(0);
  });
});
