import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCollector, validateLine, type Collector, type FaultOptions } from '@mapp-s2s/collector';
import type { TrackerEvent } from '@mapp-s2s/core';
import { request } from '@mapp-s2s/adapter-tests';
import { runConcurrent, waitUntil } from '../src/load.js';
import { countMarkers, deliveryReport } from '../src/markers.js';
import { report } from '../src/notes.js';
import { startShop, type InProcessShop } from '../src/shops.js';

const TRACK_ID = '123451234512345';
/** Pages per fault scenario, and visitors loading them at the same time. */
const PAGES = 150;
const VISITORS = 16;
const MAX_QUEUE = 40;
/** The POST timeout; the timeout scenario answers slower than this. */
const SEND_TIMEOUT_MS = 250;

/** Fast retries and a small in-memory window, so faults show within a second. */
const BATCH = { maxBatchSize: 10, flushInterval: 20, maxQueueSize: MAX_QUEUE, concurrency: 2, backoffBase: 10, backoffMax: 100, maxAttempts: 10_000 };

interface Scenario {
  name: string;
  faults: FaultOptions;
  /** `down` heals by itself; every other fault is cleared once the pages are served. */
  healsItself?: boolean;
}

const SCENARIOS: Scenario[] = [
  { name: 'every send answered 500', faults: { status: 500 } },
  { name: '429 with Retry-After: 1', faults: { status: 429, retryAfter: 1 } },
  { name: 'answers slower than the send timeout', faults: { latencyMs: SEND_TIMEOUT_MS * 3 } },
  { name: 'half of the connections reset', faults: { dropRate: 0.5, seed: 8 } },
  { name: 'a third answered 503, the rest slow', faults: { status: 503, errorRate: 0.33, latencyMs: 40, seed: 3 } },
  { name: 'down for 1.5 s, then back', faults: { downForMs: 1500 }, healsItself: true },
];

interface LoadResult {
  statuses: number[];
  bodies: string[];
  maxQueueDepth: number;
}

/** Serves `PAGES` home pages (marker `rid=<prefix>-<i>`) to concurrent visitors, sampling the queue depth after each. */
async function loadPages(shop: InProcessShop, prefix: string): Promise<LoadResult> {
  let maxQueueDepth = 0;
  const responses = await runConcurrent(PAGES, VISITORS, async (i) => {
    const response = await request(shop.url, `/?rid=${prefix}-${i}`);
    maxQueueDepth = Math.max(maxQueueDepth, shop.tracker.stats().queueDepth);
    return response;
  });
  return { statuses: responses.map((r) => r.status), bodies: responses.map((r) => r.body), maxQueueDepth };
}

