import { existsSync, lstatSync, readdirSync, renameSync } from 'node:fs';
import { rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { RangeSet } from './range-set.js';
import { appendRegular, fileKind, readRegularSync } from './safe-fs.js';

/** Default file prefix, as the official libraries (docs/protocol.md §10). */
export const DEFAULT_SPOOL_PREFIX = 'MappIntelligenceRequests';

/**
 * One spool file, named like the official libraries: `<prefix>-<ms>.tmp` while written,
 * `<prefix>-<ms>.log` once finished. Our own progress sidecar is `<prefix>-<ms>.ack`:
 * line indexes (0-based, ranges `a-b`) Mapp has accepted; the official cronjob ignores it.
 */
export interface SpoolFile {
  /** The ms timestamp in the name (also the ordering key). */
  readonly id: number;
  /** Path without extension. */
  readonly base: string;
  readonly state: 'tmp' | 'log';
  readonly path: string;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `<dir>/<prefix>-<id>` @internal */
export function spoolBase(dir: string, prefix: string, id: number): string {
  return join(dir, `${prefix}-${id}`);
}

/**
 * Lists `.tmp` and `.log` files of `prefix` in `dir`, oldest first. Missing dir = none.
 * Only regular files count: a symlink, directory, FIFO or socket with a spool file's name is
 * reported to `onSkip` and left alone (never read, renamed or deleted).
 * @internal
 */
export function listSpoolFiles(dir: string, prefix: string, onSkip?: (path: string, kind: string) => void): SpoolFile[] {
  if (!existsSync(dir)) return [];
  const pattern = new RegExp(`^${escapeRegExp(prefix)}-(\\d+)\\.(tmp|log)$`);
  const files: SpoolFile[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const name = entry.name;
    const match = pattern.exec(name);
    if (!match) continue;
    if (!entry.isFile()) {
      onSkip?.(join(dir, name), fileKind(entry));
      continue;
    }
    const id = Number(match[1]);
    const state = match[2] as 'tmp' | 'log';
    files.push({ id, base: spoolBase(dir, prefix, id), state, path: join(dir, name) });
  }
  return files.sort((a, b) => a.id - b.id || (a.state === 'log' ? -1 : 1));
}

/** Renames `<base>.tmp` to `<base>.log` (sync: used at start-up and by `ship`). @internal */
export function finishSpoolFile(file: SpoolFile): SpoolFile {
  if (file.state === 'log') return file;
  const path = `${file.base}.log`;
  renameSync(file.path, path);
  return { ...file, state: 'log', path };
}

/** Modification time of a file (not followed if a symlink) in ms, or undefined if it vanished. @internal */
export function mtimeOf(path: string): number | undefined {
  try {
    return lstatSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The acknowledged lines of a spool file, and how many `.ack` entries were not believable. @internal */
export interface AckRecord {
  readonly acked: RangeSet;
  /** Entries outside `0..lines-1` or reversed (`9-3`): a corrupt or hostile `.ack`, ignored. */
  readonly ignored: number;
}

/**
 * Reads the acknowledged line indexes of a spool file of `lines` lines. A torn last record
 * is ignored (a crash mid-append). Every range is checked against the line count, so a
 * corrupt or hostile `.ack` can neither mark lines that do not exist nor cost more than its
 * own length: a range is one entry, never expanded. A missing `.ack` means nothing acked;
 * one that is not a regular file (symlink, FIFO) throws `NotRegularFileError`.
 * @internal
 */
export function readAcks(base: string, lines: number): AckRecord {
  const acked = new RangeSet();
  let ignored = 0;
  const text = readRegularSync(`${base}.ack`);
  if (text === undefined) return { acked, ignored };
  // Only records ending in '\n' are complete: a crash mid-append leaves a torn tail.
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  for (const record of complete.split('\n')) {
    if (record === '') continue;
    for (const part of record.split(',')) {
      const match = /^(\d{1,15})(?:-(\d{1,15}))?$/.exec(part);
      const from = match ? Number(match[1]) : Number.NaN;
      const to = match ? (match[2] === undefined ? from : Number(match[2])) : Number.NaN;
      if (!(from <= to && to < lines)) {
        ignored += 1;
        continue;
      }
      acked.addRange(from, to);
    }
  }
  return { acked, ignored };
}

/**
 * Counts the lines of an open spool file of `size` bytes the way `readLines` splits them:
 * one per '\n', plus a last line without one. Reads in chunks; memory stays flat.
 * @internal
 */
export async function countLines(handle: FileHandle, size: number): Promise<number> {
  const chunk = Buffer.alloc(Math.min(Math.max(size, 1), 256 * 1024));
  let lines = 0;
  let offset = 0;
  let last = -1;
  while (offset < size) {
    const { bytesRead } = await handle.read(chunk, 0, Math.min(chunk.length, size - offset), offset);
    if (bytesRead === 0) break;
    for (let at = chunk.indexOf(0x0a, 0); at !== -1 && at < bytesRead; at = chunk.indexOf(0x0a, at + 1)) lines += 1;
    last = chunk[bytesRead - 1] as number;
    offset += bytesRead;
  }
  return offset > 0 && last !== 0x0a ? lines + 1 : lines;
}

/** `[0,1,2,5,7,8]` → `0-2,5,7-8` @internal */
export function formatAckRanges(indexes: readonly number[]): string {
  const sorted = [...indexes].sort((a, b) => a - b);
  const parts: string[] = [];
  let start = sorted[0];
  let prev = start;
  for (let i = 1; i <= sorted.length; i += 1) {
    const value = sorted[i];
    if (value !== undefined && prev !== undefined && value === prev + 1) {
      prev = value;
      continue;
    }
    if (start !== undefined) parts.push(start === prev ? `${start}` : `${start}-${prev}`);
    start = value;
    prev = value;
  }
  return parts.join(',');
}

/**
 * Appends one ack record (a single write, so a crash tears at most this record), creating
 * the sidecar owner-only; never through a symlink. @internal
 */
export async function appendAcks(base: string, indexes: readonly number[]): Promise<void> {
  if (indexes.length === 0) return;
  await appendRegular(`${base}.ack`, `${formatAckRanges(indexes)}\n`);
}

/** Deletes a finished spool file and its sidecar. @internal */
export async function removeSpoolFile(base: string): Promise<void> {
  await rm(`${base}.log`, { force: true });
  await rm(`${base}.tmp`, { force: true });
  await rm(`${base}.ack`, { force: true });
}
