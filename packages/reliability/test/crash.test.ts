import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startCollector, validateLine, type Collector } from '@mapp-s2s/collector';
import { PAGE_HEADERS } from '@mapp-s2s/adapter-tests';
import { waitUntil } from '../src/load.js';
import { countMarkers, markerOf } from '../src/markers.js';
import { report } from '../src/notes.js';

const EXAMPLE_DIR = resolve(__dirname, '../../../examples/express');
const CHILD = resolve(__dirname, 'fixtures/crash-shop.ts');
/** The child's batch settings: 2 lanes × 20 lines may be in flight or awaiting their ack record. */
const DUPLICATE_WINDOW = 2 * 20;
const VISITORS = 16;
/** Kill once this many pages were served and some of their hits delivered: hits are then on disk, in memory and in flight. */
const KILL_AFTER_SERVED = 400;
const KILL_AFTER_DELIVERED = 60;
const PAGES_AFTER_RESTART = 100;

interface RunningChild {
  child: ChildProcess;
  port: number;
  /** Lines the child resent because a POST timed out (the sink may have stored them already). */
  timedOutLines: () => number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/** Starts the example shop in a child process (`node --import tsx`, so SIGKILL hits the shop itself, not a wrapper). */
async function startChild(collector: Collector, dir: string, fsync: string): Promise<RunningChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, collector.url, dir, fsync], { cwd: EXAMPLE_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (data: string) => (stderr += data));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((done) => child.on('exit', (code, signal) => done({ code, signal, stderr })));
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (data: string) => (out += data));
  const timedOutLines = (): number => [...out.matchAll(/^timeout-retry (\d+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
  const port = await new Promise<number>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`crash-shop did not start within 30 s:\n${stderr}`)), 30_000);
    const check = (): void => {
      const match = /listening (\d+)/.exec(out);
      if (!match) return;
      clearTimeout(timer);
      done(Number(match[1]));
    };
    child.stdout?.on('data', check);
    void exited.then(() => fail(new Error(`crash-shop exited before listening:\n${stderr}`)));
  });
  return { child, port, exited, timedOutLines };
}

/**
 * Visitors request `/?rid=<prefix>-<n>` until `stop()` says so or the shop dies.
 * Returns the markers of pages served with 200.
 */
async function load(port: number, prefix: string, stop: (served: number) => boolean, limit = Number.POSITIVE_INFINITY): Promise<Set<string>> {
  const served = new Set<string>();
  let next = 0;
  let dead = false;
  const visitor = async (): Promise<void> => {
    while (!dead && !stop(served.size) && next < limit) {
      const marker = `${prefix}-${next++}`;
      try {
        const response = await fetch(`http://127.0.0.1:${port}/?rid=${marker}`, { headers: PAGE_HEADERS });
        await response.text();
        if (response.status === 200) served.add(marker);
      } catch {
        dead = true; // the shop was killed under us
      }
    }
  };
  await Promise.all(Array.from({ length: VISITORS }, () => visitor()));
  return served;
}

/** Markers of the complete (newline-terminated) lines in the spool folder: what the log held when the process died. */
function markersOnDisk(dir: string): Set<string> {
  const markers = new Set<string>();
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.tmp') && !file.endsWith('.log')) continue;
    const text = readFileSync(join(dir, file), 'utf8');
    const complete = text.slice(0, text.lastIndexOf('\n') + 1);
    for (const line of complete.split('\n')) {
      if (line === '') continue;
      const marker = markerOf(validateLine(line));
      if (marker !== undefined) markers.add(marker);
    }
  }
  return markers;
}

