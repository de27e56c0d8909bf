import type { DropReason, OutgoingHit, TransportContext } from '../types.js';
import type { ResolvedBatchOptions } from './batch-options.js';
import { ABORTED_BY_CLOSE, requestMapp, utf8Length, type HttpRequester } from './http.js';
import { backoffDelay } from './retry.js';
import type { StatsRecorder } from './stats.js';

/** One queued hit. `ref` is opaque to the engine (the write-ahead log's position). @internal */
export interface EngineEntry {
  readonly hit: OutgoingHit;
  readonly seq: number;
  readonly bytes: number;
  readonly ref?: unknown;
}

/** How a batch of entries left the engine. `parked`: given up, but kept by the owner (spool). @internal */
export type SettleResult = { kind: 'sent' } | { kind: 'dropped'; reason: DropReason; detail?: string } | { kind: 'parked'; reason: DropReason; detail: string };

/** @internal */
export interface BatchEngineHooks {
  /**
   * Called once for every entry that leaves the engine (except through `drain()` leftovers).
   * When it returns a promise, the lane stays blocked until it settles (the write-ahead log
   * uses this to record the ack before the lane's next batch goes out).
   */
  onSettled?(entries: readonly EngineEntry[], result: SettleResult): void | Promise<void>;
  /** Called when queue space was freed. */
  onRoom?(): void;
  /** Give-ups (attempts or age exhausted) are `parked` instead of `dropped` (durable mode). */
  parkOnGiveUp?: boolean;
  /** How a batch is POSTed; default `requestMapp` over the context's fetch. */
  request?: HttpRequester;
}

interface Batch {
  readonly entries: EngineEntry[];
  readonly body: string;
  attempts: number;
  timer?: ReturnType<typeof setTimeout>;
  abandoned: boolean;
}

interface Lane {
  readonly queue: EngineEntry[];
  head: number;
  bytes: number;
  lastSeq: number;
  batch: Batch | null;
}

interface Waiter {
  readonly targets: number[];
  readonly resolve: () => void;
}

function unref(timer: ReturnType<typeof setTimeout>): void {
  (timer as { unref?: () => void }).unref?.();
}

/** FNV-1a: a cheap, stable string hash to pick a lane per visitor key. */
function hashKey(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i += 1) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * The batching core shared by the `batch` transport and the Node write-ahead-log transport.
 *
 * Ordering design ("lanes"): hits are partitioned into `concurrency` lanes by a hash of
 * their ordering key. A lane is strictly FIFO and has at most one batch outstanding; a
 * batch waiting for a retry holds its lane. So hits with the same key can never be
 * reordered, not even across retries, while the other lanes keep flowing (one bad batch
 * blocks at most its own lane, and only while it is being retried; a rejected batch is
 * dropped at once). Concurrency is bounded by the number of lanes.
 *
 * Memory: `maxQueueSize` bounds the hits waiting in lanes; at most `concurrency` batches
 * (`concurrency × maxBatchSize` hits) are in flight on top of that.
 * @internal
 */
export class BatchEngine {
  private readonly lanes: Lane[];
  private seq = 0;
  private queued = 0;
  private inFlightLines = 0;
  private forceUntil = -1;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closing = false;
  private closed = false;
  private waiters: Waiter[] = [];
  private readonly closer = new AbortController();
  private readonly url: string;

  constructor(
    private readonly context: TransportContext,
    private readonly options: ResolvedBatchOptions,
    private readonly stats: StatsRecorder,
    private readonly hooks: BatchEngineHooks = {},
  ) {
    this.url = `${context.origin}/${context.trackId}/batch`;
    this.lanes = Array.from({ length: options.concurrency }, () => ({ queue: [], head: 0, bytes: 0, lastSeq: -1, batch: null }));
  }

  /** Hits waiting in lanes (not in flight). */
  get depth(): number {
    return this.queued;
  }

  /** Hits in batches being sent or waiting for a retry. */
  get inFlight(): number {
    return this.inFlightLines;
  }

  get isClosed(): boolean {
    return this.closing || this.closed;
  }

  hasRoom(): boolean {
    return this.queued < this.options.maxQueueSize;
  }

