import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { startCollector, type Collector } from '@mapp-s2s/collector';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { until } from './support/outbox.js';

const ROOT = resolve(__dirname, '../../..');
const CLI = resolve(ROOT, 'packages/cli/src/bin.ts');
const APP = resolve(__dirname, 'fixtures/fleet-app.ts');
const TRACK_ID = '123451234512345';
const STREAM = 'fleet';
const SHARDS = 4;
const APPS = 3;
const VISITORS = 12;
const PER_APP = 3000;
const APP_SECONDS = 10;
const COLLECTOR_DOWN_MS = 10_000;

interface Child {
  readonly proc: ChildProcess;
  readonly lines: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
  /** Resolves with the first stdout line matching `test` (seen before or after the call). */
  line(test: (line: string) => boolean, what: string, timeoutMs?: number): Promise<string>;
  onLine(listener: (line: string) => void): void;
}

function start(args: string[]): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const listeners: Array<(line: string) => void> = [];
  let err = '';
  let rest = '';
  proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    rest += chunk;
    const parts = rest.split('\n');
    rest = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (const listener of listeners) listener(line);
    }
  });
  proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => proc.on('exit', (code, signal) => done({ code, signal })));
  return {
    proc,
    lines,
    exited,
    stderr: () => err,
    onLine: (listener) => listeners.push(listener),
    line(test, what, timeoutMs = 30_000) {
      const seen = lines.find(test);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((done, fail) => {
        const timer = setTimeout(() => fail(new Error(`timed out waiting for ${what}; stderr:\n${err}`)), timeoutMs);
        listeners.push((line) => {
          if (!test(line)) return;
          clearTimeout(timer);
          done(line);
        });
        void exited.then(({ code, signal }) => fail(new Error(`exited (${code ?? signal}) before ${what}; stderr:\n${err}`)));
      });
    },
  };
}

function startShipper(redis: RedisServer, collector: Collector, consumer: string): Child {
  return start([
    CLI, 'ship', '--from', redis.url, '--stream', STREAM, '--shards', String(SHARDS), '--group', 'fleet', '--consumer', consumer,
    '--track-id', TRACK_ID, '--track-domain', collector.url, '--json', '--progress', '0',
    '--batch-size', '500', '--lease', '3000', '--timeout', '2000', '--backoff-max', '500',
  ]);
}

const json = (line: string): Record<string, unknown> => {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return {};
  }
};

