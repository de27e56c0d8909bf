import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startCollector, type Collector } from '@mapp-s2s/collector';
import { MAX_SEND_LINE_CHARS } from '../src/encode.js';
import { createTracker } from '../src/tracker.js';
import { createMemoryTransport } from '../src/transport/memory.js';
import type { Logger, TrackerEvent, TrackerOptions, Transport } from '../src/types.js';
import { BROWSER_UA, context, parseLine, TRACK_ID } from './helpers.js';

const EID = '2138210064900146323';
const silent: Logger = { debug: () => undefined, warn: () => undefined, error: () => undefined };

function setup(options: TrackerOptions = {}) {
  const memory = createMemoryTransport();
  const events: TrackerEvent[] = [];
  const tracker = createTracker({ trackId: TRACK_ID, trackDomain: 'track.example.com', transport: memory, onEvent: (event) => events.push(event), logger: silent, ...options });
  return { memory, events, tracker };
}

describe('createTracker lifecycle', () => {
  it('begin + end send one page view through the transport', async () => {
    const { memory, tracker } = setup();
    const ctx = context({ cookies: { wtstp_eid: EID } });
    const visit = await tracker.begin(ctx);
    const result = await tracker.end(ctx, visit, { page: { parameters: { 1: 'x' } } });
    expect(result).toEqual({ ok: true, status: 'sent', line: memory.lines[0] });
    expect(memory.hits[0]?.key).toBe(EID);
    expect(parseLine(memory.lines[0] ?? '').params.get('cp1')).toBe('x');
  });

  it('track() sends an event without any request', async () => {
    const { memory, tracker } = setup();
    const result = await tracker.track(
      { action: { name: 'signup' }, order: { value: '12.50', id: 'O1' } },
      { eid: EID, ceid: 'C1', ip: '::ffff:198.51.100.7', userAgent: 'Server', pageUrl: 'https://Shop.example.com/Thanks?x=1' },
    );
    expect(result.ok).toBe(true);
    const { p, params } = parseLine(memory.lines[0] ?? '');
    expect(p[1]).toBe('shop.example.com/thanks');
    expect(p[7]).toBe('0');
    expect(Object.fromEntries(params)).toMatchObject({ eid: EID, ceid: 'C1', 'X-WT-IP': '198.51.100.7', 'X-WT-UA': 'Server', ct: 'signup', ov: '12.50', oi: 'O1', pu: 'https://Shop.example.com/Thanks?x=1' });
    expect(params.has('one')).toBe(false);
  });

  it("track() without a page sends page name '0'", async () => {
    const { memory, tracker } = setup();
    await tracker.track({ action: { name: 'cron' } });
    expect(parseLine(memory.lines[0] ?? '').p[1]).toBe('0');
  });

  it("track() with a visit shares the visitor and marks the referrer as already sent ('2')", async () => {
    const { memory, tracker } = setup();
    const ctx = context({ headers: { referer: 'https://www.google.de/' } });
    const visit = await tracker.begin(ctx);
    await tracker.track({ action: { name: 'add-to-cart' } }, { context: ctx, visit });
    const { p, params } = parseLine(memory.lines[0] ?? '');
    expect(params.get('eid')).toBe(visit.eid);
    expect(p[7]).toBe('2');
  });

  it('track() ignores an explicit eid that is not 19 digits', async () => {
    const { memory, tracker } = setup();
    await tracker.track({ action: { name: 'x' } }, { eid: '123&nc=1' });
    expect(parseLine(memory.lines[0] ?? '').params.has('eid')).toBe(false);
  });

  it('trackPageView = begin + end', async () => {
    const { memory, tracker } = setup();
    expect((await tracker.trackPageView(context())).ok).toBe(true);
    expect(memory.lines).toHaveLength(1);
  });

  it('end() reports a skipped visit without sending', async () => {
    const { memory, tracker } = setup();
    const ctx = context({ method: 'POST' });
    expect(await tracker.end(ctx, await tracker.begin(ctx))).toEqual({ ok: false, status: 'skipped', reason: 'method' });
    expect(memory.lines).toHaveLength(0);
  });
});

