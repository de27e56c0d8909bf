import { MAX_LINE_BYTES } from '../encode.js';
import type { DropReason, OutgoingHit, TransportContext } from '../types.js';
import type { ResolvedBatchOptions } from './batch-options.js';
import { LinesEncoder } from './encode-lines.js';
import { ABORTED_BY_CLOSE, lineQuery, requestMapp, type HttpRequester, type MappRequestInit } from './http.js';
import { compactConsumed } from './consumed-prefix.js';
import { backoffDelay, MAX_TIMER_MS } from './retry.js';
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
  /**
   * The POST body (the lines, encoded), or, as a string, the query of one line over the 7 KB
   * batch-line limit, sent alone as `GET /<trackId>/wt?…` (docs/protocol.md §4).
   */
  readonly body: Uint8Array<ArrayBuffer> | string;
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
  /** Encodes the lane's POST bodies; a body stays untouched until its batch is settled (one batch per lane). */
  readonly encoder: LinesEncoder;
}

interface Waiter {
  readonly targets: number[];
  readonly resolve: () => void;
}

function unref(timer: ReturnType<typeof setTimeout>): void {
  (timer as { unref?: () => void }).unref?.();
}

/** A line too long for a batch or file (7 KB, docs/protocol.md §4); `bytes` counts its '\n'. */
function isOverLong(entry: EngineEntry): boolean {
  return entry.bytes - 1 > MAX_LINE_BYTES;
}

/** Shortest retry delay while closing: a dead endpoint must not become a busy loop. */
const MIN_CLOSING_RETRY_MS = 50;

