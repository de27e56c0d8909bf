import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSpoolTransport } from '../src/node/spool.js';
import type { SpoolOptions } from '../src/types.js';
import { hit, hitLine, recordingContext } from './fixtures/transport-context.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mapp-spool-'));
});

afterEach(() => {
  jest.useRealTimers();
  rmSync(dir, { recursive: true, force: true });
});

function spool(options: Partial<SpoolOptions> = {}) {
  const recording = recordingContext('http://127.0.0.1:9');
  return { transport: createSpoolTransport({ dir, ...options })(recording.context), ...recording };
}

function files(ext?: string): string[] {
  return readdirSync(dir)
    .filter((name) => ext === undefined || name.endsWith(ext))
    .sort();
}

function linesOf(name: string): string[] {
  return readFileSync(join(dir, name), 'utf8').split('\n').slice(0, -1);
}

describe('spool transport', () => {
  it('has the line on disk when send() resolves, in the official file naming', async () => {
    const { transport, events } = spool();
    expect(await transport.send(hit(1, 1))).toEqual({ ok: true, status: 'spooled' });
    const [tmp] = files();
    expect(tmp).toMatch(/^MappIntelligenceRequests-\d{13}\.tmp$/);
    expect(linesOf(tmp as string)).toEqual([hitLine(1, 1)]);
    expect(events).toEqual([{ type: 'spooled', lines: 1, file: join(dir, tmp as string) }]);
    await transport.close();
    expect(files()).toEqual([(tmp as string).replace('.tmp', '.log')]);
  });

  it('close() writes the lines still queued and then finishes the file: no .tmp is left behind', async () => {
    const { transport } = spool();
    await transport.send(hit(0, 0)); // a segment is open
    // Appends still queued (group commit pending) when close() starts, as under load at SIGTERM.
    const sends = Array.from({ length: 20 }, (_, n) => transport.send(hit(n % 3, n + 1)));
    await transport.close();
    expect(await Promise.all(sends)).toEqual(Array.from({ length: 20 }, () => ({ ok: true, status: 'spooled' })));
    expect(files('.tmp')).toEqual([]);
    expect(files('.log').flatMap(linesOf)).toEqual(Array.from({ length: 21 }, (_, n) => hitLine(n === 0 ? 0 : (n - 1) % 3, n)));
  });

  it('rotates by lines to .log and keeps every line once, in order, with \\n only', async () => {
    const { transport } = spool({ maxFileLines: 10, prefix: 'shop' });
    // Concurrent appends are group-committed but never reordered or split across files.
    await Promise.all(Array.from({ length: 25 }, (_, n) => transport.send(hit(n % 3, n))));
    expect(files('.log')).toHaveLength(2);
    expect(files('.tmp')).toHaveLength(1);
    await transport.close();
    const all = files('.log');
    expect(all).toHaveLength(3);
    expect(all.map((name) => linesOf(name).length)).toEqual([10, 10, 5]);
    expect(all.flatMap(linesOf)).toEqual(Array.from({ length: 25 }, (_, n) => hitLine(n % 3, n)));
    expect(all.map((name) => readFileSync(join(dir, name), 'utf8')).join('')).not.toContain('\r');
  });

  it('rotates by size without splitting a line', async () => {
    const { transport } = spool({ maxFileSize: 300 });
    for (let n = 0; n < 12; n += 1) await transport.send(hit(1, n));
    await transport.close();
    const all = files('.log');
    expect(all.length).toBeGreaterThan(2);
    for (const name of all) expect(readFileSync(join(dir, name)).length).toBeLessThanOrEqual(300);
    expect(all.flatMap(linesOf)).toHaveLength(12);
  });

  it('rotates by age', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const { transport } = spool({ maxFileAge: 60_000 });
    await transport.send(hit(1, 1));
    expect(files('.tmp')).toHaveLength(1);
    jest.advanceTimersByTime(60_001);
    await transport.flush();
    expect(files()).toEqual([expect.stringMatching(/\.log$/)]);
    await transport.send(hit(1, 2));
    expect(files('.tmp')).toHaveLength(1);
    await transport.close();
  });

  it.each(['always', 'interval', 'never'] as const)('writes with fsync %s', async (fsync) => {
    const { transport } = spool({ fsync, fsyncInterval: 10 });
    await Promise.all(Array.from({ length: 50 }, (_, n) => transport.send(hit(n, n))));
    await transport.flush();
    expect(files().flatMap(linesOf)).toHaveLength(50);
    await transport.close();
  });

  it('reports an unwritable folder as a failed outcome and an error event, never a throw', async () => {
    writeFileSync(join(dir, 'not-a-folder'), 'x');
    const recording = recordingContext('http://127.0.0.1:9');
    const transport = createSpoolTransport({ dir: join(dir, 'not-a-folder', 'spool') })(recording.context);
    const outcome = await transport.send(hit(1, 1));
    expect(outcome).toMatchObject({ ok: false, status: 'failed' });
    expect(outcome.ok === false && outcome.status === 'failed' ? outcome.error.message : '').toMatch(/could not write .* \(ENOTDIR\)/);
    expect(recording.count('error')).toBe(1);
    await expect(transport.close()).resolves.toBeUndefined();
  });

  it('requires spool.dir, naming the fix', () => {
    expect(() => createSpoolTransport({})).toThrow(/spool\.dir/);
    expect(() => createSpoolTransport({ dir, fsync: 'sometimes' as never })).toThrow(/spool\.fsync/);
  });
});
