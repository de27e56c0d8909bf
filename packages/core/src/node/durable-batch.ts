import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { OutgoingHit, SendOutcome, SpoolOptions, Transport, TransportContext, TransportFactory } from '../types.js';
import { MAX_SEND_LINE_CHARS } from '../encode.js';
import type { BatchTransportInternals, BatchTransportOptions } from '../transport/batch.js';
import { BatchEngine, type BatchEngineHooks, type EngineEntry, type SettleResult } from '../transport/batch-engine.js';
import { resolveBatchOptions } from '../transport/batch-options.js';
import { asError } from '../transport/http.js';
import { keyFromLine } from '../transport/line-key.js';
import { createStatsRecorder } from '../transport/stats.js';
import { acquireDirLock, type DirLock } from './dir-lock.js';
import { readLines } from './read-lines.js';
import { RangeSet } from './range-set.js';
import { openRegular, PRIVATE_DIR_MODE } from './safe-fs.js';
import { appendAcks, countLines, finishSpoolFile, listSpoolFiles, readAcks, removeSpoolFile } from './spool-files.js';
import { resolveSpoolOptions } from './spool-options.js';
import { SPOOL_FULL, SpoolWriter, type WriterSegment } from './spool-writer.js';

const FULL_DETAIL = 'spool.maxTotalBytes reached; the write-ahead log cannot take more hits until Mapp accepts the backlog';
const FULL: SendOutcome = Object.freeze({ ok: false, status: 'dropped', reason: 'spool-full', detail: FULL_DETAIL }) as SendOutcome;
const QUEUE_FULL_DETAIL = 'the write-ahead log is unavailable and the memory queue is full';
const QUEUE_FULL: SendOutcome = Object.freeze({ ok: false, status: 'dropped', reason: 'queue-full', detail: QUEUE_FULL_DETAIL }) as SendOutcome;

/** Options of {@link createDurableBatchTransport}. */
export interface DurableBatchTransportOptions extends Omit<BatchTransportOptions, 'overflow'> {
  /** The write-ahead log's folder and file settings; `spool.dir` is required. */
  spool: SpoolOptions;
}

/** One spool file as the write-ahead log tracks it. */
interface Segment {
  readonly id: number;
  readonly base: string;
  path: string;
  /** Set for files this process writes: live line and byte counts. */
  readonly writer: WriterSegment | undefined;
  finished: boolean;
  /** Line count, once known (finished and, for recovered files, read to the end). */
  total: number | undefined;
  /** Acknowledged (or empty) line indexes: never sent again. */
  acked: RangeSet;
  /** A file left by an earlier run: its line count and `.ack` are read when it is first loaded. */
  recovered: boolean;
  /** Lines given up on (retries exhausted): kept in the file for the next start. */
  parked: number;
  /** Load cursor: next line index and its byte offset. */
  loadLine: number;
  loadByte: number;
  size: number | undefined;
  handle: FileHandle | undefined;
  ackChain: Promise<void>;
  deleting: boolean;
}

interface Ref {
  readonly segment: Segment;
  readonly index: number;
}

const READ_CHUNK = 256 * 1024;
/** How often a write-ahead log that could not lock its folder tries again. */
const LOCK_RETRY_MS = 1000;

