import { existsSync } from 'node:fs';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import type { ResolvedSpoolOptions } from './spool-options.js';
import { asError } from '../transport/http.js';
import { spoolBase } from './spool-files.js';

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
  /** A segment was renamed `.tmp` → `.log` (or removed when empty). */
  onFinished?(segment: WriterSegment): void;
  /** Background failures (fsync timer, rotation). */
  onError?(error: Error): void;
}

interface Pending<T> {
  readonly line: string;
  readonly tag: T;
  readonly resolve: (value: { segment: WriterSegment; index: number }) => void;
  readonly reject: (error: Error) => void;
}

function unref(timer: ReturnType<typeof setTimeout>): void {
  (timer as { unref?: () => void }).unref?.();
}


/**
 * Appends lines to `<prefix>-<ms>.tmp` and rotates to `.log` by lines, size and age
 * (the official libraries' scheme, PROTOCOL.md §10).
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
  private rotateWanted = false;
  private dirty = false;
  private closed = false;
  private nextId: number;
  private madeDir = false;
  private readonly syncTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly options: ResolvedSpoolOptions,
    private readonly hooks: SpoolWriterHooks<T> = {},
    minId = 0,
  ) {
    this.nextId = minId;
    if (options.fsync === 'interval') {
      this.syncTimer = setInterval(() => void this.syncNow(), options.fsyncInterval);
      unref(this.syncTimer);
    }
  }

  /** Lines written so far to the open segment, or undefined. */
  get active(): WriterSegment | undefined {
    return this.current?.meta;
  }

  /** Appends one line (no CR/LF). Rejects with the I/O error (ENOSPC, EACCES...) on failure. */
  append(line: string, tag: T): Promise<{ segment: WriterSegment; index: number }> {
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
    // Yield once so appends made in the same tick join this group commit.
    await Promise.resolve();
    try {
      await this.drainQueue();
    } finally {
      this.loop = undefined;
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
      const group = this.takeGroup(current.meta);
      if (group.length === 0) {
        // The next line does not fit the open file: start a new one.
        await this.finish();
        continue;
      }
      const buffer = Buffer.from(group.map((item) => `${item.line}\n`).join(''), 'utf8');
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
        // Cut a torn partial write so the file holds only whole, resolved lines.
        await current.handle.truncate(current.meta.bytes).catch(() => undefined);
        await this.finish();
        continue;
      }
      const meta = current.meta;
      const records: AppendedRecord<T>[] = [];
      let end = meta.bytes;
      for (const [i, item] of group.entries()) {
        end += Buffer.byteLength(item.line, 'utf8') + 1;
        records.push({ index: meta.lines + i, end, tag: item.tag });
      }
      meta.lines += group.length;
      meta.bytes = end;
      this.hooks.onAppended?.(meta, records);
      for (const [i, item] of group.entries()) item.resolve({ segment: meta, index: (records[i] as AppendedRecord<T>).index });
    }
  }

  private takeGroup(meta: WriterSegment): Pending<T>[] {
    const roomLines = Math.max(1, this.options.maxFileLines - meta.lines);
    let bytes = meta.bytes;
    let count = 0;
    for (const item of this.pending) {
      if (count >= roomLines) break;
      const size = Buffer.byteLength(item.line, 'utf8') + 1;
      // Never split a line across files; an empty file always takes at least one line.
      if ((count > 0 || meta.lines > 0) && bytes + size > this.options.maxFileSize) break;
      bytes += size;
      count += 1;
    }
    return this.pending.splice(0, count);
  }

  private async openSegment(): Promise<{ meta: WriterSegment; handle: FileHandle; ageTimer: ReturnType<typeof setTimeout> }> {
    if (!this.madeDir) {
      await mkdir(this.options.dir, { recursive: true });
      this.madeDir = true;
    }
    let id = Math.max(Date.now(), this.nextId);
    for (;;) {
      const base = spoolBase(this.options.dir, this.options.prefix, id);
      // A same-millisecond file of another process (or an old `.log`) must never be reused.
      if (!existsSync(`${base}.log`)) {
        try {
          const handle = await open(`${base}.tmp`, 'wx');
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
