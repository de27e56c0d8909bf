import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCollector, type Collector } from '@mapp-s2s/collector';
import { createDropWarnings } from '../src/drop-warnings.js';
import { MissingOptionError, InvalidOptionError, TrackingError } from '../src/errors.js';
import { createTracker } from '../src/node/create-tracker.js';
import { RangeSet } from '../src/node/range-set.js';
import { readAcks } from '../src/node/spool-files.js';
import { createTracker as createWebTracker } from '../src/tracker.js';
import { describeNetworkError } from '../src/transport/http.js';
import type { Logger, TrackerEvent } from '../src/types.js';
import { BROWSER_UA, context, TRACK_ID } from './helpers.js';

/** A logger that keeps what it was told. */
function recording(): Logger & { warnings: string[]; debugs: string[] } {
  const warnings: string[] = [];
  const debugs: string[] = [];
  return { warnings, debugs, warn: (message: string) => void warnings.push(message), debug: (message: string) => void debugs.push(message), error: () => undefined };
}

describe('drop warnings', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('says the first drop of a reason at once and sums up the rest once per 10 s window', () => {
    jest.useFakeTimers();
    const logger = recording();
    const warnings = createDropWarnings(logger);
    warnings.dropped('queue-full', 1, 'the memory queue is full');
    for (let i = 0; i < 999; i += 1) warnings.dropped('queue-full', 1, 'the memory queue is full');
    warnings.dropped('rejected', 50, 'HTTP 400');
    expect(logger.warnings).toEqual(['mapp-s2s: 1 hit dropped (queue-full): the memory queue is full', 'mapp-s2s: 50 hits dropped (rejected): HTTP 400']);
    jest.advanceTimersByTime(10_000);
    expect(logger.warnings.slice(2)).toEqual(['mapp-s2s: 999 hits more dropped (queue-full) in the last 10 s: the memory queue is full']);
    // A quiet window ends the series: the next drop is said at once again.
    jest.advanceTimersByTime(10_000);
    warnings.dropped('queue-full', 2, 'x');
    expect(logger.warnings.slice(3)).toEqual(['mapp-s2s: 2 hits dropped (queue-full): x']);
  });

  it('says what is pending at flush (tracker close), so nothing is lost with the process', () => {
    jest.useFakeTimers();
    const logger = recording();
    const warnings = createDropWarnings(logger);
    warnings.retrying(3, 'ECONNREFUSED');
    warnings.retrying(3, 'ECONNREFUSED');
    warnings.dropped('closed', 6, 'close() timed out after 10 ms');
    warnings.flush();
    expect(logger.warnings).toEqual([
      'mapp-s2s: could not deliver 3 hits to Mapp yet, retrying with backoff: ECONNREFUSED',
      'mapp-s2s: 6 hits dropped (closed): close() timed out after 10 ms',
      'mapp-s2s: 3 more batch retries in the last 10 s; Mapp is still not accepting hits: ECONNREFUSED',
    ]);
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('network errors name the endpoint and the fix', () => {
  it.each([
    [{ code: 'EPROTO', message: 'write EPROTO ...:error:0A00010B:SSL routines:ssl3_get_record:wrong version number' }, 'https://127.0.0.1:9700/1/batch', 'EPROTO: the TLS handshake with https://127.0.0.1:9700 failed; if that endpoint speaks plain HTTP (a local collector), set trackDomain to "http://127.0.0.1:9700"'],
    [{ message: 'fetch failed', cause: { code: 'ERR_SSL_WRONG_VERSION_NUMBER', message: 'wrong version number' } }, 'https://localhost:9700/1/wt?p=600', 'ERR_SSL_WRONG_VERSION_NUMBER: the TLS handshake with https://localhost:9700 failed; if that endpoint speaks plain HTTP (a local collector), set trackDomain to "http://localhost:9700"'],
    [{ code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND trak.example.com' }, 'https://trak.example.com/1/batch', 'ENOTFOUND: the host of https://trak.example.com does not resolve; check trackDomain (trak.example.com)'],
    [{ message: 'fetch failed', cause: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' } }, 'http://127.0.0.1:9/1/batch', 'ECONNREFUSED: nothing accepts connections at http://127.0.0.1:9; check trackDomain and that the endpoint is up'],
    [{ code: 'ECONNRESET', message: 'socket hang up' }, 'https://track.example.com/1/batch', 'ECONNRESET: socket hang up (https://track.example.com)'],
  ])('%j at %s', (cause, url, expected) => {
    expect(describeNetworkError(cause, url)).toBe(expected);
  });
});

describe('option errors are coded TrackingErrors', () => {
  it.each([
    [{ transport: 'spool' as const }, MissingOptionError, 'spool.dir', /missing option `spool.dir`: transport 'spool' writes hits to files and needs a folder/],
    [{ transport: 'spool' as const, spool: { dir: ' ' } }, MissingOptionError, 'spool.dir', /needs a folder/],
    [{ batch: { maxQueueBytes: 0 } }, InvalidOptionError, 'batch.maxQueueBytes', /batch\.maxQueueBytes/],
    [{ spool: { dir: '/tmp/x', maxTotalBytes: -1 } }, InvalidOptionError, 'spool.maxTotalBytes', /spool\.maxTotalBytes/],
    [{ flushOnExit: -5 }, InvalidOptionError, 'flushOnExit', /flushOnExit/],
  ])('%j', (options, type, option, message) => {
    let thrown: unknown;
    try {
      createTracker({ trackId: TRACK_ID, trackDomain: 'track.example.com', ...options }, {});
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(type);
    expect(thrown).toBeInstanceOf(TrackingError);
    expect(thrown).toMatchObject({ option });
    expect((thrown as Error).message).toMatch(message);
  });
});

describe('ack ranges', () => {
  it('are checked against the line count and never expanded', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mapp-acks-'));
    try {
      writeFileSync(join(dir, 'f.ack'), '0-99999999999\n2-4,7\n9-3\nx\n8\n12-1');
      const { acked, ignored } = readAcks(join(dir, 'f'), 10);
      // '12-1' is a torn last record (no newline): not read at all.
      expect(ignored).toBe(3);
      expect([...Array(10).keys()].filter((i) => acked.has(i))).toEqual([2, 3, 4, 7, 8]);
      expect(acked.ranges).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('merge into ranges as acks fill the gaps', () => {
    const set = new RangeSet();
    for (const i of [5, 1, 3, 2, 4, 0, 9]) set.add(i);
    set.addRange(7, 8);
    expect(set.ranges).toBe(2);
    expect(set.countBelow(10)).toBe(9);
    expect(set.countBelow(6)).toBe(6);
    expect(set.has(6)).toBe(false);
    set.add(6);
    expect(set.ranges).toBe(1);
    expect(set.countBelow(1_000_000)).toBe(10);
  });
});

describe('delivery through the local collector', () => {
  let collector: Collector;
  let dirs: string[] = [];

  beforeAll(async () => {
    collector = await startCollector({ inspector: false });
  });
  afterEach(() => {
    collector.clear();
    collector.setFaults({});
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    dirs = [];
  });
  afterAll(async () => {
    await collector.close();
  });

  function tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'mapp-delivery-'));
    dirs.push(dir);
    return dir;
  }

  it.each([
    ['1 visitor', 1],
    ['1,000 visitors', 1000],
  ])('a 50,000-hit burst at default settings arrives 50,000/50,000 (%s)', async (_label, visitors) => {
    const logger = recording();
    const tracker = createTracker({ trackId: TRACK_ID, trackDomain: collector.url, logger, flushOnExit: false }, {});
    let queued = 0;
    for (let n = 0; n < 50_000; n += 1) {
      const result = await tracker.track({ action: { name: 'burst' }, page: { parameters: { 1: String(n) } } }, { ceid: `visitor-${n % visitors}` });
      if (result.ok) queued += 1;
    }
    expect(queued).toBe(50_000);
    await tracker.close({ timeout: 60_000 });
    expect(tracker.stats()).toMatchObject({ sent: 50_000, dropped: {}, queueDepth: 0, inFlight: 0 });
    const values = new Set(collector.hits().map((hit) => hit.params.cp1));
    expect(values.size).toBe(50_000);
    expect(logger.warnings).toEqual([]);
  }, 120_000);

  it('a full queue refuses the hit, tells track(), counts it and warns once with a count', async () => {
    collector.setFaults({ latencyMs: 500 });
    const logger = recording();
    const tracker = createTracker({ trackId: TRACK_ID, trackDomain: collector.url, logger, batch: { maxQueueSize: 10, maxBatchSize: 5, concurrency: 1 }, flushOnExit: false }, {});
    const results = [];
    for (let n = 0; n < 40; n += 1) results.push(await tracker.track({ action: { name: 'x' } }, { ceid: 'one' }));
    expect(results.filter((r) => !r.ok && r.status === 'dropped' && r.reason === 'queue-full')).toHaveLength(25);
    expect(tracker.stats().dropped).toEqual({ 'queue-full': 25 });
    expect(logger.warnings).toEqual([expect.stringMatching(/^mapp-s2s: 1 hit dropped \(queue-full\): the memory queue is full .*set spool\.dir to spill to disk$/)]);
    await tracker.close({ timeout: 10_000 });
    expect(logger.warnings[1]).toMatch(/^mapp-s2s: 24 hits more dropped \(queue-full\)/);
    expect(collector.hits()).toHaveLength(15);
  });

  it('with a spool folder, a full memory queue spills to disk instead of dropping', async () => {
    collector.setFaults({ latencyMs: 200 });
    const dir = tempDir();
    const logger = recording();
    const tracker = createTracker({ trackId: TRACK_ID, trackDomain: collector.url, logger, batch: { maxQueueSize: 10, maxBatchSize: 5 }, spool: { dir }, flushOnExit: false }, {});
    for (let n = 0; n < 300; n += 1) {
      const result = await tracker.track({ action: { name: 'x' }, page: { parameters: { 1: String(n) } } }, { ceid: `v${n % 7}` });
      expect(result).toMatchObject({ ok: true, status: 'spooled' });
    }
    collector.setFaults({});
    await tracker.flush();
    await tracker.close({ timeout: 10_000 });
    expect(tracker.stats().dropped).toEqual({});
    expect(collector.hits()).toHaveLength(300);
    expect(logger.warnings).toEqual([]);
  });

  it('close({ timeout }) with Mapp down settles at about the timeout and reports the hits it gave up', async () => {
    collector.setFaults({ status: 503 });
    const logger = recording();
    const events: TrackerEvent[] = [];
    const tracker = createTracker({ trackId: TRACK_ID, trackDomain: collector.url, logger, onEvent: (e) => events.push(e), batch: { flushInterval: 10 }, flushOnExit: false }, {});
    for (let n = 0; n < 3; n += 1) await tracker.track({ action: { name: 'x' } }, { ceid: 'c' });
    await new Promise<void>((resolve) => tracker.on((event) => event.type === 'retry' && resolve()));
    await tracker.close({ timeout: 300 });
    expect(tracker.stats()).toMatchObject({ dropped: { closed: 3 }, inFlight: 0, queueDepth: 0 });
    expect(events.filter((e) => e.type === 'dropped')).toEqual([{ type: 'dropped', lines: 3, reason: 'closed', detail: expect.stringContaining('close() timed out after 300 ms') }]);
    expect(logger.warnings).toContain('mapp-s2s: 3 hits dropped (closed): close() timed out after 300 ms with these hits unsent; set spool.dir to keep such hits on disk');
  });

  it('the spool stops at maxTotalBytes: spool-full drops are counted, emitted and warned', async () => {
    const dir = tempDir();
    const logger = recording();
    const tracker = createTracker({ trackId: TRACK_ID, trackDomain: collector.url, logger, transport: 'spool', spool: { dir, maxTotalBytes: 2000 }, flushOnExit: false }, {});
    const results = [];
    for (let n = 0; n < 100; n += 1) results.push(await tracker.track({ action: { name: 'x' }, page: { parameters: { 1: String(n) } } }));
    const spooled = results.filter((r) => r.ok).length;
    expect(spooled).toBeGreaterThan(0);
    expect(results.filter((r) => !r.ok && r.status === 'dropped' && r.reason === 'spool-full')).toHaveLength(100 - spooled);
    expect(tracker.stats().dropped).toEqual({ 'spool-full': 100 - spooled });
    expect(tracker.stats().spoolBytes).toBeLessThanOrEqual(2000);
    expect(logger.warnings[0]).toMatch(/^mapp-s2s: 1 hit dropped \(spool-full\): spool\.maxTotalBytes reached/);
    await tracker.close();
    const size = readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
    expect(size).toBeLessThanOrEqual(2000);
  });

  it('creates the spool folder 0700 and its files 0600 (they hold IPs, eids and customer fields)', async () => {
    const dir = join(tempDir(), 'spool');
    const tracker = createTracker({ trackId: TRACK_ID, trackDomain: collector.url, batch: { maxBatchSize: 1 }, spool: { dir }, flushOnExit: false }, {});
    collector.setFaults({ status: 503 });
    await tracker.track({ action: { name: 'x' } });
    const modes = (): string[] => readdirSync(dir).map((name) => `${name.replace(/\d+/, 'N')} ${(lstatSync(join(dir, name)).mode & 0o777).toString(8)}`);
    expect((statSync(dir).mode & 0o777).toString(8)).toBe('700');
    expect(modes().sort()).toEqual(['MappIntelligenceRequests-N.tmp 600', 'MappIntelligenceRequests.lock 600']);
    collector.setFaults({});
    await tracker.flush();
    await tracker.close();
  });

  it('the write-ahead log replays a file with a hostile .ack in full and leaves symlinks and FIFOs alone', async () => {
    const dir = tempDir();
    const outside = tempDir();
    const lines = Array.from({ length: 30 }, (_, n) => `wt?p=600,replayed,,,,,1700000000000,0,,&ceid=c&cp1=${n}`);
    writeFileSync(join(dir, 'MappIntelligenceRequests-1700000000001.log'), `${lines.join('\n')}\n`);
    writeFileSync(join(dir, 'MappIntelligenceRequests-1700000000001.ack'), '0-99999999999\n');
    writeFileSync(join(outside, 'other.txt'), 'wt?p=600,secret\n');
    symlinkSync(join(outside, 'other.txt'), join(dir, 'MappIntelligenceRequests-1700000000002.log'));
    execFileSync('mkfifo', [join(dir, 'MappIntelligenceRequests-1700000000003.log')]);
    const logger = recording();
    const tracker = createTracker({ trackId: TRACK_ID, trackDomain: collector.url, logger, spool: { dir }, flushOnExit: false }, {});
    await tracker.flush();
    await tracker.close();
    expect(collector.hits().map((hit) => Number(hit.params.cp1))).toEqual(Array.from({ length: 30 }, (_, n) => n));
    expect(collector.hits({ pageName: 'secret' })).toEqual([]);
    expect(logger.warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/MappIntelligenceRequests-1700000000001\.ack: 1 entry outside the file's 30 lines ignored/),
        expect.stringMatching(/MappIntelligenceRequests-1700000000002\.log is a symbolic link, not a regular file; the write-ahead log leaves it alone/),
        expect.stringMatching(/MappIntelligenceRequests-1700000000003\.log is a FIFO, not a regular file; the write-ahead log leaves it alone/),
      ]),
    );
    expect(readdirSync(dir).sort()).toEqual(['MappIntelligenceRequests-1700000000002.log', 'MappIntelligenceRequests-1700000000003.log']);
  });

  it('debug says why each request did not become a hit', async () => {
    const logger = recording();
    const tracker = createWebTracker({ trackId: TRACK_ID, trackDomain: collector.url, logger, debug: true, dryRun: true }, {});
    const cases = [
      context({ headers: { 'user-agent': 'curl/8.5.0' } }),
      context({ contentType: 'application/json' }),
      context({ headers: { 'sec-purpose': 'prefetch' } }),
      context({ cookies: { webtrekkOptOut: '1' } }),
      context({ method: 'POST' }),
    ];
    for (const ctx of cases) await tracker.trackPageView(ctx);
    expect(tracker.stats().skipped).toEqual({ bot: 1, 'content-type': 1, prefetch: 1, 'opt-out': 1, method: 1 });
    expect(logger.debugs).toEqual([
      'mapp-s2s: not tracked (bot: the User-Agent is a bot or missing (curl counts as a bot)): GET https://shop.example.com/products?id=1',
      'mapp-s2s: not tracked (content-type: the response is not HTML): GET https://shop.example.com/products?id=1',
      'mapp-s2s: not tracked (prefetch: a prefetch or prerender, not a page view): GET https://shop.example.com/products?id=1',
      'mapp-s2s: not tracked (opt-out: the opt-out cookie is set): GET https://shop.example.com/products?id=1',
      'mapp-s2s: not tracked (method: only GET requests are page views): POST https://shop.example.com/products?id=1',
    ]);
    const quiet = recording();
    const normal = createWebTracker({ trackId: TRACK_ID, trackDomain: collector.url, logger: quiet, dryRun: true }, {});
    await normal.trackPageView(context({ headers: { 'user-agent': BROWSER_UA.replace('Mozilla', 'curl') } }));
    expect(quiet.debugs).toEqual([]);
  });
});
