import { existsSync, lstatSync } from 'node:fs';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import type { ResolvedSpoolOptions } from './spool-options.js';
import { asError } from '../transport/http.js';
import { LinesEncoder } from '../transport/encode-lines.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './safe-fs.js';
import { listSpoolFiles, spoolBase } from './spool-files.js';

/** How often a full spool looks again whether `ship` (another process) freed space. */
const RESCAN_MS = 1000;

/**
 * The one rejection every append gets while the spool is at `maxTotalBytes`: shared, so a
 * full spool under load costs no `Error` (and no stack trace) per refused hit.
 * @internal
 */
export const SPOOL_FULL: Error & { code: 'SPOOL_FULL' } = Object.assign(new Error('mapp-s2s spool: spool.maxTotalBytes reached'), { code: 'SPOOL_FULL' as const });

/**
 * Bytes in the spool folder's files of one prefix, against `maxTotalBytes`. Appends add to
 * it; files removed by this process are subtracted; files removed by someone else (`ship`)
 * are noticed by a rescan when an append would not fit, at most once a second.
 * @internal
 */
export class SpoolBudget {
  private used = 0;
  private scannedAt = 0;

  constructor(
    private readonly dir: string,
    private readonly prefix: string,
    readonly max: number,
  ) {
    this.rescan();
  }

  /** Bytes the spool files take now (as far as this process knows). */
  get bytes(): number {
    return this.used;
  }

  /** Whether `bytes` more fit under the cap. */
  fits(bytes: number): boolean {
    if (this.used + bytes <= this.max) return true;
    if (Date.now() - this.scannedAt < RESCAN_MS) return false;
    this.rescan();
    return this.used + bytes <= this.max;
  }

  add(bytes: number): void {
    this.used += bytes;
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }

  private rescan(): void {
    this.scannedAt = Date.now();
    let total = 0;
    try {
      for (const file of listSpoolFiles(this.dir, this.prefix)) {
        try {
          total += lstatSync(file.path).size;
        } catch {
          // Shipped and removed between the listing and the stat.
        }
      }
    } catch {
      return; // an unreadable folder: keep the running count
    }
    this.used = total;
  }
}

/** The file currently (or formerly) written. `lines`/`bytes` count complete, written lines. @internal */
export interface WriterSegment {
  readonly id: number;
  readonly base: string;
  path: string;
  lines: number;
  bytes: number;
  readonly createdAt: number;
  finished: boolean;
}

/** Where one appended line landed. `end` is the byte offset just past its '\n'. @internal */
export interface AppendedRecord<T> {
  readonly index: number;
  readonly end: number;
  readonly tag: T;
}

/** @internal */
export interface SpoolWriterHooks<T> {
  /** Runs synchronously after a write succeeded, in append order, before the appends resolve. */
  onAppended?(segment: WriterSegment, records: readonly AppendedRecord<T>[]): void;
  /** Like `onAppended`, with the count only (no record objects are built for it). */
  onWritten?(segment: WriterSegment, lines: number): void;
  /** A segment was renamed `.tmp` → `.log` (or removed when empty). */
  onFinished?(segment: WriterSegment): void;
  /** Background failures (fsync timer, rotation). */
  onError?(error: Error): void;
}

interface Pending<T> {
  readonly line: string;
  readonly tag: T;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

function unref(timer: ReturnType<typeof setTimeout>): void {
  (timer as { unref?: () => void }).unref?.();
}


/**
 * Appends lines to `<prefix>-<ms>.tmp` and rotates to `.log` by lines, size and age
 * (the official libraries' scheme, docs/protocol.md §10).
 *
 * Appends are group-committed: whatever queued up while the previous write ran goes out
 * in one `write()` (and one `fdatasync()` with `fsync: 'always'`). An append resolves
 * only after its bytes were handed to the kernel, so a process crash (even SIGKILL) never
 * loses a resolved line; only an OS crash or power cut can, within the fsync window.
 * @internal
 */
export class SpoolWriter<T> {
  private pending: Pending<T>[] = [];
  private current: { meta: WriterSegment; handle: FileHandle; ageTimer: ReturnType<typeof setTimeout> } | undefined;
  private loop: Promise<void> | undefined;
  /** Encodes each group commit; one group is written at a time. */
  private readonly encoder = new LinesEncoder();
  private rotateWanted = false;
  private dirty = false;
  private closed = false;
  private nextId: number;
  private madeDir = false;
  private readonly syncTimer: ReturnType<typeof setInterval> | undefined;
  /** The folder's size against `maxTotalBytes`. */
  readonly budget: SpoolBudget;

