import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startCollector, type Collector } from '@mapp-s2s/collector';
import { MAX_LINE_BYTES } from '../src/encode.js';
import { PRODUCT_FOLLOW_UP_EVENT } from '../src/hit.js';
import { trackerInternals } from '../src/tracker-internals.js';
import { createTracker } from '../src/tracker.js';
import { createMemoryTransport } from '../src/transport/memory.js';
import type { HitData, Logger, OutgoingHit, SendOutcome, TrackerEvent, TrackerOptions, TrackResult, Transport } from '../src/types.js';
import { context, parseLine, TRACK_ID } from './helpers.js';

const EID = '2138210064900146323';
const silent: Logger = { debug: () => undefined, warn: () => undefined, error: () => undefined };

/** The order: 60 products, each with five categories and a long name. */
function bigOrder(id = 'ORD-60'): HitData {
  return {
    order: { value: 4321.09, id, currency: 'EUR' },
    products: Array.from({ length: 60 }, (_, i) => ({
      id: `SKU-${String(i + 1).padStart(3, '0')} ${'Long descriptive product name '.repeat(4)}`.slice(0, 110),
      cost: Math.round(1999 * (i + 1)) / 100,
      quantity: (i % 4) + 1,
      categories: { 1: 'Shoes', 2: 'Running shoes for long distances', 3: `Brand ${i}`, 4: 'Men', 5: 'Sale' },
    })),
  };
}

const ORDER = bigOrder();
const PRODUCTS = ORDER.products ?? [];

function setup(options: TrackerOptions = {}) {
  const memory = createMemoryTransport();
  const events: TrackerEvent[] = [];
  const tracker = createTracker({ trackId: TRACK_ID, trackDomain: 'track.example.com', transport: memory, logger: silent, onEvent: (event) => events.push(event), ...options });
  return { memory, events, tracker };
}

/** The `ba`, `co` and `qn` of every line, joined across lines. */
function productColumns(lines: readonly string[]): { ids: string[]; costs: string[]; quantities: string[] } {
  const column = (name: string): string[] =>
    lines.flatMap((line) => {
      const { params } = parseLine(line);
      return params.has('ba') ? (params.get(name) ?? '').split(';') : [];
    });
  return { ids: column('ba'), costs: column('co'), quantities: column('qn') };
}

