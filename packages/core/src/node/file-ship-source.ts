import { existsSync, lstatSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_SEND_LINE_CHARS } from '../encode.js';
import { acquireDirLock, type DirLock } from './dir-lock.js';
import { readLines } from './read-lines.js';
import { openRegular, unlinkIfSpecial } from './safe-fs.js';
import type { ShipLine, ShipSource, ShipUnit } from './ship.js';
import { appendAcks, countLines, DEFAULT_SPOOL_PREFIX, finishSpoolFile, listSpoolFiles, mtimeOf, readAcks, removeSpoolFile } from './spool-files.js';

/** Options of {@link createFileShipSource}. */
export interface FileShipSourceOptions {
  /** The spool folder. */
  readonly dir: string;
  /** @default 'MappIntelligenceRequests' */
  readonly prefix?: string;
  /**
   * A `.tmp` file not written to for this long belongs to a dead writer and is renamed to
   * `.log` first, like the official cronjob. Keep it ≥ the writers' `maxFileAge`.
   * @default 1800000 (30 min)
   */
  readonly maxFileAge?: number;
  /**
   * Told about everything skipped or repaired for safety: a symlink, directory or FIFO with a
   * spool file's name, an `.ack` that is a symlink, FIFO or socket (removed, the file shipped
   * from its first line) or a directory (the file kept), `.ack` entries beyond the file's line
   * count. @default ignore
   */
  readonly onWarning?: (message: string) => void;
}

/** Thrown by `open()` when another run (or a live write-ahead log) holds the folder. */
export class ShipLockedError extends Error {
  readonly code: 'SPOOL_LOCKED' = 'SPOOL_LOCKED';
  constructor(
    message: string,
    readonly pid: number,
  ) {
    super(message);
    this.name = 'ShipLockedError';
  }
}

/** Thrown by `open()` when the folder does not exist. */
export class ShipSourceMissingError extends Error {
  readonly code: 'SPOOL_MISSING' = 'SPOOL_MISSING';
  constructor(message: string) {
    super(message);
    this.name = 'ShipSourceMissingError';
  }
}

/**
 * Spool files as a `ship` source. `open()` takes `<dir>/<prefix>.lock` (stale locks of
 * dead processes are taken over), renames stale `.tmp` files to `.log`, and lists the
 * `.log` files oldest first. Progress is kept in `<prefix>-<ms>.ack` sidecars (line
 * indexes), the same records the write-ahead log writes, so a run that crashed halfway
 * through a file resumes after the last acknowledged batch instead of from the start.
 */
export function createFileShipSource(options: FileShipSourceOptions): ShipSource {
  const prefix = options.prefix ?? DEFAULT_SPOOL_PREFIX;
  const maxFileAge = options.maxFileAge ?? 30 * 60 * 1000;
  const warn = options.onWarning ?? (() => undefined);
  let lock: DirLock | undefined;
  return {
    description: `${options.dir}/${prefix}-*.log`,
    async open() {
      if (!existsSync(options.dir) || !lstatSync(options.dir).isDirectory() || !statSync(options.dir).isDirectory()) {
        throw new ShipSourceMissingError(`spool folder ${options.dir} does not exist`);
      }
      const attempt = acquireDirLock(join(options.dir, `${prefix}.lock`));
      if (!attempt.ok) {
        throw new ShipLockedError(`spool folder ${options.dir} is locked by process ${attempt.pid}${attempt.host ? ` on ${attempt.host}` : ''} (${attempt.path})`, attempt.pid);
      }
      lock = attempt.lock;
      const now = Date.now();
      const units: ShipUnit[] = [];
      for (const found of listSpoolFiles(options.dir, prefix, (path, kind) => warn(`${path} is ${kind}, not a regular file; skipped`))) {
        let file = found;
        if (file.state === 'tmp') {
          const mtime = mtimeOf(file.path);
          if (mtime === undefined || now - mtime < maxFileAge) continue; // a live writer's file
          file = finishSpoolFile(file);
        }
        const base = file.base;
        const path = file.path;
        const size = lstatSync(path).size;
        units.push({
          id: path,
          size,
          async *lines(): AsyncIterable<ShipLine> {
            // Regular files only, opened without following symlinks or blocking on FIFOs.
            const handle = await openRegular(path);
            try {
              // An `.ack` that is a symlink (or FIFO, socket) must neither be followed nor stop
              // the file for good: the link itself is removed and the file shipped from its
              // first line. Lines acknowledged before may be sent again: at least once, never lost.
              const removed = await unlinkIfSpecial(`${base}.ack`);
              if (removed !== undefined) warn(`${base}.ack is ${removed}, not a regular file: removed (its target, if any, is untouched); ${path} is shipped from its first line, so lines acknowledged before may be sent again`);
              // Acks are checked against the real line count: a hostile `.ack` cannot mark
              // lines that do not exist, nor cost more than its own size.
              const { acked, ignored } = readAcks(base, await countLines(handle, size));
              if (ignored > 0) warn(`${base}.ack: ${ignored} entr${ignored === 1 ? 'y' : 'ies'} outside the file's lines ignored (corrupt or tampered)`);
              let offset = 0;
              let index = 0;
              for (;;) {
                const chunk = await readLines(handle, offset, size, 256 * 1024, true, MAX_SEND_LINE_CHARS);
                if (chunk.lines.length === 0) break;
                offset = chunk.next;
                for (const line of chunk.lines) {
                  const position = index;
                  index += 1;
                  if (line === '' || acked.has(position)) continue;
                  yield { position, line };
                }
              }
            } finally {
              await handle.close();
            }
          },
          async ack(lines) {
            await appendAcks(
              base,
              lines.map((line) => Number(line.position)),
            );
          },
          async complete() {
            await removeSpoolFile(base);
          },
        });
      }
      return units;
    },
    async close() {
      lock?.release();
      lock = undefined;
    },
  };
}