  constructor(
    private readonly options: ResolvedSpoolOptions,
    private readonly hooks: SpoolWriterHooks<T> = {},
    minId = 0,
  ) {
    this.nextId = minId;
    this.budget = new SpoolBudget(options.dir, options.prefix, options.maxTotalBytes);
    if (options.fsync === 'interval') {
      this.syncTimer = setInterval(() => void this.syncNow(), options.fsyncInterval);
      unref(this.syncTimer);
    }
  }

  /** Lines written so far to the open segment, or undefined. */
  get active(): WriterSegment | undefined {
    return this.current?.meta;
  }

  /** Appends one line (no CR/LF); resolves once it was written. Rejects with the I/O error (ENOSPC, EACCES...) on failure. */
  append(line: string, tag: T): Promise<void> {
    if (this.closed) return Promise.reject(new Error('mapp-s2s spool: writer is closed'));
    return new Promise((resolve, reject) => {
      this.pending.push({ line, tag, resolve, reject });
      this.kick();
    });
  }

  /** Finishes the current segment (`.tmp` → `.log`) after the queued appends. */
  rotate(): Promise<void> {
    this.rotateWanted = true;
    return this.kick();
  }

  /** Waits for the queued appends and syncs the open file to disk (unless `fsync: 'never'`). */
  async sync(): Promise<void> {
    await this.kick();
    if (this.options.fsync !== 'never') {
      this.dirty = true;
      await this.syncNow();
    }
  }

  /** Writes what is queued, finishes the current segment and stops the timers. */
  async close(): Promise<void> {
    if (this.closed) return this.loop ?? Promise.resolve();
    this.closed = true;
    if (this.syncTimer !== undefined) clearInterval(this.syncTimer);
    await this.rotate();
  }

  private kick(): Promise<void> {
    this.loop ??= this.run();
    return this.loop;
  }

  private async syncNow(): Promise<void> {
    if (!this.dirty || !this.current) return;
    this.dirty = false;
    try {
      await this.current.handle.datasync();
    } catch (error) {
      this.hooks.onError?.(asError(error));
    }
  }

  private mustRotate(meta: WriterSegment): boolean {
    return meta.lines >= this.options.maxFileLines || meta.bytes >= this.options.maxFileSize || Date.now() - meta.createdAt >= this.options.maxFileAge;
  }

  private async run(): Promise<void> {
    // Yield to the end of this event-loop turn, so the appends of every request handled in it
    // join one group commit (one write) instead of one write per request.
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      await this.drainQueue();
    } finally {
      this.loop = undefined;
      // Every group is written: an array grown for a burst is not kept.
      this.encoder.idle();
    }
    // Appends that arrived between drainQueue's last check and the line above: go again.
    if (this.pending.length > 0 || this.rotateWanted) await this.kick();
  }

  private async drainQueue(): Promise<void> {
    while (this.pending.length > 0 || this.rotateWanted) {
      // Once closed no append can join, so the queued lines are written before the final
      // rotation; rotating first would leave them in a fresh `.tmp` nobody finishes.
      const rotateNow = this.rotateWanted && (!this.closed || this.pending.length === 0);
      if (rotateNow || (this.current && this.mustRotate(this.current.meta))) {
        this.rotateWanted = false;
        await this.finish();
        continue;
      }
      let current = this.current;
      try {
        current ??= await this.openSegment();
      } catch (error) {
        // The folder is missing or unwritable: every queued append fails the same way.
        const failed = this.pending;
        this.pending = [];
        for (const item of failed) item.reject(asError(error));
        continue;
      }
      const before = this.pending.length;
      const { group, chars } = this.takeGroup(current.meta);
      if (group.length === 0) {
        // Every line looked at was refused (spool full): nothing to write this round.
        if (this.pending.length < before) continue;
        // The next line does not fit the open file: start a new one.
        await this.finish();
        continue;
      }
      // The writes of a group commit finish before the next group is encoded into the same array.
      const buffer = this.encoder.encode(group.length, (i) => (group[i] as Pending<T>).line, true);
      // Wire lines are ASCII: then every line's size is its length (no per-line byte count).
      const ascii = buffer.length === chars;
      // The budget took the group's characters; a non-ASCII line has more bytes than that.
      if (!ascii) this.budget.add(buffer.length - chars);
      try {
        let offset = 0;
        while (offset < buffer.length) {
          const { bytesWritten } = await current.handle.write(buffer, offset, buffer.length - offset, current.meta.bytes + offset);
          offset += bytesWritten;
        }
        if (this.options.fsync === 'always') await current.handle.datasync();
        else this.dirty = true;
      } catch (error) {
        for (const item of group) item.reject(asError(error));
        this.budget.release(buffer.length);
        // Cut a torn partial write so the file holds only whole, resolved lines.
        await current.handle.truncate(current.meta.bytes).catch(() => undefined);
        await this.finish();
        continue;
      }
      const meta = current.meta;
      if (this.hooks.onAppended !== undefined) {
        const records: AppendedRecord<T>[] = [];
        let end = meta.bytes;
        for (let i = 0; i < group.length; i++) {
          const item = group[i] as Pending<T>;
          end += (ascii ? item.line.length : Buffer.byteLength(item.line, 'utf8')) + 1;
          records.push({ index: meta.lines + i, end, tag: item.tag });
        }
        meta.lines += group.length;
        meta.bytes = end;
        this.hooks.onAppended(meta, records);
      } else {
        meta.lines += group.length;
        meta.bytes += buffer.length;
      }
      this.hooks.onWritten?.(meta, group.length);
      for (const item of group) item.resolve();
    }
  }