/**
 * `batch` + spool = a write-ahead log. Every hit is appended to the spool (see
 * `createSpoolTransport` for the `fsync` data-loss window) before `send()` resolves
 * `spooled`; then it is batched and POSTed exactly like the `batch` transport. A line is
 * acknowledged in a `<prefix>-<ms>.ack` sidecar only after Mapp answered 2xx (or rejected
 * it for good), and a finished file is deleted once all its lines are acknowledged.
 *
 * - **Bounded memory:** the in-memory queue is a window on the log. When it is full, new
 *   hits are only written to disk and read back in order when there is room: nothing is
 *   dropped for `queue-full`, and per-visitor order is kept.
 * - **Crash recovery:** on start, `.tmp` files left by a crash are finished and every
 *   unacknowledged line is replayed, oldest file first.
 * - **Duplicate window:** a crash can resend the batches that were in flight or whose 2xx
 *   arrived but whose ack record was not yet appended: at most `concurrency ×
 *   maxBacklogBatchSize` hits (batches grow to that size only while a backlog is being
 *   caught up; lower it to narrow the window). Nothing that `send()` resolved for is lost
 *   by a process crash.
 * - **Give-ups** (`maxAttempts`/`maxRetryAge` exhausted) are not acknowledged: they stay
 *   in the file and are replayed on the next start (or by `mapp-s2s ship`). A replayed
 *   hit's age for `maxRetryAge` counts from its replay.
 * - **One owner:** the process holds `<dir>/<prefix>.lock` (stale locks of dead processes
 *   are taken over), so `ship` never sends the same files concurrently. Give each process
 *   its own `dir` or `prefix`. If the folder can't be used (unwritable, locked by a live
 *   process, a running `ship`), an `error` event is emitted and hits are kept in memory
 *   only; the lock is retried every second and the log is used from then on.
 *
 * - **Bounded disk:** at `spool.maxTotalBytes` (default 1 GiB) new hits are dropped
 *   (`spool-full`: counted, emitted, warned). Folder `0700`, files `0600`; only regular
 *   files are read (symlinks, directories and FIFOs are skipped with a warning), and `.ack`
 *   entries are checked against the file's line count.
 *
 * `close({ timeout })` drains the in-memory window; what is unsent then simply stays in
 * the log for the next start. Node-only (`@mapp-s2s/core/node`).
 */