describe('crash: SIGKILL of a loaded examples/express shop (batch + write-ahead log), restart, replay', () => {
  let collector: Collector;
  const dirs: string[] = [];

  beforeAll(async () => {
    expect(existsSync(join(EXAMPLE_DIR, 'node_modules', 'tsx'))).toBe(true);
    // Slow answers keep batches in flight, so the kill lands mid-request.
    collector = await startCollector({ inspector: false, faults: { latencyMs: 25 } });
  });

  afterAll(async () => {
    await collector.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it.each(['always', 'interval', 'never'])('fsync %s: no hit the log held at the kill is lost after the restart; duplicates stay within the documented window', async (fsync) => {
    const dir = mkdtempSync(join(tmpdir(), `mapp-reliability-crash-${fsync}-`));
    dirs.push(dir);
    const ours = (): ReturnType<Collector['hits']> => collector.hits().filter((hit) => markerOf(hit)?.startsWith(`${fsync}-`) === true);

    // 1. Load, then SIGKILL while pages are being served and batches are in flight.
    const first = await startChild(collector, dir, fsync);
    let killed = false;
    const served = await load(first.port, fsync, (count) => {
      if (!killed && count >= KILL_AFTER_SERVED && ours().length >= KILL_AFTER_DELIVERED) {
        killed = true;
        first.child.kill('SIGKILL');
      }
      return killed;
    });
    const crash = await first.exited;
    expect(crash.signal).toBe('SIGKILL');
    const deliveredAtKill = new Set(countMarkers(ours()).keys());
    const onDisk = markersOnDisk(dir);
    const durable = new Set([...deliveredAtKill, ...onDisk]);

    // 2. Restart on the same folder: the log is replayed while new visitors arrive; then a clean stop.
    const second = await startChild(collector, dir, fsync);
    const servedAfter = await load(second.port, `${fsync}-r`, () => false, PAGES_AFTER_RESTART);
    second.child.kill('SIGTERM');
    const restart = await second.exited;
    expect(restart.code).toBe(0);

    const mustArrive = new Set([...durable, ...servedAfter]);
    // Everything is sent by now; the wait only absorbs the collector's last writes.
    await waitUntil(() => [...mustArrive].every((marker) => countMarkers(ours()).has(marker)), 10_000, `hits of fsync ${fsync}`, () => `${[...mustArrive].filter((m) => !countMarkers(ours()).has(m)).length} missing`).catch(() => undefined);

    const counts = countMarkers(ours());
    const lost = [...mustArrive].filter((marker) => !counts.has(marker));
    const duplicated = [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
    const servedNotYetLogged = [...served].filter((marker) => !durable.has(marker));
    const servedLost = [...served].filter((marker) => !counts.has(marker));
    const resentAfterTimeout = first.timedOutLines() + second.timedOutLines();
    const result = {
      fsync,
      servedBeforeKill: served.size,
      deliveredAtKill: deliveredAtKill.size,
      inLogAtKill: onDisk.size,
      lostOfLogged: lost.length,
      duplicated,
      resentAfterTimeout,
      servedButNotYetLoggedAtKill: servedNotYetLogged.length,
      servedPagesWithoutHit: servedLost.length,
      servedAfterRestart: servedAfter.size,
      received: ours().length,
    };
    report(`reliability/crash ${JSON.stringify(result)}`);

    expect(served.size).toBeGreaterThanOrEqual(KILL_AFTER_SERVED);
    // The log really held the hits (a transport without it would leave nothing on disk).
    expect(onDisk.size).toBeGreaterThan(0);
    expect(servedAfter.size).toBe(PAGES_AFTER_RESTART);
    // A SIGKILL never loses what reached the log: the kernel holds written bytes whatever the
    // fsync policy (fsync only matters for an OS crash or power cut, which a test cannot cause).
    expect(lost).toEqual([]);
    expect(duplicated).toBeLessThanOrEqual(DUPLICATE_WINDOW + resentAfterTimeout);
    // Every finished file was fully acknowledged and deleted by the clean stop.
    expect(readdirSync(dir).filter((file) => file.endsWith('.log') || file.endsWith('.tmp'))).toEqual([]);
    for (const hit of ours()) expect(hit.problems).toEqual([]);
  });
});
