import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { lstat, open, unlink, type FileHandle } from 'node:fs/promises';

/**
 * Spool folders hold IPs, eids and customer fields, and `ship` may run as another user than
 * the writer: whatever else lands in the folder (a symlink to a file elsewhere, a FIFO, a
 * directory named `*.log`) must never be read, appended to or block us. Files are opened
 * without following symlinks (`O_NOFOLLOW`), without blocking on FIFOs (`O_NONBLOCK`), and
 * kept only if `fstat` says regular file. Windows has neither flag (they are 0 there).
 */
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const NONBLOCK = constants.O_NONBLOCK ?? 0;

/** Owner-only permissions for what we create (the folder 0700, files 0600). @internal */
export const PRIVATE_DIR_MODE = 0o700;
/** @internal */
export const PRIVATE_FILE_MODE = 0o600;

/** Thrown for a path that is not a regular file (or is a symlink). @internal */
export class NotRegularFileError extends Error {
  readonly code = 'ENOTREGULAR';
  constructor(
    readonly path: string,
    readonly kind: string,
  ) {
    super(`${path} is ${kind}, not a regular file; skipped`);
    this.name = 'NotRegularFileError';
  }
}

/** What a `Stats` or `Dirent` is, in words. @internal */
export function fileKind(entry: Pick<Stats, 'isFile' | 'isDirectory' | 'isSymbolicLink' | 'isFIFO' | 'isSocket'>): string {
  if (entry.isFile()) return 'a regular file';
  if (entry.isSymbolicLink()) return 'a symbolic link';
  if (entry.isDirectory()) return 'a directory';
  if (entry.isFIFO()) return 'a FIFO';
  if (entry.isSocket()) return 'a socket';
  return 'a special file';
}

function notRegular(path: string, error: unknown): never {
  // O_NOFOLLOW on a symlink fails with ELOOP (Linux) or EMLINK (FreeBSD).
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ELOOP' || code === 'EMLINK') throw new NotRegularFileError(path, 'a symbolic link');
  throw error;
}

/** Opens a regular file (never through a symlink, never blocking on a FIFO). @internal */
export async function openRegular(path: string, flags: number = constants.O_RDONLY, mode: number = PRIVATE_FILE_MODE): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(path, flags | NOFOLLOW | NONBLOCK, mode);
  } catch (error) {
    notRegular(path, error);
  }
  const stats = await handle.stat();
  if (!stats.isFile()) {
    await handle.close();
    throw new NotRegularFileError(path, fileKind(stats));
  }
  return handle;
}

/** Reads a small regular file whole, or `undefined` when it does not exist. @internal */
export function readRegularSync(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | NOFOLLOW | NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    notRegular(path, error);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new NotRegularFileError(path, fileKind(stats));
    const buffer = Buffer.alloc(stats.size);
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, read);
      if (n === 0) break;
      read += n;
    }
    return buffer.subarray(0, read).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Appends to a regular file, creating it owner-only; never through a symlink. @internal */
export async function appendRegular(path: string, data: string): Promise<void> {
  const handle = await openRegular(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT);
  try {
    await handle.write(data);
  } finally {
    await handle.close();
  }
}

/**
 * Removes `path` when it is a symbolic link, FIFO or socket: the directory entry itself
 * (`unlink` never follows a link, nor opens a FIFO), so a target elsewhere stays untouched.
 * Returns what was removed (`a symbolic link`...), or `undefined` when `path` is missing, a
 * regular file, or a directory (which is left alone: it cannot be removed without reading it).
 * @internal
 */
export async function unlinkIfSpecial(path: string): Promise<string | undefined> {
  let stats: Stats;
  try {
    stats = await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (stats.isFile() || stats.isDirectory()) return undefined;
  const kind = fileKind(stats);
  try {
    await unlink(path);
  } catch (error) {
    // Gone meanwhile: nothing left to remove.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return kind;
}
