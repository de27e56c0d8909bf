import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { hitLine } from './fixtures/transport-context.js';

const ROOT = resolve(__dirname, '../../..');
const CHILD = resolve(__dirname, 'fixtures/full-disk-child.ts');
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mapp-full-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('spool on a full disk', () => {
  it('reports failed writes as outcomes and events, keeps only whole lines, and never crashes', async () => {
    // `ulimit -f 4` caps files at 2 KiB: writes past it fail (EFBIG), as on a full disk.
    const child = spawn('/bin/sh', ['-c', 'ulimit -f 4 && exec "$0" "$@"', process.execPath, '--import', 'tsx', CHILD, dir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (data: string) => (stdout += data));
    child.stderr.setEncoding('utf8').on('data', (data: string) => (stderr += data));
    const code = await new Promise<number | null>((resolveExit) => child.on('exit', resolveExit));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });

    const { outcomes, errors } = JSON.parse(stdout) as { outcomes: string[]; errors: string[] };
    const failed = outcomes.filter((outcome) => outcome === 'failed:EFBIG').length;
    expect(failed).toBeGreaterThan(0);
    expect(errors).toHaveLength(failed);
    expect(errors[0]).toMatch(/could not write to .* \(EFBIG\)/);

    // Exactly the hits that resolved `spooled` are on disk, each a whole line, in order.
    const files = readdirSync(dir).sort();
    const onDisk = files.map((name) => readFileSync(join(dir, name), 'utf8'));
    for (const text of onDisk) expect(text.endsWith('\n')).toBe(true);
    const spooled = outcomes.flatMap((outcome, n) => (outcome === 'spooled' ? [hitLine(1, n)] : []));
    expect(onDisk.join('').split('\n').slice(0, -1)).toEqual(spooled);
  }, 30_000);
});
