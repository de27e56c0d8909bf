import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startCollector, type Collector } from '@mapp-s2s/collector';

const ROOT = resolve(__dirname, '../../..');
const CHILD = resolve(__dirname, 'fixtures/crash-child.ts');

let dir: string;
let collector: Collector;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mapp-crash-'));
  // Slow answers keep batches in flight, so the kill lands mid-request.
  collector = await startCollector({ inspector: false, faults: { latencyMs: 15 } });
});

afterEach(async () => {
  await collector.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts the child; `acked` collects every hit number whose send() resolved. */
function run(start: number, count: number, acked: Set<number>, onAck?: (child: ChildProcess) => void): { child: ChildProcess; exited: Promise<{ code: number | null; signal: string | null; done: boolean; stderr: string }> } {
  // `node --import tsx`, not the tsx binary: the binary runs the script in a grandchild,
  // which would survive our SIGKILL.
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, collector.url, dir, String(start), String(count)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let buffer = '';
  let done = false;
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (data: string) => {
    buffer += data;
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      if (line === 'done') done = true;
      else if (line.startsWith('ack ')) acked.add(Number(line.slice(4)));
    }
    onAck?.(child);
  });
  child.stderr?.setEncoding('utf8').on('data', (data: string) => {
    stderr += data;
  });
  const exited = new Promise<{ code: number | null; signal: string | null; done: boolean; stderr: string }>((resolveExit) => {
    child.on('exit', (code, signal) => resolveExit({ code, signal, done, stderr }));
  });
  return { child, exited };
}

describe('write-ahead log crash recovery', () => {
  it('a SIGKILLed process, restarted, delivers every acknowledged hit; lost and duplicated are counted', async () => {
    expect(existsSync(join(ROOT, 'node_modules/tsx'))).toBe(true);
    const acked = new Set<number>();
    let killedAt = { acked: 0, delivered: 0, files: 0 };
    // Kill once at least 1500 hits were acknowledged and the sink has stored some: there
    // are then hits on disk, in memory and in flight, and the child is still tracking.
    const first = run(0, 20_000, acked, (child) => {
      if (child.killed || acked.size < 1500 || collector.hits().length < 100) return;
      killedAt = { acked: acked.size, delivered: collector.hits().length, files: readdirSync(dir).length };
      child.kill('SIGKILL');
    });
    const crash = await first.exited;
    // Whole record, so a child that died by itself (exit code, stderr) explains the failure.
    expect({ ...crash, stderr: crash.stderr.slice(0, 2000) }).toMatchObject({ signal: 'SIGKILL', done: false });
    expect(killedAt.acked).toBeLessThan(20_000);
    const ackedBeforeCrash = acked.size;

    // Restart: replays what the sink never acknowledged, then tracks 500 new hits.
    const second = run(100_000, 500, acked);
    const restart = await second.exited;
    expect(restart).toMatchObject({ code: 0, done: true });

    const counts = new Map<number, number>();
    for (const stored of collector.hits()) counts.set(Number(stored.params.cp1), (counts.get(Number(stored.params.cp1)) ?? 0) + 1);
    const lost = [...acked].filter((n) => !counts.has(n));
    const duplicated = [...counts.values()].reduce((sum, count) => sum + (count - 1), 0);
    const unacknowledgedDelivered = [...counts.keys()].filter((n) => !acked.has(n)).length;
    const result = { killedAt, ackedBeforeCrash, ackedTotal: acked.size, received: collector.hits().length, lost: lost.length, duplicated, unacknowledgedDelivered };
    // The numbers the issue asks for, printed for the report.
    console.log(`crash test: ${JSON.stringify(result)}`);

    expect(lost).toEqual([]);
    // Per visitor, first deliveries keep the tracking order (a resent batch repeats, never jumps).
    const firstSeen = new Map<string, number[]>();
    const seen = new Set<number>();
    for (const stored of collector.hits()) {
      const n = Number(stored.params.cp1);
      if (seen.has(n)) continue;
      seen.add(n);
      const list = firstSeen.get(stored.params.eid ?? '') ?? [];
      list.push(n);
      firstSeen.set(stored.params.eid ?? '', list);
    }
    for (const list of firstSeen.values()) expect(list).toEqual([...list].sort((a, b) => a - b));
    // The documented window: batches in flight or awaiting their ack record (3 lanes × 20).
    expect(duplicated).toBeLessThanOrEqual(60);
    // Written to the log but killed before printing its ack: at most the group of 10 in progress.
    expect(unacknowledgedDelivered).toBeLessThanOrEqual(10);
    expect(readdirSync(dir)).toEqual([]);
  }, 120_000);
});