export function createDurableBatchTransport(options: DurableBatchTransportOptions, internal: BatchTransportInternals = {}): TransportFactory {
  const batchOptions = resolveBatchOptions(options);
  const spoolOptions = resolveSpoolOptions(options.spool);
  return function durableBatchTransport(context: TransportContext): Transport {
    const stats = createStatsRecorder();
    const segments: Segment[] = [];
    const byId = new Map<number, Segment>();
    let lock: DirLock | undefined;
    let degraded: Error | undefined;
    let loading = false;
    let loadPromise: Promise<void> | undefined;
    let loadQueued = false;
    let closing = false;
    let replayed = 0;
    let loadErrors = 0;

    const emitError = (error: unknown): void => {
      context.emit({ type: 'error', error: asError(error) });
    };

    const client = internal.httpClient?.(context.fetch);
    const hooks: BatchEngineHooks = { parkOnGiveUp: false, onSettled: settled, onRoom: scheduleLoad };
    if (client !== undefined) hooks.request = client.request;
    const engine = new BatchEngine(context, batchOptions, stats, hooks);
    let writer: SpoolWriter<OutgoingHit> | undefined;
    let retryTimer: ReturnType<typeof setInterval> | undefined;

    /**
     * Locks the folder, adopts what a previous run left (finishing its `.tmp` files) and
     * starts the writer. Throws when the folder can't be used.
     */
    function adopt(): void {
      mkdirSync(spoolOptions.dir, { recursive: true, mode: PRIVATE_DIR_MODE });
      const attempt = acquireDirLock(join(spoolOptions.dir, `${spoolOptions.prefix}.lock`));
      if (!attempt.ok) throw new Error(`spool folder ${spoolOptions.dir} is in use by process ${attempt.pid} on ${attempt.host || 'an unknown host'} (${attempt.path})`);
      try {
        let maxId = 0;
        const skip = (path: string, kind: string): void => context.logger.warn(`mapp-s2s: ${path} is ${kind}, not a regular file; the write-ahead log leaves it alone`);
        for (const found of listSpoolFiles(spoolOptions.dir, spoolOptions.prefix, skip)) {
          const file = finishSpoolFile(found);
          maxId = Math.max(maxId, file.id);
          if (byId.has(file.id)) continue;
          const segment = newSegment(file.id, file.base, file.path, undefined);
          segment.finished = true;
          // Its `.ack` is read (and checked against its line count) when it is first loaded.
          segment.recovered = true;
          segments.push(segment);
          byId.set(file.id, segment);
        }
        removeOrphanAcks(spoolOptions.dir, spoolOptions.prefix);
        writer = createWriter(maxId + 1);
      } catch (error) {
        attempt.lock.release();
        throw error;
      }
      lock = attempt.lock;
      hooks.parkOnGiveUp = true;
      degraded = undefined;
      scheduleLoad();
    }

    try {
      adopt();
    } catch (error) {
      degraded = asError(error);
      const wrapped = new Error(`mapp-s2s: write-ahead log unavailable, hits are kept in memory only until it can be used: ${degraded.message}`, { cause: degraded });
      context.logger.error(wrapped.message);
      // Emitted after the tracker finished wiring its listeners.
      queueMicrotask(() => emitError(wrapped));
      // A folder locked by a `ship` run (or a process shutting down) frees up: keep trying,
      // and become durable from then on.
      retryTimer = setInterval(() => {
        if (closing) return;
        try {
          adopt();
          clearInterval(retryTimer);
          retryTimer = undefined;
          context.logger.warn(`mapp-s2s: write-ahead log in ${spoolOptions.dir} is now in use`);
        } catch {
          // Still unavailable; the first failure was reported.
        }
      }, LOCK_RETRY_MS);
      (retryTimer as { unref?: () => void }).unref?.();
    }

    function createWriter(minId: number): SpoolWriter<OutgoingHit> {
      return new SpoolWriter<OutgoingHit>(
        spoolOptions,
        {
          onAppended(meta, records) {
            stats.spooled += records.length;
            context.emit({ type: 'spooled', lines: records.length, file: meta.path });
            const segment = segmentFor(meta);
            for (const record of records) {
              // Fast path: the memory window is caught up with the log and has room, so the
              // hit joins the queue straight away without being read back from disk.
              if (!loading && !closing && cursor() === segment && segment.loadLine === record.index && engine.push(record.tag, { segment, index: record.index } satisfies Ref)) {
                segment.loadLine = record.index + 1;
                segment.loadByte = record.end;
              } else {
                scheduleLoad();
              }
            }
          },
          onFinished(meta) {
            const segment = byId.get(meta.id);
            if (!segment) return;
            segment.finished = true;
            segment.path = meta.path;
            segment.total = meta.lines;
            maybeDelete(segment);
            scheduleLoad();
          },
          onError: emitError,
        },
        minId,
      );
    }

    function newSegment(id: number, base: string, path: string, meta: WriterSegment | undefined): Segment {
      return { id, base, path, writer: meta, finished: false, total: undefined, acked: new RangeSet(), recovered: false, parked: 0, loadLine: 0, loadByte: 0, size: undefined, handle: undefined, ackChain: Promise.resolve(), deleting: false };
    }

    function segmentFor(meta: WriterSegment): Segment {
      let segment = byId.get(meta.id);
      if (!segment) {
        segment = newSegment(meta.id, meta.base, meta.path, meta);
        segments.push(segment);
        byId.set(meta.id, segment);
      }
      return segment;
    }

    /** The first segment with lines not yet loaded into memory (or the live one). */
    function cursor(): Segment | undefined {
      for (const segment of segments) {
        if (segment.total === undefined || segment.loadLine < segment.total) return segment;
      }
      return undefined;
    }

    function scheduleLoad(): void {
      if (loadQueued || degraded || closing) return;
      loadQueued = true;
      // Deferred: onRoom fires from inside the engine, which must not be re-entered.
      queueMicrotask(() => {
        loadQueued = false;
        void load();
      });
    }

    function load(): Promise<void> {
      loadPromise ??= readIntoMemory().finally(() => {
        loadPromise = undefined;
      });
      return loadPromise;
    }

    /** `true` when every logged line is in memory (or settled). */
    function caughtUp(): boolean {
      const segment = cursor();
      return segment === undefined || (segment.writer !== undefined && !segment.finished && segment.loadByte >= segment.writer.bytes);
    }

    async function readIntoMemory(): Promise<void> {
      if (loading || closing) return;
      loading = true;
      try {
        while (!closing && engine.hasRoom()) {
          const segment = cursor();
          if (!segment) break;
          if (segment.recovered && !(await recover(segment))) continue;
          const live = segment.writer !== undefined && !segment.finished;
          const limit = segment.writer ? segment.writer.bytes : await sizeOf(segment);
          if (live && segment.loadByte >= limit) break; // caught up with the writer
          segment.handle ??= await openForReading(segment);
          // A line longer than any hit is never held whole (a damaged or foreign file).
          const chunk = await readLines(segment.handle, segment.loadByte, limit, READ_CHUNK, segment.finished && !segment.writer, MAX_SEND_LINE_CHARS);
          let consumed = 0;
          for (const [i, line] of chunk.lines.entries()) {
            if (closing) break;
            const index = segment.loadLine;
            const skip = line === '' || segment.acked.has(index);
            const junk = !skip && line.length > MAX_SEND_LINE_CHARS;
            // A full window leaves the line on disk for the next load.
            if (!skip && !junk && !engine.push({ line, key: keyFromLine(line), time: Date.now() }, { segment, index } satisfies Ref)) break;
            segment.loadLine += 1;
            segment.loadByte = chunk.ends[i] as number;
            consumed += 1;
            if (junk) {
              stats.drop('invalid');
              context.emit({ type: 'dropped', lines: 1, reason: 'invalid', detail: `line ${index + 1} of ${segment.path} is over ${MAX_SEND_LINE_CHARS} bytes: no hit is that long (a damaged or foreign file)` });
            }
            if (skip || junk) segment.acked.add(index);
            else if (!segment.writer) replayed += 1;
          }
          if (segment.finished && segment.loadByte >= limit) {
            segment.total = segment.loadLine;
            await segment.handle?.close().catch(() => undefined);
            segment.handle = undefined;
            maybeDelete(segment);
          } else if (consumed === 0) {
            break;
          }
        }
      } catch (error) {
        loadErrors += 1;
        emitError(new Error(`mapp-s2s: reading the write-ahead log failed: ${(error as Error).message}`, { cause: error }));
      } finally {
        loading = false;
      }
    }

    /**
     * First load of a file left by an earlier run: count its lines and read its `.ack`
     * against that count (a corrupt or hostile `.ack` is ignored entry by entry, never
     * expanded). A file or sidecar that is not a regular file is left alone, with a warning.
     */
    async function recover(segment: Segment): Promise<boolean> {
      try {
        segment.handle ??= await openForReading(segment);
        const size = await sizeOf(segment);
        const lines = await countLines(segment.handle, size);
        const { acked, ignored } = readAcks(segment.base, lines);
        if (ignored > 0) context.logger.warn(`mapp-s2s: ${segment.base}.ack: ${ignored} entr${ignored === 1 ? 'y' : 'ies'} outside the file's ${lines} lines ignored (corrupt or tampered)`);
        segment.acked = acked;
        segment.total = lines;
        segment.recovered = false;
        return true;
      } catch (error) {
        context.logger.warn(`mapp-s2s: write-ahead log file ${segment.path} skipped: ${(error as Error).message}`);
        await segment.handle?.close().catch(() => undefined);
        segment.handle = undefined;
        const at = segments.indexOf(segment);
        if (at !== -1) segments.splice(at, 1);
        byId.delete(segment.id);
        return false;
      }
    }

    async function sizeOf(segment: Segment): Promise<number> {
      if (segment.size === undefined) {
        segment.handle ??= await openForReading(segment);
        segment.size = (await segment.handle.stat()).size;
      }
      return segment.size;
    }

    function settled(entries: readonly EngineEntry[], result: SettleResult): Promise<void> | undefined {
      const bySegment = new Map<Segment, number[]>();
      for (const entry of entries) {
        const ref = entry.ref as Ref | undefined;
        if (!ref) continue;
        const list = bySegment.get(ref.segment) ?? [];
        list.push(ref.index);
        bySegment.set(ref.segment, list);
      }
      if (bySegment.size === 0) return undefined;
      const writes: Promise<void>[] = [];
      for (const [segment, indexes] of bySegment) {
        if (result.kind === 'parked') {
          segment.parked += indexes.length;
          continue;
        }
        for (const index of indexes) segment.acked.add(index);
        segment.ackChain = segment.ackChain.then(() => appendAcks(segment.base, indexes)).catch(emitError);
        writes.push(segment.ackChain);
        maybeDelete(segment);
      }
      // The lane waits for its ack record, so at most one batch per lane can be resent
      // after a crash (the one in flight, or the one whose ack was being written).
      return writes.length > 0 ? Promise.all(writes).then(() => undefined) : undefined;
    }

    function maybeDelete(segment: Segment): void {
      if (segment.deleting || !segment.finished || segment.total === undefined) return;
      if (segment.acked.countBelow(segment.total) < segment.total) return;
      segment.deleting = true;
      // After the pending ack appends, or they would recreate the sidecar.
      segment.ackChain = segment.ackChain
        .then(async () => {
          await segment.handle?.close().catch(() => undefined);
          segment.handle = undefined;
          await removeSpoolFile(segment.base);
          writer?.budget.release(segment.writer?.bytes ?? segment.size ?? 0);
          const at = segments.indexOf(segment);
          if (at !== -1) segments.splice(at, 1);
          byId.delete(segment.id);
        })
        .catch(emitError);
    }

    return {
      name: 'batch+spool',
      async send(hit: OutgoingHit): Promise<SendOutcome> {
        if (closing) {
          stats.drop('closed');
          return { ok: false, status: 'dropped', reason: 'closed', detail: 'transport is closed' };
        }
        if (!writer) {
          if (engine.push(hit)) return { ok: true, status: 'queued' };
          stats.drop('queue-full');
          context.emit({ type: 'dropped', lines: 1, reason: 'queue-full', detail: QUEUE_FULL_DETAIL });
          return QUEUE_FULL;
        }
        try {
          await writer.append(hit.line, hit);
          return { ok: true, status: 'spooled' };
        } catch (cause) {
          if (cause === SPOOL_FULL) {
            stats.drop('spool-full');
            context.emit({ type: 'dropped', lines: 1, reason: 'spool-full', detail: FULL_DETAIL });
            return FULL;
          }
          const error = new Error(`mapp-s2s: could not write the write-ahead log in ${spoolOptions.dir} (${(cause as NodeJS.ErrnoException).code ?? String(cause)}); hit kept in memory only`, { cause });
          emitError(error);
          // Better sent without durability than not at all; order is kept unless the
          // memory window was behind the log at this moment.
          if (!engine.isClosed && engine.push(hit)) return { ok: true, status: 'queued' };
          return { ok: false, status: 'failed', error };
        }
      },
      async flush() {
        // The log is the queue: flush sends the backlog on disk too, not only the window.
        await writer?.sync();
        while (!closing && !degraded) {
          const errorsBefore = loadErrors;
          await load();
          await engine.flush();
          // A read error was reported: stop rather than spin on it.
          if (caughtUp() || loadErrors !== errorsBefore) break;
        }
        await engine.flush();
      },
      async close({ timeout = 5000 } = {}) {
        if (closing) return;
        closing = true;
        const leftovers = await engine.drain(timeout);
        client?.close();
        // Logged leftovers stay in their files for the next start; memory-only ones are lost.
        const memoryOnly = leftovers.filter((entry) => entry.ref === undefined).length;
        if (memoryOnly > 0) {
          stats.drop('closed', memoryOnly);
          context.emit({ type: 'dropped', lines: memoryOnly, reason: 'closed', detail: `close() timed out after ${timeout} ms` });
        }
        if (retryTimer !== undefined) clearInterval(retryTimer);
        await writer?.close();
        await Promise.all(segments.map((segment) => segment.ackChain));
        await Promise.all(segments.map((segment) => segment.handle?.close().catch(() => undefined)));
        lock?.release();
      },
      stats() {
        const snapshot = stats.snapshot({ queueDepth: engine.depth, queueBytes: engine.depthBytes, inFlight: engine.inFlight });
        return { ...snapshot, ...(writer === undefined ? {} : { spoolBytes: writer.budget.bytes }), replayed } as ReturnType<NonNullable<Transport['stats']>>;
      },
    };
  };
}

/**
 * Opens a segment (a regular file only, never through a symlink or blocking on a FIFO);
 * a `.tmp` → `.log` rename may race with us, so retry on the new path.
 */
async function openForReading(segment: Segment): Promise<FileHandle> {
  try {
    return await openRegular(segment.path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return openRegular(`${segment.base}.log`);
  }
}

/** Removes `.ack` sidecars whose spool file is gone (a crash between the two deletes). */
function removeOrphanAcks(dir: string, prefix: string): void {
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(`${prefix}-`) || !name.endsWith('.ack')) continue;
    const base = join(dir, name.slice(0, -'.ack'.length));
    if (!existsSync(`${base}.log`) && !existsSync(`${base}.tmp`)) rmSync(`${base}.ack`, { force: true });
  }
}
