/**
 * What `mapp-s2s import` remembers between runs: per log file, how far it was imported.
 *
 * A file is known by its identity, not its name, so rotation cannot fool it: its device and
 * inode, and a SHA-1 of its first bytes (up to 4 KiB of the decompressed text, the length
 * kept with the hash). `access.log` renamed to `access.log.1` keeps inode and first bytes
 * and resumes where it stopped; `access.log.2.gz` (or a `copytruncate` copy) has a new inode
 * but the same first bytes once decompressed, so it resumes too; a truncated or recreated
 * `access.log` starts with other bytes and is new. The offset counts decompressed bytes up
 * to the end of the last line whose hits were accepted.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** First bytes hashed for a file's identity. */
export const HEAD_BYTES = 4096;
/** Entries of files not seen for this long are forgotten. */
const FORGET_AFTER_MS = 400 * 24 * 60 * 60 * 1000;

/** One imported file. */
export interface FileEntry {
  dev: number;
  ino: number;
  /** Bytes hashed into `head`. */
  headLength: number;
  /** SHA-1 (hex) of the first `headLength` bytes. */
  head: string;
  /** Decompressed bytes imported (up to a line end). */
  offset: number;
  /** Lines imported (line numbers continue from here). */
  lines: number;
  /** Where it was last seen. */
  path: string;
  /** When it was last seen (ms). */
  seen: number;
  /**
   * `<dev>:<ino>:<size>` of a gzip file read to its end: the same file is passed over on the
   * next runs without decompressing it again (a rotated `.gz` never grows).
   */
  finished?: string;
}

export interface ImportState {
  version: 1;
  files: FileEntry[];
}

/** The state file could not be read: the run stops rather than import everything twice. */
export class StateFileError extends Error {}

/** Reads the state file; a missing file is an empty state. */
export function loadState(path: string): ImportState {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, files: [] };
    throw new StateFileError(`cannot read the state file ${path}: ${(error as Error).message}`);
  }
  let state: unknown;
  try {
    state = JSON.parse(text);
  } catch (error) {
    throw damaged(path, `not JSON: ${(error as Error).message}`);
  }
  const problem = stateProblem(state);
  if (problem !== undefined) throw damaged(path, problem);
  return state as ImportState;
}

function damaged(path: string, problem: string): StateFileError {
  return new StateFileError(`the state file ${path} is damaged (${problem}); move it away to import every file from the start, or fix it`);
}

/** A whole number from 0 to 2^53-1, what offsets, line counts, inodes and times are. */
function isCount(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** What is wrong with one entry, naming the field, or undefined. */
function entryProblem(entry: unknown, at: string): string | undefined {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return `${at} is not an object`;
  const e = entry as Record<string, unknown>;
  const show = (field: string): string => `${at}.${field} is ${JSON.stringify(e[field]) ?? 'missing'}`;
  // dev and ino are identities, not counts: Windows' 64-bit file ids pass 2^53 as inexact numbers.
  for (const field of ['dev', 'ino']) {
    if (typeof e[field] !== 'number' || !Number.isFinite(e[field]) || (e[field] as number) < 0) return `${show(field)}, not a number >= 0`;
  }
  for (const field of ['offset', 'lines']) {
    if (!isCount(e[field])) return `${show(field)}, not a whole number >= 0`;
  }
  if (!isCount(e.headLength) || (e.headLength as number) > HEAD_BYTES) return `${show('headLength')}, not a whole number from 0 to ${HEAD_BYTES}`;
  if (typeof e.head !== 'string' || !/^[0-9a-f]{40}$/.test(e.head)) return `${show('head')}, not a SHA-1 in hex`;
  if (typeof e.path !== 'string') return `${show('path')}, not a string`;
  if (typeof e.seen !== 'number' || !Number.isFinite(e.seen)) return `${show('seen')}, not a time in ms`;
  if (e.finished !== undefined && typeof e.finished !== 'string') return `${show('finished')}, not a string`;
  return undefined;
}

/**
 * What is wrong with a parsed state file, naming the field (`files[0].offset is -5, ...`),
 * or undefined. Every field the run relies on is checked: a negative or fractional offset
 * must not reach a read stream, where it fails with an unhelpful error.
 */
export function stateProblem(state: unknown): string | undefined {
  if (typeof state !== 'object' || state === null || (state as { version?: unknown }).version !== 1) return 'not an import state (version 1)';
  const files = (state as { files?: unknown }).files;
  if (!Array.isArray(files)) return '"files" is not a list';
  for (let i = 0; i < files.length; i++) {
    const problem = entryProblem(files[i], `files[${i}]`);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** Writes the state atomically (temp file, fsync, rename): a crash leaves the old or the new one. */
export function saveState(path: string, state: ImportState, now = Date.now()): void {
  state.files = state.files.filter((entry) => now - entry.seen < FORGET_AFTER_MS);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(state, null, 1)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

function hashOf(head: Buffer, length: number): string {
  return createHash('sha1').update(head.subarray(0, length)).digest('hex');
}

/** What is known of a file before reading it. */
export interface FileIdentity {
  dev: number;
  ino: number;
  /** Its first (up to {@link HEAD_BYTES}) decompressed bytes. */
  head: Buffer;
}

/**
 * The state's entry for this file, or a new entry (not yet in the state) starting at 0.
 * Same inode and same first bytes: the same file (grown, or renamed). Other inode, same
 * first bytes: a compressed or copied rotation of it. Same inode, other first bytes: the
 * inode was reused (truncated or recreated log): a new file.
 */
export function findEntry(state: ImportState, identity: FileIdentity, path: string): { entry: FileEntry; known: boolean } {
  const hashes = new Map<number, string>();
  const matches = (entry: FileEntry): boolean => {
    if (entry.headLength > identity.head.length || entry.headLength === 0) return false;
    let hash = hashes.get(entry.headLength);
    if (hash === undefined) {
      hash = hashOf(identity.head, entry.headLength);
      hashes.set(entry.headLength, hash);
    }
    return hash === entry.head;
  };
  let found = state.files.find((entry) => entry.dev === identity.dev && entry.ino === identity.ino && matches(entry));
  if (found === undefined) {
    let best: FileEntry | undefined;
    for (const entry of state.files) {
      if (!matches(entry)) continue;
      if (best === undefined || entry.headLength > best.headLength || (entry.headLength === best.headLength && entry.seen > best.seen)) best = entry;
    }
    found = best;
  }
  if (found !== undefined) {
    found.dev = identity.dev;
    found.ino = identity.ino;
    found.path = path;
    // A file that has grown since it was first seen gets a longer, more telling head.
    if (identity.head.length > found.headLength) {
      found.headLength = identity.head.length;
      found.head = hashOf(identity.head, found.headLength);
    }
    return { entry: found, known: true };
  }
  return {
    entry: { dev: identity.dev, ino: identity.ino, headLength: identity.head.length, head: hashOf(identity.head, identity.head.length), offset: 0, lines: 0, path, seen: 0 },
    known: false,
  };
}
