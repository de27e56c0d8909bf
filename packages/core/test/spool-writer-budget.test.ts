import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveSpoolOptions } from '../src/node/spool-options.js';
import { SpoolWriter } from '../src/node/spool-writer.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function folderBytes(dir: string): number {
  return readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
}

describe('spool writer budget', () => {
  it('counts exactly the bytes on disk, also for lines that are not ASCII (raw UTF-8 passed through)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mapp-spool-budget-'));
    dirs.push(dir);
    const writer = new SpoolWriter<number>(resolveSpoolOptions({ dir, fsync: 'never' }));
    try {
      // One group commit mixing ASCII and UTF-8 lines (2-, 3- and 4-byte characters), then an ASCII-only one.
      await Promise.all(['wt?p=600,a,0', 'wt?p=600,b,0&cp1=café', 'wt?p=600,c,0&cp2=€\u{1F600}'].map((line, i) => writer.append(line, i)));
      expect(writer.budget.bytes).toBe(folderBytes(dir));
      await Promise.all(['wt?p=600,d,0', 'wt?p=600,e,0'].map((line, i) => writer.append(line, 10 + i)));
      expect(writer.budget.bytes).toBe(folderBytes(dir));
    } finally {
      await writer.close();
    }
  });
});