  /** Queues a hit. When the queue is full the oldest waiting hit is dropped (`queue-full`). */
  push(hit: OutgoingHit, ref?: unknown): void {
    if (!this.hasRoom()) this.dropOldest();
    const entry: EngineEntry = { hit, seq: this.seq, bytes: utf8Length(hit.line) + 1, ref };
    this.seq += 1;
    const lane = this.lanes[hashKey(hit.key) % this.lanes.length] as Lane;
    lane.queue.push(entry);
    lane.bytes += entry.bytes;
    lane.lastSeq = entry.seq;
    this.queued += 1;
    this.stats.enqueued += 1;
    this.pumpLane(lane);
    this.armTimer();
  }

  /** Sends everything queued so far and resolves once all of it is settled. */
  flush(): Promise<void> {
    const targets = this.lanes.map((lane) => lane.lastSeq);
    this.forceUntil = Math.max(this.forceUntil, this.seq - 1);
    this.pump();
    return this.waitFor(targets);
  }

  /**
   * Stops accepting, sends everything, and waits up to `timeout` ms. Whatever is still
   * unsent then (queued, in flight, or waiting for a retry) is returned, in tracking order;
   * in-flight requests are aborted first.
   */
  async drain(timeout: number): Promise<EngineEntry[]> {
    this.closing = true;
    this.forceUntil = Number.POSITIVE_INFINITY;
    this.pump();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => resolve('expired'), timeout);
      unref(timer);
    });
    const everything = this.lanes.map(() => Number.POSITIVE_INFINITY);
    await Promise.race([this.waitFor(everything), expired]);
    clearTimeout(timer);
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const leftovers: EngineEntry[] = [];
    for (const lane of this.lanes) {
      if (lane.batch) {
        lane.batch.abandoned = true;
        if (lane.batch.timer !== undefined) clearTimeout(lane.batch.timer);
        leftovers.push(...lane.batch.entries);
        lane.batch = null;
      }
      leftovers.push(...lane.queue.slice(lane.head));
      lane.queue.length = 0;
      lane.head = 0;
      lane.bytes = 0;
    }
    this.closer.abort();
    this.queued = 0;
    this.inFlightLines = 0;
    this.resolveWaiters();
    return leftovers.sort((a, b) => a.seq - b.seq);
  }

  private dropOldest(): void {
    let oldest: Lane | undefined;
    for (const lane of this.lanes) {
      const head = lane.queue[lane.head];
      if (head && (!oldest || head.seq < (oldest.queue[oldest.head] as EngineEntry).seq)) oldest = lane;
    }
    if (!oldest) return;
    const [entry] = this.take(oldest, 1);
    if (!entry) return;
    this.stats.drop('queue-full');
    this.context.emit({ type: 'dropped', lines: 1, reason: 'queue-full', detail: `maxQueueSize ${this.options.maxQueueSize} reached` });
    this.hooks.onSettled?.([entry], { kind: 'dropped', reason: 'queue-full' });
    this.resolveWaiters();
  }

  private take(lane: Lane, maxLines: number, maxBytes = Number.POSITIVE_INFINITY): EngineEntry[] {
    const taken: EngineEntry[] = [];
    let bytes = 0;
    while (lane.head < lane.queue.length && taken.length < maxLines) {
      const entry = lane.queue[lane.head] as EngineEntry;
      if (taken.length > 0 && bytes + entry.bytes > maxBytes) break;
      bytes += entry.bytes;
      taken.push(entry);
      lane.head += 1;
    }
    lane.bytes -= bytes;
    this.queued -= taken.length;
    // Compact the consumed prefix once it dominates, so memory tracks the live length.
    if (lane.head === lane.queue.length) {
      lane.queue.length = 0;
      lane.head = 0;
    } else if (lane.head > 1024 && lane.head * 2 > lane.queue.length) {
      lane.queue.splice(0, lane.head);
      lane.head = 0;
    }
    return taken;
  }

  private armTimer(): void {
    if (this.timer !== undefined || this.queued === 0 || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.forceUntil = this.seq - 1;
      this.pump();
      this.armTimer();
    }, this.options.flushInterval);
    unref(this.timer);
  }

  private pump(): void {
    for (const lane of this.lanes) this.pumpLane(lane);
  }

  private pumpLane(lane: Lane): void {
    if (lane.batch || this.closed) return;
    const head = lane.queue[lane.head];
    if (!head) return;
    const full = lane.queue.length - lane.head >= this.options.maxBatchSize || lane.bytes >= this.options.maxBatchBytes;
    if (!full && head.seq > this.forceUntil) return;
    const entries = this.take(lane, this.options.maxBatchSize, this.options.maxBatchBytes);
    // Lines never contain CR/LF (the encoder guarantees it), so '\n' is an unambiguous separator.
    const batch: Batch = { entries, body: entries.map((entry) => entry.hit.line).join('\n'), attempts: 0, abandoned: false };
    lane.batch = batch;
    this.inFlightLines += entries.length;
    this.hooks.onRoom?.();
    void this.attempt(lane, batch);
  }

  private async attempt(lane: Lane, batch: Batch): Promise<void> {
    batch.timer = undefined;
    batch.attempts += 1;
    const lines = batch.entries.length;
    const body = { method: 'POST', body: batch.body } as const;
    const result = this.hooks.request
      ? await this.hooks.request(this.url, body, this.options.timeout, this.closer.signal)
      : await requestMapp(this.context.fetch, this.url, body, this.options.timeout, this.closer.signal);
    if (batch.abandoned) return;
    if (result.kind === 'ok') {
      this.stats.sent += lines;
      this.stats.latency(result.latencyMs);
      this.context.emit({ type: 'sent', lines, status: result.status, latencyMs: result.latencyMs });
      this.settle(lane, batch, { kind: 'sent' });
      return;
    }
    if (result.kind === 'reject') {
      this.drop(lane, batch, 'rejected', result.reason);
      return;
    }
    if (result.reason === ABORTED_BY_CLOSE) return;
    if (batch.attempts >= this.options.maxAttempts) {
      this.giveUp(lane, batch, 'retries-exhausted', `${batch.attempts} attempts, last: ${result.reason}`);
      return;
    }
    const delay = result.retryAfterMs ?? backoffDelay(batch.attempts, this.options.backoffBase, this.options.backoffMax);
    const oldest = batch.entries.reduce((min, entry) => Math.min(min, entry.hit.time), Number.POSITIVE_INFINITY);
    if (Date.now() + delay - oldest > this.options.maxRetryAge) {
      this.giveUp(lane, batch, 'too-old', `older than maxRetryAge ${this.options.maxRetryAge} ms at the next attempt (${result.reason})`);
      return;
    }
    this.stats.retried += lines;
    this.context.emit({ type: 'retry', lines, attempt: batch.attempts, delayMs: delay, reason: result.reason });
    batch.timer = setTimeout(() => void this.attempt(lane, batch), delay);
    unref(batch.timer);
  }

  private giveUp(lane: Lane, batch: Batch, reason: DropReason, detail: string): void {
    if (!this.hooks.parkOnGiveUp) {
      this.drop(lane, batch, reason, detail);
      return;
    }
    this.context.emit({ type: 'error', error: new Error(`mapp-s2s batch: ${batch.entries.length} hits kept in the spool for replay (${reason}: ${detail})`) });
    this.settle(lane, batch, { kind: 'parked', reason, detail });
  }

  private drop(lane: Lane, batch: Batch, reason: DropReason, detail: string): void {
    const lines = batch.entries.length;
    this.stats.drop(reason, lines);
    this.context.emit({ type: 'dropped', lines, reason, detail });
    this.settle(lane, batch, { kind: 'dropped', reason, detail });
  }

  private settle(lane: Lane, batch: Batch, result: SettleResult): void {
    const pending = this.hooks.onSettled?.(batch.entries, result);
    if (pending) void pending.then(() => this.release(lane, batch));
    else this.release(lane, batch);
  }

  private release(lane: Lane, batch: Batch): void {
    if (batch.abandoned || lane.batch !== batch) return;
    lane.batch = null;
    this.inFlightLines -= batch.entries.length;
    this.resolveWaiters();
    this.pumpLane(lane);
    this.armTimer();
  }

  private waitFor(targets: number[]): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push({ targets, resolve });
      this.resolveWaiters();
    });
  }

  private resolveWaiters(): void {
    if (this.waiters.length === 0) return;
    const lowest = this.lanes.map((lane) => lane.batch?.entries[0]?.seq ?? lane.queue[lane.head]?.seq ?? Number.POSITIVE_INFINITY);
    this.waiters = this.waiters.filter((waiter) => {
      const done = waiter.targets.every((target, i) => {
        const low = lowest[i] as number;
        return low === Number.POSITIVE_INFINITY || low > target;
      });
      if (done) waiter.resolve();
      return !done;
    });
  }
}
