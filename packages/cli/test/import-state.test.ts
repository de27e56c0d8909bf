import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findEntry, loadState, saveState, StateFileError, type ImportState } from '../src/import/state.js';

const A = Buffer.from('1.2.3.4 - - [14/Mar/2025:09:26:53 +0100] "GET /a HTTP/1.1" 200 1 "-" "ua"\n1.2.3.4 - - [14/Mar/2025:09:26:54 +0100] "GET /b HTTP/1.1" 200 1 "-" "ua"\n');
const B = Buffer.from('5.6.7.8 - - [15/Mar/2025:00:00:01 +0100] "GET /c HTTP/1.1" 200 1 "-" "ua"\n');

/** A state holding one file (dev 1, inode 100, content A) imported up to `offset`. */
function stateWith(offset: number): ImportState {
  const state: ImportState = { version: 1, files: [] };
  const { entry } = findEntry(state, { dev: 1, ino: 100, head: A }, '/var/log/access.log');
  entry.offset = offset;
  entry.lines = 2;
  entry.seen = Date.now();
  state.files.push(entry);
  return state;
}

describe('file identity', () => {
  it.each<[string, { dev: number; ino: number; head: Buffer }, boolean]>([
    ['the same file, grown', { dev: 1, ino: 100, head: Buffer.concat([A, B]) }, true],
    ['renamed (access.log.1): same inode and first bytes', { dev: 1, ino: 100, head: A }, true],
    ['compressed (access.log.2.gz): other inode, same first bytes decompressed', { dev: 1, ino: 555, head: A }, true],
    ['a copytruncate copy on another device', { dev: 2, ino: 7, head: Buffer.concat([A, B]) }, true],
    ['truncated or recreated: same inode, other first bytes', { dev: 1, ino: 100, head: B }, false],
    ['another file', { dev: 1, ino: 101, head: B }, false],
    ['shorter than what was hashed', { dev: 1, ino: 100, head: A.subarray(0, 20) }, false],
  ])('%s', (_name, identity, known) => {
    const state = stateWith(A.length);
    const found = findEntry(state, identity, '/var/log/x');
    expect(found.known).toBe(known);
    expect(found.entry.offset).toBe(known ? A.length : 0);
  });

  it('lengthens the hashed head as a file grows, and still knows it', () => {
    const state = stateWith(A.length);
    const grown = Buffer.concat([A, B]);
    expect(findEntry(state, { dev: 1, ino: 100, head: grown }, '/var/log/access.log').entry.headLength).toBe(grown.length);
    expect(findEntry(state, { dev: 9, ino: 9, head: grown }, '/var/log/access.log.1.gz').known).toBe(true);
  });
});

describe('the state file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mapp-import-state-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('is empty when missing, round-trips, and forgets files unseen for over a year', () => {
    const path = join(dir, 'sub', 'state.json');
    expect(loadState(path)).toEqual({ version: 1, files: [] });
    const state = stateWith(A.length);
    state.files.push({ ...state.files[0]!, ino: 200, seen: Date.now() - 500 * 24 * 3600 * 1000 });
    saveState(path, state);
    const loaded = loadState(path);
    expect(loaded.files).toHaveLength(1);
    expect(loaded.files[0]).toMatchObject({ dev: 1, ino: 100, offset: A.length, lines: 2 });
    expect(readFileSync(path, 'utf8').endsWith('\n')).toBe(true);
  });

  it('refuses a damaged file rather than import everything again', () => {
    const path = join(dir, 'state.json');
    writeFileSync(path, '{"version":1,"files":[{"offset":"x"}]}');
    expect(() => loadState(path)).toThrow(StateFileError);
    writeFileSync(path, 'not json');
    expect(() => loadState(path)).toThrow(/damaged/);
  });
});
