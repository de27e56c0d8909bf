import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { startCollector, type Collector } from '@mapp-s2s/collector';
import { createDurableBatchTransport, type DurableBatchTransportOptions } from '../src/node/durable-batch.js';
import { createFileShipSource } from '../src/node/file-ship-source.js';
import { shipSpool } from '../src/node/ship.js';
import type { Transport } from '../src/types.js';
import { eidOf, hit, hitLine, recordingContext, TRACK_ID, until } from './fixtures/transport-context.js';

let dir: string;
let collector: Collector;
let open: Transport[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mapp-wal-'));
  collector = await startCollector({ inspector: false });
});

afterEach(async () => {
  await Promise.all(open.map((transport) => transport.close({ timeout: 100 })));
  open = [];
  await collector.close();
  rmSync(dir, { recursive: true, force: true });
});

function durable(options: Partial<DurableBatchTransportOptions> = {}) {
  const recording = recordingContext(collector.url);
  const transport = createDurableBatchTransport({ backoffBase: 5, backoffMax: 50, flushInterval: 5, maxAttempts: 1000, ...options, spool: { dir, ...options.spool } })(recording.context);
  open.push(transport);
  return { transport, ...recording };
}

/** How often each cp1 number reached the collector. */
function deliveries(): Map<number, number> {
  const counts = new Map<number, number>();
  for (const stored of collector.hits()) {
    const n = Number(stored.params.cp1);
    counts.set(n, (counts.get(n) ?? 0) + 1);
  }
  return counts;
}

function expectExactlyOnce(total: number): void {
  const counts = deliveries();
  const missing = Array.from({ length: total }, (_, n) => n).filter((n) => !counts.has(n));
  const duplicated = [...counts.entries()].filter(([, count]) => count > 1);
  expect({ missing, duplicated, received: collector.hits().length }).toEqual({ missing: [], duplicated: [], received: total });
}

function expectVisitorOrder(visitors: number): void {
  const byEid = new Map<string, number[]>();
  for (const stored of collector.hits()) {
    const list = byEid.get(stored.params.eid ?? '') ?? [];
    list.push(Number(stored.params.cp1));
    byEid.set(stored.params.eid ?? '', list);
  }
  for (let v = 0; v < visitors; v += 1) {
    const list = byEid.get(eidOf(v)) ?? [];
    expect(list).toEqual([...list].sort((a, b) => a - b));
  }
}

const spoolFiles = (): string[] => readdirSync(dir).filter((name) => /\.(tmp|log)$/.test(name));

