import { existsSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { appendFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Default file prefix, as the official libraries (PROTOCOL.md §10). */
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

/** Lists `.tmp` and `.log` files of `prefix` in `dir`, oldest first. Missing dir = none. @internal */
export function listSpoolFiles(dir: string, prefix: string): SpoolFile[] {
  if (!existsSync(dir)) return [];
  const pattern = new RegExp(`^${escapeRegExp(prefix)}-(\\d+)\\.(tmp|log)$`);
  const files: SpoolFile[] = [];
  for (const name of readdirSync(dir)) {
    const match = pattern.exec(name);
    if (!match) continue;
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

/** Modification time of a file in ms, or undefined if it vanished. @internal */
export function mtimeOf(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Reads the acknowledged line indexes of a spool file. A torn last record is ignored. @internal */
export function readAcks(base: string): Set<number> {
  const acked = new Set<number>();
  let text: string;
  try {
    text = readFileSync(`${base}.ack`, 'utf8');
  } catch {
    return acked;
  }
  // Only records ending in '\n' are complete: a crash mid-append leaves a torn tail.
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  for (const record of complete.split('\n')) {
    for (const part of record.split(',')) {
      const match = /^(\d+)(?:-(\d+))?$/.exec(part);
      if (!match) continue;
      const from = Number(match[1]);
      const to = match[2] === undefined ? from : Number(match[2]);
      for (let i = from; i <= to; i += 1) acked.add(i);
    }
  }
  return acked;
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

/** Appends one ack record (a single write, so a crash tears at most this record). @internal */
export async function appendAcks(base: string, indexes: readonly number[]): Promise<void> {
  if (indexes.length === 0) return;
  await appendFile(`${base}.ack`, `${formatAckRanges(indexes)}\n`);
}

/** Deletes a finished spool file and its sidecar. @internal */
export async function removeSpoolFile(base: string): Promise<void> {
  await rm(`${base}.log`, { force: true });
  await rm(`${base}.tmp`, { force: true });
  await rm(`${base}.ack`, { force: true });
}