describe('outcomes and events', () => {
  it('maps transport outcomes to results, never rejecting', async () => {
    const { memory, tracker } = setup();
    memory.respond(() => ({ ok: false, status: 'dropped', reason: 'rejected', detail: '404' }));
    expect(await tracker.track({ action: { name: 'a' } })).toMatchObject({ ok: false, status: 'dropped', reason: 'rejected', detail: '404' });
    memory.respond(() => ({ ok: false, status: 'failed', error: new Error('down') }));
    expect(await tracker.track({ action: { name: 'a' } })).toMatchObject({ ok: false, status: 'failed' });
  });

  it('turns a throwing or rejecting transport into a failed result', async () => {
    const broken = (): Transport => ({
      name: 'broken',
      send: () => { throw new Error('sync'); },
      flush: () => Promise.reject(new Error('flush')),
      close: () => Promise.reject(new Error('close')),
    });
    const events: TrackerEvent[] = [];
    const tracker = createTracker({ trackId: TRACK_ID, trackDomain: 'track.example.com', transport: broken, onEvent: (event) => events.push(event), logger: silent });
    const result = await tracker.track({ action: { name: 'a' } });
    expect(result).toMatchObject({ ok: false, status: 'failed' });
    await expect(tracker.flush()).resolves.toBeUndefined();
    await expect(tracker.close()).resolves.toBeUndefined();
    expect(events.filter((event) => event.type === 'error')).toHaveLength(2);
  });

  it("drops a hit whose required values alone exceed 7 KB with reason 'too-large' and an event", async () => {
    const { events, tracker, memory } = setup();
    const huge = '€'.repeat(255); // 2,295 bytes encoded
    const result = await tracker.track({ page: { name: huge }, action: { name: huge }, customer: { id: huge } }, { ceid: huge });
    expect(result).toMatchObject({ ok: false, status: 'dropped', reason: 'too-large' });
    expect(result.ok || result.status !== 'dropped' ? '' : result.detail).toMatch(/the line is \d+ bytes with every optional value left out, over the 7168-byte limit/);
    expect(events).toContainEqual(expect.objectContaining({ type: 'dropped', reason: 'too-large', lines: 1 }));
    expect(tracker.stats().dropped['too-large']).toBe(1);
    expect(memory.lines).toHaveLength(0);
  });

  it('fans events out to onEvent and on() listeners; listener exceptions never propagate', async () => {
    const seen: string[] = [];
    const { tracker } = setup({ dryRun: true, onEvent: () => { throw new Error('bad listener'); } });
    const off = tracker.on((event) => { seen.push(event.type); throw new Error('also bad'); });
    await expect(tracker.track({ action: { name: 'a' } })).resolves.toMatchObject({ ok: true, status: 'dry-run' });
    off();
    await tracker.track({ action: { name: 'b' } });
    expect(seen).toEqual(['debug']);
  });

  it('passes every send promise to waitUntil', async () => {
    const promises: Array<Promise<unknown>> = [];
    const { tracker } = setup({ waitUntil: (promise) => promises.push(promise) });
    const a = tracker.track({ action: { name: 'a' } });
    const b = tracker.trackPageView(context());
    await Promise.all([a, b]);
    expect(promises).toHaveLength(2);
    await expect(promises[0]).resolves.toMatchObject({ ok: true });
  });

  it('dryRun builds the line, emits debug, sends nothing', async () => {
    const { tracker, events, memory } = setup({ dryRun: true });
    const result = await tracker.trackPageView(context());
    expect(result).toMatchObject({ ok: true, status: 'dry-run' });
    expect(events).toEqual([{ type: 'debug', line: result.ok ? result.line : '', problems: [] }]);
    expect(memory.lines).toHaveLength(0);
  });

  it('debug validates each line against the limits and logs it', async () => {
    const logged: unknown[][] = [];
    const { tracker, events } = setup({ debug: true, logger: { ...silent, debug: (...args: unknown[]) => logged.push(args) } });
    await tracker.track({ raw: { 'bad name': 'x' }, page: { parameters: { 1: 'ok' } } });
    const debug = events.find((event) => event.type === 'debug');
    expect(debug).toMatchObject({ type: 'debug', problems: [expect.stringContaining('raw parameter name')] });
    expect(String(logged[0]?.[0])).toMatch(/^mapp-s2s: wt\?p=600,/);
  });

  it('stats() merges tracker and transport counters', async () => {
    const { tracker } = setup();
    await tracker.track({ action: { name: 'a' } });
    await tracker.track({ action: { name: 'b' } });
    expect(tracker.stats()).toMatchObject({ enqueued: 2, sent: 2, dropped: {}, queueDepth: 0 });
  });

  it('close() closes the transport; later hits are dropped as closed', async () => {
    const { tracker, memory } = setup();
    await tracker.close();
    expect(memory.closed).toBe(1);
    expect(await tracker.track({ action: { name: 'late' } })).toMatchObject({ ok: false, status: 'dropped', reason: 'closed' });
  });
});