/** Keeps a runtime's event loop alive while someone waits (a ref'd, idle interval). */
function noop(): void {}

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
 * Throughput: a batch leaves at `maxBatchSize` lines; when a lane's backlog is larger, its
 * next batch takes the backlog (up to `maxBacklogBatchSize` lines and `maxBatchBytes`), so one lane drains
 * far faster than one process can produce. A line over 7 KB is sent alone, as a GET.
 *
 * Memory: `maxQueueSize` hits and `maxQueueBytes` bytes bound what waits in lanes; `push`
 * refuses beyond that (the owner spills or counts the drop). At most `concurrency` batches
 * are in flight on top of that.
 *
 * Liveness: while someone waits (`flush()`, `drain()`), a ref'd handle keeps the process
 * alive, so retry timers (unref'd otherwise) still fire and the promise settles.
 * @internal
 */
export class BatchEngine {
  private readonly lanes: Lane[];
  private seq = 0;
  private queued = 0;
  private queuedBytes = 0;
  private inFlightLines = 0;
  private hold: ReturnType<typeof setInterval> | undefined;
  private deadline = Number.POSITIVE_INFINITY;
  private forceUntil = -1;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closing = false;
  private closed = false;
  private waiters: Waiter[] = [];
  private readonly closer = new AbortController();
  private readonly url: string;
  private readonly hitUrl: string;

  constructor(
    private readonly context: TransportContext,
    private readonly options: ResolvedBatchOptions,
    private readonly stats: StatsRecorder,
    private readonly hooks: BatchEngineHooks = {},
  ) {
    this.url = `${context.origin}/${context.trackId}/batch`;
    this.hitUrl = `${context.origin}/${context.trackId}/wt?`;
    this.lanes = Array.from({ length: options.concurrency }, () => ({ queue: [], head: 0, bytes: 0, lastSeq: -1, batch: null, encoder: new LinesEncoder() }));
  }

  /** Hits waiting in lanes (not in flight). */
  get depth(): number {
    return this.queued;
  }

  /** Hits in batches being sent or waiting for a retry. */
  get inFlight(): number {
    return this.inFlightLines;
  }

  /** Bytes of the hits waiting in lanes. */
  get depthBytes(): number {
    return this.queuedBytes;
  }

  get isClosed(): boolean {
    return this.closing || this.closed;
  }

  /** Whether a hit of `bytes` (its line plus '\n'; default: a small one) fits the queue. */
  hasRoom(bytes = 1): boolean {
    return this.queued < this.options.maxQueueSize && this.queuedBytes + bytes <= this.options.maxQueueBytes;
  }

  /**
   * Queues a hit, or returns `false` when the queue is full (`maxQueueSize`/`maxQueueBytes`)
   * or closed: the caller spills it or reports the drop. Queued hits are never evicted.
   */
  push(hit: OutgoingHit, ref?: unknown): boolean {
    // Wire lines are ASCII (percent-encoded), so their length is their size; a stray non-ASCII
    // character (at most 3 UTF-8 bytes) cannot push a 4 MiB batch past Mapp's 24 MB.
    const bytes = hit.line.length + 1;
    if (this.closed || !this.hasRoom(bytes)) return false;
    const entry: EngineEntry = { hit, seq: this.seq, bytes, ref };
    this.seq += 1;
    const lane = this.lanes[hashKey(hit.key) % this.lanes.length] as Lane;
    lane.queue.push(entry);
    lane.bytes += bytes;
    lane.lastSeq = entry.seq;
    this.queued += 1;
    this.queuedBytes += bytes;
    this.stats.enqueued += 1;
    this.pumpLane(lane);
    this.armTimer();
    return true;
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
    this.deadline = Date.now() + timeout;
    this.forceUntil = Number.POSITIVE_INFINITY;
    // A batch waiting for its retry goes again now: the backoff may be longer than the time left.
    // With no time at all (`timeout: 0`) nothing more is sent: a request cut at once would leave
    // Mapp's side unknown, and a server's `Retry-After` is respected.
    for (const lane of this.lanes) {
      const batch = lane.batch;
      if (batch?.timer !== undefined && timeout > 0) {
        clearTimeout(batch.timer);
        void this.attempt(lane, batch);
      }
    }
    this.pump();
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Not unref'd: close({ timeout }) keeps the process alive until delivered or expired.
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => resolve('expired'), timeout);
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
    this.queuedBytes = 0;
    this.inFlightLines = 0;
    this.resolveWaiters();
    this.releaseHold();
    return leftovers.sort((a, b) => a.seq - b.seq);
  }

  private take(lane: Lane, maxLines: number, maxBytes = Number.POSITIVE_INFINITY): EngineEntry[] {
    const taken: EngineEntry[] = [];
    let bytes = 0;
    while (lane.head < lane.queue.length && taken.length < maxLines) {
      const entry = lane.queue[lane.head] as EngineEntry;
      if (taken.length > 0 && (bytes + entry.bytes > maxBytes || isOverLong(entry))) break;
      bytes += entry.bytes;
      taken.push(entry);
      lane.head += 1;
    }
    lane.bytes -= bytes;
    this.queued -= taken.length;
    this.queuedBytes -= bytes;
    lane.head = compactConsumed(lane.queue, lane.head);
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
    const backlog = lane.queue.length - lane.head;
    const { maxBatchSize, maxBatchBytes, maxBacklogBatchSize } = this.options;
    const full = backlog >= maxBatchSize || lane.bytes >= maxBatchBytes;
    if (!full && head.seq > this.forceUntil) return;
    let batch: Batch;
    if (isOverLong(head)) {
      // Too long for a batch line: on its own, as the GET the Smart Pixel itself would send.
      const entries = this.take(lane, 1);
      batch = { entries, body: lineQuery(head.hit.line), attempts: 0, abandoned: false };
    } else {
      // A backlog larger than one batch goes out in larger batches, within the protocol's caps.
      const entries = this.take(lane, backlog > maxBatchSize ? Math.max(maxBatchSize, Math.min(backlog, maxBacklogBatchSize)) : maxBatchSize, maxBatchBytes);
      batch = { entries, body: lane.encoder.encode(entries.length, (i) => (entries[i] as EngineEntry).hit.line), attempts: 0, abandoned: false };
    }
    lane.batch = batch;
    this.inFlightLines += batch.entries.length;
    this.hooks.onRoom?.();
    void this.attempt(lane, batch);
  }

  private async attempt(lane: Lane, batch: Batch): Promise<void> {
    batch.timer = undefined;
    batch.attempts += 1;
    const lines = batch.entries.length;
    const url = typeof batch.body === 'string' ? `${this.hitUrl}${batch.body}` : this.url;
    const init: MappRequestInit = typeof batch.body === 'string' ? { method: 'GET' } : { method: 'POST', body: batch.body };
    const result = this.hooks.request
      ? await this.hooks.request(url, init, this.options.timeout, this.closer.signal)
      : await requestMapp(this.context.fetch, url, init, this.options.timeout, this.closer.signal);
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
    // Node fires a longer timer at once (TimeoutOverflowWarning): a huge Retry-After waits the longest it can.
    let delay = Math.min(MAX_TIMER_MS, result.retryAfterMs ?? backoffDelay(batch.attempts, this.options.backoffBase, this.options.backoffMax));
    // Closing: one more try before the deadline beats a backoff that outlasts it.
    if (this.closing) delay = Math.max(MIN_CLOSING_RETRY_MS, Math.min(delay, this.deadline - Date.now() - MIN_CLOSING_RETRY_MS));
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
    // Nothing in flight and nothing queued: a body array grown for a burst is not kept.
    if (lane.batch === null && lane.head === lane.queue.length) lane.encoder.idle();
    this.armTimer();
  }

  private waitFor(targets: number[]): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push({ targets, resolve });
      this.resolveWaiters();
      // Someone awaits delivery: retry timers are unref'd, so keep the process alive meanwhile.
      if (this.waiters.length > 0) this.hold ??= setInterval(noop, 1 << 30);
    });
  }

  private releaseHold(): void {
    if (this.hold === undefined) return;
    clearInterval(this.hold);
    this.hold = undefined;
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
    if (this.waiters.length === 0) this.releaseHold();
  }
}