describe.each(['express', 'koa'] as const)('backend faults under concurrent page load (examples/%s, batch + write-ahead log)', (shopName) => {
  let collector: Collector;
  let shop: InProcessShop;
  let spoolDir: string;
  let baseline: string;
  const events: TrackerEvent[] = [];

  beforeAll(async () => {
    collector = await startCollector({ inspector: false });
    spoolDir = mkdtempSync(join(tmpdir(), `mapp-reliability-${shopName}-`));
    shop = await startShop(shopName, {
      trackId: TRACK_ID,
      trackDomain: collector.url,
      transport: 'batch',
      timeout: SEND_TIMEOUT_MS,
      batch: BATCH,
      spool: { dir: spoolDir, fsync: 'never' },
      onEvent: (event) => events.push(event),
    });
    baseline = (await request(shop.url, '/?rid=baseline')).body;
  });

  let shopClosed = false;
  afterAll(async () => {
    if (!shopClosed) await shop.close();
    await collector.close();
    rmSync(spoolDir, { recursive: true, force: true });
  });

  it.each(SCENARIOS)('$name: every page is served 200 with its normal body, and every hit arrives exactly once (bar timed-out sends)', async ({ name, faults, healsItself }) => {
    const prefix = name.replace(/[^a-z0-9]+/gi, '_').slice(0, 24);
    const firstEvent = events.length;
    const requestsBefore = collector.requestCount();
    collector.setFaults(faults);
    const load = await loadPages(shop, prefix);
    const requestsDuringFault = collector.requestCount() - requestsBefore;
    if (!healsItself) collector.setFaults({});
    await shop.tracker.flush();

    const expected = Array.from({ length: PAGES }, (_, i) => `${prefix}-${i}`);
    const ours = (): ReturnType<typeof collector.hits> => collector.hits().filter((hit) => hit.params['pu']?.includes(`rid=${prefix}-`));
    await waitUntil(() => countMarkers(ours()).size === PAGES, 30_000, `all ${PAGES} hits of "${name}"`, () => `${countMarkers(ours()).size} arrived`);
    const delivery = deliveryReport(expected, countMarkers(ours()));
    const stats = shop.tracker.stats();
    const retryEvents = events.slice(firstEvent).filter((event): event is Extract<TrackerEvent, { type: 'retry' }> => event.type === 'retry');
    const retries = retryEvents.length;
    // Lines whose POST timed out: the sink may have stored them before its answer was late, and
    // without an idempotency key their retry counts twice (docs/protocol.md §1). Only these may repeat.
    const timedOutLines = retryEvents.filter((event) => event.reason.startsWith('timeout')).reduce((sum, event) => sum + event.lines, 0);
    report(`reliability/faults ${shopName} "${name}": pages 200 ${load.statuses.filter((s) => s === 200).length}/${PAGES}, arrived ${countMarkers(ours()).size}, lost ${delivery.lost.length}, duplicated ${delivery.duplicated}, max queue depth ${load.maxQueueDepth}/${MAX_QUEUE}, retry events ${retries}, lines retried after a timeout ${timedOutLines}`);

    // The visitor never notices: every page is the normal page.
    expect(load.statuses).toEqual(expected.map(() => 200));
    for (const body of load.bodies) expect(body).toBe(baseline);
    // The fault really happened (the transport had to retry), and nothing was lost or doubled.
    expect(retries).toBeGreaterThan(0);
    expect(requestsDuringFault).toBeGreaterThan(0);
    expect({ lost: delivery.lost, unexpected: delivery.unexpected }).toEqual({ lost: [], unexpected: [] });
    expect(delivery.duplicated).toBeLessThanOrEqual(timedOutLines);
    // Memory: the in-memory queue never held more than its bound; the log took the rest, dropping nothing.
    expect(load.maxQueueDepth).toBeLessThanOrEqual(MAX_QUEUE);
    expect(stats.queueDepth).toBeLessThanOrEqual(MAX_QUEUE);
    expect(stats.dropped['queue-full'] ?? 0).toBe(0);
    for (const hit of ours()) expect(validateLine(hit.raw).problems).toEqual([]);
  });

  it('honours Retry-After: every retry after a 429 waited at least the second it asked for', () => {
    const after429 = events.filter((event): event is Extract<TrackerEvent, { type: 'retry' }> => event.type === 'retry' && event.reason.includes('429'));
    expect(after429.length).toBeGreaterThan(0);
    for (const event of after429) expect(event.delayMs).toBeGreaterThanOrEqual(1000);
  });

  it('leaves the write-ahead log empty once everything was delivered and the shop closed', async () => {
    await shop.tracker.flush();
    expect(shop.tracker.stats().queueDepth).toBe(0);
    shopClosed = true;
    await shop.close();
    expect(readdirSync(spoolDir)).toEqual([]);
  });
});

describe('backend down without a spool (examples/express, batch only)', () => {
  it('keeps the queue at its bound, counts the overflow as queue-full drops, and delivers the rest exactly once', async () => {
    const collector = await startCollector({ inspector: false, faults: { status: 500 } });
    const maxQueueSize = 20;
    let timedOutLines = 0;
    const shop = await startShop('express', {
      trackId: TRACK_ID,
      trackDomain: collector.url,
      transport: 'batch',
      timeout: SEND_TIMEOUT_MS,
      batch: { ...BATCH, maxQueueSize },
      onEvent: (event) => {
        if (event.type === 'retry' && event.reason.startsWith('timeout')) timedOutLines += event.lines;
      },
    });
    try {
      const load = await loadPages(shop, 'nospool');
      const during = shop.tracker.stats();
      collector.setFaults({});
      await shop.tracker.flush();
      const stats = shop.tracker.stats();
      const dropped = Object.values(stats.dropped).reduce((sum, n) => sum + (n ?? 0), 0);
      const counts = countMarkers(collector.hits());
      const delivery = deliveryReport(Array.from({ length: PAGES }, (_, i) => `nospool-${i}`), counts);
      report(`reliability/faults express no spool, backend 500: pages 200 ${load.statuses.filter((s) => s === 200).length}/${PAGES}, max queue depth ${load.maxQueueDepth}/${maxQueueSize}, queue-full drops ${stats.dropped['queue-full'] ?? 0}, other drops ${dropped - (stats.dropped['queue-full'] ?? 0)}, delivered ${counts.size}, duplicated ${delivery.duplicated}, lines retried after a timeout ${timedOutLines}`);

      expect(load.statuses.every((status) => status === 200)).toBe(true);
      expect(load.maxQueueDepth).toBeLessThanOrEqual(maxQueueSize);
      expect(during.queueDepth).toBeLessThanOrEqual(maxQueueSize);
      expect(stats.dropped['queue-full'] ?? 0).toBeGreaterThan(0);
      // Every page view is accounted for: delivered, or counted as a drop; only a batch whose
      // POST timed out after the sink stored it may arrive twice (no idempotency key).
      expect(delivery.duplicated).toBeLessThanOrEqual(timedOutLines);
      expect(counts.size + dropped).toBe(PAGES);
    } finally {
      await shop.close();
      await collector.close();
    }
  });
});