describe('sendLine (pass-through lines)', () => {
  it.each<[string, string, string]>([
    ['a valid line', 'sent', 'wt?p=600,x&eid=2138210064900146323'],
    ['CR/LF', 'invalid', 'wt?p=600,x\r\nHost: evil'],
    ['no wt? prefix', 'invalid', 'p=600,x'],
    ['a 10 KB pixel line (over the 7 KB batch limit: the transport sends it alone)', 'sent', `wt?p=600,${'x'.repeat(10 * 1024)}`],
    ['the longest pass-through line', 'sent', `wt?p=600,${'x'.repeat(MAX_SEND_LINE_CHARS - 'wt?p=600,'.length)}`],
    ['one character longer', 'too-large', `wt?p=600,${'x'.repeat(MAX_SEND_LINE_CHARS - 'wt?p=600,'.length + 1)}`],
  ])('%s → %s', async (_label, expected, line) => {
    const { tracker, memory } = setup();
    const result = await tracker.sendLine!(line, { key: 'k' });
    expect(result.ok ? result.status : result.status === 'dropped' ? result.reason : result.status).toBe(expected);
    expect(memory.lines).toEqual(expected === 'sent' ? [line] : []);
  });
});

describe('memory transport', () => {
  it('resolves nextHit() and waitForHits() without sleeps', async () => {
    const { tracker, memory } = setup();
    const next = memory.nextHit();
    void tracker.track({ action: { name: 'a' } });
    expect((await next).line).toContain('ct=a');
    void tracker.track({ action: { name: 'b' } });
    expect(await memory.waitForHits(2)).toHaveLength(2);
    memory.clear();
    expect(memory.lines).toEqual([]);
  });
});

describe('built-in transports against the local collector', () => {
  let collector: Collector;
  beforeAll(async () => {
    collector = await startCollector();
  });
  afterAll(async () => {
    await collector.close();
  });

  it.each(['direct', 'batch'] as const)("transport '%s' delivers a page view over real HTTP", async (transport) => {
    collector.clear();
    const tracker = createTracker({ trackId: TRACK_ID, trackDomain: collector.url, transport, timeout: 5000, logger: silent });
    const result = await tracker.trackPageView(context({ cookies: { wtstp_eid: EID }, headers: { 'user-agent': BROWSER_UA } }), { page: { name: `via ${transport}` } });
    expect(result.ok).toBe(true);
    await tracker.flush();
    const [hit] = await collector.waitForHits(1);
    expect(hit?.via).toBe(transport === 'direct' ? 'wt' : 'batch');
    expect(hit?.p[1]).toBe(`via ${transport}`);
    expect(hit?.params.eid).toBe(EID);
    expect(hit?.problems).toEqual([]);
    await tracker.close();
  });
});
