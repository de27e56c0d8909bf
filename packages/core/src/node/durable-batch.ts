import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { OutgoingHit, SendOutcome, SpoolOptions, Transport, TransportContext, TransportFactory } from '../types.js';
import type { BatchTransportInternals, BatchTransportOptions } from '../transport/batch.js';
import { BatchEngine, type BatchEngineHooks, type EngineEntry, type SettleResult } from '../transport/batch-engine.js';
import { resolveBatchOptions } from '../transport/batch-options.js';
import { asError } from '../transport/http.js';
import { keyFromLine } from '../transport/line-key.js';
import { createStatsRecorder } from '../transport/stats.js';
import { acquireDirLock, type DirLock } from './dir-lock.js';
import { readLines } from './read-lines.js';
import { appendAcks, finishSpoolFile, listSpoolFiles, readAcks, removeSpoolFile } from './spool-files.js';
import { resolveSpoolOptions } from './spool-options.js';
import { SpoolWriter, type WriterSegment } from './spool-writer.js';

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
  readonly acked: Set<number>;
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
 *   maxBatchSize` hits. Nothing that `send()` resolved for is lost by a process crash.
 * - **Give-ups** (`maxAttempts`/`maxRetryAge` exhausted) are not acknowledged: they stay
 *   in the file and are replayed on the next start (or by `mapp-s2s ship`). A replayed
 *   hit's age for `maxRetryAge` counts from its replay.
 * - **One owner:** the process holds `<dir>/<prefix>.lock` (stale locks of dead processes
 *   are taken over), so `ship` never sends the same files concurrently. Give each process
 *   its own `dir` or `prefix`. If the folder can't be used (unwritable, locked by a live
 *   process, a running `ship`), an `error` event is emitted and hits are kept in memory
 *   only; the lock is retried every second and the log is used from then on.
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
      mkdirSync(spoolOptions.dir, { recursive: true });
      const attempt = acquireDirLock(join(spoolOptions.dir, `${spoolOptions.prefix}.lock`));
      if (!attempt.ok) throw new Error(`spool folder ${spoolOptions.dir} is in use by process ${attempt.pid} on ${attempt.host || 'an unknown host'} (${attempt.path})`);
      try {
        let maxId = 0;
        for (const found of listSpoolFiles(spoolOptions.dir, spoolOptions.prefix)) {
          const file = finishSpoolFile(found);
          maxId = Math.max(maxId, file.id);
          if (byId.has(file.id)) continue;
          const segment = newSegment(file.id, file.base, file.path, undefined);
          segment.finished = true;
          for (const index of readAcks(file.base)) segment.acked.add(index);
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
              if (!loading && !closing && cursor() === segment && segment.loadLine === record.index && engine.hasRoom()) {
                engine.push(record.tag, { segment, index: record.index } satisfies Ref);
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
      return { id, base, path, writer: meta, finished: false, total: undefined, acked: new Set(), parked: 0, loadLine: 0, loadByte: 0, size: undefined, handle: undefined, ackChain: Promise.resolve(), deleting: false };
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
          const live = segment.writer !== undefined && !segment.finished;
          const limit = segment.writer ? segment.writer.bytes : await sizeOf(segment);
          if (live && segment.loadByte >= limit) break; // caught up with the writer
          segment.handle ??= await openForReading(segment);
          const chunk = await readLines(segment.handle, segment.loadByte, limit, READ_CHUNK, segment.finished && !segment.writer);
          let room = batchOptions.maxQueueSize - engine.depth;
          let consumed = 0;
          for (const [i, line] of chunk.lines.entries()) {
            if (room <= 0 || closing) break;
            const index = segment.loadLine;
            segment.loadLine += 1;
            segment.loadByte = chunk.ends[i] as number;
            consumed += 1;
            if (line === '' || segment.acked.has(index)) {
              segment.acked.add(index);
              continue;
            }
            if (!segment.writer) replayed += 1;
            engine.push({ line, key: keyFromLine(line), time: Date.now() }, { segment, index } satisfies Ref);
            room -= 1;
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
      if (segment.acked.size < segment.total) return;
      segment.deleting = true;
      // After the pending ack appends, or they would recreate the sidecar.
      segment.ackChain = segment.ackChain
        .then(async () => {
          await segment.handle?.close().catch(() => undefined);
          segment.handle = undefined;
          await removeSpoolFile(segment.base);
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
          engine.push(hit);
          return { ok: true, status: 'queued' };
        }
        try {
          await writer.append(hit.line, hit);
          return { ok: true, status: 'spooled' };
        } catch (cause) {
          const error = new Error(`mapp-s2s: could not write the write-ahead log in ${spoolOptions.dir} (${(cause as NodeJS.ErrnoException).code ?? String(cause)}); hit kept in memory only`, { cause });
          emitError(error);
          // Better sent without durability than not at all; order is kept unless the
          // memory window was behind the log at this moment.
          if (engine.hasRoom() && !engine.isClosed) {
            engine.push(hit);
            return { ok: true, status: 'queued' };
          }
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
        return { ...stats.snapshot({ queueDepth: engine.depth, inFlight: engine.inFlight }), replayed } as ReturnType<NonNullable<Transport['stats']>>;
      },
    };
  };
}

/** Opens a segment; a `.tmp` → `.log` rename may race with us, so retry on the new path. */
async function openForReading(segment: Segment): Promise<FileHandle> {
  try {
    return await open(segment.path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return open(`${segment.base}.log`, 'r');
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