  /** The lines of the next group commit, and their size as the budget counted it (characters, each '\n' included). */
  private takeGroup(meta: WriterSegment): { group: Pending<T>[]; chars: number } {
    const roomLines = Math.max(1, this.options.maxFileLines - meta.lines);
    let bytes = meta.bytes;
    const group: Pending<T>[] = [];
    let taken = 0;
    for (const item of this.pending) {
      if (group.length >= roomLines) break;
      // The size of an ASCII wire line; a rare non-ASCII one is counted low, which only moves
      // a rotation or the spool cap by a few bytes.
      const size = item.line.length + 1;
      // Never split a line across files; an empty file always takes at least one line.
      if ((group.length > 0 || meta.lines > 0) && bytes + size > this.options.maxFileSize) break;
      taken += 1;
      // The folder is at its cap: this line is refused (the caller counts it as spool-full).
      if (!this.budget.fits(bytes - meta.bytes + size)) {
        item.reject(SPOOL_FULL);
        continue;
      }
      bytes += size;
      group.push(item);
    }
    this.pending.splice(0, taken);
    this.budget.add(bytes - meta.bytes);
    return { group, chars: bytes - meta.bytes };
  }

  private async openSegment(): Promise<{ meta: WriterSegment; handle: FileHandle; ageTimer: ReturnType<typeof setTimeout> }> {
    if (!this.madeDir) {
      // Owner-only: the files hold IPs, eids and customer fields.
      await mkdir(this.options.dir, { recursive: true, mode: PRIVATE_DIR_MODE });
      this.madeDir = true;
    }
    let id = Math.max(Date.now(), this.nextId);
    for (;;) {
      const base = spoolBase(this.options.dir, this.options.prefix, id);
      // A same-millisecond file of another process (or an old `.log`) must never be reused.
      if (!existsSync(`${base}.log`)) {
        try {
          // 'wx' (O_EXCL) never follows a symlink planted under our name.
          const handle = await open(`${base}.tmp`, 'wx', PRIVATE_FILE_MODE);
          this.nextId = id + 1;
          const meta: WriterSegment = { id, base, path: `${base}.tmp`, lines: 0, bytes: 0, createdAt: Date.now(), finished: false };
          const ageTimer = setTimeout(() => {
            this.rotateWanted = true;
            void this.kick();
          }, this.options.maxFileAge);
          unref(ageTimer);
          this.current = { meta, handle, ageTimer };
          return this.current;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
      }
      id += 1;
    }
  }

  private async finish(): Promise<void> {
    const current = this.current;
    if (!current) return;
    this.current = undefined;
    clearTimeout(current.ageTimer);
    const { meta, handle } = current;
    try {
      if (this.options.fsync !== 'never' && meta.lines > 0) await handle.datasync();
    } catch (error) {
      this.hooks.onError?.(asError(error));
    }
    await handle.close().catch(() => undefined);
    try {
      if (meta.lines === 0) {
        await rm(meta.path, { force: true });
        this.budget.release(meta.bytes);
      } else {
        await rename(meta.path, `${meta.base}.log`);
        meta.path = `${meta.base}.log`;
      }
    } catch (error) {
      this.hooks.onError?.(asError(error));
    }
    meta.finished = true;
    this.hooks.onFinished?.(meta);
  }
}