describe('fleet mode under faults: 3 app processes, 2 shippers, Redis restart, Mapp down', () => {
  const children: Child[] = [];
  let redis: RedisServer | undefined;
  let collector: Collector | undefined;
  afterAll(async () => {
    for (const child of children) if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL');
    await Promise.all([redis?.close(), collector?.close()]);
  });

  it('loses no hit, duplicates at most the killed shipper\'s batch, keeps every visitor\'s order', async () => {
    [redis, collector] = await Promise.all([startRedisServer(), startCollector({ inspector: false, trackIds: [TRACK_ID] })]);
    const received: string[] = [];
    const distinct = new Set<string>();
    collector.onHit((hit) => {
      const marker = hit.params.cp1 ?? '';
      received.push(marker);
      distinct.add(marker);
    });

    const s1 = startShipper(redis, collector, 'shipper-1');
    const s2 = startShipper(redis, collector, 'shipper-2');
    children.push(s1, s2);
    const holds = (child: Child, shard: number): boolean => {
      let held = false;
      for (const line of child.lines) {
        const event = json(line);
        if (event.type === 'lease' && event.shard === shard) held = event.action === 'acquired';
      }
      return held;
    };
    const shardsOf = (child: Child): number[] => Array.from({ length: SHARDS }, (_, shard) => shard).filter((shard) => holds(child, shard));
    await until(() => shardsOf(s1).length > 0 && shardsOf(s2).length > 0 && shardsOf(s1).length + shardsOf(s2).length === SHARDS, 'both shippers to hold shards', 30_000);

    const apps = Array.from({ length: APPS }, (_, app) => start([APP, redis!.url, STREAM, String(SHARDS), String(app), String(VISITORS), String(PER_APP), String(APP_SECONDS)]));
    children.push(...apps);
    await Promise.all(apps.map((app) => app.line((line) => line === 'ready', 'the app to start')));

    // 1. SIGKILL shipper 1 while a batch of its is in flight (the collector answers slowly meanwhile).
    await until(() => distinct.size >= 600, '600 hits delivered', 20_000);
    collector.setFaults({ latencyMs: 300 });
    const postingCount = s1.lines.length;
    const killedBatch = await s1.line((line) => s1.lines.indexOf(line) >= postingCount && json(line).type === 'posting', 'shipper 1 to post a batch', 20_000);
    s1.proc.kill('SIGKILL');
    expect(await s1.exited).toMatchObject({ signal: 'SIGKILL' });
    const killedLines = Number(json(killedBatch).lines);
    collector.setFaults({});

    // 2. Restart Redis (AOF) while the apps write and shipper 2 ships.
    const beforeRestart = distinct.size;
    await until(() => distinct.size >= beforeRestart + 200, 'shipping to go on after the kill', 20_000);
    await redis.stop();
    await redis.start();

    // 3. Mapp (the collector) down for 10 s.
    const afterRestart = distinct.size;
    await until(() => distinct.size >= afterRestart + 200, 'shipping to go on after the Redis restart', 20_000);
    collector.setFaults({ downForMs: COLLECTOR_DOWN_MS });

    const reports = await Promise.all(apps.map((app) => app.line((line) => json(line).done === true, 'the app to finish', 45_000)));
    const expected = APPS * PER_APP;
    await until(() => distinct.size >= expected, `all ${expected} hits at the collector (have ${distinct.size})`, 45_000);
    // Shipper 2 took over shipper 1's shards.
    await until(() => shardsOf(s2).length === SHARDS, 'shipper 2 to hold every shard');

    s2.proc.kill('SIGTERM');
    expect(await s2.exited).toEqual({ code: 0, signal: null });
    const final = json(s2.lines.at(-1) ?? '');
    expect(final).toMatchObject({ type: 'stopped', deadLettered: 0, invalid: 0 });

    // 0 lost: every hit every app tracked reached the collector.
    const lost = [];
    for (let app = 0; app < APPS; app += 1) for (let seq = 0; seq < PER_APP; seq += 1) if (!distinct.has(`${app}-${seq}`)) lost.push(`${app}-${seq}`);
    expect(lost).toEqual([]);
    for (const report of reports) expect(json(report).stats).toMatchObject({ dropped: {}, queueDepth: 0 });

    // Duplicates: at most the batch the killed shipper had in flight, plus XADDs Redis may have run
    // but not answered as it shut down (the apps count those).
    const duplicates = received.length - distinct.size;
    const ambiguousAppWrites = reports.reduce((sum, report) => sum + Number(json(report).ambiguous), 0);
    expect(duplicates).toBeLessThanOrEqual(killedLines + ambiguousAppWrites);
    expect(Number(final.claimed)).toBeGreaterThanOrEqual(0);

    // Per-visitor order: first arrivals of each visitor's hits rise.
    const lastSeq = new Map<string, number>();
    const firstSeen = new Set<string>();
    const outOfOrder: string[] = [];
    for (const marker of received) {
      if (firstSeen.has(marker)) continue;
      firstSeen.add(marker);
      const [app, seqText] = marker.split('-');
      const seq = Number(seqText);
      const visitor = `${app}/${seq % VISITORS}`;
      if ((lastSeq.get(visitor) ?? -1) > seq) outOfOrder.push(marker);
      lastSeq.set(visitor, seq);
    }
    expect(outOfOrder).toEqual([]);
    process.stdout.write(
      `fleet fault test: ${expected} tracked, ${distinct.size} delivered, ${expected - distinct.size} lost, ${duplicates} duplicates (killed shipper's batch: ${killedLines} lines, ambiguous app writes: ${ambiguousAppWrites}), ${Number(final.claimed)} entries claimed by shipper 2, ${Number(final.retries)} retries\n`,
    );
  }, 120_000);
});
