import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCollector, type Collector } from '@mapp-s2s/collector';
import { createBatchTransport, createFileShipSource, createSpoolTransport, createTracker, shipSpool } from '../src/node/index.js';
import { hit, hitLine, recordingContext, TRACK_ID } from './fixtures/transport-context.js';
import { readLines } from '../src/node/read-lines.js';
import { MAX_SEND_LINE_CHARS } from '../src/encode.js';

const silent = { debug() {}, warn() {}, error() {} };
let dir: string;
let collector: Collector;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mapp-node-tracker-'));
  collector = await startCollector({ inspector: false });
});

afterEach(async () => {
  await collector.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('createTracker from @mapp-s2s/core/node', () => {
  it("transport 'spool' logs now, and ship sends later", async () => {
    const tracker = createTracker({ trackId: TRACK_ID, trackDomain: collector.url, transport: 'spool', spool: { dir }, logger: silent }, {});
    const results = await Promise.all([1, 2, 3].map((n) => tracker.track({ action: { name: `event ${n}` } }, { eid: '8170000000000000001' })));
    expect(results.map((result) => result.ok && result.status)).toEqual(['spooled', 'spooled', 'spooled']);
    expect(collector.requestCount()).toBe(0);
    await tracker.close();
    const [file] = readdirSync(dir);
    expect(file).toMatch(/^MappIntelligenceRequests-\d+\.log$/);
    expect(readFileSync(join(dir, file as string), 'utf8').split('\n')).toHaveLength(4);

    const report = await shipSpool({ source: createFileShipSource({ dir }), origin: collector.url, trackId: TRACK_ID });
    expect(report).toMatchObject({ sent: 3, complete: true });
    expect(collector.hits().map((hit) => hit.params.ct)).toEqual(['event 1', 'event 2', 'event 3']);
  });

  it("transport 'batch' with spool.dir is a write-ahead log", async () => {
    const events: string[] = [];
    const tracker = createTracker({ trackId: TRACK_ID, trackDomain: collector.url, transport: 'batch', spool: { dir }, logger: silent, onEvent: (event) => events.push(event.type) }, {});
    const result = await tracker.track({ action: { name: 'order' } }, { eid: '8170000000000000001' });
    expect(result).toMatchObject({ ok: true, status: 'spooled' });
    await tracker.flush();
    expect(collector.hits().map((hit) => hit.params.ct)).toEqual(['order']);
    await tracker.close();
    expect(readdirSync(dir)).toEqual([]);
    expect(events).toEqual(expect.arrayContaining(['spooled', 'sent']));
  });

  it('defaults to batch and reads MAPP_* from the env argument', async () => {
    const tracker = createTracker({ logger: silent }, { MAPP_TRACK_ID: TRACK_ID, MAPP_TRACK_DOMAIN: collector.url });
    expect(await tracker.track({ action: { name: 'env' } })).toMatchObject({ ok: true, status: 'queued' });
    await tracker.close();
    expect(collector.hits().map((hit) => hit.params.ct)).toEqual(['env']);
  });

  it('a plain batch with a spool overflow spills a full queue and close() leftovers to files', async () => {
    collector.setFaults({ status: 503 });
    const recording = recordingContext(collector.url);
    const transport = createBatchTransport({ maxQueueSize: 5, maxBatchSize: 5, concurrency: 1, flushInterval: 60_000, backoffBase: 5, backoffMax: 20, maxAttempts: 1000, overflow: createSpoolTransport({ dir }) })(recording.context);
    const outcomes = [];
    for (let n = 0; n < 20; n += 1) outcomes.push(await transport.send(hit(1, n)));
    // 5 in flight (retrying), 5 waiting, 10 spilled.
    expect(outcomes.filter((outcome) => outcome.ok && outcome.status === 'spooled')).toHaveLength(10);
    await recording.waitForEvent('retry');
    await transport.close({ timeout: 50 });
    expect(transport.stats?.()).toMatchObject({ spooled: 20, dropped: {} });
    collector.setFaults({});
    const report = await shipSpool({ source: createFileShipSource({ dir }), origin: collector.url, trackId: TRACK_ID });
    expect(report).toMatchObject({ sent: 20, complete: true });
    expect(new Set(collector.hits().map((stored) => stored.params.cp1)).size).toBe(20);
  });
});

describe('ship and an over-long line', () => {
  /** Writes `<good line>\n`, `bytes` of zeros (no newline), then `tail`. */
  function writeSpool(bytes: number, tail: string): string {
    const path = join(dir, 'MappIntelligenceRequests-1700000000000.log');
    const fd = openSync(path, 'w');
    writeSync(fd, `${hitLine(1, 0)}\n`);
    const zeros = Buffer.alloc(1024 * 1024);
    for (let left = bytes; left > 0; left -= zeros.length) writeSync(fd, zeros, 0, Math.min(left, zeros.length));
    writeSync(fd, tail);
    closeSync(fd);
    return path;
  }

  it('never holds such a line whole: it comes back cut to the limit + 1 byte, ending at its newline or at the end of the file', async () => {
    const path = writeSpool(16 * 1024 * 1024, `\n${hitLine(1, 1)}\n`);
    const handle = await open(path, 'r');
    try {
      const size = (await handle.stat()).size;
      const first = await readLines(handle, 0, size, 256 * 1024, true, MAX_SEND_LINE_CHARS);
      expect(first.lines).toEqual([hitLine(1, 0)]);
      const long = await readLines(handle, first.next, size, 256 * 1024, true, MAX_SEND_LINE_CHARS);
      expect(long.lines.map((line) => line.length)).toEqual([MAX_SEND_LINE_CHARS + 1]);
      expect(long.next).toBe(first.next + 16 * 1024 * 1024 + 1);
      const last = await readLines(handle, long.next, size, 256 * 1024, true, MAX_SEND_LINE_CHARS);
      expect(last.lines).toEqual([hitLine(1, 1)]);
      // Without a newline before the end: the rest of the file, once the file is finished.
      const open_ = await readLines(handle, first.next, first.next + 1024 * 1024, 256 * 1024, false, MAX_SEND_LINE_CHARS);
      expect(open_).toEqual({ lines: [], ends: [], next: first.next });
      const finished = await readLines(handle, first.next, first.next + 1024 * 1024, 256 * 1024, true, MAX_SEND_LINE_CHARS);
      expect(finished.ends).toEqual([first.next + 1024 * 1024]);
    } finally {
      await handle.close();
    }
  });

  it('ships the lines around it and skips it as too long, logged and counted; the file is done with', async () => {
    writeSpool(8 * 1024 * 1024, `\n${hitLine(1, 1)}`);
    const logged: string[] = [];
    const report = await shipSpool({ source: createFileShipSource({ dir }), origin: collector.url, trackId: TRACK_ID, onLog: (message: string) => logged.push(message) });
    expect(report).toMatchObject({ sent: 2, invalid: 1, complete: true });
    expect(collector.hits().map((stored) => stored.params.cp1)).toEqual(['0', '1']);
    expect(logged.join('\n')).toContain(`longer than ${MAX_SEND_LINE_CHARS} bytes; skipped`);
    expect(readdirSync(dir)).toEqual([]);
  });
});