describe('a hit split across lines goes out whole, in order (tracker)', () => {
  it('track() hands every line to the transport with one key and reports them all in one result', async () => {
    const { memory, tracker } = setup();
    const result = await tracker.track(ORDER, { eid: EID, pageUrl: 'https://shop.example.com/checkout/done' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.lines).toEqual(memory.lines);
    expect(result.line).toBe(memory.lines[0]);
    expect(memory.lines.length).toBeGreaterThan(1);
    expect(new Set(memory.hits.map((hit) => hit.key))).toEqual(new Set([EID]));
    expect(productColumns(memory.lines).ids).toEqual(PRODUCTS.map((product) => product.id));
  });

  it('a page view (end) and the adapters\u2019 fast path (endQuietly) send the same lines', async () => {
    const ctx = context({ url: 'https://shop.example.com/checkout/done', cookies: { wtstp_eid: EID } });
    const slow = setup();
    const fast = setup();
    const data = { ...ORDER, time: 1_730_181_123_123 };
    const result = await slow.tracker.end(ctx, await slow.tracker.begin(ctx), data);
    const internals = trackerInternals(fast.tracker);
    internals?.endQuietly(ctx, await fast.tracker.begin(ctx), data);
    const lines = await fast.memory.waitForHits(slow.memory.lines.length);
    expect(lines.map((hit) => hit.line)).toEqual(slow.memory.lines);
    expect(result.ok && result.lines).toEqual(slow.memory.lines);
  });

  it('hands a line over only once the previous one was taken, so even direct sends keep their order', async () => {
    const sent: string[] = [];
    const pending: Array<(outcome: SendOutcome) => void> = [];
    const transport = (): Transport => ({
      name: 'manual',
      send(hit: OutgoingHit) {
        sent.push(hit.line);
        return new Promise((resolve) => pending.push(resolve));
      },
      flush: async () => undefined,
      close: async () => undefined,
    });
    const tracker = createTracker({ trackId: TRACK_ID, trackDomain: 'track.example.com', transport, logger: silent });
    let finished = false;
    const done = tracker.track(ORDER, { eid: EID }).then((result) => {
      finished = true;
      return result;
    });
    let answered = 0;
    for (;;) {
      // Poll with a deadline for the next line (or the end).
      const deadline = Date.now() + 2000;
      while (sent.length === answered && !finished && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
      if (finished || sent.length === answered) break;
      expect(sent.length).toBe(answered + 1); // never a line ahead of its predecessor's answer
      pending[answered]?.({ ok: true, status: 'sent' });
      answered++;
    }
    const result = await done;
    expect(result.ok && result.lines).toEqual(sent);
    expect(answered).toBe(sent.length);
    expect(sent.length).toBeGreaterThan(1);
  });

  it.each<[string, number | undefined, SendOutcome, Partial<TrackResult>]>([
    ['every line sent', undefined, { ok: true, status: 'sent' }, { ok: true, status: 'sent' }],
    ['a follow-up rejected', 1, { ok: false, status: 'dropped', reason: 'rejected', detail: '400' }, { ok: false, status: 'dropped', reason: 'rejected', detail: '400' }],
    ['the first line failed', 0, { ok: false, status: 'failed', error: new Error('down') }, { ok: false, status: 'failed' }],
  ])('result when %s: the first failure with its line, else the first line; every line is still sent', async (_label, failAt, failure, expected) => {
    const { memory, tracker } = setup();
    let index = 0;
    memory.respond(() => (index++ === failAt ? failure : { ok: true, status: 'sent' }));
    const result = await tracker.track(ORDER, { eid: EID });
    expect(result).toMatchObject({ ...expected, line: memory.lines[failAt ?? 0], lines: memory.lines });
    expect(productColumns(memory.lines).ids).toHaveLength(60);
  });

  it('emits one debug event per line, the first with what was left out and the split', async () => {
    const { events, tracker } = setup({ debug: true });
    const result = await tracker.track(ORDER, { eid: EID });
    const debug = events.filter((event): event is Extract<TrackerEvent, { type: 'debug' }> => event.type === 'debug');
    expect(debug.map((event) => event.line)).toEqual(result.ok ? result.lines : []);
    expect(debug[0]?.problems.join('\n')).toMatch(/left out the product categories ca1, ca2, ca3, ca4, ca5[^\n]*\nsplit the 60 products across \d+ lines/);
    expect(debug.slice(1).flatMap((event) => event.problems)).toEqual([]);
  });

  it('gives waitUntil one promise that settles after the last line', async () => {
    const promises: Array<Promise<unknown>> = [];
    const { memory, tracker } = setup({ waitUntil: (promise) => promises.push(promise) });
    const result = await tracker.track(ORDER, { eid: EID });
    expect(promises).toHaveLength(1);
    await expect(promises[0]).resolves.toEqual(result);
    expect(result.ok && result.lines?.length).toBe(memory.lines.length);
  });

  it('dry-run builds every line and sends none', async () => {
    const { memory, tracker } = setup({ dryRun: true });
    const result = await tracker.track(ORDER, { eid: EID });
    expect(result).toMatchObject({ ok: true, status: 'dry-run' });
    expect(result.ok && result.lines?.length).toBeGreaterThan(1);
    expect(memory.lines).toEqual([]);
  });
});

describe('a 60-product order end to end: batch transport to the local collector', () => {
  let collector: Collector;
  beforeAll(async () => {
    collector = await startCollector();
  });
  afterAll(async () => {
    await collector.close();
  });

  it('delivers the order value and id exactly once and all 60 products with their costs and quantities', async () => {
    collector.clear();
    const tracker = createTracker({ trackId: TRACK_ID, trackDomain: collector.url, transport: 'batch', batch: { flushInterval: 60_000 }, logger: silent });
    const ctx = context({ url: 'https://shop.example.com/checkout/done', cookies: { wtstp_eid: EID } });
    const result = await tracker.trackPageView(ctx, ORDER);
    expect(result).toMatchObject({ ok: true, status: 'queued' });
    const count = result.ok ? (result.lines?.length ?? 1) : 0;
    expect(count).toBeGreaterThan(1);
    await tracker.flush();
    const hits = await collector.waitForHits(count);
    await tracker.close();

    expect(hits.map((hit) => hit.problems)).toEqual(hits.map(() => []));
    expect(hits.every((hit) => hit.raw.length <= MAX_LINE_BYTES && hit.via === 'batch')).toBe(true);
    expect(hits.filter((hit) => hit.params.ov !== undefined).map((hit) => [hit.params.ov, hit.params.oi])).toEqual([['4321.09', 'ORD-60']]);
    expect(hits.filter((hit) => hit.params.oi !== undefined)).toHaveLength(1);
    const { ids, costs, quantities } = productColumns(hits.map((hit) => hit.raw));
    expect(ids).toEqual(PRODUCTS.map((product) => product.id));
    expect(costs).toEqual(PRODUCTS.map((product) => String(product.cost)));
    expect(quantities).toEqual(PRODUCTS.map((product) => String(product.quantity)));
    // One page impression: the first line; the rest are events on the same page.
    expect(hits.map((hit) => hit.params.ct ?? 'page')).toEqual(['page', ...hits.slice(1).map(() => PRODUCT_FOLLOW_UP_EVENT)]);
    expect(new Set(hits.map((hit) => `${hit.p[1]} ${hit.params.eid} ${hit.params.st} ${hit.params.cr}`))).toEqual(new Set([`shop.example.com/checkout/done ${EID} conf EUR`]));
  });
});