describe('batch + spool (write-ahead log)', () => {
  it('writes each hit to disk before send() resolves, then removes the file once Mapp accepted it', async () => {
    const { transport } = durable({ flushInterval: 60_000 });
    expect(await transport.send(hit(1, 0))).toEqual({ ok: true, status: 'spooled' });
    const [file] = spoolFiles();
    expect(readFileSync(join(dir, file as string), 'utf8')).toBe(`${hitLine(1, 0)}\n`);
    await transport.flush();
    expectExactlyOnce(1);
    await transport.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('loses and duplicates nothing across a sink outage, with memory bounded by maxQueueSize', async () => {
    // The sink refuses every connection until the test brings it back: a timed outage raced
    // the 400 fsync'd writes on a busy machine (the sink came back early, files were shipped).
    collector.setFaults({ downForMs: 600_000 });
    const { transport, waitForEvent } = durable({ maxQueueSize: 20, maxBatchSize: 10, concurrency: 3, spool: { maxFileLines: 50 } });
    let maxDepth = 0;
    for (let n = 0; n < 400; n += 1) {
      await transport.send(hit(n % 13, n));
      maxDepth = Math.max(maxDepth, transport.stats?.().queueDepth ?? 0);
    }
    await waitForEvent('retry');
    expect(maxDepth).toBeLessThanOrEqual(20);
    expect(spoolFiles().length).toBeGreaterThanOrEqual(8);
    collector.setFaults({});
    await transport.flush();
    expectExactlyOnce(400);
    expectVisitorOrder(13);
    expect(transport.stats?.()).toMatchObject({ dropped: {}, spooled: 400, sent: 400 });
    await transport.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('replays unacknowledged hits after a restart, and skips the acknowledged ones', async () => {
    const first = durable({ maxBatchSize: 5 });
    for (let n = 0; n < 30; n += 1) await first.transport.send(hit(n % 4, n));
    await first.transport.flush();
    collector.setFaults({ status: 503 });
    for (let n = 30; n < 50; n += 1) await first.transport.send(hit(n % 4, n));
    await first.waitForEvent('retry');
    await first.transport.close({ timeout: 20 });
    // The previous run's file is still there, with its acknowledged lines recorded.
    expect(readdirSync(dir).some((name) => name.endsWith('.ack'))).toBe(true);
    expect(deliveries().size).toBe(30);

    collector.setFaults({});
    const second = durable();
    await second.transport.flush();
    expectExactlyOnce(50);
    expectVisitorOrder(4);
    expect(second.transport.stats?.()).toMatchObject({ replayed: 20 });
    await second.transport.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('finishes and replays a .tmp file left by a crashed process', async () => {
    const lines = Array.from({ length: 12 }, (_, n) => hitLine(n % 2, n));
    writeFileSync(join(dir, 'MappIntelligenceRequests-1700000000000.tmp'), `${lines.join('\n')}\n`);
    writeFileSync(join(dir, 'MappIntelligenceRequests-1700000000000.ack'), '0-3\n5\n7-');
    const { transport } = durable();
    await transport.flush();
    // Lines 0-3 and 5 were acknowledged; the torn record "7-" is ignored, so 7 is resent.
    expect([...deliveries().keys()].sort((a, b) => a - b)).toEqual([4, 6, 7, 8, 9, 10, 11]);
    await transport.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('keeps batches that exhausted their retries in the log for the next start', async () => {
    collector.setFaults({ status: 500 });
    const first = durable({ maxAttempts: 2 });
    await first.transport.send(hit(1, 0));
    const error = await first.waitForEvent('error');
    expect(error.error.message).toMatch(/kept in the spool for replay/);
    await first.transport.close();
    collector.setFaults({});
    const second = durable();
    await second.transport.flush();
    expectExactlyOnce(1);
  });

  it('drops a rejected (4xx) batch from the log so it never blocks', async () => {
    collector.setFaults({ status: 400 });
    const { transport, waitForEvent } = durable();
    await transport.send(hit(1, 0));
    expect(await waitForEvent('dropped')).toMatchObject({ reason: 'rejected' });
    collector.setFaults({});
    await transport.send(hit(1, 1));
    await transport.flush();
    await transport.close();
    expect([...deliveries().keys()]).toEqual([1]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses to share a live log folder: the second one reports it, keeps hits in memory, and becomes durable once the folder is free', async () => {
    const first = durable();
    const second = durable();
    const error = await second.waitForEvent('error');
    expect(error.error.message).toMatch(/in use by process \d+/);
    expect(await second.transport.send(hit(1, 0))).toEqual({ ok: true, status: 'queued' });
    await second.transport.flush();
    expectExactlyOnce(1);
    await first.transport.close();
    const lockFile = join(dir, 'MappIntelligenceRequests.lock');
    expect(existsSync(lockFile)).toBe(false);
    // The second one retries the lock every second.
    await until(() => existsSync(lockFile), 5000, 'the second transport to take the lock');
    expect(await second.transport.send(hit(1, 1))).toEqual({ ok: true, status: 'spooled' });
    await second.transport.flush();
    expectExactlyOnce(2);
  }, 20_000);

  it('takes over the lock of a dead process', async () => {
    // A pid that surely is dead: a child that already exited.
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(join(dir, 'MappIntelligenceRequests.lock'), `${dead}\n${hostname()}\n`);
    const { transport, count } = durable();
    await transport.send(hit(1, 0));
    await transport.flush();
    expect(count('error')).toBe(0);
    expectExactlyOnce(1);
    expect(readFileSync(join(dir, 'MappIntelligenceRequests.lock'), 'utf8').split('\n')[0]).toBe(String(process.pid));
  });

  it.each([
    ['the time written in it', (lock: string, before: Date) => writeFileSync(lock, `${process.pid}\n${hostname()}\n${before.toISOString()}\n`)],
    ['its file time, when it holds none', (lock: string, before: Date) => {
      writeFileSync(lock, `${process.pid}\n${hostname()}\n`);
      utimesSync(lock, before, before);
    }],
  ] as const)('takes over a lock naming its own process id that an earlier process wrote (a restarted container), by %s, and sends what that one left', async (_label, writeLock) => {
    // What a crashed earlier process 1 leaves: its lock and an unfinished log.
    writeFileSync(join(dir, 'MappIntelligenceRequests-1700000000000.tmp'), `${hitLine(1, 0)}\n${hitLine(1, 1)}\n`);
    writeLock(join(dir, 'MappIntelligenceRequests.lock'), new Date(Date.now() - process.uptime() * 1000 - 60_000));
    const { transport, count } = durable();
    await transport.send(hit(1, 2));
    await until(() => deliveries().size === 3, 10_000, 'the left lines and the new one');
    expect(count('error')).toBe(0);
    expectExactlyOnce(3);
    expect(readFileSync(join(dir, 'MappIntelligenceRequests.lock'), 'utf8').split('\n')[2]).not.toBe('');
    await transport.close();
  });

  describe('a lock whose process id was handed out again (Linux: the start recorded in the lock decides)', () => {
    /** A process's start in clock ticks since boot, as the lock records it. */
    const startOf = (pid: number | 'self'): string => {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] as string;
    };
    const lockFile = (): string => join(dir, 'MappIntelligenceRequests.lock');
    const writeLock = (pid: number, start: string): void => writeFileSync(lockFile(), `${pid}\n${hostname()}\n${new Date().toISOString()}\n${start}\n`);
    let alive: ChildProcess | undefined;
    afterEach(() => {
      alive?.kill();
      alive = undefined;
    });
    const spawnAlive = async (): Promise<number> => {
      alive = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000); console.log("up")'], { stdio: ['ignore', 'pipe', 'ignore'] });
      await once(alive.stdout as NodeJS.ReadableStream, 'data');
      return alive.pid as number;
    };

    it('takes over a lock naming a live process that started at another time, and writes its own start into it', async () => {
      const pid = await spawnAlive();
      writeLock(pid, String(Number(startOf(pid)) - 100));
      const { transport, count } = durable();
      await transport.send(hit(1, 0));
      await transport.flush();
      expect(count('error')).toBe(0);
      expectExactlyOnce(1);
      expect(readFileSync(lockFile(), 'utf8').split('\n')).toEqual([String(process.pid), hostname(), expect.any(String), startOf('self'), '']);
    });

    it('still refuses a lock of a live process whose start matches', async () => {
      const pid = await spawnAlive();
      writeLock(pid, startOf(pid));
      const second = durable();
      expect((await second.waitForEvent('error')).error.message).toMatch(new RegExp(`in use by process ${pid}`));
      await second.transport.close({ timeout: 20 });
      rmSync(lockFile());
    });

    it('takes over a lock naming its own id with another start, and refuses one with its own start', async () => {
      writeLock(process.pid, String(Number(startOf('self')) + 1));
      const first = durable();
      await first.transport.send(hit(1, 0));
      await first.transport.flush();
      expect(first.count('error')).toBe(0);
      await first.transport.close();
      writeLock(process.pid, startOf('self'));
      const second = durable();
      expect((await second.waitForEvent('error')).error.message).toMatch(new RegExp(`in use by process ${process.pid}`));
      await second.transport.close({ timeout: 20 });
      rmSync(lockFile());
    });
  });

  it('drops a line no hit can be (a damaged or foreign file) with an event and a count, and sends the lines around it', async () => {
    const path = join(dir, 'MappIntelligenceRequests-1700000000000.log');
    writeFileSync(path, `${hitLine(1, 0)}\n${'x'.repeat(2 * 1024 * 1024)}\n${hitLine(1, 1)}\n`);
    const { transport, waitForEvent } = durable();
    const dropped = await waitForEvent('dropped');
    expect(dropped).toMatchObject({ lines: 1, reason: 'invalid' });
    expect(dropped.detail).toContain(`line 2 of ${path} is over`);
    await until(() => deliveries().size === 2, 10_000, 'the two hits around it');
    expectExactlyOnce(2);
    await until(() => !existsSync(path), 10_000, 'the settled file to be removed');
    expect(transport.stats?.().dropped).toEqual({ invalid: 1 });
  });

  it('still refuses a lock its own process wrote (a second log on the same folder)', async () => {
    writeFileSync(join(dir, 'MappIntelligenceRequests.lock'), `${process.pid}\n${hostname()}\n${new Date().toISOString()}\n`);
    const second = durable();
    const error = await second.waitForEvent('error');
    expect(error.error.message).toMatch(new RegExp(`in use by process ${process.pid}`));
    await second.transport.close({ timeout: 20 });
    rmSync(join(dir, 'MappIntelligenceRequests.lock'));
  });

  it('leaves its unsent lines in a form `ship` sends once the process is gone', async () => {
    const first = durable({ maxBatchSize: 4 });
    for (let n = 0; n < 8; n += 1) await first.transport.send(hit(n % 2, n));
    await first.transport.flush();
    collector.setFaults({ status: 503 });
    for (let n = 8; n < 20; n += 1) await first.transport.send(hit(n % 2, n));
    await first.waitForEvent('retry');
    await first.transport.close({ timeout: 20 });
    collector.setFaults({});
    const report = await shipSpool({ source: createFileShipSource({ dir }), origin: collector.url, trackId: TRACK_ID });
    expect(report).toMatchObject({ sent: 12, complete: true });
    expectExactlyOnce(20);
    expect(readdirSync(dir)).toEqual([]);
  });
});
